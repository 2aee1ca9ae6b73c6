/* credentials.c — credential parsing: INI shared files, JSON documents (see credentials.h). */
#include "aws/credentials.h"

#include <openssl/crypto.h>
#include <time.h>

#include "aws/json.h"

#define INI_MAX_BYTES (1u << 20)

void aws_credentials_wipe(struct aws_credentials *c)
{
	if (c)
		OPENSSL_cleanse(c, sizeof *c);
}

void aws_credentials_describe(const struct aws_credentials *c, char *out, size_t outlen)
{
	if (!out || !outlen)
		return;
	if (!c || !c->access_key_id[0]) {
		snprintf(out, outlen, "(no credentials)");
		return;
	}
	size_t l = strlen(c->access_key_id);
	const char *tail = l > 4 ? c->access_key_id + l - 4 : "";
	char when[32] = "never";
	if (c->expiration) {
		time_t t = (time_t)c->expiration;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(out, outlen, "%.4s...%s (%s%s, expires %s)", c->access_key_id, tail,
	         c->source[0] ? c->source : "?", c->session_token[0] ? ", session" : "", when);
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *rtrim(const char *start, const char *end)
{
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end;
}

sg_err aws_ini_get(const char *buf, size_t len, const char *section, const char *key, char *out,
                   size_t outlen)
{
	if (!buf || !section || !key || !out || !outlen)
		return SG_ERR_INVAL;
	out[0] = '\0';
	if (len > INI_MAX_BYTES)
		return SG_ERR_RANGE;
	const char *p = buf, *end = buf + len;
	int in_section = 0;
	size_t sl = strlen(section), kl = strlen(key);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = skip_ws(p, le);
		const char *e = rtrim(s, le);
		p = nl ? nl + 1 : end;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			const char *close = memchr(s, ']', (size_t)(e - s));
			if (!close)
				return SG_ERR_PARSE;
			const char *ns = skip_ws(s + 1, close);
			const char *ne = rtrim(ns, close);
			/* "profile   name" counts as "profile name" */
			if (sl > 8 && !strncmp(section, "profile ", 8) && (size_t)(ne - ns) > 8 &&
			    !strncmp(ns, "profile", 7) && (ns[7] == ' ' || ns[7] == '\t')) {
				const char *nn = skip_ws(ns + 7, ne);
				in_section = (size_t)(ne - nn) == sl - 8 && !memcmp(nn, section + 8, sl - 8);
			} else {
				in_section = (size_t)(ne - ns) == sl && !memcmp(ns, section, sl);
			}
			continue;
		}
		if (!in_section)
			continue;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			continue;
		const char *ke = rtrim(s, eq);
		if ((size_t)(ke - s) != kl || memcmp(s, key, kl))
			continue;
		const char *vs = skip_ws(eq + 1, e);
		size_t vl = (size_t)(e - vs);
		if (vl + 1 > outlen)
			return SG_ERR_RANGE;
		memcpy(out, vs, vl);
		out[vl] = '\0';
		return SG_OK;
	}
	return SG_ERR_NOTFOUND;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

sg_err aws_parse_iso8601(const char *s, long long *out)
{
	int Y, M, D, h, m, sec;
	if (!s || !out || strlen(s) < 20)
		return SG_ERR_PARSE;
	if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &m) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return SG_ERR_PARSE;
	const char *t = s + 19;
	if (*t == '.') {
		t++;
		while (*t >= '0' && *t <= '9')
			t++;
	}
	if (strcmp(t, "Z") && strcmp(t, "+00:00"))
		return SG_ERR_PARSE;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return SG_ERR_PARSE;
	/* days from civil (Howard Hinnant), no timegm/TZ state involved */
	int y = Y - (M <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097 + doe - 719468;
	*out = days * 86400 + h * 3600 + m * 60 + sec;
	return SG_OK;
}

static sg_err copy_field(char *dst, size_t dstlen, const char *src, int required)
{
	if (!src) {
		dst[0] = '\0';
		return required ? SG_ERR_PROTOCOL : SG_OK;
	}
	size_t l = strlen(src);
	if (l + 1 > dstlen)
		return SG_ERR_RANGE;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)src[i] <= ' ' || (unsigned char)src[i] == 0x7f)
			return SG_ERR_PROTOCOL;
	memcpy(dst, src, l + 1);
	return SG_OK;
}

sg_err aws_credentials_from_json(const char *buf, size_t len, const char *source,
                                 struct aws_credentials *out)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = 64u << 10, .max_depth = 4};
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	sg_err rc = aws_json_parse(buf, len, &lim, &j);
	if (rc)
		return rc == SG_ERR_NOMEM ? rc : SG_ERR_PROTOCOL;
	rc = SG_ERR_PROTOCOL;
	const char *code = aws_json_str(j, "Code");
	if (!json_is_object(j) || (code && strcmp(code, "Success")))
		goto fail;
	rc = copy_field(out->access_key_id, sizeof out->access_key_id,
	                aws_json_str(j, "AccessKeyId"), 1);
	if (!rc)
		rc = copy_field(out->secret_access_key, sizeof out->secret_access_key,
		                aws_json_str(j, "SecretAccessKey"), 1);
	/* IMDS and the container say "Token"; a credential_process says
	 * "SessionToken" and "Version": 1 */
	const char *token = aws_json_str(j, "Token");
	if (!token)
		token = aws_json_str(j, "SessionToken");
	json_t *version = json_object_get(j, "Version");
	if (version && json_integer_value(version) != 1)
		rc = SG_ERR_PROTOCOL;
	if (!rc)
		rc = copy_field(out->session_token, sizeof out->session_token, token, 0);
	if (rc)
		goto fail;
	const char *exp = aws_json_str(j, "Expiration");
	if (exp && aws_parse_iso8601(exp, &out->expiration) != SG_OK) {
		rc = SG_ERR_PROTOCOL;
		goto fail;
	}
	snprintf(out->source, sizeof out->source, "%s", source ? source : "");
	json_decref(j);
	return SG_OK;
fail:
	json_decref(j);
	aws_credentials_wipe(out);
	return rc;
}
