/*
 * ipv6.c — IPv6 text as inet_pton(AF_INET6) reads it, with the "%zone" that
 * getaddrinfo() also takes; a trailing dotted quad is strict (4 decimal
 * parts, no leading zeros), as in inet_pton.
 */
#include "guard/ip.h"
#include "common/hex.h"

#define ZONE_MAX 64

/* inet_pton4: exactly a.b.c.d, decimal, each 0..255 without leading 0s. */
static int pton4(const char *s, size_t len, uint8_t out[4])
{
	size_t n = 0, i = 0;
	while (n < 4) {
		unsigned val = 0;
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (i > start && s[start] == '0')
				return -1;
			val = val * 10 + (unsigned)(s[i] - '0');
			if (val > 255)
				return -1;
			i++;
		}
		if (i == start)
			return -1;
		out[n++] = (uint8_t)val;
		if (n < 4) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
	}
	return i == len ? 0 : -1;
}

sg_err sg_ipv6_parse(const char *s, size_t len, uint8_t out[16], size_t *zone_at)
{
	uint8_t tmp[16] = {0};
	size_t tp = 0, colonp = SIZE_MAX, i = 0, curtok = 0;
	int saw_xdigit = 0;
	unsigned val = 0;

	if (!s)
		return SG_ERR_PARSE;
	size_t alen = len;
	for (size_t k = 0; k < len; k++)
		if (s[k] == '%') {
			alen = k;
			break;
		}
	if (alen < len && (len - alen - 1 == 0 || len - alen - 1 > ZONE_MAX))
		return SG_ERR_PARSE;

	if (alen > 0 && s[0] == ':') {
		if (alen < 2 || s[1] != ':')
			return SG_ERR_PARSE;
		i = 1;
	}
	curtok = i;
	while (i < alen) {
		unsigned char c = (unsigned char)s[i++];
		int d = sg_hex_value(c);
		if (d >= 0) {
			if (saw_xdigit && curtok + 4 <= i - 1)
				return SG_ERR_PARSE; /* a fifth digit */
			val = (val << 4) | (unsigned)d;
			saw_xdigit = 1;
			continue;
		}
		if (c == ':') {
			curtok = i;
			if (!saw_xdigit) {
				if (colonp != SIZE_MAX)
					return SG_ERR_PARSE;
				colonp = tp;
				continue;
			}
			if (i >= alen)
				return SG_ERR_PARSE; /* trailing single ':' */
			if (tp + 2 > 16)
				return SG_ERR_PARSE;
			tmp[tp++] = (uint8_t)(val >> 8);
			tmp[tp++] = (uint8_t)val;
			saw_xdigit = 0;
			val = 0;
			continue;
		}
		if (c == '.' && tp + 4 <= 16) {
			if (pton4(s + curtok, alen - curtok, tmp + tp) != 0)
				return SG_ERR_PARSE;
			tp += 4;
			saw_xdigit = 0;
			i = alen;
			break;
		}
		return SG_ERR_PARSE;
	}
	if (saw_xdigit) {
		if (tp + 2 > 16)
			return SG_ERR_PARSE;
		tmp[tp++] = (uint8_t)(val >> 8);
		tmp[tp++] = (uint8_t)val;
	}
	if (colonp != SIZE_MAX) {
		if (tp == 16)
			return SG_ERR_PARSE;
		size_t n = tp - colonp;
		for (size_t k = 1; k <= n; k++) {
			tmp[16 - k] = tmp[colonp + n - k];
			tmp[colonp + n - k] = 0;
		}
		tp = 16;
	}
	if (tp != 16)
		return SG_ERR_PARSE;
	memcpy(out, tmp, 16);
	if (zone_at)
		*zone_at = alen;
	return SG_OK;
}
