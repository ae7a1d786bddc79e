/* procstat.h - the server's memory and CPU, read from /proc/PID.
 *
 * RSS from /proc/PID/status (VmRSS), CPU time from /proc/PID/stat (utime +
 * stime, in clock ticks). The parsers take (pointer, length) so they can be
 * tested without a process; procstat_read() does the reads. Linux only.
 */
#ifndef SPIDER_LOAD_PROCSTAT_H
#define SPIDER_LOAD_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct procstat {
    uint64_t rss_bytes;
    uint64_t cpu_ticks; /* utime + stime */
} procstat_t;

/* VmRSS from the text of /proc/PID/status. 0 or SPIDER_ENOENT/EINVAL. */
int procstat_parse_status(const char *p, size_t n, uint64_t *rss_bytes);
/* utime + stime from the text of /proc/PID/stat (fields 14 and 15, counted
 * after the last ')' so a command name with spaces or parentheses cannot
 * shift them). 0 or SPIDER_EINVAL. */
int procstat_parse_stat(const char *p, size_t n, uint64_t *ticks);
/* Reads both for pid. 0, or SPIDER_EIO when the process is gone. */
int procstat_read(pid_t pid, procstat_t *out);
/* Clock ticks per second (sysconf(_SC_CLK_TCK)). */
long procstat_ticks_per_s(void);

#endif
