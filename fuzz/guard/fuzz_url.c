/*
 * fuzz_url.c — stage 1 (sg_check_url) on arbitrary bytes.
 *
 * Beyond "no crash, no leak, no overflow" (ASan/UBSan), each verdict must be
 * consistent: every string field NUL-terminated; an allowed literal address
 * must also be allowed by stage 2 for the same address; a blocked verdict
 * names a category other than public/allowed; the scheme, and an IPv4 host
 * libcurl itself normalised, are the same as libcurl's.  The first input byte picks
 * the default policy or one with allow/deny rules and an extra scheme.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>

#include "guard/intent.h"
#include "ssrfguard/guard.h"

static int reads_as(const sg_reading *r, const sg_host *h)
{
	if (r->is_ip != h->is_ip)
		return 0;
	if (r->is_ip)
		return memcmp(&r->ip, &h->ip, sizeof r->ip) == 0;
	return r->host_len == h->name_len && !memcmp(r->host, h->name, h->name_len);
}

/* sg_intent_plain's claim: on a plain URL every reader reads libcurl's host. */
static void plain_means_agreed(const char *url, size_t len, const sg_verdict *v)
{
	sg_host h;
	const char *why;
	if (!v->host[0] || sg_host_normalise(v->host, strlen(v->host), &h, &why) != SG_OK ||
	    !sg_intent_plain(url, len, &h))
		return;
	sg_reading w, u[2];
	size_t nu = 0;
	int rc = sg_read_whatwg(url, len, &w);
	if (rc == 1 && !reads_as(&w, &h))
		__builtin_trap();
	if (sg_read_urllib(url, len, u, &nu) == 0)
		for (size_t k = 0; k < nu; k++)
			if (!reads_as(&u[k], &h))
				__builtin_trap();
	sg_ip n[2];
	const char *what[2];
	size_t nn = sg_read_numbers(h.name, h.name_len, n, what);
	for (size_t k = 0; k < nn; k++)
		if (!h.is_ip || memcmp(&n[k], &h.ip, sizeof n[k]) != 0)
			__builtin_trap();
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sg_policy *p = NULL;
	if (size == 0 || sg_policy_new(&p) != SG_OK)
		return 0;
	if (data[0] & 1) {
		static const char rules[] = "allow 203.0.113.0/24\n"
		                            "deny 203.0.113.7\n"
		                            "allow *.internal.example\n"
		                            "deny evil.example:8080\n"
		                            "allow [fd00::1]:443\n"
		                            "scheme ftp\n";
		if (sg_policy_parse(p, rules, sizeof rules - 1, NULL, 0) != SG_OK)
			__builtin_trap();
	}
	sg_verdict v;
	sg_err e = sg_check_url(p, (const char *)data + 1, size - 1, &v);
	if (e != SG_OK && e != SG_ERR_NOMEM)
		__builtin_trap();
	if (!terminated(v.scheme, sizeof v.scheme) || !terminated(v.host, sizeof v.host) ||
	    !terminated(v.addr, sizeof v.addr) || !terminated(v.rule, sizeof v.rule) ||
	    !terminated(v.reason, sizeof v.reason))
		__builtin_trap();
	if (v.action == SG_BLOCK && (v.category == SG_CAT_PUBLIC || v.category == SG_CAT_ALLOWED))
		__builtin_trap();
	if (v.action == SG_ALLOW && v.category != SG_CAT_PUBLIC && v.category != SG_CAT_ALLOWED)
		__builtin_trap();
	plain_means_agreed((const char *)data + 1, size - 1, &v);
	/* Our scheme is libcurl's scheme whenever libcurl accepted the URL. */
	if (v.category != SG_CAT_MALFORMED && size - 1 < 60000) {
		char *copy = malloc(size);
		CURLU *h = curl_url();
		char *scheme = NULL;
		if (copy && h) {
			memcpy(copy, data + 1, size - 1);
			copy[size - 1] = '\0';
			char *host = NULL;
			struct in_addr a4;
			if (curl_url_set(h, CURLUPART_URL, copy, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
			    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
			    strlen(scheme) < SG_SCHEME_MAX && strcmp(scheme, v.scheme) != 0)
				__builtin_trap();
			/* A host libcurl normalised to a dotted quad is that address for us too. */
			if (v.category != SG_CAT_SCHEME &&
			    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
			    inet_pton(AF_INET, host, &a4) == 1 && strcmp(host, v.addr) != 0)
				__builtin_trap();
			curl_free(host);
		}
		curl_free(scheme);
		curl_url_cleanup(h);
		free(copy);
	}
	if (v.action == SG_ALLOW && !v.needs_resolve) {
		/* A literal: stage 2 on the same address must agree. */
		struct sockaddr_in6 in6 = {0};
		struct sockaddr_in in = {0};
		const struct sockaddr *sa;
		socklen_t len;
		if (inet_pton(AF_INET, v.addr, &in.sin_addr) == 1) {
			in.sin_family = AF_INET;
			in.sin_port = htons(v.port);
			sa = (const struct sockaddr *)&in;
			len = sizeof in;
		} else if (inet_pton(AF_INET6, v.addr, &in6.sin6_addr) == 1) {
			in6.sin6_family = AF_INET6;
			in6.sin6_port = htons(v.port);
			sa = (const struct sockaddr *)&in6;
			len = sizeof in6;
		} else {
			__builtin_trap(); /* allowed without an address */
		}
		sg_verdict v2;
		if (sg_check_addr(p, sa, len, NULL, &v2) != SG_OK || v2.action != SG_ALLOW)
			__builtin_trap();
	}
	sg_policy_free(p);
	return 0;
}
