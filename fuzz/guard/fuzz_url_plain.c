/*
 * fuzz_url_plain.c — plainurl.h's claim, differentially: on every URL
 * sg_url_plain() takes, libcurl's own parser (curl_url_set with the flags
 * sg_check_url uses) accepts the URL and reads exactly the same scheme,
 * host and port.  sg_check_url() skips libcurl on those URLs, so this is
 * what keeps its verdict libcurl's.
 *
 * Each input is tried whole, without its first byte (the guard_url corpus
 * spends that byte on a policy choice), and as the recipe of a built URL
 * (agree_built); the test replays the guard's URL corpora (guard_url,
 * guard_read_whatwg, guard_read_urllib) besides this target's own.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard/plainurl.h"

static void agree(const char *url, size_t len)
{
	sg_plain_url pu;
	if (len > 70000 || !sg_url_plain(url, len, &pu))
		return;
	char *copy = malloc(len + 1);
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	if (!copy || !h)
		goto done; /* out of memory: nothing to compare */
	memcpy(copy, url, len);
	copy[len] = '\0';
	if (curl_url_set(h, CURLUPART_URL, copy, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		__builtin_trap(); /* plain, yet libcurl refuses it */
	if (strlen(scheme) != pu.scheme_len || memcmp(scheme, url, pu.scheme_len) != 0)
		__builtin_trap();
	if (strlen(host) != pu.host_len || memcmp(host, pu.host, pu.host_len) != 0)
		__builtin_trap();
	if (strtoul(port, NULL, 10) != pu.port)
		__builtin_trap();
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	free(copy);
}

/* A URL built from the bytes, plain more often than not: a scheme, a host
 * of host characters, maybe a port, then the bytes as printable ASCII (or
 * raw).  Arbitrary bytes alone seldom make a plain URL, and libcurl's
 * branches are not instrumented, so this is how its side gets exercised. */
static void agree_built(const uint8_t *d, size_t n)
{
	static const char hostc[] = "abcxyz019.-";
	char url[600];
	size_t o = 0, i = 0;
	if (n < 3)
		return;
	const char *scheme = d[0] & 1 ? "https://" : "http://";
	memcpy(url, scheme, strlen(scheme));
	o = strlen(scheme);
	size_t hl = d[1] % 24u + 1;
	for (i = 2; i < n && hl; i++, hl--)
		url[o++] = hostc[d[i] % (sizeof hostc - 1)];
	if (d[0] & 2 && i + 1 < n) {
		o += (size_t)snprintf(url + o, 8, ":%u", (unsigned)(d[i] << 8 | d[i + 1]) % 70000u);
		i += 2;
	}
	int raw = d[0] & 4;
	if (i < n && !raw)
		url[o++] = "/?#"[d[i++] % 3];
	for (; i < n && o < sizeof url; i++)
		url[o++] = raw ? (char)d[i] : (char)(0x21 + d[i] % 94);
	agree(url, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	agree((const char *)data, size);
	if (size > 0)
		agree((const char *)data + 1, size - 1);
	agree_built(data, size);
	return 0;
}
