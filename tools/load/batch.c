/* batch.c - batch bodies (see batch.h). */
#include "batch.h"

#include <math.h>

static uint64_t batch_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

double batch_uniform(uint64_t *s)
{
    return (double)(batch_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Appends v (>= 0, tenths of a ms) as "12.3": 200,000 numbers a second
 * through printf would be the tool's main cost. */
static void batch_tenths(buf_t *b, uint32_t v)
{
    char tmp[16];
    int i = (int)sizeof tmp;
    tmp[--i] = (char)('0' + v % 10);
    tmp[--i] = '.';
    v /= 10;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_append(b, tmp + i, sizeof tmp - (size_t)i);
}

void batch_build(buf_t *b, const char *prefix, int poster, int series, int samples, uint64_t *rng)
{
    buf_append_cstr(b, "{");
    for (int s = 0; s < series; s++) {
        buf_printf(b, "%s\"%s.p%d.s%d\":[", s ? "," : "", prefix, poster, s);
        for (int k = 0; k < samples; k++) {
            /* Irwin-Hall(3) rescaled: close to a standard normal, cheaply. */
            double z = (batch_uniform(rng) + batch_uniform(rng) + batch_uniform(rng) - 1.5) * 2.0;
            double ms = 20.0 * exp(0.6 * z);
            if (k)
                buf_append(b, ",", 1);
            batch_tenths(b, (uint32_t)(ms * 10.0 + 0.5));
        }
        buf_append(b, "]", 1);
    }
    buf_append(b, "}", 1);
}
