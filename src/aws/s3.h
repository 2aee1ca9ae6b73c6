/*
 * s3.h — S3 object reads, digests and writes (REST, path-style: https://s3.REGION.amazonaws.com/
 * BUCKET/KEY, or BUCKET/KEY under an endpoint override), for evidence the
 * SSM agent uploaded.  Conventions as in ec2.h.
 *
 * Names are checked before anything is sent: a bucket is 3-63 of
 * [a-z0-9.-]; a key is 1-1024 of [A-Za-z0-9._/-] with no empty, "." or ".."
 * segment (so it needs no URI encoding and signs as sent).  Other names:
 * SG_ERR_INVAL.
 */
#ifndef SG_SRC_AWS_S3_H
#define SG_SRC_AWS_S3_H

#include <stddef.h>
#include <stdint.h>

#include "aws/aws.h"

/* GetObject: the whole object -> *body (malloc'd, caller frees), *len.
 * SG_ERR_NOTFOUND: NoSuchKey / NoSuchBucket; SG_ERR_RANGE: over 16 MiB. */
sg_err aws_s3_get_object(struct aws_client *c, const char *bucket, const char *key, char **body,
                         size_t *len, struct aws_error *err);

/* GetObject streamed through SHA-256, in bounded memory whatever the
 * object's size (a memory image, a large capture): the hex digest of the
 * whole object and its size.  A retried GET starts the digest again.
 * SG_ERR_NOTFOUND: NoSuchKey / NoSuchBucket. */
sg_err aws_s3_object_sha256(struct aws_client *c, const char *bucket, const char *key,
                            char hex[65], uint64_t *bytes, struct aws_error *err);

/* PutObject: len bytes of body as the object's whole content. */
sg_err aws_s3_put_object(struct aws_client *c, const char *bucket, const char *key,
                         const char *content_type, const char *body, size_t len,
                         struct aws_error *err);

/* Is name a bucket name / key aws_s3_get_object accepts? */
bool aws_s3_bucket_ok(const char *name);
bool aws_s3_key_ok(const char *key);

#endif
