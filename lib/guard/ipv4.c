/*
 * ipv4.c — IPv4 text as the resolver reads it (inet_aton without trailing
 * text): "127.1", "0x7f.1", "0177.0.0.1", "2130706433", "169.254.43518".
 */
#include "guard/ip.h"

/* The largest value of the last part, by how many parts came before it. */
static const uint32_t last_max[4] = {0xffffffffu, 0xffffffu, 0xffffu, 0xffu};

sg_err sg_ipv4_parse(const char *s, size_t len, uint8_t out[4])
{
	uint32_t parts[4];
	size_t n = 0, i = 0;

	if (!s)
		return SG_ERR_PARSE;
	for (;;) {
		if (i >= len || s[i] < '0' || s[i] > '9')
			return SG_ERR_PARSE;
		unsigned base = 10;
		uint64_t val = 0;
		int digits = 0;
		if (s[i] == '0') {
			i++;
			if (i < len && (s[i] == 'x' || s[i] == 'X')) {
				base = 16;
				i++;
			} else {
				base = 8;
				digits = 1; /* the 0 itself */
			}
		}
		for (; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			unsigned d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (base == 16 && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (base == 16 && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			if (d >= base)
				return SG_ERR_PARSE; /* 8 or 9 in octal */
			val = val * base + d;
			if (val > 0xffffffffu)
				return SG_ERR_PARSE;
			digits = 1;
		}
		if (!digits)
			return SG_ERR_PARSE; /* a bare "0x" */
		if (i < len && s[i] == '.') {
			if (n >= 3 || val > 0xff)
				return SG_ERR_PARSE;
			parts[n++] = (uint32_t)val;
			i++;
			continue;
		}
		if (i != len)
			return SG_ERR_PARSE;
		if (val > last_max[n])
			return SG_ERR_PARSE;
		uint32_t addr = (uint32_t)val;
		for (size_t k = 0; k < n; k++)
			addr |= parts[k] << (24 - 8 * k);
		out[0] = (uint8_t)(addr >> 24);
		out[1] = (uint8_t)(addr >> 16);
		out[2] = (uint8_t)(addr >> 8);
		out[3] = (uint8_t)addr;
		return SG_OK;
	}
}
