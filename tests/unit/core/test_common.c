/* test_common.c — the shared hex and UTF-8 helpers, table-driven. */
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

TEST_MAIN(hex_values, hex_encode, hex_decode, utf8_lengths)
