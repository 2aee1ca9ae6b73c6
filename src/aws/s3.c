/* s3.c — S3 object reads and writes (see s3.h). */
#include "aws/s3.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

bool aws_s3_bucket_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n < 3 || n > 63)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

bool aws_s3_key_ok(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n < 1 || n > 1024 ||
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-") != n)
		return false;
	for (const char *seg = key;;) {
		size_t l = strcspn(seg, "/");
		if (l == 0 || (l == 1 && seg[0] == '.') || (l == 2 && !strncmp(seg, "..", 2)))
			return false;
		if (!seg[l])
			return true;
		seg += l + 1;
	}
}

sg_err aws_s3_get_object(struct aws_client *c, const char *bucket, const char *key, char **body,
                         size_t *len, struct aws_error *err)
{
	*body = NULL;
	*len = 0;
	if (!aws_s3_bucket_ok(bucket) || !aws_s3_key_ok(key))
		return SG_ERR_INVAL;
	char path[1100];
	snprintf(path, sizeof path, "%s/%s", bucket, key);
	sg_err rc = aws_rest_get(c, AWS_S3, "GetObject", path, path, body, len, err);
	if (rc == SG_ERR_REMOTE && err && err->http_status == 404)
		rc = SG_ERR_NOTFOUND; /* NoSuchKey, NoSuchBucket */
	return rc;
}

/* SHA-256 of a stream, started again at each attempt. */
struct digest {
	EVP_MD_CTX *md;
	uint64_t bytes;
	int bad;
};

static void digest_restart(void *ctx)
{
	struct digest *d = ctx;
	d->bytes = 0;
	d->bad |= !EVP_DigestInit_ex(d->md, EVP_sha256(), NULL);
}

static int digest_data(void *ctx, const char *p, size_t n)
{
	struct digest *d = ctx;
	d->bytes += n;
	d->bad |= !EVP_DigestUpdate(d->md, p, n);
	return d->bad;
}

sg_err aws_s3_object_sha256(struct aws_client *c, const char *bucket, const char *key,
                            char hex[65], uint64_t *bytes, struct aws_error *err)
{
	hex[0] = '\0';
	*bytes = 0;
	if (!aws_s3_bucket_ok(bucket) || !aws_s3_key_ok(key))
		return SG_ERR_INVAL;
	char path[1100];
	snprintf(path, sizeof path, "%s/%s", bucket, key);
	struct digest d = {.md = EVP_MD_CTX_new()};
	if (!d.md)
		return SG_ERR_NOMEM;
	struct aws_stream sink = {digest_restart, digest_data, &d};
	sg_err rc = aws_rest_get_stream(c, AWS_S3, "GetObject", path, path, &sink, err);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!rc && (d.bad || !EVP_DigestFinal_ex(d.md, md, &mdlen) || mdlen != 32))
		rc = SG_ERR_NOMEM;
	EVP_MD_CTX_free(d.md);
	if (rc == SG_ERR_REMOTE && err && err->http_status == 404)
		rc = SG_ERR_NOTFOUND;
	if (rc)
		return rc;
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	*bytes = d.bytes;
	return SG_OK;
}

sg_err aws_s3_put_object(struct aws_client *c, const char *bucket, const char *key,
                         const char *content_type, const char *body, size_t len,
                         struct aws_error *err)
{
	if (!aws_s3_bucket_ok(bucket) || !aws_s3_key_ok(key))
		return SG_ERR_INVAL;
	char path[1100];
	snprintf(path, sizeof path, "%s/%s", bucket, key);
	return aws_rest_put(c, AWS_S3, "PutObject", path, path, content_type, body, len, err);
}
