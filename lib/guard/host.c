/* host.c — a URL host to an address or a lower-case ASCII name (see host.h). */
#include <idn2.h>

#include "guard/host.h"

static int is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* libcurl's order: non-transitional with NFC, then transitional. */
static int idna(const char *utf8, char **out)
{
	int rc = idn2_lookup_u8((const uint8_t *)utf8, (uint8_t **)out,
	                        IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		rc = idn2_lookup_u8((const uint8_t *)utf8, (uint8_t **)out, IDN2_TRANSITIONAL);
	return rc;
}

/* Drop trailing dots; lower-case into out->name.  0, or -1 if too long. */
static int set_name(const char *s, size_t len, sg_host *out)
{
	while (len && s[len - 1] == '.')
		len--;
	if (len > SG_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		out->name[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out->name[len] = '\0';
	out->name_len = len;
	return 0;
}

static void try_ip(sg_host *out)
{
	if (out->name_len && sg_ip_parse(out->name, out->name_len, &out->ip) == SG_OK) {
		out->is_ip = 1;
		out->name_len = sg_ip_format(&out->ip, out->name, sizeof out->name);
	}
}

/* Latin-1 bytes to UTF-8 (each byte >= 0x80 becomes two). */
static char *latin1_to_utf8(const char *s, size_t len)
{
	if (len > SIZE_MAX / 2 - 1)
		return NULL;
	char *u = malloc(2 * len + 1);
	if (!u)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			u[n++] = (char)c;
		} else {
			u[n++] = (char)(0xc0 | (c >> 6));
			u[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	u[n] = '\0';
	return u;
}

static sg_err non_ascii(const char *host, size_t len, sg_host *out, const char **why)
{
	char *utf8 = NULL, *latin = NULL, *a1 = NULL, *a2 = NULL;
	sg_err err = SG_ERR_NOMEM;

	utf8 = malloc(len + 1);
	latin = latin1_to_utf8(host, len);
	if (!utf8 || !latin)
		goto fail;
	memcpy(utf8, host, len);
	utf8[len] = '\0';
	int rc1 = memchr(host, 0, len) ? IDN2_ENCODING_ERROR : idna(utf8, &a1);
	int rc2 = memchr(host, 0, len) ? IDN2_ENCODING_ERROR : idna(latin, &a2);
	if (rc1 == IDN2_MALLOC || rc2 == IDN2_MALLOC)
		goto fail;
	err = SG_ERR_PARSE;
	if (rc1 != IDN2_OK && rc2 != IDN2_OK) {
		*why = "the host name fails IDNA (UTS #46) conversion";
		goto fail;
	}
	/* The UTF-8 reading is the host; the Latin-1 one only adds an address. */
	const char *primary = rc1 == IDN2_OK ? a1 : a2;
	if (set_name(primary, strlen(primary), out) != 0) {
		*why = "the host name is longer than 253 octets";
		goto fail;
	}
	if (out->name_len == 0) {
		*why = "the host name is empty";
		goto fail;
	}
	try_ip(out);
	if (rc1 == IDN2_OK && rc2 == IDN2_OK) {
		sg_host other = {0};
		if (set_name(a2, strlen(a2), &other) == 0) {
			try_ip(&other);
			if (other.is_ip && (!out->is_ip || memcmp(&other.ip, &out->ip, sizeof other.ip))) {
				out->alt[0] = other.ip;
				out->nalt = 1;
			}
		}
	}
	err = SG_OK;
fail:
	free(utf8);
	free(latin);
	idn2_free(a1);
	idn2_free(a2);
	return err;
}

sg_err sg_host_normalise(const char *host, size_t len, sg_host *out, const char **why)
{
	memset(out, 0, offsetof(sg_host, name) + 1);
	if (len == 0) {
		*why = "the URL has no host";
		return SG_ERR_PARSE;
	}
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']' ||
		    sg_ipv6_parse(host + 1, len - 2, out->ip.b, NULL) != SG_OK) {
			*why = "the IPv6 address in brackets is invalid";
			return SG_ERR_PARSE;
		}
		out->ip.v6 = 1;
		out->is_ip = 1;
		out->name_len = sg_ip_format(&out->ip, out->name, sizeof out->name);
		return SG_OK;
	}
	if (!is_ascii(host, len))
		return non_ascii(host, len, out, why);
	if (memchr(host, 0, len)) {
		*why = "the host contains a NUL byte";
		return SG_ERR_PARSE;
	}
	if (set_name(host, len, out) != 0) {
		*why = "the host name is longer than 253 octets";
		return SG_ERR_PARSE;
	}
	if (out->name_len == 0) {
		*why = "the host name is empty";
		return SG_ERR_PARSE;
	}
	try_ip(out);
	return SG_OK;
}
