/* ip.c — sg_ip helpers: parse either family, canonical text, prefix match. */
#include <arpa/inet.h>

#include "guard/ip.h"

sg_err sg_ip_parse(const char *s, size_t len, sg_ip *out)
{
	sg_ip ip = {0};
	if (sg_ipv4_parse(s, len, ip.b) == SG_OK) {
		*out = ip;
		return SG_OK;
	}
	if (sg_ipv6_parse(s, len, ip.b, NULL) == SG_OK) {
		ip.v6 = 1;
		*out = ip;
		return SG_OK;
	}
	return SG_ERR_PARSE;
}

static size_t put_dec(char *p, unsigned v)
{
	char tmp[3];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t k = 0; k < n; k++)
		p[k] = tmp[n - 1 - k];
	return n;
}

size_t sg_ip_format(const sg_ip *ip, char *buf, size_t cap)
{
	if (!cap)
		return 0;
	buf[0] = '\0';
	if (!ip->v6) {
		char tmp[16];
		size_t n = 0;
		for (int k = 0; k < 4; k++) {
			if (k)
				tmp[n++] = '.';
			n += put_dec(tmp + n, ip->b[k]);
		}
		if (n + 1 > cap)
			return 0;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
		return n;
	}
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(AF_INET6, ip->b, tmp, sizeof tmp))
		return 0;
	size_t n = strlen(tmp);
	if (n + 1 > cap)
		return 0;
	memcpy(buf, tmp, n + 1);
	return n;
}

int sg_ip_in(const sg_ip *ip, const sg_ip *prefix, unsigned bits)
{
	if (ip->v6 != prefix->v6)
		return 0;
	unsigned max = ip->v6 ? 128 : 32;
	if (bits > max)
		return 0;
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(ip->b, prefix->b, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((ip->b[full] & mask) != (prefix->b[full] & mask))
			return 0;
	}
	return 1;
}
