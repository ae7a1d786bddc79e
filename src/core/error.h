/* error.h - the one error convention of Spider.
 *
 * Functions that can fail return 0 on success or a negative SPIDER_E* code.
 * spider_strerror() turns a code into a short, stable English phrase that is
 * safe to put in a log line or a JSON error message. Thread-safe (pure).
 */
#ifndef SPIDER_CORE_ERROR_H
#define SPIDER_CORE_ERROR_H

enum spider_error {
    SPIDER_OK = 0,
    SPIDER_EINVAL = -1,   /* malformed or out-of-range input */
    SPIDER_ENOSPACE = -2, /* a configured limit or the memory budget binds */
    SPIDER_ENOENT = -3,   /* no such object (series, route, ...) */
    SPIDER_ERANGE = -4,   /* value outside what the type can represent */
    SPIDER_EIO = -5,      /* a system call failed; errno has the detail */
};

/* Returns a static string for err; unknown codes give "unknown error". */
const char *spider_strerror(int err);

#endif
