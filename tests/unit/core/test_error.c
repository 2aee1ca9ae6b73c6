/* test_error.c — every sg_err has its own phrase; unknown codes are safe. */
#include "ssrfguard/error.h"
#include "test.h"

TEST(every_code_has_a_distinct_phrase)
{
	for (int i = 0; i < SG_ERR__COUNT; i++) {
		CHECKF(strcmp(sg_strerror((sg_err)i), "unknown error") != 0, "code %d", i);
		for (int j = 0; j < i; j++)
			CHECKF(strcmp(sg_strerror((sg_err)i), sg_strerror((sg_err)j)) != 0,
			       "codes %d and %d share a phrase", i, j);
	}
}

TEST(unknown_codes_do_not_crash)
{
	CHECK_STR(sg_strerror(SG_ERR__COUNT), "unknown error");
	CHECK_STR(sg_strerror((sg_err)-1), "unknown error");
	CHECK_STR(sg_strerror(SG_OK), "success");
}

TEST_MAIN(every_code_has_a_distinct_phrase, unknown_codes_do_not_crash)
