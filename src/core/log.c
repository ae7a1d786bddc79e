/* log.c - one line per event (see log.h). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "utf8.h"

static log_format_t log_format = LOG_TEXT;
static int log_fd = 2;

static const char *const log_names[] = {"info", "warning", "error"};

void log_set_format(log_format_t format)
{
    log_format = format;
}

void log_set_fd(int fd)
{
    log_fd = fd;
}

/* Appends bytes to out[*at..cap-2], keeping room for the newline. */
static void log_put(char *out, size_t cap, size_t *at, const char *p, size_t n)
{
    if (*at + n > cap - 2)
        n = cap - 2 - *at;
    memcpy(out + *at, p, n);
    *at += n;
}

/* The message, made safe for one line of the format. */
static void log_put_message(log_format_t format, const char *m, char *out, size_t cap, size_t *at)
{
    size_t n = strlen(m);
    for (size_t i = 0; i < n && *at < cap - 2;) {
        unsigned char c = (unsigned char)m[i];
        char esc[8];
        if (c < 0x20 || c == 0x7f || (format == LOG_JSON && (c == '"' || c == '\\'))) {
            int k;
            if (format == LOG_TEXT)
                k = snprintf(esc, sizeof esc, "\\x%02x", c);
            else if (c == '"' || c == '\\')
                k = snprintf(esc, sizeof esc, "\\%c", c);
            else
                k = snprintf(esc, sizeof esc, "\\u%04x", c);
            if (*at + (size_t)k > cap - 2)
                break; /* never cut an escape in two */
            log_put(out, cap, at, esc, (size_t)k);
            i++;
            continue;
        }
        if (c < 0x80) {
            log_put(out, cap, at, (const char *)&m[i], 1);
            i++;
            continue;
        }
        size_t len = utf8_seq_len((const unsigned char *)m + i, n - i);
        if (len == 0) {
            /* Not UTF-8: JSON cannot carry it; text keeps it visible. */
            int k = format == LOG_JSON ? snprintf(esc, sizeof esc, "\\ufffd")
                                       : snprintf(esc, sizeof esc, "\\x%02x", c);
            if (*at + (size_t)k > cap - 2)
                break;
            log_put(out, cap, at, esc, (size_t)k);
            i++;
            continue;
        }
        if (*at + len > cap - 2)
            break; /* never cut a character in two */
        log_put(out, cap, at, m + i, len);
        i += len;
    }
}

size_t log_format_line(log_format_t format, log_level_t level, const char *message,
                       long long unix_ms, char *out, size_t cap)
{
    size_t at = 0;
    char head[96];
    int k;
    if (format == LOG_JSON) {
        time_t secs = (time_t)(unix_ms / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        k = snprintf(
            head, sizeof head,
            "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\",\"level\":\"%s\",\"msg\":\"",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            (int)(unix_ms % 1000), log_names[level]);
    } else {
        k = snprintf(head, sizeof head, "spider: %s%s", level == LOG_INFO ? "" : log_names[level],
                     level == LOG_INFO ? "" : ": ");
    }
    log_put(out, cap, &at, head, (size_t)k);
    /* JSON keeps 2 bytes for its closing "} within the cut. */
    log_put_message(format, message, out, format == LOG_JSON ? cap - 2 : cap, &at);
    if (format == LOG_JSON)
        log_put(out, cap, &at, "\"}", 2);
    out[at++] = '\n';
    return at;
}

void log_vmsg(log_level_t level, const char *fmt, va_list ap)
{
    char message[LOG_LINE_MAX], line[LOG_LINE_MAX + 64];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t n =
        log_format_line(log_format, level, message, (long long)clock_wall_ms(), line, sizeof line);
    /* One write: a line is never interleaved with another process's. */
    ssize_t w = write(log_fd, line, n);
    (void)w;
}

void log_msg(log_level_t level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
