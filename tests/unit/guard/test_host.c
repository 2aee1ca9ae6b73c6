/* test_host.c — URL host normalisation: IDNA, trailing dots, literals (lib/guard/host.c). */
#include "guard/host.h"
#include "test.h"

static const struct {
	const char *in;
	int is_ip;
	const char *name; /* NULL: rejected */
	const char *alt;  /* Latin-1 reading that is an address, or NULL */
} cases[] = {
	{"127.0.0.1", 1, "127.0.0.1", NULL},
	{"127.0.0.1.", 1, "127.0.0.1", NULL},
	{"127.0.0.1..", 1, "127.0.0.1", NULL},
	{"0x7f.1", 1, "127.0.0.1", NULL},
	{"[::1]", 1, "::1", NULL},
	{"[::FFFF:A9FE:A9FE]", 1, "::ffff:169.254.169.254", NULL},
	{"Example.COM", 0, "example.com", NULL},
	{"example.com.", 0, "example.com", NULL},
	{"METADATA.google.internal.", 0, "metadata.google.internal", NULL},
	/* UTS #46 maps these to ASCII digits and dots, as libcurl does before connecting. */
	{"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.\xef\xbc\x90.\xef\xbc\x90.\xef\xbc\x91", 1, "127.0.0.1", NULL}, /* fullwidth */
	{"\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93\xaa.\xe2\x91\xa0", 1, "127.0.0.1", NULL}, /* circled */
	{"127\xe3\x80\x82" "0\xe3\x80\x82" "0\xe3\x80\x82" "1", 1, "127.0.0.1", NULL}, /* U+3002 */
	{"127\xef\xbc\x8e" "0\xef\xbc\x8e" "0\xef\xbc\x8e" "1", 1, "127.0.0.1", NULL}, /* U+FF0E */
	{"127\xef\xbd\xa1" "0\xef\xbd\xa1" "0\xef\xbd\xa1" "1", 1, "127.0.0.1", NULL}, /* U+FF61 */
	{"\xe2\x91\xaf\xe2\x91\xa8.\xe2\x91\xa1\xe2\x91\xa4\xe2\x91\xa3.\xe2\x91\xaf\xe2\x91\xa8.\xe2\x91\xa1\xe2\x91\xa4\xe2\x91\xa3",
	 1, "169.254.169.254", NULL}, /* circled 16 9 . 2 5 4 ... */
	{"\xef\xbc\x90\xef\xbd\x98\xef\xbc\x97\xef\xbd\x86.\xef\xbc\x91", 1, "127.0.0.1", NULL}, /* fullwidth 0x7f.1 */
	{"\xef\xbc\x9a\xef\xbc\x9a\xef\xbc\x91", 1, "::1", NULL}, /* fullwidth ::1 */
	{"\xc2\xb9\xc2\xb2\xe2\x81\xb7.0.0.1", 1, "127.0.0.1", NULL}, /* superscripts */
	{"b\xc3\xbc" "cher.de", 0, "xn--bcher-kva.de", NULL},
	{"B\xc3\x9c" "CHER.de", 0, "xn--bcher-kva.de", NULL},
	{"\xe2\x93\x9c\xe2\x93\x94\xe2\x93\xa3\xe2\x93\x90\xe2\x93\x93\xe2\x93\x90\xe2\x93\xa3\xe2\x93\x90", 0, "metadata", NULL},
	/* Not UTF-8: read as Latin-1, "\xb9" is superscript one. */
	{"\xb9" "0.0.0.\xb9", 1, "10.0.0.1", NULL},
	{"xn--1.com", 0, "xn--1.com", NULL}, /* ASCII: libcurl never IDNA-checks it */
	{"", 0, NULL, NULL},
	{".", 0, NULL, NULL},
	{"\xe3\x80\x82", 0, NULL, NULL}, /* an ideographic full stop alone */
	{"[::1", 0, NULL, NULL},
	{"[1.2.3.4]", 0, NULL, NULL},
	{"[]", 0, NULL, NULL},
};

TEST(host_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sg_host h;
		const char *why = NULL;
		sg_err e = sg_host_normalise(cases[i].in, strlen(cases[i].in), &h, &why);
		if (!cases[i].name) {
			CHECKF(e == SG_ERR_PARSE && why, "row %zu: accepted as %s", i, e == SG_OK ? h.name : "?");
			continue;
		}
		CHECKF(e == SG_OK, "row %zu (%s): rejected: %s", i, cases[i].name, why ? why : "");
		if (e != SG_OK)
			continue;
		CHECKF(h.is_ip == cases[i].is_ip && !strcmp(h.name, cases[i].name),
		       "row %zu: got %s ip=%d, want %s ip=%d", i, h.name, h.is_ip, cases[i].name,
		       cases[i].is_ip);
		CHECKF(h.name_len == strlen(h.name), "row %zu: length", i);
		CHECKF(h.nalt == (cases[i].alt != NULL), "row %zu: %zu alternative readings", i, h.nalt);
	}
}

TEST(long_names)
{
	char name[300];
	memset(name, 'a', sizeof name);
	sg_host h;
	const char *why = NULL;
	CHECK(sg_host_normalise(name, 253, &h, &why) == SG_OK && h.name_len == 253);
	CHECK(sg_host_normalise(name, 254, &h, &why) == SG_ERR_PARSE);
	name[253] = '.';
	CHECK(sg_host_normalise(name, 254, &h, &why) == SG_OK); /* a trailing dot is free */
	CHECK(sg_host_normalise("a\0b", 3, &h, &why) == SG_ERR_PARSE);
}

TEST_MAIN(host_table, long_names)
