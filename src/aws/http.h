/*
 * http.h — one HTTP exchange over libcurl: the one HTTP path of the AWS
 * client, IMDS, and the responder's webhook and signed delivery
 * (aws_http_once).
 *
 * HTTPS peers are always verified (CURLOPT_SSL_VERIFYPEER/HOST stay on);
 * ca_bundle replaces the system store (tests point it at their own CA).
 * Only http and https (https alone with https_only), no redirects
 * followed, reply bodies capped.
 * The outcome is classified for the retry policy: could-not-connect
 * (request certainly unsent) vs. failed-after-sending (ambiguous).
 */
#ifndef SG_SRC_AWS_HTTP_H
#define SG_SRC_AWS_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>

#include "aws/retry.h"
#include "aws/sigv4.h"
#include "ssrfguard/error.h"

struct aws_http_req {
	const char *method;             /* "GET", "POST", "PUT" */
	const char *url;
	const struct aws_kv *headers;   /* sent as "Name: value" */
	size_t nheaders;
	const char *body;               /* may be NULL */
	size_t body_len;
	long connect_timeout_ms;
	long timeout_ms;
	const char *ca_bundle;          /* NULL: system store */
	size_t max_reply;               /* 0: 16 MiB */
	int fresh_connection;           /* never reuse a connection: libcurl silently
	                                   re-sends a request whose reused connection
	                                   died, which a non-idempotent call must not
	                                   allow */
	int no_proxy;                   /* ignore proxy variables: IMDS and the
	                                   container endpoint are reached directly,
	                                   never through a proxy that would see
	                                   their tokens and credentials */
	int https_only;                 /* refuse http:// (signed delivery) */
	/* Optional: a 2xx body is handed to stream() piece by piece instead of
	 * being kept (resp->body is then ""), so a reply of any size passes
	 * in bounded memory; any other status is kept as usual (an error
	 * document, max_reply).  stream() returns nonzero to abort. */
	int (*stream)(void *ctx, const char *p, size_t n);
	void *stream_ctx;
	/* Optional: the exchange ends (SG_ERR_STATE, AWS_FAIL_FATAL) within
	 * about a second of *cancel becoming nonzero, even mid-reply. */
	const atomic_int *cancel;
};

struct aws_http_resp {
	long status;                    /* 0 when no answer */
	char *body;                     /* malloc'd, NUL-terminated, caller frees */
	size_t len;
	char request_id[128];           /* x-amzn-RequestId / x-amz-request-id */
	long long date_s;               /* the Date header (the server's clock), 0 if none */
};

/*
 * Perform req on the easy handle h (reset first; may be reused).
 * SG_OK: an HTTP answer arrived (any status) and *fail is AWS_FAIL_NONE.
 * Otherwise SG_ERR_NETWORK / SG_ERR_TIMEOUT / SG_ERR_RANGE (reply too big)
 * with *fail set (CONNECT, IO or FATAL) and diag[] saying what happened (no
 * header or body content, so no secret).
 */
sg_err aws_http_do(CURL *h, const struct aws_http_req *req, struct aws_http_resp *resp,
                   enum aws_failure *fail, char *diag, size_t diaglen);
void aws_http_resp_free(struct aws_http_resp *r);    /* NULL-safe */

/* aws_http_do on a handle of its own, for a single exchange outside the
 * AWS client (the webhook, the signed delivery).  Same results; diag says
 * what failed. */
sg_err aws_http_once(const struct aws_http_req *req, struct aws_http_resp *resp, char *diag,
                     size_t diaglen);

#endif
