/*
 * url.c — stage 1: sg_check_url().  The URL is parsed by libcurl's own URL
 * API with the flags the fetcher's parse implies, so the host judged here
 * is the host libcurl connects to: userinfo, backslashes, percent-encoding
 * and IPv4 shorthands are libcurl's business, and we read its answer.  A
 * plain URL, on which libcurl has nothing to decide (plainurl.h), is read
 * without it: the same host and port, no allocation.
 */
#include <curl/curl.h>

#include "guard/intent.h"
#include "guard/judge.h"
#include "guard/plainurl.h"
#include "guard/text.h"
#include "guard/verdict.h"

#define STACK_URL 2048

static void malformed(sg_verdict *out, const char *rule, const char *why)
{
	sg_verdict_block(out, SG_CAT_MALFORMED, rule, why);
}

static void curl_malformed(sg_verdict *out, CURLUcode rc)
{
	char rule[32];
	snprintf(rule, sizeof rule, "url:curl-%d", (int)rc);
	size_t at = sg_put(out->reason, sizeof out->reason, 0, "libcurl rejects the URL: ");
	sg_put(out->reason, sizeof out->reason, at, curl_url_strerror(rc));
	out->action = SG_BLOCK;
	out->category = SG_CAT_MALFORMED;
	sg_put(out->rule, sizeof out->rule, 0, rule);
}

/*
 * Length of the scheme prefix ("http" of "http://..."), 0 if none.  This is
 * libcurl 7.88's scanner: letters, digits, '+', '-', '.' from the first
 * character on (it takes "0http:" as a scheme, RFC 3986 would not).
 */
static size_t scheme_len(const char *s, size_t len)
{
	size_t i = 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			break;
	}
	return i < len && s[i] == ':' ? i : 0;
}

static uint16_t port_of(const char *s)
{
	unsigned v = 0;
	for (size_t i = 0; s[i] >= '0' && s[i] <= '9' && i < 5; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v <= 65535 ? (uint16_t)v : 0;
}

static sg_err judge_host(const sg_policy *p, const char *url, size_t len, const char *host,
                         sg_verdict *out)
{
	sg_host h;
	const char *why = NULL;
	sg_err e = sg_host_normalise(host, strlen(host), &h, &why);
	if (e == SG_ERR_NOMEM) {
		malformed(out, "guard:nomem", "out of memory");
		return e;
	}
	if (e != SG_OK) {
		malformed(out, "url:host", why);
		return SG_OK;
	}
	memcpy(out->host, h.name, h.name_len + 1);
	if (h.is_ip)
		sg_judge_ip_text(p, &h.ip, h.name, out->port, NULL, 0, out);
	else if (!sg_judge_name(p, h.name, h.name_len, out->port, out))
		out->needs_resolve = 1;
	/* Another reading of the same bytes that is an address must pass too. */
	for (size_t k = 0; k < h.nalt && out->action == SG_ALLOW; k++) {
		sg_verdict alt = *out;
		sg_judge_ip(p, &h.alt[k], out->port, NULL, 0, &alt);
		if (alt.action == SG_BLOCK) {
			*out = alt;
			out->needs_resolve = 0;
			sg_put(out->reason, sizeof out->reason,
			       strlen(out->reason), " (the host read as Latin-1)");
		}
	}
	return sg_intent_judge(p, url, len, &h, out);
}

/* The scheme (slen bytes at url) lower-cased into out->scheme, and judged
 * by the policy: 1 allowed, 0 when *out now blocks it. */
static int scheme_allowed(const sg_policy *policy, const char *url, size_t slen, sg_verdict *out)
{
	if (slen == 0 || slen >= SG_SCHEME_MAX) {
		sg_verdict_block(out, SG_CAT_SCHEME, "scheme:unknown", "the scheme is not allowed by the policy");
		return 0;
	}
	for (size_t i = 0; i < slen; i++) {
		char c = url[i];
		out->scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	out->scheme[slen] = '\0';
	if (!sg_policy_scheme_ok(policy, out->scheme, slen)) {
		char rule[SG_RULE_MAX];
		size_t at = sg_put(rule, sizeof rule, 0, "scheme:");
		sg_put(rule, sizeof rule, at, out->scheme);
		sg_verdict_block(out, SG_CAT_SCHEME, rule, "the scheme is not allowed by the policy");
		return 0;
	}
	return 1;
}

/* A plain URL (plainurl.h): libcurl would hand back its host and port as
 * written, so they are read without it. */
static sg_err check_plain(const sg_policy *policy, const char *url, size_t len,
                          const sg_plain_url *pu, sg_verdict *out)
{
	char host[SG_HOST_MAX];
	if (!scheme_allowed(policy, url, pu->scheme_len, out))
		return SG_OK;
	memcpy(host, pu->host, pu->host_len); /* at most 253 bytes */
	host[pu->host_len] = '\0';
	out->port = pu->port;
	return judge_host(policy, url, len, host, out);
}

/* Any other URL: libcurl's parser reads it (buf: the URL, NUL-terminated). */
static sg_err check_by_curl(const sg_policy *policy, char *buf, size_t len, sg_verdict *out)
{
	char *host = NULL, *port = NULL;
	sg_err err = SG_OK;
	CURLU *h = curl_url();
	if (!h)
		goto nomem;
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, buf, CURLU_NON_SUPPORT_SCHEME);
	if (rc == CURLUE_OUT_OF_MEMORY)
		goto nomem;
	if (rc != CURLUE_OK) {
		curl_malformed(out, rc);
		goto done;
	}
	/*
	 * The scheme libcurl used is the URL's prefix before ':' (it accepted an
	 * absolute URL, and its scheme scanner is this one), lower-cased; reading
	 * it here saves a curl_url_get() allocation per verdict.  fuzz_url.c
	 * checks the two agree.
	 */
	if (!scheme_allowed(policy, buf, scheme_len(buf, len), out))
		goto done;
	rc = curl_url_get(h, CURLUPART_HOST, &host, 0);
	if (rc == CURLUE_OUT_OF_MEMORY)
		goto nomem;
	if (rc != CURLUE_OK || !host[0]) {
		malformed(out, "url:no-host", "the URL has no host");
		goto done;
	}
	/* The explicit port, else the scheme's default (libcurl's, for any
	 * scheme but the two we know: asking it costs an allocation). */
	rc = curl_url_get(h, CURLUPART_PORT, &port, 0);
	if (rc == CURLUE_NO_PORT) {
		if (!strcmp(out->scheme, "http"))
			out->port = 80;
		else if (!strcmp(out->scheme, "https"))
			out->port = 443;
		else
			rc = curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	}
	if (rc == CURLUE_OUT_OF_MEMORY)
		goto nomem;
	if (rc == CURLUE_OK)
		out->port = port_of(port);
	err = judge_host(policy, buf, len, host, out);
	goto done;

nomem:
	err = SG_ERR_NOMEM;
	malformed(out, "guard:nomem", "out of memory");
done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return err;
}

sg_err sg_check_url(const sg_policy *policy, const char *url, size_t len, sg_verdict *out)
{
	char stackbuf[STACK_URL];
	char *buf = stackbuf;

	if (!out)
		return SG_ERR_INVAL;
	sg_verdict_reset(out);
	if (!policy || (!url && len)) {
		malformed(out, "guard:inval", "invalid arguments");
		return SG_ERR_INVAL;
	}
	if (len == 0) {
		malformed(out, "url:empty", "the URL is empty");
		return SG_OK;
	}
	if (len > SG_URL_MAX) {
		malformed(out, "url:too-long", "the URL is longer than SG_URL_MAX (65536) bytes");
		return SG_OK;
	}
	if (memchr(url, 0, len)) {
		malformed(out, "url:nul", "the URL contains a NUL byte");
		return SG_OK;
	}
	sg_plain_url pu;
	if (sg_url_plain(url, len, &pu))
		return check_plain(policy, url, len, &pu, out);
	if (len >= sizeof stackbuf && !(buf = malloc(len + 1))) {
		malformed(out, "guard:nomem", "out of memory");
		return SG_ERR_NOMEM;
	}
	memcpy(buf, url, len);
	buf[len] = '\0';
	sg_err err = check_by_curl(policy, buf, len, out);
	if (buf != stackbuf)
		free(buf);
	return err;
}
