/*
 * client_int.h — the AWS client's state, shared by the files that make up
 * the one AWS call path (none of it is seen outside src/aws):
 *
 *   client.c    making the client: options, region, endpoints, credentials
 *   clock.c     AWS's clock: the signing time and its correction (clock.h)
 *   request.c   one signed HTTP request of a call (request.h)
 *   attempts.c  the attempts of one call: credentials, retries, backoff,
 *               the error answer read (attempts.h)
 *   calls.c     the protocols (Query, JSON, REST) and the observer around
 *               each call: the calls of aws.h
 *   pages.c     pagination over Query and JSON calls
 *
 * A call goes calls.c -> attempts.c -> request.c -> http.c (libcurl), so
 * that every AWS request is signed, retried and observed the same way.
 * The internal functions are named awsc_*.
 */
#ifndef SG_SRC_AWS_CLIENT_INT_H
#define SG_SRC_AWS_CLIENT_INT_H

#include <stdint.h>

#include "aws/aws.h"
#include "aws/http.h"
#include "aws/retry.h"

/* Where one service is reached, split once when the client is made. */
struct endpoint {
	char url[512];
	char host[300];        /* Host header value: host[:port] */
	char path[256];
	char sign_region[64];
};

struct aws_client {
	CURL *curl;
	char region[64];
	char profile[128];
	char ca_bundle[1024];
	int have_ca;
	int static_creds;       /* passed in by the caller: never refreshed */
	int anonymous;          /* no credentials: requests go unsigned */
	struct aws_credentials creds;
	struct endpoint ep[AWS__SERVICE_COUNT];
	long connect_timeout_ms, timeout_ms;
	int max_attempts;
	unsigned base_ms, cap_ms;
	struct aws_retry retry;  /* quota shared by every call of this client */
	uint64_t rng;
	long long (*now)(void *ctx);
	void *now_ctx;
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	const atomic_int *cancel;
	struct aws_observer observer;
	long long skew_s;        /* added to the local clock when signing: set from
	                            the server's Date after a clock-skew refusal */
	long long server_offset_s; /* the last reply's Date minus the local clock */
	int have_offset;
};

/* One line to the client's log sink, if it has one (never a secret). */
void awsc_logf(struct aws_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
