/*
 * test_escape.c — the one escaper (common/escape.h) over hostile byte
 * classes, checked on every output built on it: the growable form
 * (sg_escape), the fixed window for logs and terminals (sg_text_clean) and
 * the forensic path form (fx_escape, which also escapes '|' and must
 * read back exactly with fx_unescape).
 */
#include "test.h"

#include <stdlib.h>

#include "common/escape.h"
#include "common/jsonstr.h"
#include "forensics/escape.h"

static const struct row {
	const char *label;
	const char *in;
	size_t len;
	const char *text; /* sg_escape / sg_text_clean */
	const char *fx;   /* fx_escape */
} rows[] = {
#define R(label, in, text, fx) {label, in, sizeof in - 1, text, fx}
	R("plain ASCII", "GET /a?b=c", "GET /a?b=c", "GET /a?b=c"),
	R("C0 and ESC", "a\x01" "b\x1b[31m", "a\\x01b\\x1b[31m", "a\\x01b\\x1b[31m"),
	R("newline, CR, tab", "l1\nl2\r\t", "l1\\x0al2\\x0d\\x09", "l1\\x0al2\\x0d\\x09"),
	R("NUL inside", "a\0b", "a\\x00b", "a\\x00b"),
	R("DEL", "x\x7fy", "x\\x7fy", "x\\x7fy"),
	R("C1 NEL and CSI", "\xc2\x85\xc2\x9b", "\\xc2\\x85\\xc2\\x9b", "\\xc2\\x85\\xc2\\x9b"),
	R("NBSP after C1 is text", "\xc2\xa0", "\xc2\xa0", "\xc2\xa0"),
	R("valid multibyte kept", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	R("invalid bytes", "\xff\xfe", "\\xff\\xfe", "\\xff\\xfe"),
	R("overlong slash", "\xc0\xaf", "\\xc0\\xaf", "\\xc0\\xaf"),
	R("surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80", "\\xed\\xa0\\x80"),
	R("cut sequence at end", "ab\xc3", "ab\\xc3", "ab\\xc3"),
	R("cut sequence inside", "\xe2\x82x", "\\xe2\\x82x", "\\xe2\\x82x"),
	R("pipe", "a|b", "a|b", "a\\x7cb"),
	R("backslash", "a\\b\\x41", "a\\\\b\\\\x41", "a\\\\b\\\\x41"),
#undef R
};

/* No byte a terminal or a line-based format would obey. */
static int inert(const char *s)
{
	for (const unsigned char *u = (const unsigned char *)s; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return 0;
	return 1;
}

TEST(every_output_per_byte_class)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		sg_buf b = {0};
		CHECKF(sg_escape(&b, r->in, r->len, NULL) == SG_OK, "%s", r->label);
		char *got = sg_buf_take(&b, NULL);
		CHECKF(got && !strcmp(got, r->text), "%s: sg_escape \"%s\"", r->label, got ? got : "");
		CHECKF(got && inert(got) && sg_text_printable(got, strlen(got)), "%s: printable",
		       r->label);
		free(got);

		char win[256];
		size_t n = sg_text_clean(win, sizeof win, r->in, r->len);
		CHECKF(n == strlen(r->text) && !strcmp(win, r->text), "%s: sg_text_clean \"%s\"",
		       r->label, win);

		char *fx = fx_escape_dup(r->in, r->len);
		CHECKF(fx && !strcmp(fx, r->fx), "%s: fx_escape \"%s\"", r->label, fx ? fx : "");
		CHECKF(fx && inert(fx) && !strchr(fx, '|'), "%s: fx inert", r->label);
		char *back = NULL;
		size_t blen = 0;
		sg_err e = fx ? fx_unescape(fx, strlen(fx), &back, &blen) : SG_ERR_NOMEM;
		if (memchr(r->in, 0, r->len)) /* a name never holds NUL: refused */
			CHECKF(e == SG_ERR_PARSE, "%s: NUL refused", r->label);
		else
			CHECKF(e == SG_OK && blen == r->len && !memcmp(back, r->in, r->len),
			       "%s: fx round trip", r->label);
		free(back);
		free(fx);
	}
}

/* The fixed window cuts only between characters and escapes. */
TEST(window_never_cuts_inside)
{
	const char in[] = "ab\x1b\xc3\xa9z";
	static const char *const want[] = {"", "", "a", "ab", "ab", "ab", "ab", "ab\\x1b",
	                                   "ab\\x1b", "ab\\x1b\xc3\xa9", "ab\\x1b\xc3\xa9z"};
	for (size_t cap = 1; cap < sizeof want / sizeof want[0]; cap++) {
		char out[16];
		sg_text_clean(out, cap, in, sizeof in - 1);
		CHECKF(!strcmp(out, want[cap]), "cap %zu: \"%s\"", cap, out);
	}
}

/* The growable form never cuts: a long hostile input lands whole. */
TEST(growable_never_cuts)
{
	char in[3000];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)(i % 3 ? 'a' : 0x1b);
	sg_buf b = {0};
	CHECK_INT(sg_escape(&b, in, sizeof in, NULL), SG_OK);
	CHECK_INT(b.len, 1000 * 4 + 2000);
	sg_buf_free(&b);
	sg_buf capped;
	sg_buf_init(&capped, 100);
	CHECK_INT(sg_escape(&capped, in, sizeof in, NULL), SG_ERR_RANGE);
	sg_buf_free(&capped);
}

/* The ASCII-only window (header values): the same escapes, and every byte
 * from 0x80 on as \xHH, a well-formed character too. */
TEST(ascii_window_for_headers)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"plain: 169.254.169.254", "plain: 169.254.169.254"},
		{"caf\xc3\xa9 \xe2\x82\xac", "caf\\xc3\\xa9 \\xe2\\x82\\xac"},
		{"nbsp\xc2\xa0 nel\xc2\x85", "nbsp\\xc2\\xa0 nel\\xc2\\x85"},
		{"crlf\r\nX-Injected: 1", "crlf\\x0d\\x0aX-Injected: 1"},
		{"bad \xff\\", "bad \\xff\\\\"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[128];
		size_t n = sg_text_clean_ascii(out, sizeof out, cases[i].in, strlen(cases[i].in));
		CHECKF(n == strlen(out) && !strcmp(out, cases[i].want), "\"%s\"", out);
		for (size_t k = 0; k < n; k++)
			CHECKF(out[k] >= 0x20 && out[k] < 0x7f, "byte %zu of \"%s\"", k, out);
	}
	char cut[8]; /* cut between escapes, never inside one */
	sg_text_clean_ascii(cut, sizeof cut, "a\xc3\xa9", 3);
	CHECKF(!strcmp(cut, "a\\xc3"), "cut \"%s\"", cut);
}

/* The one JSON string rule (common/jsonstr.h). */
TEST(json_string_rule)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{"plain", 5, "\"plain\""},
		{"q\"b\\", 4, "\"q\\\"b\\\\\""},
		{"\x01\x1f\x7f\n", 4, "\"\\u0001\\u001f\\u007f\\u000a\""},
		{"a\0b", 3, "\"a\\u0000b\""},
		{"\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\""},
		{"\xff\xc3", 2, "\"\\ufffd\\ufffd\""},
		{"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sg_buf b = {0};
		CHECK_INT(sg_json_string(&b, cases[i].in, cases[i].len), SG_OK);
		CHECKF(b.p && !strcmp(b.p, cases[i].want), "case %zu: %s", i, b.p ? b.p : "");
		sg_buf_free(&b);
	}
	/* printable text (the escaper's output) changes only at '"' and '\\' */
	sg_buf t = {0}, j = {0};
	const char raw[] = "x\x1b\"\\\xc3\xa9\xff";
	CHECK_INT(sg_escape(&t, raw, sizeof raw - 1, NULL), SG_OK);
	CHECK_INT(sg_json_string(&j, t.p, t.len), SG_OK);
	CHECKF(!strcmp(j.p, "\"x\\\\x1b\\\"\\\\\\\\\xc3\xa9\\\\xff\""), "%s", j.p);
	sg_buf_free(&t);
	sg_buf_free(&j);
}

TEST_MAIN(every_output_per_byte_class, window_never_cuts_inside, growable_never_cuts,
          ascii_window_for_headers, json_string_rule)
