/* test_log.c - log lines (src/core/log.c): one line per event, whatever
 * the message holds; JSON lines parse and say the level and the time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "core/log.h"

#define T0 1796356800123LL /* 2026-12-04T04:00:00.123Z */

static void text_is(log_level_t level, const char *message, const char *want)
{
    char out[256];
    size_t n = log_format_line(LOG_TEXT, level, message, T0, out, sizeof out);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void test_text_lines(void **state)
{
    (void)state;
    text_is(LOG_INFO, "listening on http://127.0.0.1:8080/",
            "spider: listening on http://127.0.0.1:8080/\n");
    text_is(LOG_WARNING, "port taken", "spider: warning: port taken\n");
    text_is(LOG_ERROR, "cannot bind", "spider: error: cannot bind\n");
    /* A newline or escape in a user's string cannot start a line of its own. */
    text_is(LOG_INFO, "bad file a\nspider: error: forged\x1b[31m",
            "spider: bad file a\\x0aspider: error: forged\\x1b[31m\n");
    text_is(LOG_INFO, "caf\xc3\xa9 \xff", "spider: caf\xc3\xa9 \\xff\n");
}

/* Parses a JSON line and checks its members. */
static void json_is(log_level_t level, const char *message, const char *level_name,
                    const char *want)
{
    char out[256];
    size_t n = log_format_line(LOG_JSON, level, message, T0, out, sizeof out);
    assert_true(n > 0 && out[n - 1] == '\n');
    assert_null(memchr(out, '\n', n - 1));
    cJSON *j = cJSON_ParseWithLength(out, n);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "time")->valuestring, "2026-12-04T04:00:00.123Z");
    assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, level_name);
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, want);
    cJSON_Delete(j);
}

static void test_json_lines(void **state)
{
    (void)state;
    json_is(LOG_INFO, "listening", "info", "listening");
    json_is(LOG_WARNING, "say \"hi\" \\ there", "warning", "say \"hi\" \\ there");
    json_is(LOG_ERROR, "a\nb\tc", "error", "a\nb\tc");
    json_is(LOG_INFO, "caf\xc3\xa9 \xff!", "info", "caf\xc3\xa9 \xef\xbf\xbd!");
}

/* A message longer than the line is cut, never inside an escape or a
 * character, and the line still ends (and parses, in JSON). */
static void test_long_messages_are_cut(void **state)
{
    (void)state;
    char message[600];
    for (size_t i = 0; i < sizeof message - 1; i++)
        message[i] = i % 3 == 0 ? '\n' : i % 3 == 1 ? '"' : 'x';
    message[sizeof message - 1] = '\0';
    for (size_t cap = 64; cap <= 200; cap++) {
        char out[256];
        size_t n = log_format_line(LOG_JSON, LOG_INFO, message, T0, out, cap);
        assert_true(n <= cap);
        assert_int_equal(out[n - 1], '\n');
        cJSON *j = cJSON_ParseWithLength(out, n);
        if (!j)
            fail_msg("cap %zu: not JSON: %.*s", cap, (int)n, out);
        cJSON_Delete(j);
        n = log_format_line(
            LOG_TEXT, LOG_INFO,
            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
            "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
            "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
            T0, out, cap);
        assert_true(n <= cap);
        assert_int_equal(out[n - 1], '\n');
        /* Whole characters only: after "spider: ", pairs of bytes. */
        assert_int_equal((n - 1 - strlen("spider: ")) % 2, 0);
    }
}

/* log_msg writes one whole line per call to its descriptor. */
static void test_log_msg_writes_lines(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    log_set_fd(fds[1]);
    log_set_format(LOG_JSON);
    log_warning("disk %s is full (%d%%)", "/var/lib/spider", 100);
    log_set_format(LOG_TEXT);
    log_info("two");
    log_set_fd(2);
    close(fds[1]);
    char buf[512];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    assert_true(n > 0);
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    cJSON *j = cJSON_ParseWithLength(buf, (size_t)(nl - buf));
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring,
                        "disk /var/lib/spider is full (100%)");
    assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "warning");
    cJSON_Delete(j);
    assert_string_equal(nl + 1, "spider: two\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_long_messages_are_cut),
        cmocka_unit_test(test_log_msg_writes_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
