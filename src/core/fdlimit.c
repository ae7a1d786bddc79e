/* fdlimit.c - raising RLIMIT_NOFILE to what the configuration needs (see fdlimit.h). */
#include "fdlimit.h"

#include <sys/resource.h>

#include "error.h"

uint64_t fdlimit_need(uint64_t max_clients, uint64_t max_connections)
{
    return max_clients + max_connections + FDLIMIT_RESERVE;
}

int fdlimit_raise(uint64_t need, fdlimit_t *out)
{
    struct rlimit rl;
    out->need = need;
    out->raised = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        out->soft = out->hard = 0;
        return SPIDER_EIO;
    }
    /* RLIM_INFINITY is the largest rlim_t: "at least need" holds for it. */
    if ((uint64_t)rl.rlim_cur < need) {
        struct rlimit want = {(rlim_t)need, rl.rlim_max};
        if ((uint64_t)rl.rlim_max < need) {
            /* Only a privileged process may raise the hard limit (and never
             * past fs.nr_open); otherwise settle for the hard limit. */
            want.rlim_max = (rlim_t)need;
            if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
                want.rlim_cur = rl.rlim_max;
                want.rlim_max = rl.rlim_max;
            }
        }
        if (want.rlim_cur != rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &want) == 0)
            out->raised = 1;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
            out->soft = out->hard = 0;
            return SPIDER_EIO;
        }
    }
    out->soft = (uint64_t)rl.rlim_cur;
    out->hard = (uint64_t)rl.rlim_max;
    return out->soft >= need ? 0 : SPIDER_ERANGE;
}
