/*
 * request.h — one signed HTTP request of an AWS call (src/aws internal).
 *
 * A call's protocol (calls.c) says what to send in a wire_req; this builds
 * the request from it: the endpoint's URL and path (with the REST subpath),
 * the Host, Content-Type, X-Amz-Date and X-Amz-Target headers, the payload
 * hash (x-amz-content-sha256 for S3), the session token and the SigV4
 * Authorization (an anonymous client sends neither), and performs it once
 * over the client's libcurl handle (http.c).  No retry here: attempts.c
 * decides whether to send again.  The signature is wiped after use.
 */
#ifndef SG_SRC_AWS_REQUEST_H
#define SG_SRC_AWS_REQUEST_H

#include "aws/client_int.h"

enum wire { WIRE_XML, WIRE_JSON };

/* What one request sends. */
struct wire_req {
	enum wire wire;            /* how an error answer is decoded */
	const char *method;        /* "POST"; REST (S3): "GET", "HEAD", "PUT" */
	const char *subpath;       /* appended to the endpoint's path ("bucket/key"; NULL: none);
	                              plain characters only (see s3.c) */
	const char *content_type;  /* NULL: none */
	const char *target;        /* X-Amz-Target, JSON only */
	const char *body;
	size_t body_len;
	const struct aws_stream *stream; /* REST GET: the 2xx body goes here */
};

/*
 * Send w to service svc once, signed with the client's credentials at the
 * signing time (clock.h).  fresh: on a new connection, never a reused one
 * (a non-idempotent call).  Results as aws_http_do (http.h): SG_OK when an
 * HTTP answer of any status is in *resp; otherwise *fail and diag say
 * what failed (a path too long or a signing failure: AWS_FAIL_FATAL).
 */
sg_err awsc_send_signed(struct aws_client *c, enum aws_service svc, const struct wire_req *w,
                        int fresh, struct aws_http_resp *resp, enum aws_failure *fail, char *diag,
                        size_t diaglen);

#endif
