/* hex.c — see hex.h. */
#include "common/hex.h"

int sg_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void sg_hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

sg_err sg_hex_decode(const char *s, size_t slen, unsigned char *out, size_t n)
{
	if (slen / 2 != n || slen % 2)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < n; i++) {
		int hi = sg_hex_value((unsigned char)s[2 * i]);
		int lo = sg_hex_value((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return SG_ERR_PARSE;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return SG_OK;
}
