/* test_buf.c — the one growable buffer (common/buf.h). */
#include "test.h"

#include <stdlib.h>
#include <wchar.h>

#include "common/buf.h"

TEST(zero_init_is_ready)
{
	sg_buf b = {0};
	CHECK_INT(sg_buf_puts(&b, "abc"), SG_OK);
	CHECK_INT(sg_buf_putc(&b, '-'), SG_OK);
	CHECK_INT(sg_buf_append(&b, "x\0y", 3), SG_OK);
	CHECK_INT(b.len, 7);
	CHECK(memcmp(b.p, "abc-x\0y", 8) == 0); /* NUL-terminated */
	sg_buf_free(&b);
	CHECK(b.p == NULL);
	sg_buf_free(NULL);
}

TEST(printf_grows_without_cutting)
{
	/* Longer than the stack fast path and than the old 511-byte sbuf. */
	char big[3000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sg_buf b;
	sg_buf_init(&b, 0);
	CHECK_INT(sg_buf_printf(&b, "<%s|%d>", big, 42), SG_OK);
	CHECK_INT(b.len, sizeof big - 1 + 5);
	CHECK(b.p[0] == '<' && strcmp(b.p + b.len - 4, "|42>") == 0);
	size_t n = 0;
	char *s = sg_buf_take(&b, &n);
	CHECK(s && n == sizeof big - 1 + 5 && strlen(s) == n);
	free(s);
	CHECK(b.p == NULL && b.len == 0);
}

static const struct cap_row {
	const char *label;
	size_t max, first, second;
	sg_err want;
	size_t want_len;
} cap_rows[] = {
	{"fits exactly", 8, 5, 3, SG_OK, 8},
	{"one past the cap", 8, 5, 4, SG_ERR_RANGE, 5},
	{"single append too big", 8, 9, 0, SG_ERR_RANGE, 0},
	{"huge length does not wrap", 8, 1, (size_t)-1, SG_ERR_RANGE, 1},
};

TEST(cap_is_enforced_and_sticky)
{
	static const char bytes[16] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof cap_rows / sizeof cap_rows[0]; i++) {
		const struct cap_row *r = &cap_rows[i];
		sg_buf b;
		sg_buf_init(&b, r->max);
		sg_err e1 = sg_buf_append(&b, bytes, r->first);
		sg_err e2 = e1 ? e1 : sg_buf_append(&b, bytes, r->second);
		CHECKF(e2 == r->want, "%s: err %d", r->label, (int)e2);
		CHECKF(b.len == r->want_len, "%s: len %zu", r->label, b.len);
		/* Sticky: a later small append is refused with the same error. */
		CHECKF(sg_buf_putc(&b, 'z') == (r->want ? r->want : SG_ERR_RANGE),
		       "%s: sticky", r->label);
		CHECKF(sg_buf_err(&b) != SG_OK, "%s: err kept", r->label);
		CHECKF(sg_buf_take(&b, NULL) == NULL, "%s: take fails", r->label);
		sg_buf_free(&b);
	}
}

TEST(bad_format_fails_loudly)
{
	sg_buf b = {0};
	sg_buf_puts(&b, "keep");
	/* A wide string that cannot be converted makes vsnprintf fail. */
	static const wchar_t bad[] = {0xD800, 0};
	/* (the C locale, as the test runs: glibc's vsnprintf fails, EILSEQ) */
	CHECK_INT(sg_buf_printf(&b, "%ls", bad), SG_ERR_INVAL);
	CHECK_INT(sg_buf_puts(&b, "x"), SG_ERR_INVAL);
	CHECK_INT(b.len, 4);
	sg_buf_free(&b);
}

TEST(reset_keeps_memory_and_clears_error)
{
	sg_buf b;
	sg_buf_init(&b, 4);
	sg_buf_puts(&b, "abcd");
	char *mem = b.p;
	CHECK_INT(sg_buf_putc(&b, 'e'), SG_ERR_RANGE);
	sg_buf_reset(&b);
	CHECK(b.p == mem && b.len == 0 && b.p[0] == '\0');
	CHECK_INT(sg_buf_err(&b), SG_OK);
	CHECK_INT(sg_buf_puts(&b, "wxyz"), SG_OK);
	CHECK_STR(b.p, "wxyz");
	sg_buf_free(&b);
}

TEST(take_of_empty_is_empty_string)
{
	sg_buf b = {0};
	size_t n = 99;
	char *s = sg_buf_take(&b, &n);
	CHECK(s && s[0] == '\0' && n == 0);
	free(s);
}

TEST_MAIN(zero_init_is_ready, printf_grows_without_cutting,
          cap_is_enforced_and_sticky, bad_format_fails_loudly,
          reset_keeps_memory_and_clears_error, take_of_empty_is_empty_string)
