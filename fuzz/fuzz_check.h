/* fuzz_check.h - CHECK(cond): abort when cond is false, which libFuzzer
 * reports as a crash and the corpus replay in the tests as a failure. What
 * every fuzz target uses to state its invariants. Header-only. */
#ifndef SPIDER_FUZZ_CHECK_H
#define SPIDER_FUZZ_CHECK_H

#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#endif
