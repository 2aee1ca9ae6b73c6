/*
 * read_whatwg.c — the host of a special-scheme URL as the WHATWG URL
 * standard reads it (https://url.spec.whatwg.org/: basic URL parser,
 * host parser, IPv4 parser), as browsers and Node do.  Tested against the
 * web-platform-tests vectors (tests/data/guard/whatwg-urltestdata.json).
 */
#include "common/hex.h"
#include "guard/intent.h"

#define HOST_STACK 512

static const char *const special[] = {"http", "https", "ws", "wss", "ftp"};

static int tab_or_newline(char c)
{
	return c == '\t' || c == '\n' || c == '\r';
}

static int alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Scheme state: the scheme's end (at ':') if the URL starts with a special
 * scheme, else 0.  Tabs and newlines inside are skipped, as removed. */
static size_t special_scheme(const char *s, size_t len, size_t i)
{
	char name[8];
	size_t n = 0;
	for (; i < len && s[i] != ':'; i++) {
		if (tab_or_newline(s[i]))
			continue;
		char c = s[i];
		if (!(alpha(c) || (n && (digit(c) || c == '+' || c == '-' || c == '.'))))
			return 0;
		if (n == sizeof name - 1)
			return 0;
		name[n++] = (char)(c | 0x20);
	}
	if (i == len || n == 0)
		return 0;
	name[n] = '\0';
	for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
		if (!strcmp(name, special[k]))
			return i;
	return 0;
}

/* The IPv4 number parser: *v (saturated above 2^32), 0 ok, -1 failure. */
static int ipv4_number(const char *s, size_t len, uint64_t *v)
{
	unsigned radix = 10;
	if (len == 0)
		return -1;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		radix = 16;
		s += 2;
		len -= 2;
	} else if (len >= 2 && s[0] == '0') {
		radix = 8;
		s++;
		len--;
	}
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		int d = sg_hex_value((unsigned char)s[i]);
		if (d < 0 || (unsigned)d >= radix)
			return -1;
		if (x <= UINT32_MAX)
			x = x * radix + (unsigned)d;
	}
	*v = x;
	return 0;
}

/* "Ends in a number": the last label (a trailing dot dropped) is digits, or
 * parses as an IPv4 number. */
static int ends_in_number(const char *s, size_t len)
{
	if (len && s[len - 1] == '.')
		len--; /* one empty last label is dropped */
	size_t start = len;
	while (start && s[start - 1] != '.')
		start--;
	const char *last = s + start;
	size_t n = len - start;
	if (n == 0)
		return 0;
	size_t d = 0;
	while (d < n && digit(last[d]))
		d++;
	uint64_t v;
	return d == n || ipv4_number(last, n, &v) == 0;
}

/* The IPv4 parser.  0 and *ip, or -1 failure. */
static int ipv4_parse(const char *s, size_t len, sg_ip *ip)
{
	uint64_t part[4];
	size_t n = 0, i = 0;
	if (len && s[len - 1] == '.')
		len--; /* one empty last part is dropped */
	for (;;) {
		size_t j = i;
		while (j < len && s[j] != '.')
			j++;
		if (n == 4 || ipv4_number(s + i, j - i, &part[n]) != 0)
			return -1;
		n++;
		if (j == len)
			break;
		i = j + 1;
	}
	for (size_t k = 0; k + 1 < n; k++)
		if (part[k] > 255)
			return -1;
	if (part[n - 1] >= (uint64_t)1 << (8 * (5 - n)))
		return -1;
	uint64_t addr = part[n - 1];
	for (size_t k = 0; k + 1 < n; k++)
		addr += part[k] << (8 * (3 - k));
	*ip = (sg_ip){0};
	for (int k = 0; k < 4; k++)
		ip->b[k] = (uint8_t)(addr >> (24 - 8 * k));
	return 0;
}

static int forbidden_domain_point(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '#' || c == '%' || c == '/' || c == ':' || c == '<' ||
	       c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
	       c == '|';
}

/* A label "xn--..." must be valid punycode: libidn2 checks it. */
static int has_alabel(const char *s, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if ((i == 0 || s[i - 1] == '.') && (s[i] | 0x20) == 'x' && (s[i + 1] | 0x20) == 'n' &&
		    s[i + 2] == '-' && s[i + 3] == '-')
			return 1;
	return 0;
}

/* The host parser for a special URL's host text h (tabs/newlines removed). */
static int parse_host(const char *h, size_t len, sg_reading *out)
{
	if (len == 0)
		return 0;
	if (h[0] == '[') {
		sg_ip ip = {0};
		size_t zone = 0;
		if (len < 3 || h[len - 1] != ']' ||
		    sg_ipv6_parse(h + 1, len - 2, ip.b, &zone) != SG_OK || zone != len - 2)
			return 0;
		ip.v6 = 1;
		return sg_reading_ip(out, "whatwg", &ip, NULL, 0);
	}
	char stack[HOST_STACK], *dec = len <= sizeof stack ? stack : malloc(len);
	if (!dec)
		return -1;
	size_t dlen = sg_pct_decode(h, len, dec);
	char abuf[HOST_STACK], *ascii = NULL;
	int rc = sg_reading_ascii(dec, dlen, 0, abuf, sizeof abuf, &ascii);
	if (rc == 1 && has_alabel(ascii, strlen(ascii)))
		rc = sg_reading_alabels_ok(ascii);
	if (dec != stack)
		free(dec);
	if (rc != 1) {
		if (ascii != abuf)
			free(ascii);
		return rc;
	}
	size_t alen = strlen(ascii);
	int result = 0;
	for (size_t i = 0; i < alen; i++)
		if (forbidden_domain_point((unsigned char)ascii[i]))
			goto done;
	if (alen == 0)
		goto done;
	if (ends_in_number(ascii, alen)) {
		sg_ip ip;
		if (ipv4_parse(ascii, alen, &ip) == 0)
			result = sg_reading_ip(out, "whatwg", &ip, ascii, alen);
		goto done;
	}
	result = sg_reading_name(out, "whatwg", ascii, alen);
done:
	if (ascii != abuf)
		free(ascii);
	return result;
}

int sg_read_whatwg(const char *url, size_t len, sg_reading *out)
{
	/* Leading and trailing C0 controls and spaces are stripped. */
	size_t i = 0;
	while (i < len && (unsigned char)url[i] <= 0x20)
		i++;
	while (len > i && (unsigned char)url[len - 1] <= 0x20)
		len--;
	size_t colon = special_scheme(url, len, i);
	if (!colon)
		return 0;
	/* Special authority (ignore) slashes: any run of '/' and '\'. */
	i = colon + 1;
	while (i < len && (url[i] == '/' || url[i] == '\\' || tab_or_newline(url[i])))
		i++;
	/* Authority: up to '/', '\', '?' or '#'; the host follows the last '@'. */
	size_t start = i, at = SIZE_MAX;
	for (; i < len; i++) {
		char c = url[i];
		if (c == '/' || c == '\\' || c == '?' || c == '#')
			break;
		if (c == '@')
			at = i;
	}
	size_t end = i, hs = at == SIZE_MAX ? start : at + 1;
	/* Host and port: ':' outside brackets; the port must be digits <= 65535. */
	size_t he = hs;
	int bracket = 0;
	for (; he < end; he++) {
		if (url[he] == '[')
			bracket = 1;
		else if (url[he] == ']')
			bracket = 0;
		else if (url[he] == ':' && !bracket)
			break;
	}
	uint32_t port = 0;
	for (size_t k = he + 1; k < end; k++) {
		if (tab_or_newline(url[k]))
			continue;
		if (!digit(url[k]))
			return 0;
		port = port * 10 + (uint32_t)(url[k] - '0');
		if (port > 65535)
			return 0;
	}
	/* The host text without tabs and newlines. */
	size_t hlen = he - hs;
	char stack[HOST_STACK], *h = hlen <= sizeof stack ? stack : malloc(hlen);
	if (!h)
		return -1;
	size_t n = 0;
	for (size_t k = hs; k < he; k++)
		if (!tab_or_newline(url[k]))
			h[n++] = url[k];
	int rc = parse_host(h, n, out);
	if (h != stack)
		free(h);
	return rc;
}
