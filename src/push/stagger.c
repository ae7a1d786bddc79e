/* stagger.c - groups of the staggered push (see stagger.h). */
#include "stagger.h"

unsigned stagger_groups(int64_t push_interval_ms)
{
    for (unsigned g = STAGGER_MAX_GROUPS; g > 1; g--)
        if (push_interval_ms / g >= STAGGER_MIN_GAP_MS && push_interval_ms % g == 0)
            return g;
    return 1;
}
