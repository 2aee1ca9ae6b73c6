/*
 * wallstep.c — test-only LD_PRELOAD shim: the wall clock steps as chrony
 * steps it at boot or after a suspend.
 *
 * Once SG_TEST_WALL_STEP_AFTER_MS milliseconds have passed since the
 * process started (counted on CLOCK_MONOTONIC), every clock_gettime of
 * CLOCK_REALTIME reads SG_TEST_WALL_STEP_MS milliseconds ahead (negative:
 * behind).  CLOCK_MONOTONIC and every other clock are left alone, as a
 * real step leaves them.  Without SG_TEST_WALL_STEP_MS it changes nothing.
 * src/common/clock.h reads every clock through clock_gettime, so this is
 * what the responder sees of a step; it is never linked into ssrfguard.
 */
/* _GNU_SOURCE (RTLD_NEXT) comes from the build */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int (*gettime_fn)(clockid_t, struct timespec *);

static gettime_fn real_gettime;
static long long started_ms, after_ms, step_ms;

static long long ms_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

__attribute__((constructor)) static void wallstep_init(void)
{
	real_gettime = (gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	const char *after = getenv("SG_TEST_WALL_STEP_AFTER_MS");
	const char *step = getenv("SG_TEST_WALL_STEP_MS");
	after_ms = after ? strtoll(after, NULL, 10) : 0;
	step_ms = step ? strtoll(step, NULL, 10) : 0;
	struct timespec t;
	if (real_gettime && real_gettime(CLOCK_MONOTONIC, &t) == 0)
		started_ms = ms_of(&t);
}

int clock_gettime(clockid_t id, struct timespec *t)
{
	if (!real_gettime) /* called before the constructor ran */
		real_gettime = (gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	int rc = real_gettime(id, t);
	struct timespec mono;
	if (rc != 0 || id != CLOCK_REALTIME || !step_ms || !started_ms ||
	    real_gettime(CLOCK_MONOTONIC, &mono) != 0 || ms_of(&mono) - started_ms < after_ms)
		return rc;
	long long ns = (long long)t->tv_sec * 1000000000LL + t->tv_nsec + step_ms * 1000000LL;
	t->tv_sec = (time_t)(ns / 1000000000LL);
	t->tv_nsec = (long)(ns % 1000000000LL);
	return rc;
}
