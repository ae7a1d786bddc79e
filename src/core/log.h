/* log.h - Spider's log: one line per event on stderr, with a level.
 *
 * Two formats (--log-format):
 *   text  spider: warning: the default StatsD port is taken ...
 *         (info lines have no level word: "spider: listening on ...")
 *   json  {"time":"2026-12-04T04:30:00.123Z","level":"warning","msg":"..."}
 *         one object per line, for log shippers (journald adds its own
 *         time to text lines).
 * A message never spans lines: in text, control characters (a newline in
 * a path someone chose, say) are written as \xNN; in JSON they are escaped
 * as JSON requires, and bytes that are not UTF-8 as \ufffd. A line is
 * written with one write(2) (so lines from a forked snapshot writer never
 * interleave with the server's) and cut at LOG_LINE_MAX bytes.
 *
 * Any thread or a forked child may log; the format is set once at start.
 */
#ifndef SPIDER_CORE_LOG_H
#define SPIDER_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_LINE_MAX 4096

typedef enum log_level { LOG_INFO, LOG_WARNING, LOG_ERROR } log_level_t;
typedef enum log_format { LOG_TEXT, LOG_JSON } log_format_t;

/* Sets the format of every later line (LOG_TEXT until then). */
void log_set_format(log_format_t format);

/* Where lines go (default 2, stderr): for tests. */
void log_set_fd(int fd);

/* Logs one event at level: printf-style. */
void log_msg(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(log_level_t level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Formats the line of (level, message) at unix time ms into out (cap
 * bytes, at least 64), newline included; returns its length. Pure: what
 * log_msg writes, for tests. */
size_t log_format_line(log_format_t format, log_level_t level, const char *message,
                       long long unix_ms, char *out, size_t cap);

#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_msg(LOG_ERROR, __VA_ARGS__)

#endif
