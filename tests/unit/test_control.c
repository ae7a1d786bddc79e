/* test_control.c - the WebSocket control message parser (src/push/control.c).
 *
 * Every accepted form, every error with its message and close code, and the
 * hostile inputs: invalid UTF-8 inside a name, escaped and raw control
 * characters, NUL bytes, names one byte too long, one name too many,
 * trailing garbage, deep nesting, empty and oversized input, out-of-range
 * and fractional window_s. Each message is parsed from an exact-size heap
 * copy, so a sanitizer build catches any read past n.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "push/control.h"

static control_msg_t msg;

/* Parses an exact-size copy of (body, n) into `msg`; returns the result. */
static int parse_n(const char *body, size_t n, control_error_t *err)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, body, n);
    memset(&msg, 0xa5, sizeof msg); /* garbage, to see what parse sets */
    memset(err, 0, sizeof *err);
    int rc = control_parse(copy, n, &msg, err);
    assert_memory_equal(copy, body, n); /* never writes its input */
    free(copy);
    return rc;
}

static void ok_n(const char *body, size_t n)
{
    control_error_t err;
    int rc = parse_n(body, n, &err);
    if (rc != 0)
        print_message("message %.*s: %s\n", (int)n, body, err.message);
    assert_int_equal(rc, 0);
}

static void ok(const char *body)
{
    ok_n(body, strlen(body));
}

static void fails_n(const char *body, size_t n, int close_code, const char *message)
{
    control_error_t err;
    int rc = parse_n(body, n, &err);
    assert_int_equal(rc, SPIDER_EINVAL);
    assert_string_equal(err.message, message);
    assert_int_equal(err.close_code, close_code);
    /* A refused message leaves a subscription to nothing. */
    assert_int_equal(msg.all, 0);
    assert_int_equal(msg.count, 0);
    assert_int_equal(msg.window_s, CONTROL_WINDOW_DEFAULT);
    /* The message can be a close reason. */
    size_t len = strlen(err.message);
    assert_true(len > 0 && len <= 123);
    for (size_t i = 0; i < len; i++)
        assert_true(err.message[i] >= 0x20 && err.message[i] < 0x7f);
}

static void fails(const char *body, int close_code, const char *message)
{
    fails_n(body, strlen(body), close_code, message);
}

static void assert_name(unsigned i, const char *want)
{
    slice_t s = control_msg_name(&msg, i);
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
    assert_int_equal(s.p[s.n], '\0'); /* also a C string */
}

/* A subscribe list of count names "n0", "n1", ... as JSON. */
static char *name_list(int count)
{
    size_t cap = 64 + (size_t)count * 12;
    char *b = malloc(cap);
    size_t n = (size_t)snprintf(b, cap, "{\"subscribe\":[");
    for (int i = 0; i < count; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s\"n%d\"", i ? "," : "", i);
    snprintf(b + n, cap - n, "]}");
    return b;
}

/* ---- accepted forms ---- */

static void test_all(void **state)
{
    (void)state;
    ok("{\"subscribe\":\"*\"}");
    assert_int_equal(msg.all, 1);
    assert_int_equal(msg.count, 0);
    assert_int_equal(msg.window_s, CONTROL_WINDOW_DEFAULT);
    assert_true(control_msg_has(&msg, "anything", 8));
    assert_true(control_msg_has(&msg, "", 0));
}

static void test_list(void **state)
{
    (void)state;
    ok("{\"subscribe\":[\"checkout.db\",\"checkout.render\"]}");
    assert_int_equal(msg.all, 0);
    assert_int_equal(msg.count, 2);
    assert_name(0, "checkout.db");
    assert_name(1, "checkout.render");
    assert_true(control_msg_has(&msg, "checkout.db", 11));
    assert_true(control_msg_has(&msg, "checkout.render", 15));
    assert_false(control_msg_has(&msg, "checkout.d", 10));
    assert_false(control_msg_has(&msg, "checkout.dbx", 12));
    assert_false(control_msg_has(&msg, "other", 5));
    assert_int_equal(control_msg_name(&msg, 2).n, 0); /* out of range */
}

static void test_empty_list(void **state)
{
    (void)state;
    ok("{\"subscribe\":[]}");
    assert_int_equal(msg.all, 0);
    assert_int_equal(msg.count, 0);
    assert_false(control_msg_has(&msg, "a", 1));
    ok(" \r\n\t{ \"subscribe\" : [ ] } \n");
    assert_int_equal(msg.count, 0);
}

static void test_window(void **state)
{
    (void)state;
    ok("{\"subscribe\":\"*\",\"window_s\":300}");
    assert_int_equal(msg.all, 1);
    assert_int_equal(msg.window_s, 300);
    ok("{\"window_s\":0,\"subscribe\":[\"a\"]}"); /* any order */
    assert_int_equal(msg.window_s, 0);
    assert_int_equal(msg.count, 1);
    ok("{\"subscribe\":[],\"window_s\":86400}");
    assert_int_equal(msg.window_s, 86400);
    /* An integral value in any notation. */
    ok("{\"subscribe\":[],\"window_s\":60.0}");
    assert_int_equal(msg.window_s, 60);
    ok("{\"subscribe\":[],\"window_s\":6e1}");
    assert_int_equal(msg.window_s, 60);
    ok("{\"subscribe\":[],\"window_s\":-0}");
    assert_int_equal(msg.window_s, 0);
}

static void test_duplicates_removed(void **state)
{
    (void)state;
    ok("{\"subscribe\":[\"b\",\"a\",\"b\",\"c\",\"a\"]}");
    assert_int_equal(msg.count, 3);
    assert_name(0, "b");
    assert_name(1, "a");
    assert_name(2, "c");
    /* An escape that decodes to the same name is the same name. */
    ok("{\"subscribe\":[\"a/b\",\"a\\/b\",\"\\u0061/b\"]}");
    assert_int_equal(msg.count, 1);
    assert_name(0, "a/b");
}

static void test_escapes_and_unicode(void **state)
{
    (void)state;
    ok("{\"subscribe\":[\"caf\\u00e9\",\"\\ud83d\\ude00\",\"q\\\"uote\",\"back\\\\slash\","
       "\"\xe6\x97\xa5\xe6\x9c\xac\"]}");
    assert_int_equal(msg.count, 5);
    assert_name(0, "caf\xc3\xa9");
    assert_name(1, "\xf0\x9f\x98\x80");
    assert_name(2, "q\"uote");
    assert_name(3, "back\\slash");
    assert_name(4, "\xe6\x97\xa5\xe6\x9c\xac");
    /* A key may be escaped too. */
    ok("{\"sub\\u0073cribe\":\"*\"}");
    assert_int_equal(msg.all, 1);
}

static void test_name_limits(void **state)
{
    (void)state;
    char body[512];
    char name[CONTROL_NAME_MAX + 2];
    memset(name, 'x', sizeof name);
    name[CONTROL_NAME_MAX] = '\0';
    snprintf(body, sizeof body, "{\"subscribe\":[\"a\",\"%s\"]}", name);
    ok(body);
    assert_int_equal(msg.count, 2);
    assert_int_equal(control_msg_name(&msg, 1).n, CONTROL_NAME_MAX);
    assert_true(control_msg_has(&msg, name, CONTROL_NAME_MAX));

    name[CONTROL_NAME_MAX] = 'x';
    name[CONTROL_NAME_MAX + 1] = '\0';
    snprintf(body, sizeof body, "{\"subscribe\":[\"a\",\"%s\"]}", name);
    fails(body, 1003, "series name 2 is longer than 200 bytes");

    /* 200 bytes after decoding: 100 two-byte characters, written as escapes. */
    char esc[100 * 6 + 1];
    for (int i = 0; i < 100; i++)
        memcpy(esc + i * 6, "\\u00e9", 6);
    esc[600] = '\0';
    char big[700];
    snprintf(big, sizeof big, "{\"subscribe\":[\"%s\"]}", esc);
    ok(big);
    assert_int_equal(control_msg_name(&msg, 0).n, 200);
    snprintf(big, sizeof big, "{\"subscribe\":[\"%sx\"]}", esc);
    fails(big, 1003, "series name 1 is longer than 200 bytes");
}

static void test_name_count(void **state)
{
    (void)state;
    char *b = name_list(CONTROL_MAX_NAMES);
    ok(b);
    assert_int_equal(msg.count, CONTROL_MAX_NAMES);
    assert_name(99, "n99");
    assert_true(control_msg_has(&msg, "n57", 3));
    free(b);
    b = name_list(CONTROL_MAX_NAMES + 1);
    fails(b, 1003, "subscribe lists more than 100 series names");
    free(b);

    /* The limit counts entries as sent, duplicates included. */
    char dup[1024];
    size_t n = (size_t)snprintf(dup, sizeof dup, "{\"subscribe\":[");
    for (int i = 0; i <= CONTROL_MAX_NAMES; i++)
        n += (size_t)snprintf(dup + n, sizeof dup - n, "%s\"a\"", i ? "," : "");
    snprintf(dup + n, sizeof dup - n, "]}");
    fails(dup, 1003, "subscribe lists more than 100 series names");
}

static void test_full_capacity(void **state)
{
    (void)state;
    /* 100 distinct names of 200 bytes: the names buffer is exactly full. */
    size_t cap = 64 + CONTROL_MAX_NAMES * (CONTROL_NAME_MAX + 3);
    char *b = malloc(cap);
    size_t n = (size_t)snprintf(b, cap, "{\"subscribe\":[");
    for (int i = 0; i < CONTROL_MAX_NAMES; i++) {
        char name[CONTROL_NAME_MAX + 1];
        memset(name, 'y', CONTROL_NAME_MAX);
        snprintf(name, 4, "%03d", i);
        name[3] = 'y';
        name[CONTROL_NAME_MAX] = '\0';
        n += (size_t)snprintf(b + n, cap - n, "%s\"%s\"", i ? "," : "", name);
    }
    snprintf(b + n, cap - n, "]}");
    ok(b);
    assert_int_equal(msg.count, CONTROL_MAX_NAMES);
    for (unsigned i = 0; i < CONTROL_MAX_NAMES; i++) {
        slice_t s = control_msg_name(&msg, i);
        assert_int_equal(s.n, CONTROL_NAME_MAX);
        char want[4];
        snprintf(want, sizeof want, "%03u", i);
        assert_memory_equal(s.p, want, 3);
    }
    free(b);
}

static void test_bom_skipped(void **state)
{
    (void)state;
    ok("\xef\xbb\xbf{\"subscribe\":\"*\"}");
    assert_int_equal(msg.all, 1);
}

/* ---- errors: not JSON or not UTF-8 (1007) ---- */

static void test_empty_input(void **state)
{
    (void)state;
    fails_n("", 0, 1007, "empty message");
    control_error_t err;
    assert_int_equal(control_parse(NULL, 0, &msg, &err), SPIDER_EINVAL);
    assert_string_equal(err.message, "empty message");
    assert_int_equal(err.code, CONTROL_ERR_JSON);
    fails("   ", 1007, "not valid JSON");
}

static void test_not_json(void **state)
{
    (void)state;
    fails("{", 1007, "not valid JSON");
    fails("{\"subscribe\":", 1007, "not valid JSON");
    fails("{\"subscribe\":\"*\"", 1007, "not valid JSON");
    fails("{subscribe:\"*\"}", 1007, "not valid JSON");
    fails("{'subscribe':'*'}", 1007, "not valid JSON");
    fails("{\"subscribe\":[\"a\",]}", 1007, "not valid JSON");
    fails("{\"subscribe\":\"*\",}", 1007, "not valid JSON");
    fails("{\"subscribe\":\"\\x\"}", 1007, "not valid JSON");
    fails("{\"subscribe\":\"*", 1007, "not valid JSON");      /* unterminated */
    fails("{\"subscribe\":\"*\\", 1007, "not valid JSON");    /* ends in a backslash */
    fails("{\"subscribe\":\"*\\\"}", 1007, "not valid JSON"); /* quote escaped */
    fails("{\"window_s\":+1,\"subscribe\":[]}", 1007, "not valid JSON");
    fails("{\"window_s\":NaN,\"subscribe\":[]}", 1007, "not valid JSON");
    fails("{\"subscribe\":[\"\\ud800\"]}", 1007, "not valid JSON"); /* lone surrogate */
    fails("{\"subscribe\":[\"\\udc00\"]}", 1007, "not valid JSON");
}

static void test_trailing_garbage(void **state)
{
    (void)state;
    fails("{\"subscribe\":\"*\"}x", 1007, "trailing data after the JSON value");
    fails("{\"subscribe\":\"*\"} {}", 1007, "trailing data after the JSON value");
    fails("{\"subscribe\":\"*\"}}", 1007, "trailing data after the JSON value");
    control_error_t err;
    const char *b = "{\"subscribe\":\"*\"}  ,";
    assert_int_equal(parse_n(b, strlen(b), &err), SPIDER_EINVAL);
    assert_int_equal(err.code, CONTROL_ERR_JSON);
    assert_int_equal(err.offset, strlen(b) - 1);
}

static void test_nul_bytes(void **state)
{
    (void)state;
    /* A raw NUL: in a string, between tokens, after the value. */
    static const char in_name[] = "{\"subscribe\":[\"a\0b\"]}";
    fails_n(in_name, sizeof in_name - 1, 1007,
            "control character in a string (it must be escaped)");
    static const char between[] = "{\"subscribe\":\0\"*\"}";
    fails_n(between, sizeof between - 1, 1007, "not valid JSON");
    static const char after[] = "{\"subscribe\":\"*\"}\0";
    fails_n(after, sizeof after - 1, 1007, "not valid JSON");
    /* Escaped, it is valid JSON but would cut the string short. */
    fails("{\"subscribe\":[\"a\\u0000b\"]}", 1003, "\\u0000 is not allowed in a string");
    fails("{\"subscribe\":\"*\\u0000\"}", 1003, "\\u0000 is not allowed in a string");
    fails("{\"subscribe\\u0000x\":\"*\"}", 1003, "\\u0000 is not allowed in a string");
    /* An escaped backslash followed by "u0000" is not an escaped NUL. */
    ok("{\"subscribe\":[\"a\\\\u0000\"]}");
    assert_name(0, "a\\u0000");
}

static void test_raw_control_chars(void **state)
{
    (void)state;
    fails("{\"subscribe\":[\"a\tb\"]}", 1007, "control character in a string (it must be escaped)");
    fails("{\"subscribe\":[\"a\nb\"]}", 1007, "control character in a string (it must be escaped)");
    fails("{\"subscribe\":\x01[]}", 1007, "not valid JSON");
    fails("\x0c{\"subscribe\":[]}", 1007, "not valid JSON"); /* form feed is not JSON ws */
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* Inside a name: the name is named. */
    fails("{\"subscribe\":[\"a\",\"b\",\"c\xff\"]}", 1007, "series name 3 is not valid UTF-8");
    fails("{\"subscribe\":[\"\xc0\xaf\"]}", 1007,
          "series name 1 is not valid UTF-8"); /* overlong */
    fails("{\"subscribe\":[\"\xed\xa0\x80\"]}", 1007,
          "series name 1 is not valid UTF-8"); /* raw surrogate */
    fails("{\"subscribe\":[\"\xf4\x90\x80\x80\"]}", 1007,
          "series name 1 is not valid UTF-8"); /* above U+10FFFF */
    fails("{\"subscribe\":[\"\xe6\x97\"]}", 1007, "series name 1 is not valid UTF-8"); /* cut */
    /* Elsewhere: the message is. */
    fails("{\"subscr\xffibe\":\"*\"}", 1007, "message is not valid UTF-8");
    fails("{\"subscribe\":\"*\xff\"}", 1007, "message is not valid UTF-8");
    fails("{\"subscribe\":\"*\",\"window_s\":\"\xff\"}", 1007, "message is not valid UTF-8");
    fails("\xff{\"subscribe\":\"*\"}", 1007, "message is not valid UTF-8");
    fails("{\"subscribe\":\"*\"}\xff", 1007, "message is not valid UTF-8");
    /* A shape error does not hide bad bytes: it is still 1007. */
    fails("{\"subscribe\":[1,\"\xff\"]}", 1007, "message is not valid UTF-8");
    control_error_t err;
    const char *b = "{\"subscribe\":\"\xff\"}";
    assert_int_equal(parse_n(b, strlen(b), &err), SPIDER_EINVAL);
    assert_int_equal(err.code, CONTROL_ERR_UTF8);
    assert_int_equal(err.offset, 14);
}

static void test_too_big(void **state)
{
    (void)state;
    size_t n = CONTROL_MAX_BYTES + 1;
    char *b = malloc(n);
    memset(b, ' ', n);
    memcpy(b, "{\"subscribe\":\"*\"}", 17);
    fails_n(b, n, 1009, "message is longer than 32768 bytes");
    control_error_t err;
    assert_int_equal(parse_n(b, n, &err), SPIDER_EINVAL);
    assert_int_equal(err.code, CONTROL_ERR_TOO_BIG);
    ok_n(b, CONTROL_MAX_BYTES); /* exactly the limit, trailing spaces */
    assert_int_equal(msg.all, 1);
    free(b);
}

/* ---- errors: valid JSON, wrong shape (1003) ---- */

static void test_not_object(void **state)
{
    (void)state;
    fails("[]", 1003, "message must be a JSON object");
    fails("\"subscribe\"", 1003, "message must be a JSON object");
    fails("42", 1003, "message must be a JSON object");
    fails("null", 1003, "message must be a JSON object");
    fails("true", 1003, "message must be a JSON object");
    fails("[{\"subscribe\":\"*\"}]", 1003, "message must be a JSON object");
}

static void test_subscribe_type(void **state)
{
    (void)state;
    const char *m = "subscribe must be \"*\" or a list of series names";
    fails("{\"subscribe\":\"a\"}", 1003, m);
    fails("{\"subscribe\":\"**\"}", 1003, m);
    fails("{\"subscribe\":\"\"}", 1003, m);
    fails("{\"subscribe\":1}", 1003, m);
    fails("{\"subscribe\":null}", 1003, m);
    fails("{\"subscribe\":true}", 1003, m);
    fails("{\"subscribe\":{\"a\":1}}", 1003, m);
    fails("{\"subscribe\":[\"a\",2]}", 1003, "series name 2 is not a string");
    fails("{\"subscribe\":[[\"a\"]]}", 1003, "series name 1 is not a string");
    fails("{\"subscribe\":[\"*\",null]}", 1003, "series name 2 is not a string");
    fails("{\"subscribe\":[\"a\",\"\"]}", 1003, "series name 2 is empty");
}

static void test_escaped_control_chars(void **state)
{
    (void)state;
    fails("{\"subscribe\":[\"a\\tb\"]}", 1003, "series name 1 contains a control character");
    fails("{\"subscribe\":[\"ok\",\"\\n\"]}", 1003, "series name 2 contains a control character");
    fails("{\"subscribe\":[\"a\\u001f\"]}", 1003, "series name 1 contains a control character");
    fails("{\"subscribe\":[\"a\\u007f\"]}", 1003, "series name 1 contains a control character");
    fails("{\"subscribe\":[\"a\x7f\"]}", 1003, "series name 1 contains a control character");
    fails("{\"subscribe\":[\"ok\",\"a/../b\"]}", 1003,
          "series name 2 has a leading /, //, or a . or .. segment (not queryable as a path)");
    /* C1 controls are not refused, as in ingest names. */
    ok("{\"subscribe\":[\"a\\u0085\"]}");
}

static void test_keys(void **state)
{
    (void)state;
    fails("{}", 1003, "subscribe is missing");
    fails("{\"window_s\":60}", 1003, "subscribe is missing");
    fails("{\"subscribe\":\"*\",\"foo\":1}", 1003, "unknown key: foo");
    fails("{\"subcribe\":\"*\"}", 1003, "unknown key: subcribe");
    fails("{\"Subscribe\":\"*\"}", 1003, "unknown key: Subscribe");
    fails("{\"ping\":1}", 1003, "unknown key: ping");
    fails("{\"\":1}", 1003, "unknown key: ");
    fails("{\"subscribe\":\"*\",\"subscribe\":[]}", 1003, "duplicate key: subscribe");
    fails("{\"subscribe\":[],\"window_s\":1,\"window_s\":1}", 1003, "duplicate key: window_s");
    /* A key is echoed as printable ASCII, cut short. */
    fails("{\"a\\tb\\u00e9\":1}", 1003, "unknown key: a?b??");
    fails("{\"0123456789012345678901234567890123456789overflow\":1}", 1003,
          "unknown key: 0123456789012345678901234567890123456789...");
}

static void test_window_range(void **state)
{
    (void)state;
    const char *m = "window_s must be an integer from 0 to 86400";
    fails("{\"subscribe\":\"*\",\"window_s\":86401}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":-1}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":1.5}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":0.0001}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":86400.5}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":1e999}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":-1e999}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":99999999999999999999999}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":4294967356}", 1003, m); /* 2^32 + 60 */
    fails("{\"subscribe\":\"*\",\"window_s\":\"60\"}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":null}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":[60]}", 1003, m);
    fails("{\"subscribe\":\"*\",\"window_s\":true}", 1003, m);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* Within the limit: parsed, and refused for its shape. */
    char b[CONTROL_MAX_BYTES];
    size_t n = (size_t)snprintf(b, sizeof b, "{\"subscribe\":");
    for (int i = 0; i < CONTROL_MAX_DEPTH - 1; i++)
        b[n++] = '[';
    for (int i = 0; i < CONTROL_MAX_DEPTH - 1; i++)
        b[n++] = ']';
    b[n++] = '}';
    fails_n(b, n, 1003, "series name 1 is not a string");
    /* One deeper: refused before parsing. */
    n = (size_t)snprintf(b, sizeof b, "{\"subscribe\":");
    for (int i = 0; i < CONTROL_MAX_DEPTH; i++)
        b[n++] = '[';
    for (int i = 0; i < CONTROL_MAX_DEPTH; i++)
        b[n++] = ']';
    b[n++] = '}';
    fails_n(b, n, 1003, "message is nested more than 16 deep");
    /* As deep as the size limit allows, unbalanced: still only that. */
    memset(b, '[', sizeof b);
    fails_n(b, sizeof b, 1003, "message is nested more than 16 deep");
    memset(b, '{', sizeof b);
    fails_n(b, sizeof b, 1003, "message is nested more than 16 deep");
    /* Found by fuzz_control: too deep and not UTF-8 is 1007, not 1003. */
    n = (size_t)snprintf(b, sizeof b, "{\"s\xff\":");
    for (int i = 0; i < CONTROL_MAX_DEPTH + 4; i++)
        b[n++] = '[';
    fails_n(b, n, 1007, "message is not valid UTF-8");
    /* Brackets inside strings do not count. */
    char names[256];
    snprintf(names, sizeof names, "{\"subscribe\":[\"%s\"]}", "[[[[[[[[[[[[[[[[[[[[{{{{");
    ok(names);
    assert_name(0, "[[[[[[[[[[[[[[[[[[[[{{{{");
}

static void test_err_may_be_null(void **state)
{
    (void)state;
    assert_int_equal(control_parse("{", 1, &msg, NULL), SPIDER_EINVAL);
    assert_int_equal(control_parse("{\"subscribe\":[\"\xff\"]}", 20, &msg, NULL), SPIDER_EINVAL);
    assert_int_equal(control_parse("{\"subscribe\":\"*\"}", 17, &msg, NULL), 0);
}

/* Every proper prefix of a valid message is refused, and reads nothing
 * past its end (the exact-size copy). */
static void test_truncation(void **state)
{
    (void)state;
    const char *b = "{\"subscribe\":[\"caf\\u00e9\",\"\\ud83d\\ude00\",\"x\"],\"window_s\":60}";
    size_t n = strlen(b);
    ok(b);
    for (size_t i = 0; i < n; i++) {
        control_error_t err;
        assert_int_equal(parse_n(b, i, &err), SPIDER_EINVAL);
        assert_int_equal(err.close_code, 1007);
    }
}

/* Live roll-ups: the accepted forms, kept in order, and every refusal. */
static void test_rollups(void **state)
{
    (void)state;
    ok("{\"subscribe\":[],\"rollups\":[{\"match\":\"http{status=~\\\"5..\\\"}\",\"by\":\"service,"
       "zone\",\"step_s\":10},{\"match\":\"db\"}]}");
    assert_int_equal(msg.n_rollups, 2);
    assert_string_equal(msg.rollups[0].match, "http{status=~\"5..\"}");
    assert_int_equal(msg.rollups[0].match_len, strlen("http{status=~\"5..\"}"));
    assert_string_equal(msg.rollups[0].by, "service,zone");
    assert_int_equal(msg.rollups[0].step_s, 10);
    assert_string_equal(msg.rollups[1].match, "db");
    assert_int_equal(msg.rollups[1].by_len, 0);
    assert_int_equal(msg.rollups[1].step_s, 0);
    ok("{\"rollups\":[],\"subscribe\":\"*\"}");
    assert_int_equal(msg.n_rollups, 0);
    ok("{\"subscribe\":[]}");
    assert_int_equal(msg.n_rollups, 0);

    fails("{\"subscribe\":[],\"rollups\":{}}", 1003,
          "rollups must be a list of {\"match\":...} objects");
    fails("{\"subscribe\":[],\"rollups\":[\"db\"]}", 1003,
          "rollups[0] must be an object with match, by and step_s");
    fails("{\"subscribe\":[],\"rollups\":[{\"by\":\"a\"}]}", 1003, "rollups[0].match is missing");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\"},{\"match\":1}]}", 1003,
          "rollups[1].match must be a string");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\",\"step\":1}]}", 1003,
          "rollups[0]: unknown key: step");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\",\"match\":\"b\"}]}", 1003,
          "rollups[0]: duplicate key: match");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\",\"step_s\":0}]}", 1003,
          "rollups[0].step_s must be an integer from 1 to 86400");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\",\"step_s\":1.5}]}", 1003,
          "rollups[0].step_s must be an integer from 1 to 86400");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a\",\"by\":\"1x\"}]}", 1003,
          "rollups[0].by: comma-separated label names ([a-zA-Z_][a-zA-Z0-9_]*)");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"a{b=~\\\"(\\\"}\"}]}", 1003,
          "rollups[0].match: invalid regular expression (PCRE2 syntax) (at byte 5)");
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"\"}]}", 1003,
          "rollups[0].match: empty selector (a name, or {} for every series) (at byte 0)");
    /* cJSON refuses a lone surrogate; the UTF-8 check after it is a net. */
    fails("{\"subscribe\":[],\"rollups\":[{\"match\":\"\\ud800\"}]}", 1007, "not valid JSON");
    fails("{\"subscribe\":[],\"rollups\":[],\"rollups\":[]}", 1003, "duplicate key: rollups");
    /* One too many. */
    char body[2048] = "{\"subscribe\":[],\"rollups\":[";
    for (int i = 0; i <= CONTROL_MAX_ROLLUPS; i++)
        strcat(body, i ? ",{\"match\":\"a\"}" : "{\"match\":\"a\"}");
    strcat(body, "]}");
    fails(body, 1003, "rollups lists more than 10 roll-ups");
    /* A selector one byte over SELECTOR_MAX. */
    char *big = malloc(SELECTOR_MAX + 64);
    int n = snprintf(big, 64, "{\"subscribe\":[],\"rollups\":[{\"match\":\"");
    memset(big + n, 'x', SELECTOR_MAX + 1);
    strcpy(big + n + SELECTOR_MAX + 1, "\"}]}");
    fails(big, 1003, "rollups[0].match is longer than 1024 bytes");
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_empty_list),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_duplicates_removed),
        cmocka_unit_test(test_escapes_and_unicode),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_name_count),
        cmocka_unit_test(test_full_capacity),
        cmocka_unit_test(test_bom_skipped),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_raw_control_chars),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_subscribe_type),
        cmocka_unit_test(test_escaped_control_chars),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_window_range),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_err_may_be_null),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_rollups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
