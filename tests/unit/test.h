/*
 * test.h — the smallest test harness that does the job.
 *
 * A unit test program is a list of TEST functions run by TEST_MAIN; each
 * CHECK that fails prints file:line and the expression (and for the typed
 * forms both values) and the run goes on, so one run shows every failure.
 * The program exits 1 if any check failed, which meson counts as a failed
 * test.  Table-driven tests loop over a static array and pass the row's
 * label to CHECKF so a failing row names itself.
 */
#ifndef SSRFGUARD_TEST_H
#define SSRFGUARD_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECKF(cond, ...)                                                      \
	do {                                                                   \
		test_checks++;                                                 \
		if (!(cond)) {                                                 \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__,         \
			        __LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
		}                                                              \
	} while (0)

#define CHECK(cond) CHECKF(cond, "%s", "")

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		intmax_t g_ = (intmax_t)(got), w_ = (intmax_t)(want);          \
		CHECKF(g_ == w_, "got %jd, want %jd", g_, w_);                 \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		CHECKF(g_ && w_ && strcmp(g_, w_) == 0, "got \"%s\", want \"%s\"", \
		       g_ ? g_ : "(null)", w_ ? w_ : "(null)");                \
	} while (0)

#define TEST(name) static void name(void)

#define TEST_MAIN(...)                                                         \
	int main(void)                                                         \
	{                                                                      \
		void (*tests_[])(void) = {__VA_ARGS__};                        \
		for (size_t i_ = 0; i_ < sizeof tests_ / sizeof tests_[0]; i_++) \
			tests_[i_]();                                          \
		printf("%d checks, %d failed\n", test_checks, test_failures);  \
		return test_failures != 0;                                     \
	}

#endif
