/* sigv4.c — AWS Signature Version 4 (see sigv4.h). */
#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <time.h>

#include "aws/uri.h"

#define SIGV4_MAX_HEADERS 64
#define SIGV4_MAX_QUERY 4096
#define SIGV4_MAX_CANON (1u << 20)

void aws_sha256_hex(const void *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(data, len, md);
	for (size_t i = 0; i < sizeof md; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

sg_err aws_amz_date(long long t, char out[17])
{
	if (t < 0 || t > 253402300799LL)
		return SG_ERR_RANGE;
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm))
		return SG_ERR_RANGE;
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return SG_ERR_RANGE;
	return SG_OK;
}

/* One header after lower-casing and trimming, in input order. */
struct hdr {
	char *name;
	sg_buf value;
	size_t order;
};

static int valid_header_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c >= 127 || c == ':')
			return 0;
	}
	return 1;
}

static int valid_header_value(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || *s == '\0')
			return 0;
	return 1;
}

/* Append value trimmed, with runs of spaces/tabs collapsed to one space. */
static void append_trimmed(sg_buf *b, const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	int pending_space = 0;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			pending_space = 1;
			continue;
		}
		if (pending_space)
			sg_buf_putc(b, ' ');
		pending_space = 0;
		sg_buf_putc(b, *v);
	}
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct qpair {
	char *k, *v;
};

static int qpair_cmp(const void *a, const void *b)
{
	const struct qpair *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

/* Normalise path: remove "." and ".." segments, merge repeated '/', keep a
 * trailing '/'. Writes the URI-encoded result to b. */
static void canonical_path(sg_buf *b, const char *path)
{
	size_t len = strlen(path);
	/* segments as (start,len) pairs */
	size_t cap = len / 1 + 1;
	size_t *st = malloc(cap * sizeof *st), *ln = malloc(cap * sizeof *ln);
	if (!st || !ln) {
		free(st);
		free(ln);
		if (!b->err)
			b->err = SG_ERR_NOMEM;
		return;
	}
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && path[i] == '/')
			i++;
		size_t s = i;
		while (i < len && path[i] != '/')
			i++;
		size_t l = i - s;
		if (l == 0)
			continue;
		if (l == 1 && path[s] == '.')
			continue;
		if (l == 2 && path[s] == '.' && path[s + 1] == '.') {
			if (n > 0)
				n--;
			continue;
		}
		st[n] = s;
		ln[n] = l;
		n++;
	}
	int trailing = len > 0 && path[len - 1] == '/';
	/* "/a/.." style endings also denote a directory */
	if (len >= 2 && path[len - 1] == '.' && (path[len - 2] == '/' || path[len - 2] == '.'))
		trailing = 1;
	sg_buf_putc(b, '/');
	for (size_t k = 0; k < n; k++) {
		aws_uri_encode(b, path + st[k], ln[k], 0);
		if (k + 1 < n || trailing)
			sg_buf_putc(b, '/');
	}
	free(st);
	free(ln);
}

/* The request's headers into h (each name lower-cased, each value
 * trimmed), sorted by name, in the order given among equal names; *nh
 * counts those made, to be freed whatever happens. */
static sg_err take_headers(const struct aws_sigv4_request *req, struct hdr *h, size_t *nh)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *name = req->headers[i].name, *value = req->headers[i].value;
		if (!name || !value || !valid_header_name(name) || !valid_header_value(value))
			return SG_ERR_INVAL;
		size_t l = strlen(name);
		h[*nh].name = malloc(l + 1);
		if (!h[*nh].name)
			return SG_ERR_NOMEM;
		for (size_t k = 0; k <= l; k++) {
			char c = name[k];
			h[*nh].name[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		sg_buf_init(&h[*nh].value, 0);
		append_trimmed(&h[*nh].value, value);
		sg_buf_append(&h[*nh].value, "", 0);
		h[*nh].order = i;
		sg_err rc = sg_buf_err(&h[*nh].value);
		(*nh)++;
		if (rc)
			return rc;
	}
	qsort(h, *nh, sizeof *h, hdr_cmp);
	return SG_OK;
}

/* The query's pairs into q, URI-encoded and sorted; *nq counts those
 * made, to be freed whatever happens. */
static sg_err take_query(const struct aws_sigv4_request *req, struct qpair *q, size_t *nq)
{
	for (size_t i = 0; i < req->nquery; i++) {
		sg_buf kb, vb;
		sg_buf_init(&kb, 0);
		sg_buf_init(&vb, 0);
		if (!req->query[i].name || !req->query[i].value)
			return SG_ERR_INVAL;
		aws_uri_encode(&kb, req->query[i].name, strlen(req->query[i].name), 0);
		aws_uri_encode(&vb, req->query[i].value, strlen(req->query[i].value), 0);
		q[*nq].k = sg_buf_take(&kb, NULL);
		q[*nq].v = sg_buf_take(&vb, NULL);
		(*nq)++;
		if (!q[*nq - 1].k || !q[*nq - 1].v)
			return SG_ERR_NOMEM;
	}
	qsort(q, *nq, sizeof *q, qpair_cmp);
	return SG_OK;
}

/* The canonical request's lines: method, path, query, headers (values of
 * one name joined by commas), signed header names, payload hash. */
static void write_canonical(sg_buf *b, const struct aws_sigv4_request *req, const struct hdr *h,
                            size_t nh, const struct qpair *q, size_t nq)
{
	sg_buf_puts(b, req->method);
	sg_buf_putc(b, '\n');
	canonical_path(b, req->path);
	sg_buf_putc(b, '\n');
	for (size_t i = 0; i < nq; i++) {
		if (i)
			sg_buf_putc(b, '&');
		sg_buf_puts(b, q[i].k);
		sg_buf_putc(b, '=');
		sg_buf_puts(b, q[i].v);
	}
	sg_buf_putc(b, '\n');
	for (size_t i = 0; i < nh; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name)) {
			sg_buf_putc(b, ',');
		} else {
			if (i)
				sg_buf_putc(b, '\n');
			sg_buf_puts(b, h[i].name);
			sg_buf_putc(b, ':');
		}
		sg_buf_puts(b, h[i].value.p ? h[i].value.p : "");
	}
	sg_buf_puts(b, "\n\n");
	for (size_t i = 0; i < nh; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name))
			continue;
		if (i)
			sg_buf_putc(b, ';');
		sg_buf_puts(b, h[i].name);
	}
	sg_buf_putc(b, '\n');
	sg_buf_puts(b, req->payload_sha256);
}

sg_err aws_sigv4_canonical_request(const struct aws_sigv4_request *req, char **out)
{
	struct hdr *h = NULL;
	struct qpair *q = NULL;
	size_t nh = 0, nq = 0;
	sg_err rc = SG_ERR_INVAL;
	sg_buf b;
	sg_buf_init(&b, SIGV4_MAX_CANON);
	*out = NULL;

	if (!req || !req->method || !req->path || req->path[0] != '/' || !req->payload_sha256 ||
	    strlen(req->payload_sha256) != 64 || (req->nheaders && !req->headers) ||
	    (req->nquery && !req->query))
		goto fail;
	rc = SG_ERR_RANGE;
	if (req->nheaders > SIGV4_MAX_HEADERS || req->nquery > SIGV4_MAX_QUERY)
		goto fail;
	rc = SG_ERR_NOMEM;
	h = calloc(req->nheaders + 1, sizeof *h);
	q = calloc(req->nquery + 1, sizeof *q);
	if (!h || !q)
		goto fail;
	if ((rc = take_headers(req, h, &nh)) || (rc = take_query(req, q, &nq)))
		goto fail;
	write_canonical(&b, req, h, nh, q, nq);
	rc = sg_buf_err(&b);
	if (rc)
		goto fail;
	*out = sg_buf_take(&b, NULL);
	rc = *out ? SG_OK : SG_ERR_NOMEM;
fail:
	if (h)
		for (size_t i = 0; i < nh; i++) {
			free(h[i].name);
			sg_buf_free(&h[i].value);
		}
	if (q)
		for (size_t i = 0; i < nq; i++) {
			free(q[i].k);
			free(q[i].v);
		}
	free(h);
	free(q);
	sg_buf_free(&b);
	return rc;
}

static int valid_scope_part(const char *s, size_t max)
{
	size_t n = 0;
	if (!s || !*s)
		return 0;
	for (; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;
		if (n >= max || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		                  c == '_' || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

static int valid_amz_date(const char *d)
{
	if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

static int valid_signer(const struct aws_sigv4_signer *s)
{
	return s && s->access_key_id && *s->access_key_id && s->secret_access_key &&
	       *s->secret_access_key && valid_scope_part(s->region, 64) &&
	       valid_scope_part(s->service, 64) && valid_amz_date(s->amz_date) &&
	       valid_scope_part(s->access_key_id, 128);
}

sg_err aws_sigv4_string_to_sign(const struct aws_sigv4_signer *s, const char *canonical_request,
                                char **out)
{
	*out = NULL;
	if (!valid_signer(s) || !canonical_request)
		return SG_ERR_INVAL;
	char hash[65];
	aws_sha256_hex(canonical_request, strlen(canonical_request), hash);
	sg_buf b;
	sg_buf_init(&b, 4096);
	sg_buf_printf(&b, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", s->amz_date,
	              s->amz_date, s->region, s->service, hash);
	sg_err rc = sg_buf_err(&b);
	if (rc) {
		sg_buf_free(&b);
		return rc;
	}
	*out = sg_buf_take(&b, NULL);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

static int hmac(const void *key, size_t klen, const void *msg, size_t mlen,
                unsigned char out[32])
{
	unsigned int olen = 32;
	return HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &olen) != NULL && olen == 32;
}

/* Pull the signed header list (names, sorted, unique, ';'-joined) out of a
 * canonical request: it is the line before the last. */
static int signed_headers_of(const char *creq, const char **start, size_t *len)
{
	const char *last = strrchr(creq, '\n');
	if (!last || last == creq)
		return 0;
	const char *p = last - 1;
	while (p > creq && *p != '\n')
		p--;
	if (*p != '\n')
		return 0;
	*start = p + 1;
	*len = (size_t)(last - (p + 1));
	return 1;
}

sg_err aws_sigv4_authorization(const struct aws_sigv4_signer *s,
                               const struct aws_sigv4_request *req, char *auth, size_t authlen)
{
	char *creq = NULL, *sts = NULL;
	unsigned char k[32], sig[32];
	sg_err rc = SG_ERR_INVAL;
	if (!auth || authlen == 0)
		return SG_ERR_INVAL;
	auth[0] = '\0';
	if (!valid_signer(s))
		goto fail;
	rc = aws_sigv4_canonical_request(req, &creq);
	if (rc)
		goto fail;
	rc = aws_sigv4_string_to_sign(s, creq, &sts);
	if (rc)
		goto fail;

	/* kSecret = "AWS4" + secret; kDate; kRegion; kService; kSigning */
	{
		size_t sl = strlen(s->secret_access_key);
		unsigned char *ks = malloc(sl + 4);
		rc = SG_ERR_NOMEM;
		if (!ks)
			goto fail;
		memcpy(ks, "AWS4", 4);
		memcpy(ks + 4, s->secret_access_key, sl);
		int ok = hmac(ks, sl + 4, s->amz_date, 8, k);
		OPENSSL_cleanse(ks, sl + 4);
		free(ks);
		rc = SG_ERR_INVAL;
		if (!ok || !hmac(k, 32, s->region, strlen(s->region), k) ||
		    !hmac(k, 32, s->service, strlen(s->service), k) ||
		    !hmac(k, 32, "aws4_request", 12, k) || !hmac(k, 32, sts, strlen(sts), sig))
			goto fail;
	}
	const char *sh;
	size_t shlen;
	rc = SG_ERR_INVAL;
	if (!signed_headers_of(creq, &sh, &shlen))
		goto fail;
	char hex[65];
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[sig[i] >> 4];
		hex[2 * i + 1] = digits[sig[i] & 15];
	}
	hex[64] = '\0';
	int n = snprintf(auth, authlen,
	                 "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
	                 "SignedHeaders=%.*s, Signature=%s",
	                 s->access_key_id, s->amz_date, s->region, s->service, (int)shlen, sh, hex);
	rc = (n < 0 || (size_t)n >= authlen) ? SG_ERR_RANGE : SG_OK;
	if (rc)
		auth[0] = '\0';
fail:
	OPENSSL_cleanse(k, sizeof k);
	free(creq);
	free(sts);
	return rc;
}
