/*
 * sigv4.h — AWS Signature Version 4 (pure: no clock, no network).
 *
 * The caller passes the request exactly as it will be sent: method, the
 * decoded path, the decoded query parameters, every header to be signed
 * (Host and X-Amz-Date included, X-Amz-Security-Token when a session token
 * is used) and the hex SHA-256 of the payload.  The signer builds the
 * canonical request the way AWS does for every service except S3:
 *   - the path is normalised (dot segments removed, repeated '/' merged)
 *     and each byte outside A-Za-z0-9-_.~/ percent-encoded;
 *   - query parameters are percent-encoded, then sorted by name then value;
 *   - header names are lower-cased and sorted; duplicate names are joined
 *     with ',' in the order given; values are trimmed and inner runs of
 *     spaces collapsed to one.
 * Region and service are always explicit (IAM signs as us-east-1, STS
 * regional endpoints sign with their region).
 *
 * Secrets: the secret key is only used for HMAC; nothing here copies it
 * into an output or error.
 */
#ifndef SG_AWS_SIGV4_H
#define SG_AWS_SIGV4_H

#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_kv {
	const char *name;
	const char *value;
};

struct aws_sigv4_request {
	const char *method;            /* "GET", "POST" */
	const char *path;              /* decoded, starts with '/' */
	const struct aws_kv *query;    /* decoded name/value pairs; may be NULL */
	size_t nquery;
	const struct aws_kv *headers;  /* all signed headers; names any case */
	size_t nheaders;
	const char *payload_sha256;    /* 64 lower-case hex digits */
};

struct aws_sigv4_signer {
	const char *access_key_id;
	const char *secret_access_key;
	const char *region;            /* e.g. "us-east-1" */
	const char *service;           /* signing name: "ec2", "iam", "sts", ... */
	const char *amz_date;          /* "YYYYMMDDTHHMMSSZ", must match X-Amz-Date */
};

/* Longest Authorization value we produce (scope + signed header list). */
#define AWS_SIGV4_AUTH_MAX 2048

/*
 * Build the canonical request into *out (malloc'd, NUL-terminated, caller
 * frees) — exposed for tests and for the debug log (it holds no secret).
 * SG_ERR_INVAL: missing field or a header name/value with CR/LF or bad chars;
 * SG_ERR_RANGE: too many headers or too long; SG_ERR_NOMEM.
 */
sg_err aws_sigv4_canonical_request(const struct aws_sigv4_request *req, char **out);

/* The string to sign for a canonical request (malloc'd, caller frees). */
sg_err aws_sigv4_string_to_sign(const struct aws_sigv4_signer *s,
                                const char *canonical_request, char **out);

/*
 * The Authorization header value, written to auth[authlen]
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...").
 * SG_ERR_RANGE if authlen is too small; SG_ERR_INVAL on a bad field.
 */
sg_err aws_sigv4_authorization(const struct aws_sigv4_signer *s,
                               const struct aws_sigv4_request *req,
                               char *auth, size_t authlen);

/* Hex SHA-256 of data[len] into hex[65]. */
void aws_sha256_hex(const void *data, size_t len, char hex[65]);

/* Format t (seconds since the epoch, UTC) as an X-Amz-Date "YYYYMMDDTHHMMSSZ". */
sg_err aws_amz_date(long long t, char out[17]);

#endif
