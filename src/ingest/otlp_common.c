/* otlp_common.c - the protobuf readers the OTLP decoders share (see otlp_common.h). */
#include "otlp_common.h"

#include "../core/error.h"

#define OTLP_SERVICE_NAME  "service.name"
#define OTLP_INSTANCE_NAME "service.instance.id"

const char otlp_nothing[1];

static const char *const otlp_rows[3][PB_ERR_COUNT] = {
    OTLP_PB_ROW("Resource"),
    OTLP_PB_ROW("KeyValue"),
    OTLP_PB_ROW("AnyValue"),
};

int otlp_pb_fail(otlp_pbd_t *d, const pb_reader_t *r, const char *const *row)
{
    d->err_offset = pb_error_offset(r);
    d->err_msg = row[r->err];
    return SPIDER_EINVAL;
}

int otlp_pb_wrong(otlp_pbd_t *d, const pb_reader_t *r, const pb_field_t *f, const char *msg)
{
    d->err_offset = (size_t)(f->at - r->base);
    d->err_msg = msg;
    return SPIDER_EINVAL;
}

slice_t otlp_pb_slice(const pb_field_t *f)
{
    return f->len ? slice_make((const char *)f->data, f->len) : slice_make(otlp_nothing, 0);
}

/* AnyValue. Updates *v, so several occurrences of KeyValue.value merge: the
 * last oneof member seen decides. */
static int otlp_pb_any_value(otlp_pbd_t *d, pb_reader_t *r, otlp_pb_value_t *v)
{
    static const struct {
        pb_wire_t wire;
        otlp_kind_t kind;
        const char *msg;
    } members[9] = {
        [1] = {PB_LEN, OTLP_VALUE_STRING,
               "AnyValue.string_value: wire type is not 2 (length-delimited)"},
        [2] = {PB_VARINT, OTLP_VALUE_BOOL, "AnyValue.bool_value: wire type is not 0 (varint)"},
        [3] = {PB_VARINT, OTLP_VALUE_INT, "AnyValue.int_value: wire type is not 0 (varint)"},
        [4] = {PB_I64, OTLP_VALUE_DOUBLE, "AnyValue.double_value: wire type is not 1 (64-bit)"},
        [5] = {PB_LEN, OTLP_VALUE_OTHER,
               "AnyValue.array_value: wire type is not 2 (length-delimited)"},
        [6] = {PB_LEN, OTLP_VALUE_OTHER,
               "AnyValue.kvlist_value: wire type is not 2 (length-delimited)"},
        [7] = {PB_LEN, OTLP_VALUE_OTHER,
               "AnyValue.bytes_value: wire type is not 2 (length-delimited)"},
        [8] = {PB_VARINT, OTLP_VALUE_OTHER,
               "AnyValue.string_value_strindex: wire type is not 0 (varint)"},
    };
    pb_field_t f;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number > 8)
            continue; /* unknown: skipped */
        if (f.wire != members[f.number].wire)
            return otlp_pb_wrong(d, r, &f, members[f.number].msg);
        v->kind = members[f.number].kind;
        v->str = f.number == 1 ? otlp_pb_slice(&f) : slice_make(otlp_nothing, 0);
        v->bits = f.number == 2 ? f.u64 != 0 : f.u64;
    }
    return rc < 0 ? otlp_pb_fail(d, r, otlp_rows[2]) : 0;
}

int otlp_pb_key_value(otlp_pbd_t *d, pb_reader_t *r, slice_t *key, otlp_pb_value_t *value)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    *key = slice_make(otlp_nothing, 0);
    *value = (otlp_pb_value_t){OTLP_VALUE_EMPTY, slice_make(otlp_nothing, 0), 0};
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number == 1) {
            if (f.wire != PB_LEN)
                return otlp_pb_wrong(d, r, &f,
                                     "KeyValue.key: wire type is not 2 (length-delimited)");
            *key = otlp_pb_slice(&f);
        } else if (f.number == 2) {
            if (f.wire != PB_LEN)
                return otlp_pb_wrong(d, r, &f,
                                     "KeyValue.value: wire type is not 2 (length-delimited)");
            pb_sub(r, &f, &sub);
            if (otlp_pb_any_value(d, &sub, value) != 0)
                return SPIDER_EINVAL;
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, otlp_rows[1]) : 0;
}

int otlp_pb_resource(otlp_pbd_t *d, pb_reader_t *r, otlp_service_t *svc)
{
    pb_field_t f;
    pb_reader_t sub;
    int rc;
    while ((rc = pb_next(r, &f)) > 0) {
        if (f.number != 1)
            continue;
        if (f.wire != PB_LEN)
            return otlp_pb_wrong(d, r, &f,
                                 "Resource.attributes: wire type is not 2 (length-delimited)");
        slice_t key;
        otlp_pb_value_t value;
        pb_sub(r, &f, &sub);
        if (otlp_pb_key_value(d, &sub, &key, &value) != 0)
            return SPIDER_EINVAL;
        if (!svc->found && slice_eq_cstr(key, OTLP_SERVICE_NAME)) {
            svc->found = 1;
            if (value.kind == OTLP_VALUE_STRING)
                svc->value = value.str;
        }
        if (!svc->instance_found && slice_eq_cstr(key, OTLP_INSTANCE_NAME)) {
            svc->instance_found = 1;
            if (value.kind == OTLP_VALUE_STRING)
                svc->instance = value.str;
        }
    }
    return rc < 0 ? otlp_pb_fail(d, r, otlp_rows[0]) : 0;
}
