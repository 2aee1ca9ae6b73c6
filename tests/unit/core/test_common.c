/* test_common.c — the shared hex, UTF-8 and escaping helpers, table-driven. */
#include "common/escape.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "test.h"

TEST(hex_values)
{
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9' ? c - '0'
		         : c >= 'a' && c <= 'f' ? c - 'a' + 10
		         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		CHECKF(sg_hex_value((unsigned char)c) == want, "byte 0x%02x", c);
	}
}

TEST(hex_encode)
{
	const unsigned char in[] = {0x00, 0x7f, 0x80, 0xff, 0xa5};
	char out[2 * sizeof in + 1];
	sg_hex_encode(in, sizeof in, out);
	CHECK_STR(out, "007f80ffa5");
	sg_hex_encode(in, 0, out);
	CHECK_STR(out, "");
}

TEST(hex_decode)
{
	unsigned char out[4];
	CHECK_INT(sg_hex_decode("00ff7FA5", 8, out, 4), SG_OK);
	CHECK(out[0] == 0x00 && out[1] == 0xff && out[2] == 0x7f && out[3] == 0xa5);
	CHECK_INT(sg_hex_decode("00ff7fa", 7, out, 4), SG_ERR_PARSE);   /* odd length */
	CHECK_INT(sg_hex_decode("00ff7fa5", 8, out, 3), SG_ERR_PARSE);  /* too long */
	CHECK_INT(sg_hex_decode("00ff7f", 6, out, 4), SG_ERR_PARSE);    /* too short */
	CHECK_INT(sg_hex_decode("00fg7fa5", 8, out, 4), SG_ERR_PARSE);  /* not hex */
	CHECK_INT(sg_hex_decode("", 0, out, 0), SG_OK);
}

TEST(utf8_lengths)
{
	static const struct {
		const char *label;
		const char *bytes;
		size_t n;
		size_t want;
	} rows[] = {
		{"ascii", "a", 1, 1},
		{"nul", "\0", 1, 1},
		{"empty", "", 0, 0},
		{"2-byte é", "\xc3\xa9", 2, 2},
		{"3-byte ①", "\xe2\x91\xa0", 3, 3},
		{"ideographic full stop", "\xe3\x80\x82", 3, 3},
		{"4-byte U+1F600", "\xf0\x9f\x98\x80", 4, 4},
		{"U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 4},
		{"above U+10FFFF", "\xf4\x90\x80\x80", 4, 0},
		{"overlong slash", "\xc0\xaf", 2, 0},
		{"overlong 3-byte", "\xe0\x80\xaf", 3, 0},
		{"overlong 4-byte", "\xf0\x80\x80\xaf", 4, 0},
		{"surrogate D800", "\xed\xa0\x80", 3, 0},
		{"stray continuation", "\x80", 1, 0},
		{"cut short", "\xe2\x91", 2, 0},
		{"bad continuation", "\xc3\x41", 2, 0},
		{"f5 lead", "\xf5\x80\x80\x80", 4, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(sg_utf8_len((const unsigned char *)rows[i].bytes, rows[i].n) == rows[i].want,
		       "%s", rows[i].label);
}


TEST(text_clean)
{
	static const struct { const char *in; size_t n; const char *want; } rows[] = {
		{"http://a/", 9, "http://a/"},
		{"a\r\nb", 4, "a\\x0d\\x0ab"},
		{"\x1b[2J", 4, "\\x1b[2J"},
		{"del\x7f", 4, "del\\x7f"},
		{"back\\slash", 10, "back\\\\slash"},
		{"\xff\xfe", 2, "\\xff\\xfe"},
		{"\xe2\x82\xac", 3, "\xe2\x82\xac"},
		{"\xc3\xa9", 2, "\xc3\xa9"},
		{"csi\xc2\x9b" "2J", 7, "csi\\xc2\\x9b2J"}, /* C1 control U+009B */
		{"nbsp\xc2\xa0", 6, "nbsp\xc2\xa0"},
		{"cut\xc3", 4, "cut\\xc3"},
		{"n\0ul", 4, "n\\x00ul"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char out[64];
		sg_text_clean(out, sizeof out, rows[i].in, rows[i].n);
		CHECKF(!strcmp(out, rows[i].want), "row %zu: got %s", i, out);
		CHECKF(sg_text_printable(out, strlen(out)), "row %zu: printable", i);
	}
	char small[5];
	CHECK_INT(sg_text_clean(small, sizeof small, "ab\xe2\x82\xac", 5), 2); /* no cut character */
	CHECK_INT(sg_text_clean(small, sizeof small, "ab\x1b", 3), 2);         /* no cut escape */
	CHECK(!sg_text_printable("a\x1b", 2));
	CHECK(!sg_text_printable("a\xc3", 2));
	CHECK(sg_text_printable("a\xc3\xa9\\", 4));
}

TEST(text_settle)
{
	static const struct { const char *in; const char *want; bool escaped; } rows[] = {
		{"plain \xc3\xa9", "plain \xc3\xa9", false},
		{"cut at the end \xc3", "cut at the end ", false},
		{"cut at the end \xe2\x82", "cut at the end ", false},
		{"cut at the end \xf0\x9f\x98", "cut at the end ", false},
		{"whole \xf0\x9f\x98\x80", "whole \xf0\x9f\x98\x80", false},
		{"raw \x1b[2J \\ here", "raw \\x1b[2J \\\\ here", true},
		{"bad \xff inside", "bad \\xff inside", true},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char s[64];
		snprintf(s, sizeof s, "%s", rows[i].in);
		CHECKF(sg_text_settle(s, sizeof s) == rows[i].escaped, "row %zu: escaped", i);
		CHECKF(!strcmp(s, rows[i].want), "row %zu: got %s", i, s);
	}
	/* a note cut by snprintf in the middle of "é", at a buffer's end */
	char note[8];
	const char *long_note = "abcdef\xc3\xa9";
	memcpy(note, long_note, 7);
	note[7] = '\0';
	CHECK(!sg_text_settle(note, sizeof note) && !strcmp(note, "abcdef"));
	/* escaping grows the text: cut to the buffer, never inside an escape */
	char tiny[8] = "a\x1b\x1b\x1b";
	CHECK(sg_text_settle(tiny, sizeof tiny) && !strcmp(tiny, "a\\x1b"));
}

TEST_MAIN(hex_values, hex_encode, hex_decode, utf8_lengths, text_clean, text_settle)
