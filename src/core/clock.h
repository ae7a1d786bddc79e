/* clock.h - the two clocks of Spider.
 *
 * Monotonic time drives deadlines and ticks (it never jumps); wall time only
 * stamps samples (it is what users post and read). Both in milliseconds.
 */
#ifndef SPIDER_CORE_CLOCK_H
#define SPIDER_CORE_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
int64_t clock_wall_ms(void);

#endif
