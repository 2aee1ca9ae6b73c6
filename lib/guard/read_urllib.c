/*
 * read_urllib.c — the host of a URL as Python's urllib reads it (CPython
 * 3.11, Lib/urllib/parse.py and request.py, Lib/http/client.py), and how
 * Python's socket layer then reads that host: non-ASCII through the "idna"
 * codec (IDNA 2003: UTS #46 transitional here), numbers as getaddrinfo().
 * Tested against python3 itself (tests/unit/guard/intent_oracle.py).
 *
 *   urllib.parse:   urlsplit(url).hostname — leading C0/space stripped,
 *                   tab/CR/LF removed, the netloc after "//" up to the first
 *                   '/', '?' or '#' ('\' is an ordinary byte), the last '@',
 *                   no percent-decoding, lower case.
 *   urllib.request: Request(url).host, the same netloc percent-decoded once
 *                   (userinfo included: "user@host" never resolves), then
 *                   http.client's host:port split.
 */
#include "common/hex.h"
#include "guard/intent.h"

#define NETLOC_STACK 512

static int c0_or_space(char c)
{
	return (unsigned char)c <= 0x20;
}

static int scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

/* The host text to a reading: Python's socket layer, then getaddrinfo. */
static int host_reading(const char *host, size_t len, const char *reader, sg_reading *out)
{
	char buf[SG_HOST_MAX], *ascii = NULL;
	int rc = sg_reading_ascii(host, len, 1, buf, sizeof buf, &ascii);
	if (rc != 1)
		return rc;
	size_t alen = strlen(ascii);
	sg_ip ip;
	if (sg_ip_parse(ascii, alen, &ip) == SG_OK)
		rc = sg_reading_ip(out, reader, &ip, ascii, alen);
	else
		rc = memchr(ascii, '@', alen) ? 0 : sg_reading_name(out, reader, ascii, alen);
	if (ascii != buf)
		free(ascii);
	return rc;
}

/* urlsplit: the netloc (tab/CR/LF removed into buf), or -1 when none. */
static ssize_t netloc_of(const char *url, size_t len, char *buf, size_t cap)
{
	size_t i = 0;
	while (i < len && c0_or_space(url[i]))
		i++;
	/* The scheme: ASCII letter first, scheme characters up to the first ':'. */
	size_t colon = i;
	while (colon < len && url[colon] != ':')
		colon++;
	if (colon < len && colon > i && ((url[i] | 0x20) >= 'a' && (url[i] | 0x20) <= 'z')) {
		size_t k = i;
		while (k < colon && (scheme_char(url[k]) || url[k] == '\t' || url[k] == '\n' ||
		                     url[k] == '\r'))
			k++;
		if (k == colon)
			i = colon + 1;
	}
	/* "//", tabs and newlines not counting. */
	size_t n = 0, slashes = 0;
	for (; i < len && slashes < 2; i++) {
		if (url[i] == '\t' || url[i] == '\n' || url[i] == '\r')
			continue;
		if (url[i] != '/')
			return -1;
		slashes++;
	}
	if (slashes < 2)
		return -1;
	for (; i < len; i++) {
		char c = url[i];
		if (c == '/' || c == '?' || c == '#')
			break;
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		if (n == cap)
			return -1;
		buf[n++] = c;
	}
	return (ssize_t)n;
}

/* _check_bracketed_host: "v<hex>.<anything>" (IPvFuture) or IPv6. */
static int bracketed_host_ok(const char *h, size_t n)
{
	if (n && h[0] == 'v') {
		size_t i = 1;
		while (i < n && sg_hex_value((unsigned char)h[i]) >= 0)
			i++;
		return i > 1 && i + 1 < n && h[i] == '.';
	}
	uint8_t b[16];
	size_t zone = 0;
	return sg_ipv6_parse(h, n, b, &zone) == SG_OK && zone + 1 != n;
}

/* _hostinfo: the part of the netloc after its last '@'. */
static void hostinfo(const char *netloc, size_t n, const char **hp, size_t *hn)
{
	size_t s = n;
	while (s && netloc[s - 1] != '@')
		s--;
	*hp = netloc + s;
	*hn = n - s;
}

/*
 * urlsplit's netloc checks (CPython 3.11 as Debian ships it): '[' without
 * ']' or the reverse is an error; with both, the part after the last '@'
 * must be "[IPv6]" or "[IPv6]:port", or its host (before ':') must itself
 * pass the bracketed-host check.
 */
static int netloc_ok(const char *netloc, size_t n)
{
	int open = memchr(netloc, '[', n) != NULL, close = memchr(netloc, ']', n) != NULL;
	if (open != close)
		return 0; /* ValueError: Invalid IPv6 URL */
	if (!open)
		return 1;
	const char *hp;
	size_t hn;
	hostinfo(netloc, n, &hp, &hn);
	const char *c = memchr(hp, ':', hn);
	if (hn == 0 || hp[0] != '[')
		return !memchr(hp, '[', hn) && bracketed_host_ok(hp, c ? (size_t)(c - hp) : hn);
	const char *end = memchr(hp, ']', hn);
	if (!end)
		return bracketed_host_ok(hp + 1, hn - 1);
	if (end + 1 < hp + hn && end[1] != ':')
		return 0; /* data after ']' but before the port */
	return bracketed_host_ok(hp + 1, (size_t)(end - hp - 1));
}

/* The hostname property: brackets, or up to ':', of the hostinfo. */
static int hostname_of(const char *netloc, size_t n, const char **h, size_t *hl)
{
	const char *hi;
	size_t hn;
	hostinfo(netloc, n, &hi, &hn);
	const char *br = memchr(hi, '[', hn);
	if (br) {
		const char *end = memchr(br, ']', (size_t)(hi + hn - br));
		*h = br + 1;
		*hl = end ? (size_t)(end - br - 1) : (size_t)(hi + hn - br - 1);
	} else {
		const char *c = memchr(hi, ':', hn);
		*h = hi;
		*hl = c ? (size_t)(c - hi) : hn;
	}
	return *hl > 0;
}

/* Request.host then HTTPConnection's host:port split. */
static int request_host(const char *netloc, size_t n, char *dec, const char **h, size_t *hl)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)netloc[i] < 0x20 || netloc[i] == 0x7f)
			return 0; /* http.client refuses control characters */
	size_t d = sg_pct_decode(netloc, n, dec);
	for (size_t i = 0; i < d; i++)
		if ((unsigned char)dec[i] <= 0x20 || dec[i] == 0x7f)
			return 0;
	size_t colon = d, bracket = d;
	for (size_t i = d; i > 0; i--)
		if (dec[i - 1] == ':') {
			colon = i - 1;
			break;
		}
	for (size_t i = d; i > 0; i--)
		if (dec[i - 1] == ']') {
			bracket = i - 1;
			break;
		}
	size_t end = d;
	if (colon < d && (bracket == d || colon > bracket)) {
		size_t i = colon + 1;
		if (i + 1 < d && (dec[i] == '+' || dec[i] == '-'))
			i++; /* int() takes a sign */
		for (; i < d; i++)
			if (dec[i] < '0' || dec[i] > '9')
				return 0; /* InvalidURL: nonnumeric port */
		end = colon;
	}
	size_t start = 0;
	if (end >= 2 && dec[0] == '[' && dec[end - 1] == ']') {
		start = 1;
		end--;
	}
	*h = dec + start;
	*hl = end - start;
	return *hl > 0;
}

/* Request strips whitespace at both ends (str.strip) and the fragment;
 * http.client then refuses a host or path with any control character or
 * space left in it. */
static int request_takes(const char *url, size_t len)
{
	size_t i = 0;
	while (i < len && ((url[i] >= 0x09 && url[i] <= 0x0d) || (url[i] >= 0x1c && url[i] <= 0x20)))
		i++;
	while (len > i && ((url[len - 1] >= 0x09 && url[len - 1] <= 0x0d) ||
	                   (url[len - 1] >= 0x1c && url[len - 1] <= 0x20)))
		len--;
	for (; i < len && url[i] != '#'; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return 0;
	return 1;
}

static int read_netloc(const char *url, size_t len, char *netloc, size_t n, char *dec,
                       sg_reading out[2], size_t *count)
{
	if (!netloc_ok(netloc, n))
		return 0;
	const char *h, *ph = NULL;
	size_t hl, phl = 0;
	if (hostname_of(netloc, n, &h, &hl)) {
		int rc = host_reading(h, hl, "urllib.parse", &out[*count]);
		if (rc < 0)
			return -1;
		*count += (size_t)rc;
		ph = h;
		phl = hl;
	}
	if (!request_takes(url, len) || !request_host(netloc, n, dec, &h, &hl))
		return 0;
	/* The same host text as urlsplit's reads the same: no second parse. */
	if (*count == 1 && hl == phl && !memcmp(h, ph, hl)) {
		out[1] = out[0];
		out[1].reader = "urllib.request";
		*count = 2;
		return 0;
	}
	int rc = host_reading(h, hl, "urllib.request", &out[*count]);
	if (rc < 0)
		return -1;
	*count += (size_t)rc;
	return 0;
}

int sg_read_urllib(const char *url, size_t len, sg_reading out[2], size_t *count)
{
	char stack[2 * NETLOC_STACK], *buf = stack;
	*count = 0;
	if (len > NETLOC_STACK) {
		if (len > SIZE_MAX / 2 || !(buf = malloc(2 * len)))
			return -1;
	}
	size_t cap = len > NETLOC_STACK ? len : NETLOC_STACK;
	ssize_t n = netloc_of(url, len, buf, cap);
	int rc = n < 0 ? 0 : read_netloc(url, len, buf, (size_t)n, buf + cap, out, count);
	if (buf != stack)
		free(buf);
	return rc;
}
