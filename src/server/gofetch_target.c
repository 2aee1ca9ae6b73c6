/* gofetch_target.c — what /go's plain-HTTP client puts in its request
 * line: the origin-form of the hop's URL, as it stands when libcurl would
 * send it so, else through libcurl's URL parser (the guard's parser), and
 * a URL's userinfo as "Authorization: Basic".  See gofetch.h, step 1. */
#include "server/gofetch.h"
#include "server/srv_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a plain origin-form: what libcurl sends exactly as written. */
static int plain_byte(unsigned char b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
	       (b && strchr("-._~!$&'()*+,;=:@/?%", b));
}

/* 1 if libcurl would send origin as it stands: plain bytes, no dot
 * segment (which libcurl removes), no percent-encoded dot. */
static int plain_origin(px_span o)
{
	for (size_t i = 0; i < o.n; i++) {
		unsigned char b = (unsigned char)o.p[i];
		if (!plain_byte(b))
			return 0;
		if (b == '%' && i + 2 < o.n && o.p[i + 1] == '2' && (o.p[i + 2] | 0x20) == 'e')
			return 0;
		if (b == '?')
			break; /* the query is sent as is */
		if (b == '.' && i > 0 && o.p[i - 1] == '/') {
			size_t k = i + 1;
			if (k < o.n && o.p[k] == '.')
				k++;
			if (k == o.n || o.p[k] == '/' || o.p[k] == '?')
				return 0;
		}
	}
	return 1;
}

static int plain_authority(px_span a)
{
	for (size_t i = 0; i < a.n; i++) {
		unsigned char b = (unsigned char)a.p[i];
		if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
		      b == '.' || b == '-' || b == ':' || b == '[' || b == ']'))
			return 0;
	}
	return 1;
}

/* "Authorization: Basic base64(user:password)\r\n", as libcurl sends a
 * URL's userinfo; NULL when out of memory. */
static char *basic_auth(const char *user, const char *pw)
{
	size_t un = strlen(user), pn = strlen(pw);
	size_t raw = un + 1 + pn;
	char *plain = malloc(raw + 1);
	char *out = plain ? malloc(raw / 3 * 4 + 4 + 40) : NULL;
	if (!out) {
		free(plain);
		return NULL;
	}
	memcpy(plain, user, un);
	plain[un] = ':';
	memcpy(plain + un + 1, pw, pn);
	memcpy(out, "Authorization: Basic ", 21);
	int n = EVP_EncodeBlock((unsigned char *)out + 21, (unsigned char *)plain, (int)raw);
	memcpy(out + 21 + n, "\r\n", 3);
	OPENSSL_cleanse(plain, raw);
	free(plain);
	return out;
}

/* The hop's target (and credentials) through libcurl's URL parser. */
static int target_by_curl(job *j)
{
	gf_hop *h = &j->gf;
	CURLU *u = curl_url();
	char *path = NULL, *query = NULL, *user = NULL, *pw = NULL;
	int rc = -1;
	if (!u || curl_url_set(u, CURLUPART_URL, j->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto done;
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_PASSWORD, &pw, CURLU_URLDECODE);
	size_t pn = strlen(path), qn = query ? strlen(query) : 0;
	if (!(h->target = malloc(pn + qn + 2)))
		goto done;
	memcpy(h->target, path, pn);
	if (query) {
		h->target[pn] = '?';
		memcpy(h->target + pn + 1, query, qn);
		pn += qn + 1;
	}
	h->target[pn] = '\0';
	h->tp = h->target;
	h->tlen = pn;
	h->tslash = pn == 0 || h->target[0] != '/';
	if ((user || pw) && !(h->auth = basic_auth(user ? user : "", pw ? pw : "")))
		goto done;
	rc = 0;
done:
	curl_free(path);
	curl_free(query);
	if (user)
		OPENSSL_cleanse(user, strlen(user));
	if (pw)
		OPENSSL_cleanse(pw, strlen(pw));
	curl_free(user);
	curl_free(pw);
	curl_url_cleanup(u);
	return rc;
}

int gf_hop_target(job *j)
{
	gf_hop *h = &j->gf;
	px_span url = {j->url, strlen(j->url)}, scheme, auth, origin;
	int slash = 0;
	if (px_split_absolute(url, &scheme, &auth, &origin, &slash) == 0 &&
	    px_span_ieq(scheme, "http") && plain_authority(auth) && plain_origin(origin)) {
		h->tp = origin.p;
		h->tlen = origin.n;
		h->tslash = slash;
		return 0;
	}
	return target_by_curl(j);
}
