/* sink.c - the one ingest door (see sink.h). */
#include "sink.h"

#include "../core/seriesname.h"

static const struct {
    const char *label, *phrase;
} ingest_reasons[INGEST_REJECT_COUNT] = {
    [INGEST_OK] = {"ok", "accepted"},
    /* parenthesised: one string on two lines, not two elements */
    [INGEST_REJECT_BAD_NAME] = {"bad_name",
                                ("bad series name (1-200 bytes of UTF-8, no control characters, "
                                 "no leading /, //, . or .. segment)")},
    [INGEST_REJECT_BAD_LABELS] =
        {"bad_labels", ("bad labels (name{key=\"value\",...}: keys [a-zA-Z_][a-zA-Z0-9_]* "
                        "of at most 64 bytes, each once, not starting with __; values "
                        "without control characters, escapes only \\\\ and \\\"; at most "
                        "16 labels, 200 bytes in all)")},
    [INGEST_REJECT_NEGATIVE] = {"negative", "negative duration"},
    [INGEST_REJECT_NOT_FINITE] = {"not_finite", "duration is not a finite number"},
    [INGEST_REJECT_BAD_TIMESTAMP] = {"bad_timestamp",
                                     "timestamp is not a non-negative integer of unix ms"},
    [INGEST_REJECT_TOO_OLD] = {"too_old", "timestamp older than the window"},
    [INGEST_REJECT_TOO_NEW] = {"too_new", "timestamp more than 60 s in the future"},
    [INGEST_REJECT_SERIES_LIMIT] = {"series_limit", "series limit reached (--max-series)"},
    [INGEST_REJECT_MEMORY] = {"memory_budget", "memory budget reached (--memory-limit)"},
    [INGEST_REJECT_BAD_VALUE] = {"bad_value", "value is not a decimal number"},
    [INGEST_REJECT_BAD_TYPE] = {"bad_type", "no type, or an unknown StatsD type"},
    [INGEST_REJECT_BAD_RATE] = {"bad_rate", "sample rate is not a number in [0.000001, 1]"},
    [INGEST_REJECT_END_BEFORE_START] = {"end_before_start", "span ends before it starts"},
    [INGEST_REJECT_BAD_HISTOGRAM] = {"bad_histogram",
                                     ("histogram point is inconsistent (bucket counts that do not "
                                      "add up to its count, bounds that do not ascend, a scale "
                                      "outside -10..20, no valid temporality)")},
    [INGEST_REJECT_HISTOGRAM_LIMIT] = {"histogram_limit",
                                       ("histogram point over the limits (512 buckets, 32 "
                                        "attributes, 2^32-1 samples in a bucket)")},
    [INGEST_REJECT_STREAM_LIMIT] = {"stream_limit",
                                    "cumulative stream limit reached (--otlp-streams)"},
};

static const char *const ingest_protocols[INGEST_PROTOCOL_COUNT] = {
    [INGEST_JSON] = "json",
    [INGEST_STATSD] = "statsd",
    [INGEST_OTLP] = "otlp",
    [INGEST_OTLP_METRICS] = "otlp_metrics",
};

const char *ingest_reject_reason(ingest_reject_t r)
{
    return (unsigned)r < INGEST_REJECT_COUNT ? ingest_reasons[r].phrase : "unknown";
}

const char *ingest_reject_label(ingest_reject_t r)
{
    return (unsigned)r < INGEST_REJECT_COUNT ? ingest_reasons[r].label : "unknown";
}

const char *ingest_protocol_label(ingest_protocol_t p)
{
    return (unsigned)p < INGEST_PROTOCOL_COUNT ? ingest_protocols[p] : "unknown";
}

/* The name rule applies to the whole canonical key; the label rules have
 * their own reason, so that a client learns which part to fix. */
static void ingest_key_finish(ingest_key_t *k, serieskey_check_t check)
{
    if (check == SERIESKEY_TOO_LONG || check == SERIESKEY_NO_NAME)
        k->reject = INGEST_REJECT_BAD_NAME;
    else if (check != SERIESKEY_OK)
        k->reject = INGEST_REJECT_BAD_LABELS;
    else if (seriesname_check(k->key.p, k->key.n) != SERIESNAME_OK)
        k->reject = INGEST_REJECT_BAD_NAME;
    else
        k->reject = INGEST_OK;
}

void ingest_key_from_name(ingest_key_t *k, slice_t name)
{
    ingest_key_finish(k, serieskey_canonical(name.p, name.n, k->buf, &k->key));
}

void ingest_key_from_builder(ingest_key_t *k, serieskey_builder_t *b)
{
    ingest_key_finish(k, serieskey_build(b, k->buf, &k->key));
}

void ingest_count_reject(ingest_sink_t *s, ingest_reject_t why, uint64_t n)
{
    s->counts->rejected[s->protocol][why] += n;
}
