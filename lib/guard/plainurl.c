/*
 * plainurl.c — URLs whose host libcurl takes as written.  See plainurl.h.
 */
#include "guard/plainurl.h"

#include <string.h>

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Four decimal parts 0-255, no leading zero: text libcurl's IPv4
 * normaliser would print back unchanged. */
static int canonical_quad(const char *s, size_t len)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part && (i == len || s[i++] != '.'))
			return 0;
		size_t d = i;
		unsigned v = 0;
		while (i < len && digit(s[i]) && i - d < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == d || v > 255 || (s[d] == '0' && i - d > 1))
			return 0;
	}
	return i == len;
}

/* Labels [a-z0-9-]+ joined by single dots, a letter first, no trailing
 * dot: no number reading, no IDNA, nothing libcurl's host check refuses. */
static int plain_name(const char *s, size_t len)
{
	if (len == 0 || len > 253 || !lower(s[0]) || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.' ? s[i - 1] == '.' : !(lower(c) || digit(c) || c == '-'))
			return 0;
	}
	return 1;
}

int sg_url_plain(const char *url, size_t len, sg_plain_url *out)
{
	size_t i;
	if (len >= 7 && !memcmp(url, "http://", 7))
		i = 4;
	else if (len >= 8 && !memcmp(url, "https://", 8))
		i = 5;
	else
		return 0;
	out->scheme_len = i;
	i += 3;
	size_t h = i;
	while (i < len && (lower(url[i]) || digit(url[i]) || url[i] == '.' || url[i] == '-'))
		i++;
	out->host = url + h;
	out->host_len = i - h;
	if (!canonical_quad(out->host, out->host_len) && !plain_name(out->host, out->host_len))
		return 0;
	out->port = out->scheme_len == 4 ? 80 : 443;
	if (i < len && url[i] == ':') {
		size_t d = ++i;
		unsigned v = 0;
		while (i < len && digit(url[i]) && i - d < 5)
			v = v * 10 + (unsigned)(url[i++] - '0');
		if (i == d || url[d] == '0' || v > 65535)
			return 0;
		out->port = (uint16_t)v;
	}
	if (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
		return 0;
	for (; i < len; i++)
		if (url[i] < 0x21 || url[i] > 0x7e)
			return 0;
	return 1;
}
