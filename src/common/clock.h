/*
 * clock.h — the one way src/ reads a clock.
 *
 * Timeouts, deadlines, intervals and durations use the monotonic clock,
 * which never jumps (an NTP step or a settime does not make a timer fire
 * early or never):
 *   sg_mono_ms()         milliseconds, CLOCK_MONOTONIC;
 *   sg_mono_coarse_ms()  milliseconds, CLOCK_MONOTONIC_COARSE: the clock's
 *                        last tick (a jiffy late at most) at about half the
 *                        cost, for deadlines counted in seconds on a hot path;
 *   sg_mono_s()          seconds as a double, for durations that are shown.
 * A time written down for others to read (a record's at_ms, a retry's
 * next_ms kept in a file) is the wall clock: sg_wall_ms(), CLOCK_REALTIME.
 * Inline: serve reads the clock per request.  The epoch of the monotonic
 * clock is arbitrary: compare its values, never show them.
 */
#ifndef SSRFGUARD_COMMON_CLOCK_H
#define SSRFGUARD_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t sg_clock_ms(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static inline int64_t sg_mono_ms(void)
{
	return sg_clock_ms(CLOCK_MONOTONIC);
}

static inline int64_t sg_mono_coarse_ms(void)
{
	return sg_clock_ms(CLOCK_MONOTONIC_COARSE);
}

static inline int64_t sg_wall_ms(void)
{
	return sg_clock_ms(CLOCK_REALTIME);
}

static inline double sg_mono_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#endif
