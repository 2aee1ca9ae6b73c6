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
			return -1; /* longer than any host a resolver takes */
		buf[n++] = c;
	}
	return (ssize_t)n;
}

/* The hostname property: after the last '@'; brackets or up to ':'. */
static int hostname_of(const char *netloc, size_t n, const char **h, size_t *hl)
{
	int open = memchr(netloc, '[', n) != NULL, close = memchr(netloc, ']', n) != NULL;
	if (open != close)
		return 0; /* ValueError: Invalid IPv6 URL */
	size_t s = n;
	while (s && netloc[s - 1] != '@')
		s--;
	const char *hi = netloc + s;
	size_t hn = n - s;
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
		for (size_t i = colon + 1; i < d; i++)
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

/* Request strips whitespace at both ends (str.strip) and http.client then
 * refuses a URL with any control character or space left in it. */
static int request_takes(const char *url, size_t len)
{
	size_t i = 0;
	while (i < len && ((url[i] >= 0x09 && url[i] <= 0x0d) || (url[i] >= 0x1c && url[i] <= 0x20)))
		i++;
	while (len > i && ((url[len - 1] >= 0x09 && url[len - 1] <= 0x0d) ||
	                   (url[len - 1] >= 0x1c && url[len - 1] <= 0x20)))
		len--;
	for (; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return 0;
	return 1;
}

int sg_read_urllib(const char *url, size_t len, sg_reading out[2], size_t *count)
{
	char netloc[NETLOC_STACK], dec[NETLOC_STACK];
	*count = 0;
	ssize_t n = netloc_of(url, len, netloc, sizeof netloc);
	if (n < 0)
		return 0;
	const char *h;
	size_t hl;
	if (hostname_of(netloc, (size_t)n, &h, &hl)) {
		int rc = host_reading(h, hl, "urllib.parse", &out[*count]);
		if (rc < 0)
			return -1;
		*count += (size_t)rc;
	}
	/* Without a '%' Request's host is urlsplit's, or holds a '@' and never
	 * resolves: a second reading only when decoding changes something. */
	if (memchr(netloc, '%', (size_t)n) && request_takes(url, len) &&
	    request_host(netloc, (size_t)n, dec, &h, &hl)) {
		int rc = host_reading(h, hl, "urllib.request", &out[*count]);
		if (rc < 0)
			return -1;
		*count += (size_t)rc;
	}
	return 0;
}
