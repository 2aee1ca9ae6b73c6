/* test_request.c — the dashboard's request text: which token a request
 * offers, which incident ids a path names, attacker bytes made UTF-8. */
#include <stdlib.h>

#include "common/utf8.h"
#include "dashboard/dash_int.h"
#include "test.h"

static const struct {
	const char *label, *auth, *cookie, *want; /* want NULL: no token */
} tokens[] = {
	{"bearer", "Bearer abc", NULL, "abc"},
	{"bearer wins over cookie", "Bearer abc", "ssrfguard_dash=xyz", "abc"},
	{"basic is not a token", "Basic abc", NULL, NULL},
	{"basic falls back to cookie", "Basic abc", "ssrfguard_dash=xyz", "xyz"},
	{"cookie among others", NULL, "a=1; ssrfguard_dash=xyz; b=2", "xyz"},
	{"empty cookie value", NULL, "ssrfguard_dash=", ""},
	{"a longer cookie name", NULL, "ssrfguard_dashX=xyz", NULL},
	{"a name that only ends so", NULL, "xssrfguard_dash=xyz", NULL},
	{"nothing", NULL, NULL, NULL},
	{"only separators", NULL, " ; ;;", NULL},
};

TEST(request_token)
{
	for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
		size_t len = 99;
		const char *got = dash_request_token(tokens[i].auth, tokens[i].cookie, &len);
		if (!tokens[i].want)
			CHECKF(got == NULL, "%s", tokens[i].label);
		else
			CHECKF(got && len == strlen(tokens[i].want) &&
			       !memcmp(got, tokens[i].want, len), "%s", tokens[i].label);
	}
}

TEST(path_id)
{
	CHECK_INT(dash_path_id("1"), 1);
	CHECK_INT(dash_path_id("0042"), 42);
	CHECK_INT(dash_path_id("4611686018427387904"), INT64_C(1) << 62);
	CHECK_INT(dash_path_id("4611686018427387905"), 0);
	CHECK_INT(dash_path_id("99999999999999999999999"), 0);
	CHECK_INT(dash_path_id(""), 0);
	CHECK_INT(dash_path_id("-1"), 0);
	CHECK_INT(dash_path_id("+1"), 0);
	CHECK_INT(dash_path_id("1/x"), 0);
	CHECK_INT(dash_path_id("1 "), 0);
	CHECK_INT(dash_path_id("INC-7"), 7); /* the name every page shows */
	CHECK_INT(dash_path_id("INC-"), 0);
	CHECK_INT(dash_path_id("INC-7-3f9a2c1b0d4e5f60"), 0);
	CHECK_INT(dash_path_id(NULL), 0);
}

TEST(utf8_repair)
{
	static const struct { const char *in; size_t n; const char *want; } rows[] = {
		{"plain <script>", 14, "plain <script>"},
		{"\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9"},
		{"a\xff" "b", 3, "a\xef\xbf\xbd" "b"},
		{"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"},             /* overlong '/' */
		{"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd"},             /* cut short */
		{"a\0b", 3, "a\xef\xbf\xbd" "b"},                          /* NUL */
		{"\x01\x1b", 2, "\x01\x1b"},     /* control bytes: JSON escapes them */
		{"", 0, ""},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t n = 0;
		char *got = sg_utf8_repair(rows[i].in, rows[i].n, &n);
		CHECKF(got && n == strlen(rows[i].want) && !strcmp(got, rows[i].want), "row %zu", i);
		free(got);
	}
}

TEST_MAIN(request_token, path_id, utf8_repair)
