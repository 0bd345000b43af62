/*
 * clock.h: the monotonic clock, read as seconds (a double, for timeouts,
 * deadlines and elapsed times) or as nanoseconds (an int64_t, for the
 * bench engines' timestamps).  Header-only: the test helpers include it
 * without linking anything more.
 */
#ifndef MAAS_CLOCK_H
#define MAAS_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC now, in seconds. */
static inline double
clock_mono_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CLOCK_MONOTONIC now, in nanoseconds. */
static inline int64_t
clock_mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
