/* test_config.c - defaults, flags, environment and their errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "core/error.h"

static int parse(config_t *cfg, char *err, int argc, char **argv)
{
    FILE *out = fopen("/dev/null", "w");
    int rc = config_parse(cfg, argc, argv, out, err, 256);
    fclose(out);
    return rc;
}

static void test_defaults_match_design(void **state)
{
    (void)state;
    config_t cfg;
    config_defaults(&cfg);
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.listen_port, 8080);
    assert_int_equal(cfg.window_ms, 30 * 60 * 1000);
    assert_int_equal(cfg.raw_per_second, 100);
    assert_int_equal(cfg.max_series, 10000);
    assert_int_equal(cfg.memory_limit, 256ull << 20);
    assert_int_equal(cfg.max_body, 8ull << 20);
    assert_int_equal(cfg.ingest_buffer, 16ull << 20);
    assert_int_equal(cfg.answer_buffer, 16ull << 20);
    assert_int_equal(cfg.push_interval_ms, 1000);
    assert_int_equal(cfg.max_clients, 10000);
    assert_int_equal(cfg.stall_timeout_ms, 10000);
    assert_string_equal(cfg.allow_origin, "");
    assert_int_equal(cfg.header_timeout_ms, 10000);
    assert_int_equal(cfg.body_timeout_ms, 30000);
    assert_int_equal(cfg.keepalive_timeout_ms, 60000);
    assert_int_equal(cfg.header_buffers, 256);
}

static void test_flags_both_forms(void **state)
{
    (void)state;
    config_t cfg;
    char err[256];
    char *argv[] = {"spider",     "--window",         "5m", "--memory-limit=64MiB", "--listen",
                    "[::1]:9000", "--raw-per-second", "0"};
    assert_int_equal(parse(&cfg, err, 8, argv), CONFIG_RUN);
    assert_int_equal(cfg.window_ms, 300000);
    assert_int_equal(cfg.memory_limit, 64ull << 20);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 9000);
    assert_int_equal(cfg.raw_per_second, 0);
}

static void test_environment_and_precedence(void **state)
{
    (void)state;
    config_t cfg;
    char err[256];
    setenv("SPIDER_MAX_SERIES", "42", 1);
    setenv("SPIDER_WINDOW", "10m", 1);
    char *argv[] = {"spider", "--window", "1h"};
    assert_int_equal(parse(&cfg, err, 3, argv), CONFIG_RUN);
    assert_int_equal(cfg.max_series, 42);
    assert_int_equal(cfg.window_ms, 3600000); /* the flag wins */
    setenv("SPIDER_MAX_BODY", "lots", 1);
    assert_int_equal(parse(&cfg, err, 1, argv), CONFIG_ERROR);
    assert_non_null(strstr(err, "SPIDER_MAX_BODY"));
    unsetenv("SPIDER_MAX_SERIES");
    unsetenv("SPIDER_WINDOW");
    unsetenv("SPIDER_MAX_BODY");
}

static void expect_error(const char *flag, const char *value, const char *needle)
{
    config_t cfg;
    char err[256] = "";
    char *argv[] = {"spider", (char *)flag, (char *)value};
    assert_int_equal(parse(&cfg, err, value ? 3 : 2, argv), CONFIG_ERROR);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("--window", "25h", "out of range");
    expect_error("--window", "1500ms", "whole seconds");
    expect_error("--window", "30", "unit");
    expect_error("--max-series", "ten", "whole number");
    expect_error("--max-series", "10K", "whole number");
    expect_error("--memory-limit", "12 parsecs", "size");
    expect_error("--listen", "localhost", "HOST:PORT");
    expect_error("--listen", "1.2.3.4:70000", "HOST:PORT");
    expect_error("--listen", "::1:8080", "HOST:PORT"); /* IPv6 needs its brackets */
    expect_error("--listen", "[]:8080", "HOST:PORT");
    expect_error("--listen", "[::1]8080", "HOST:PORT");
    expect_error("--listen", "[[::1]]:8080", "HOST:PORT");
    expect_error("--listen", "localhost:", "HOST:PORT");
    expect_error("--listen", "localhost:+80", "HOST:PORT");
    expect_error("--listen", "localhost: 80", "HOST:PORT");
    expect_error("--frobnicate", "1", "unknown option");
    expect_error("--window", NULL, "needs a value");
    expect_error("stray", NULL, "unexpected argument");
    expect_error("--max-body", "32MiB", "--ingest-buffer");
    expect_error("--push-interval", "50ms", "out of range"); /* default buffer 16MiB < body */
}

/* TLS needs a certificate and its key: one alone is an error naming it,
 * from a flag or the environment; the HSTS max-age is whole seconds. */
static void test_tls_both_or_neither(void **state)
{
    (void)state;
    config_t cfg;
    char err[256] = "";
    expect_error("--tls-cert", "/tmp/c.pem", "--tls-cert is set but --tls-key is not");
    expect_error("--tls-key", "/tmp/k.pem", "--tls-key is set but --tls-cert is not");
    expect_error("--hsts-max-age", "1500ms", "whole seconds");
    setenv("SPIDER_TLS_KEY", "/tmp/k.pem", 1);
    char *one[] = {"spider"};
    assert_int_equal(parse(&cfg, err, 1, one), CONFIG_ERROR);
    assert_non_null(strstr(err, "--tls-key is set"));
    char *both[] = {"spider", "--tls-cert", "/tmp/c.pem", "--hsts-max-age", "1h"};
    assert_int_equal(parse(&cfg, err, 5, both), CONFIG_RUN);
    assert_string_equal(cfg.tls_cert, "/tmp/c.pem");
    assert_string_equal(cfg.tls_key, "/tmp/k.pem");
    assert_int_equal(cfg.hsts_max_age_ms, 3600000);
    unsetenv("SPIDER_TLS_KEY");
    config_defaults(&cfg);
    assert_string_equal(cfg.tls_cert, ""); /* plain HTTP by default */
    assert_int_equal(cfg.hsts_max_age_ms, 8760ll * 3600 * 1000);
}

/* --listen keeps the host as typed (names resolve at start, not here). */
static void listen_is(const char *value, const char *host, int port)
{
    config_t cfg;
    char err[256] = "";
    char *argv[] = {"spider", "--listen", (char *)value};
    if (parse(&cfg, err, 3, argv) != CONFIG_RUN)
        fail_msg("--listen %s: %s", value, err);
    assert_string_equal(cfg.listen_host, host);
    assert_int_equal(cfg.listen_port, port);
}

static void test_listen_forms(void **state)
{
    (void)state;
    listen_is("localhost:8080", "localhost", 8080);
    listen_is("127.0.0.1:0", "127.0.0.1", 0);
    listen_is("0.0.0.0:65535", "0.0.0.0", 65535);
    listen_is("[::1]:8080", "::1", 8080);
    listen_is("[::]:8080", "::", 8080);
    listen_is(":8080", "0.0.0.0", 8080); /* no host: every interface */
    listen_is("spider.example.com:80", "spider.example.com", 80);
}

static void resolves_to(const char *host, const char *ip, int ipv6)
{
    config_listen_addr_t addr;
    char err[256] = "";
    if (config_listen_resolve(host, &addr, err, sizeof err) != 0)
        fail_msg("%s: %s", host, err);
    assert_string_equal(addr.ip, ip);
    assert_int_equal(addr.ipv6, ipv6);
}

static void test_listen_resolve(void **state)
{
    (void)state;
    resolves_to("127.0.0.1", "127.0.0.1", 0);
    resolves_to("0.0.0.0", "0.0.0.0", 0);
    resolves_to("::1", "::1", 1);
    resolves_to("::", "::", 1);
    resolves_to("0:0:0:0:0:0:0:1", "::1", 1); /* numeric, written the short way */
    /* /etc/hosts names localhost both 127.0.0.1 and ::1: IPv4 is taken. */
    resolves_to("localhost", "127.0.0.1", 0);
    /* .invalid never resolves (RFC 6761); the reason is in err. */
    config_listen_addr_t addr;
    char err[256] = "";
    assert_int_equal(config_listen_resolve("nosuch.invalid", &addr, err, sizeof err),
                     SPIDER_ENOENT);
    if (!strstr(err, "does not resolve"))
        fail_msg("error '%s' does not say the name does not resolve", err);
}

static void test_help_and_version(void **state)
{
    (void)state;
    config_t cfg;
    char err[256];
    char *help[] = {"spider", "--help"};
    char *version[] = {"spider", "--version"};
    assert_int_equal(parse(&cfg, err, 2, help), CONFIG_EXIT);
    assert_int_equal(parse(&cfg, err, 2, version), CONFIG_EXIT);
    /* The help names every flag with its environment variable and default. */
    char text[8192] = "";
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    config_print_help(f);
    fclose(f);
    const char *needles[] = {"--listen",        "SPIDER_LISTEN",       "--window",
                             "(default 30m)",   "--memory-limit",      "(default 256MiB)",
                             "--body-timeout",  "--keepalive-timeout", "--header-timeout",
                             "--max-body",      "--raw-per-second",    "--max-series",
                             "--header-buffers"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (!strstr(text, needles[i]))
            fail_msg("--help lacks '%s'", needles[i]);
}

/* Writes text to a new temporary file; returns its path (static). */
static const char *conf_file(const char *text, size_t n)
{
    static char path[64];
    strcpy(path, "/tmp/spider-test-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return path;
}

/* The --config file: keys of the flags, comments, quotes, both spellings
 * of the flag; the environment wins over it and a flag over both. */
static void test_config_file(void **state)
{
    (void)state;
    config_t cfg;
    char err[512];
    const char text[] = "# Spider\n"
                        "  window = 10m  \n"
                        "\n"
                        "max-series=5\r\n"
                        "allow-origin = \" http://a \"\n"
                        "raw-per-second = 7\n"
                        "max-clients = 3";
    const char *path = conf_file(text, sizeof text - 1);
    char *argv[] = {"spider", "--config", (char *)path, "--raw-per-second", "9"};
    setenv("SPIDER_MAX_SERIES", "6", 1);
    assert_int_equal(parse(&cfg, err, 5, argv), CONFIG_RUN);
    unsetenv("SPIDER_MAX_SERIES");
    assert_int_equal(cfg.window_ms, 600000);
    assert_int_equal(cfg.max_series, 6);     /* the environment over the file */
    assert_int_equal(cfg.raw_per_second, 9); /* a flag over both */
    assert_string_equal(cfg.allow_origin, " http://a ");
    assert_int_equal(cfg.max_clients, 3); /* a last line without a newline */
    char arg[96];
    snprintf(arg, sizeof arg, "--config=%s", path);
    char *argv2[] = {"spider", arg};
    setenv("SPIDER_CONFIG", "/nonexistent", 1); /* the flag wins */
    assert_int_equal(parse(&cfg, err, 2, argv2), CONFIG_RUN);
    assert_int_equal(cfg.max_series, 5);
    setenv("SPIDER_CONFIG", path, 1);
    char *argv3[] = {"spider"};
    assert_int_equal(parse(&cfg, err, 1, argv3), CONFIG_RUN);
    assert_int_equal(cfg.max_series, 5);
    unsetenv("SPIDER_CONFIG");
    unlink(path);
}

/* Each error names the file, the line and what is wrong. */
static void config_file_fails(const char *text, size_t n, const char *before, const char *after)
{
    config_t cfg;
    char err[512];
    const char *path = conf_file(text, n);
    char *argv[] = {"spider", "--config", (char *)path};
    assert_int_equal(parse(&cfg, err, 3, argv), CONFIG_ERROR);
    char expect[512];
    snprintf(expect, sizeof expect, "%s%s%s", before, path, after);
    assert_string_equal(err, expect);
    unlink(path);
}

static void test_config_file_errors(void **state)
{
    (void)state;
    config_file_fails("window = 1m\nwindo = 1m\n", 22, "",
                      ":2: unknown setting 'windo' (the keys are the flags without --)");
    config_file_fails("\n\nwindow 1m\n", 11, "", ":3: expected key = value");
    config_file_fails("window = 1x\n", 12, "",
                      ":1: --window '1x': expected a duration with a unit: ms, s, m or h (e.g. "
                      "500ms, 30s, 30m)");
    config_file_fails("window = 1m\nwindow = 2m\n", 24, "", ":2: window is set twice in the file");
    config_file_fails("--window = 1m\n", 14, "",
                      ":1: unknown setting '--window' (the keys are the flags without --)");
    config_file_fails("window = 1m\n\0", 13, "--config ", ": a NUL byte (not a text file)");
    config_t cfg;
    char err[512];
    char *missing[] = {"spider", "--config", "/nonexistent/spider.conf"};
    assert_int_equal(parse(&cfg, err, 3, missing), CONFIG_ERROR);
    assert_string_equal(err, "--config /nonexistent/spider.conf: No such file or directory");
    char *novalue[] = {"spider", "--config"};
    assert_int_equal(parse(&cfg, err, 2, novalue), CONFIG_ERROR);
    assert_string_equal(err, "option --config needs a file (see --help)");
}

/* --check-config prints every setting with its source, as a file that
 * reads back to the same settings, and exits. */
static void test_check_config(void **state)
{
    (void)state;
    config_t cfg, again;
    char err[512];
    const char text[] = "window = 10m\nmetrics-buckets = 1ms,2s\n";
    const char *path = conf_file(text, sizeof text - 1);
    char *argv[] = {"spider", "--check-config", "--config", (char *)path, "--max-series", "42"};
    char printed[] = "/tmp/spider-test-printed-XXXXXX";
    int fd = mkstemp(printed);
    FILE *out = fdopen(fd, "w+");
    assert_int_equal(config_parse(&cfg, 6, argv, out, err, sizeof err), CONFIG_EXIT);
    fflush(out);
    rewind(out);
    char text_out[16384];
    size_t n = fread(text_out, 1, sizeof text_out - 1, out);
    text_out[n] = '\0';
    fclose(out);
    char from[128];
    snprintf(from, sizeof from, "# window: from %s:1\nwindow = 10m\n", path);
    assert_non_null(strstr(text_out, "# spider: configuration OK\n"));
    assert_non_null(strstr(text_out, from));
    assert_non_null(strstr(text_out, "# max-series: from flag\nmax-series = 42\n"));
    assert_non_null(strstr(text_out, "\nlisten = 127.0.0.1:8080\n"));
    assert_non_null(strstr(text_out, "\nallow-origin = \"\"\n"));
    char *argv2[] = {"spider", "--config", printed};
    assert_int_equal(parse(&again, err, 3, argv2), CONFIG_RUN);
    assert_int_equal(again.window_ms, cfg.window_ms);
    assert_int_equal(again.max_series, 42);
    assert_int_equal(again.n_metrics_buckets, 2);
    assert_true(again.metrics_buckets_ms[1] == 2000.0);
    unlink(printed);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_match_design),
        cmocka_unit_test(test_flags_both_forms),
        cmocka_unit_test(test_environment_and_precedence),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_listen_resolve),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_tls_both_or_neither),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
