/* procstat.c - /proc/PID/status and /proc/PID/stat (see procstat.h). */
#include "procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

int procstat_parse_status(const char *p, size_t n, uint64_t *rss_bytes)
{
    static const char key[] = "\nVmRSS:";
    const char *hit = memmem(p, n, key, sizeof key - 1);
    if (!hit)
        return SPIDER_ENOENT;
    size_t i = (size_t)(hit - p) + sizeof key - 1;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    uint64_t kib = 0;
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9' && digits < 15) {
        kib = kib * 10 + (uint64_t)(p[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || n - i < 3 || memcmp(p + i, " kB", 3) != 0)
        return SPIDER_EINVAL;
    *rss_bytes = kib * 1024;
    return 0;
}

int procstat_parse_stat(const char *p, size_t n, uint64_t *ticks)
{
    const char *close = NULL;
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == ')') {
            close = p + i - 1;
            break;
        }
    }
    if (!close)
        return SPIDER_EINVAL;
    /* After ") " come field 3 (state) onwards; utime is field 14. */
    size_t i = (size_t)(close - p) + 1;
    uint64_t sum = 0;
    for (int field = 3; field <= 15; field++) {
        while (i < n && p[i] == ' ')
            i++;
        size_t start = i;
        uint64_t v = 0;
        while (i < n && p[i] != ' ' && p[i] != '\n') {
            if (field >= 14) {
                if (p[i] < '0' || p[i] > '9' || i - start >= 19)
                    return SPIDER_EINVAL;
                v = v * 10 + (uint64_t)(p[i] - '0');
            }
            i++;
        }
        if (i == start)
            return SPIDER_EINVAL;
        if (field >= 14)
            sum += v;
    }
    *ticks = sum;
    return 0;
}

/* Reads a small /proc file whole into buf; returns its length or -1. */
static ssize_t procstat_slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    while (len < cap) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    return (ssize_t)len;
}

int procstat_read(pid_t pid, procstat_t *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    ssize_t n = procstat_slurp(path, buf, sizeof buf);
    if (n <= 0 || procstat_parse_status(buf, (size_t)n, &out->rss_bytes) != 0)
        return SPIDER_EIO;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    n = procstat_slurp(path, buf, sizeof buf);
    if (n <= 0 || procstat_parse_stat(buf, (size_t)n, &out->cpu_ticks) != 0)
        return SPIDER_EIO;
    return 0;
}

long procstat_ticks_per_s(void)
{
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? t : 100;
}
