/* otlp_common.h - what the OTLP decoders (traces, metrics) share on the
 * protobuf side: the error they report, the AnyValue kinds, and the readers
 * of KeyValue, AnyValue and Resource messages.
 *
 *     KeyValue.key                           1  string
 *     KeyValue.value                         2  AnyValue
 *       AnyValue oneof value: string_value 1 (string), bool_value 2 (bool),
 *       int_value 3 (int64), double_value 4 (double), array_value 5,
 *       kvlist_value 6, bytes_value 7, string_value_strindex 8
 *     Resource.attributes                    1  repeated KeyValue
 *
 * The rules (otlp_trace.h says them for users): a known field with the
 * wrong wire type is an error; unknown fields are skipped; a singular field
 * sent twice: the last wins (KeyValue.key), messages merge (KeyValue.value:
 * the last oneof member present decides). array_value and kvlist_value are
 * stepped over as bytes, never descended into. service is the value of the
 * first resource attribute "service.name", if that is a string_value (the
 * instance: "service.instance.id", likewise).
 * Pure, zero allocation, O(n), thread-safe.
 */
#ifndef SPIDER_INGEST_OTLP_COMMON_H
#define SPIDER_INGEST_OTLP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../core/slice.h"
#include "pb.h"

/* What an empty slice of a decoder points at. */
extern const char otlp_nothing[1];

typedef struct otlp_error {
    size_t offset;       /* byte offset in the input where it stopped making sense */
    const char *message; /* static English text naming what and where */
} otlp_error_t;

/* The kinds of AnyValue a decoder tells apart. */
typedef enum otlp_kind {
    OTLP_VALUE_EMPTY = 0, /* no oneof member */
    OTLP_VALUE_STRING,    /* string_value / stringValue */
    OTLP_VALUE_BOOL,
    OTLP_VALUE_INT,
    OTLP_VALUE_DOUBLE,
    OTLP_VALUE_OTHER, /* array, kvlist, bytes, strindex */
} otlp_kind_t;

/* "Span: truncated varint" and the like: a row of static texts, one per
 * pb_err_t, for one message (otlp_error_t wants static text). */
#define OTLP_PB_TEXT(where, code, text) [code] = where ": " text,
#define OTLP_PB_ROW(where)                                                                         \
    {                                                                                              \
        [PB_OK] = where, PB_ERROR_LIST(OTLP_PB_TEXT, where)                                        \
    }

/* The error half of a protobuf walk; a decoder embeds it in its state. */
typedef struct otlp_pbd {
    size_t err_offset;
    const char *err_msg;
} otlp_pbd_t;

/* A wire error of reader r in the message whose row of texts is `row`.
 * Returns SPIDER_EINVAL. */
int otlp_pb_fail(otlp_pbd_t *d, const pb_reader_t *r, const char *const *row);

/* A known field f of reader r with the wrong wire type (msg: static text
 * naming it). Returns SPIDER_EINVAL. */
int otlp_pb_wrong(otlp_pbd_t *d, const pb_reader_t *r, const pb_field_t *f, const char *msg);

/* The payload of LEN field f as a slice (an empty one points at otlp_nothing). */
slice_t otlp_pb_slice(const pb_field_t *f);

/* An AnyValue as decoded. */
typedef struct otlp_pb_value {
    otlp_kind_t kind;
    slice_t str;   /* STRING: the bytes as sent */
    uint64_t bits; /* BOOL: 0 or 1; INT: the int64 as two's complement; DOUBLE: its bits */
} otlp_pb_value_t;

/* A KeyValue message: *key (empty when absent) and *value. */
int otlp_pb_key_value(otlp_pbd_t *d, pb_reader_t *r, slice_t *key, otlp_pb_value_t *value);

/* The service of a Resource: decided by its first "service.name" (and the
 * instance by its first "service.instance.id"). */
typedef struct otlp_service {
    int found, instance_found;
    slice_t value;    /* empty unless that attribute's value is a string */
    slice_t instance; /* likewise */
} otlp_service_t;

/* A Resource message: updates *svc (a Resource sent twice merges). */
int otlp_pb_resource(otlp_pbd_t *d, pb_reader_t *r, otlp_service_t *svc);

#endif
