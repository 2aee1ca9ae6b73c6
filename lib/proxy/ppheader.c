/* ppheader.c — PROXY protocol v1/v2; see ppheader.h. */
#include "proxy/ppheader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const unsigned char v2sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                        0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static int port_text(const char *p, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (n == 0 || n > 5 || (n > 1 && p[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* Split line (no CRLF) on single spaces into at most 6 words. */
static size_t words(const char *p, size_t n, px_span *w)
{
	size_t k = 0, s = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == ' ') {
			if (i == s || k == 6)
				return 7; /* empty word or too many: invalid */
			w[k++] = (px_span){p + s, i - s};
			s = i + 1;
		}
	}
	return k;
}

static px_rc v1(const unsigned char *buf, size_t len, struct sockaddr_storage *src,
                int *local, size_t *used, const char **why)
{
	size_t lim = len < 107 ? len : 107, i;
	for (i = 0; i + 1 < lim; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n')
			break;
	if (i + 1 >= lim) {
		*why = "PROXY v1 line too long or unterminated";
		return len >= 107 ? PX_BAD : PX_MORE;
	}
	*used = i + 2;
	const char *p = (const char *)buf;
	if (i >= 13 && !memcmp(p, "PROXY UNKNOWN", 13)) {
		*local = 1;
		return PX_OK;
	}
	px_span w[6];
	if (words(p, i, w) != 6 || (!px_span_ieq(w[1], "TCP4") && !px_span_ieq(w[1], "TCP6"))) {
		*why = "malformed PROXY v1 line";
		return PX_BAD;
	}
	int v6 = w[1].p[3] == '6';
	char a[64];
	unsigned sport, dport;
	if (w[2].n >= sizeof a || port_text(w[4].p, w[4].n, &sport) ||
	    port_text(w[5].p, w[5].n, &dport)) {
		*why = "malformed PROXY v1 address or port";
		return PX_BAD;
	}
	memcpy(a, w[2].p, w[2].n);
	a[w[2].n] = '\0';
	memset(src, 0, sizeof *src);
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)src;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)sport);
		if (inet_pton(AF_INET6, a, &s6->sin6_addr) != 1) {
			*why = "malformed PROXY v1 source address";
			return PX_BAD;
		}
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)src;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)sport);
		if (inet_pton(AF_INET, a, &s4->sin_addr) != 1) {
			*why = "malformed PROXY v1 source address";
			return PX_BAD;
		}
	}
	*local = 0;
	return PX_OK;
}

static px_rc v2(const unsigned char *buf, size_t len, struct sockaddr_storage *src,
                int *local, size_t *used, const char **why)
{
	if (len < 16)
		return PX_MORE;
	unsigned ver = buf[12] >> 4, cmd = buf[12] & 0xf, fam = buf[13];
	size_t alen = (size_t)buf[14] << 8 | buf[15];
	if (ver != 2 || cmd > 1) {
		*why = "unsupported PROXY v2 version or command";
		return PX_BAD;
	}
	if (len < 16 + alen)
		return PX_MORE;
	*used = 16 + alen;
	if (cmd == 0 || fam == 0x00) { /* LOCAL, or PROXY with UNSPEC */
		*local = 1;
		return PX_OK;
	}
	memset(src, 0, sizeof *src);
	if (fam == 0x11 && alen >= 12) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)src;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, buf + 16, 4);
		memcpy(&s4->sin_port, buf + 24, 2);
	} else if (fam == 0x21 && alen >= 36) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)src;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, buf + 16, 16);
		memcpy(&s6->sin6_port, buf + 48, 2);
	} else {
		*why = "PROXY v2 family is not TCP over IPv4 or IPv6, or its block is short";
		return PX_BAD;
	}
	*local = 0;
	return PX_OK;
}

px_rc px_pp_parse(const unsigned char *buf, size_t len, struct sockaddr_storage *src,
                  int *local, size_t *used, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	*local = 0;
	*used = 0;
	size_t k = len < 12 ? len : 12;
	if (!memcmp(buf, v2sig, k))
		return len < 12 ? PX_MORE : v2(buf, len, src, local, used, why);
	k = len < 6 ? len : 6;
	if (!memcmp(buf, "PROXY ", k))
		return len < 6 ? PX_MORE : v1(buf, len, src, local, used, why);
	*why = "no PROXY protocol header";
	return PX_BAD;
}
