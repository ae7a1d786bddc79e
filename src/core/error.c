/* error.c - messages for SPIDER_E* codes. */
#include "error.h"

const char *spider_strerror(int err)
{
    switch (err) {
    case SPIDER_OK:
        return "ok";
    case SPIDER_EINVAL:
        return "invalid input";
    case SPIDER_ENOSPACE:
        return "limit reached";
    case SPIDER_ENOENT:
        return "not found";
    case SPIDER_ERANGE:
        return "out of range";
    case SPIDER_EIO:
        return "i/o error";
    default:
        return "unknown error";
    }
}
