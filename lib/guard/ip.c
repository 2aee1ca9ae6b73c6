/* ip.c — sg_ip helpers: parse either family, canonical text, prefix match. */
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

/* 0..255 in decimal; divisions by constants, no loop. */
static size_t put_dec(char *p, unsigned v)
{
	if (v >= 100) {
		p[0] = (char)('0' + v / 100);
		p[1] = (char)('0' + v / 10 % 10);
		p[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		p[0] = (char)('0' + v / 10);
		p[1] = (char)('0' + v % 10);
		return 2;
	}
	p[0] = (char)('0' + v);
	return 1;
}

static size_t put_v4(char *p, const uint8_t *b)
{
	size_t n = 0;
	for (int k = 0; k < 4; k++) {
		if (k)
			p[n++] = '.';
		n += put_dec(p + n, b[k]);
	}
	return n;
}

/*
 * inet_ntop(AF_INET6)'s text exactly (glibc): longest run of two or more
 * zero groups becomes "::" (the first on a tie), and ::a.b.c.d /
 * ::ffff:a.b.c.d keep their dotted quad.  No printf on the hot path.
 */
static size_t put_v6(char *p, const uint8_t *b)
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8];
	int best = -1, blen = 0, cur = -1, clen = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, clen = 0;
			clen++;
		} else if (cur >= 0) {
			if (best < 0 || clen > blen)
				best = cur, blen = clen;
			cur = -1;
		}
	}
	if (cur >= 0 && (best < 0 || clen > blen))
		best = cur, blen = clen;
	if (best >= 0 && blen < 2)
		best = -1;
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				p[n++] = ':';
			continue;
		}
		if (i)
			p[n++] = ':';
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff)))
			return n + put_v4(p + n, b + 12);
		int started = 0;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 0xf;
			if (d || started || sh == 0) {
				p[n++] = hex[d];
				started = 1;
			}
		}
	}
	if (best >= 0 && best + blen == 8)
		p[n++] = ':';
	return n;
}

size_t sg_ip_format(const sg_ip *ip, char *buf, size_t cap)
{
	char tmp[48];
	if (!cap)
		return 0;
	size_t n = ip->v6 ? put_v6(tmp, ip->b) : put_v4(tmp, ip->b);
	if (n + 1 > cap) {
		buf[0] = '\0';
		return 0;
	}
	memcpy(buf, tmp, n);
	buf[n] = '\0';
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
