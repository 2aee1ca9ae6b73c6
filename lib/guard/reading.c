/* reading.c — what the readers of intent.h share: decoding, IDNA, filling a reading. */
#include <idn2.h>
#include <strings.h>

#include "common/hex.h"
#include "common/utf8.h"
#include "guard/intent.h"

size_t sg_pct_decode(const char *s, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = sg_hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = sg_hex_value((unsigned char)s[i + 2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	return n;
}

static int is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

static int utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = sg_utf8_len(p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * libidn2: non-transitional (unless transitional), then transitional also
 * when that refuses: libidn2 adds IDNA 2008's code point rules, which
 * UTS #46 and IDNA 2003 do not have ("☃" is a valid UTS #46 label).
 */
static int lookup(const char *utf8z, int transitional, char **out)
{
	int rc = IDN2_DISALLOWED;
	*out = NULL;
	if (!transitional)
		rc = idn2_lookup_u8((const uint8_t *)utf8z, (uint8_t **)out,
		                    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK && rc != IDN2_MALLOC)
		rc = idn2_lookup_u8((const uint8_t *)utf8z, (uint8_t **)out, IDN2_TRANSITIONAL);
	return rc;
}

int sg_reading_ascii(const char *s, size_t len, int transitional, char *buf, size_t cap,
                     char **out)
{
	*out = NULL;
	if (memchr(s, 0, len))
		return 0;
	if (is_ascii(s, len)) {
		char *a = len < cap ? buf : malloc(len + 1);
		if (!a)
			return -1;
		for (size_t i = 0; i < len; i++)
			a[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
		a[len] = '\0';
		*out = a;
		return 1;
	}
	if (!utf8_ok(s, len))
		return 0;
	char *z = malloc(len + 1);
	if (!z)
		return -1;
	memcpy(z, s, len);
	z[len] = '\0';
	char *a = NULL;
	int rc = lookup(z, transitional, &a);
	free(z);
	if (rc == IDN2_MALLOC)
		return -1;
	if (rc != IDN2_OK)
		return 0;
	*out = a; /* libidn2 allocates with malloc: idn2_free is free */
	return 1;
}

int sg_reading_alabels_ok(const char *ascii)
{
	char *u = NULL, *a = NULL;
	int rc = idn2_to_unicode_8z8z(ascii, &u, 0);
	if (rc == IDN2_OK)
		rc = lookup(u, 0, &a);
	/* Valid only if the decoded labels map back to themselves (a label of
	 * characters UTS #46 would map, like "xn--pokxncvks", is not). */
	int ok = rc == IDN2_OK && strcasecmp(a, ascii) == 0;
	free(u);
	free(a);
	return rc == IDN2_MALLOC ? -1 : ok;
}

int sg_reading_name(sg_reading *out, const char *reader, const char *name, size_t len)
{
	while (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > SG_NAME_MAX)
		return 0;
	out->reader = reader;
	out->is_ip = 0;
	memcpy(out->host, name, len);
	out->host[len] = '\0';
	out->host_len = len;
	memcpy(out->text, out->host, len + 1);
	out->text_len = len;
	return 1;
}

int sg_reading_ip(sg_reading *out, const char *reader, const sg_ip *ip, const char *text,
                  size_t len)
{
	out->reader = reader;
	out->is_ip = 1;
	out->ip = *ip;
	out->host[0] = '\0';
	out->host_len = 0;
	if (!text)
		len = 0;
	if (len >= sizeof out->text)
		len = sizeof out->text - 1;
	if (len)
		memcpy(out->text, text, len);
	out->text[len] = '\0';
	out->text_len = len;
	return 1;
}

void sg_reading_format(sg_reading *r)
{
	if (r->is_ip && !r->host_len)
		r->host_len = sg_ip_format(&r->ip, r->host, sizeof r->host);
}
