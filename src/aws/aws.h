/*
 * aws.h — the AWS client: one object per thread of work, holding the
 * region, the credentials (refreshed before they expire), the endpoints,
 * the retry policy and a libcurl handle.  Not thread-safe; cheap to make.
 *
 * The generic calls:
 *   aws_query()  Query protocol (EC2, Auto Scaling, ELB, ELBv2, IAM, STS,
 *                SNS): service + Action + params -> decoded XML reply.
 *   aws_json()   JSON 1.1 protocol (SSM): service + operation + JSON body ->
 *                decoded JSON reply.
 * Both sign with SigV4 (session token included), POST over HTTPS (peer
 * verified; CA bundle from opts/AWS_CA_BUNDLE), retry in the SDKs'
 * standard mode, and on failure fill *err (which may be NULL) with the AWS
 * code, message and request id.  Secrets never reach *err or the log.
 *
 * Result codes:
 *   SG_OK             success; *reply set (caller frees: aws_xml_free /
 *                     json_decref).  With AWS_CALL_DRY_RUN: the dry run said
 *                     "would have succeeded" (DryRunOperation); *reply NULL.
 *   SG_ERR_AUTH       credentials missing/refused, or not permitted
 *                     (UnauthorizedOperation, AccessDenied, ...)
 *   SG_ERR_NOTFOUND   *.NotFound / NoSuchEntity / ...
 *   SG_ERR_EXISTS     *.Duplicate / AlreadyExists
 *   SG_ERR_STATE      IncorrectState / IncorrectInstanceState / ...
 *   SG_ERR_THROTTLED  still throttled after every attempt
 *   SG_ERR_REMOTE     any other AWS error (see err->code)
 *   SG_ERR_NETWORK / SG_ERR_TIMEOUT  transport failed after every attempt
 *   SG_ERR_PROTOCOL   an answer we cannot decode
 *   SG_ERR_INVAL / SG_ERR_NOMEM
 * err->outcome_unknown is set when a non-idempotent call failed in a way
 * that leaves open whether AWS acted (e.g. a 500 or a dropped connection
 * after the request was sent): look before trying again.
 *
 * Threads: one client per thread.  The first aws_client_new() also runs
 * curl_global_init(), which is not thread-safe: a threaded program makes
 * its first client (or calls curl_global_init itself) before starting
 * threads.
 *
 * Retries: throttling codes, transient codes, HTTP 500/502/503/504, and
 * connection failures, at most max_attempts in all, with full-jitter
 * exponential backoff (base 1 s, cap 20 s) and the SDKs' retry quota.
 * A refusal with ExpiredToken while the credentials are refreshable (IMDS,
 * container) fetches new ones and re-sends once.
 * Calls flagged AWS_CALL_NOT_IDEMPOTENT (creates with no ClientToken,
 * SendCommand, Publish) are retried only on failures that prove the request
 * was not processed: throttling answers and failed connects.
 */
#ifndef SG_SRC_AWS_H
#define SG_SRC_AWS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "aws/awserr.h"
#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/params.h"
#include "aws/xml.h"
#include "ssrfguard/error.h"

struct aws_client;

struct aws_client_opts {
	const char *region;          /* NULL: AWS_REGION, AWS_DEFAULT_REGION, config
	                                file, then IMDS */
	const char *profile;         /* NULL: AWS_PROFILE, else "default" */
	const char *endpoint_url;    /* NULL: AWS_ENDPOINT_URL[_<SERVICE>] (unless
	                                AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true) or AWS */
	const char *ca_bundle;       /* NULL: AWS_CA_BUNDLE, else the system store */
	const struct aws_credentials *credentials; /* NULL: the provider chain */
	bool anonymous;              /* no credentials at all: every request goes
	                                unsigned (STS AssumeRoleWithWebIdentity) */
	long connect_timeout_ms;     /* 0: 3000 */
	long timeout_ms;             /* 0: 30000, per attempt */
	int max_attempts;            /* 0: AWS_MAX_ATTEMPTS, else 3 */
	unsigned backoff_base_ms;    /* 0: SSRFGUARD_AWS_BACKOFF_BASE_MS, else 1000 */
	unsigned backoff_cap_ms;     /* 0: 20000 */
	/* Optional log sink: one line per attempt (service, action, status,
	 * code, request id, delay) — never a key, token or signature. */
	void (*log)(void *ctx, const char *line);
	void *log_ctx;
	/* Optional: once *cancel is nonzero a call in flight (an SQS long
	 * poll) ends within about a second with SG_ERR_STATE, not retried;
	 * so does every later call. */
	const atomic_int *cancel;
};

/* Flags for aws_query / aws_json. */
enum {
	AWS_CALL_IDEMPOTENT = 0,
	AWS_CALL_NOT_IDEMPOTENT = 1u << 0, /* never blindly re-sent */
	AWS_CALL_DRY_RUN = 1u << 1,        /* EC2 only: adds DryRun=true.  Other
	                                      services: SG_ERR_INVAL; EC2 actions
	                                      without DryRun in the API (the IAM
	                                      instance-profile association calls):
	                                      SG_ERR_UNSUPPORTED, nothing sent */
};

/*
 * Make a client.  opts may be NULL (all defaults).  Resolves the region
 * and fetches credentials now, so a missing region or credentials fail
 * here (SG_ERR_INVAL / SG_ERR_AUTH, with err->message saying which).
 */
sg_err aws_client_new(const struct aws_client_opts *opts, struct aws_client **out,
                      struct aws_error *err);
void aws_client_free(struct aws_client *c);   /* NULL-safe; wipes secrets */

const char *aws_client_region(const struct aws_client *c);
/* Where the client's credentials came from, as "SOURCE (ORIGIN)" (e.g.
 * "sso (profile dev: role ReadOnly in 123456789012)"), and when they expire
 * (Unix seconds, 0 never): never a secret. */
void aws_client_credentials_origin(const struct aws_client *c, char *out, size_t cap,
                                   long long *expires);
/* The endpoint URL a service resolves to (for messages/tests). */
const char *aws_client_endpoint(const struct aws_client *c, enum aws_service svc);
/* AWS's time now, in seconds since the epoch: the local clock corrected by
 * the offset of the last reply's Date header (the local clock before any
 * reply).  Conditions AWS evaluates on its own clock (aws:TokenIssueTime)
 * are written in this time.  Signing follows the SDKs: the local clock,
 * corrected from Date only after a clock-skew refusal (RequestTimeTooSkewed,
 * RequestExpired, InvalidSignatureException, SignatureDoesNotMatch, ...)
 * when the clocks differ by more than four minutes; that request is then
 * sent once more. */
long long aws_client_now(const struct aws_client *c);

/* Override the clock used for signing (tests: stale-date refusal). NULL resets. */
void aws_client_set_clock(struct aws_client *c, long long (*now)(void *ctx), void *ctx);

sg_err aws_query(struct aws_client *c, enum aws_service svc, const char *action,
                 const struct aws_params *params, unsigned flags,
                 struct aws_xml **reply, struct aws_error *err);

/* operation is the bare name ("SendCommand"); body may be NULL ({}). */
sg_err aws_json(struct aws_client *c, enum aws_service svc, const char *operation,
                const json_t *body, unsigned flags, json_t **reply,
                struct aws_error *err);

/*
 * Pagination for Query calls.  Calls action repeatedly, passing the token
 * found at out_path in one reply (e.g. "nextToken", "DescribeAutoScalingGroupsResult/NextToken",
 * "DescribeTargetGroupsResult/NextMarker") as the request param in_name
 * ("NextToken", "Marker") of the next, and hands each reply to page() (it
 * returns SG_OK to go on, anything else to stop with that code).  Stops
 * after max_pages (0: 1000) with SG_ERR_RANGE.
 */
sg_err aws_query_pages(struct aws_client *c, enum aws_service svc, const char *action,
                       const struct aws_params *params, const char *in_name,
                       const char *out_path, unsigned max_pages,
                       sg_err (*page)(void *ctx, const struct aws_xml *reply), void *ctx,
                       struct aws_error *err);

/*
 * Observing calls.  A client may carry one observer, told of every call it
 * makes (every page of aws_query_pages too): the responder's journal is
 * one (request ids, what changed, failures, outcome unknown), so that no
 * caller has to record its calls by hand.
 *
 * before() runs first and may refuse the call: any code but SG_OK is
 * returned unsent, and after() is not called.  It may also add flags
 * (AWS_CALL_DRY_RUN for a permission pre-flight).  after() is told how the
 * call ended; request_id is the one AWS gave ("" when none arrived).
 * Either may be NULL.  The strings live for the call only.
 */
struct aws_call {
	enum aws_service svc;
	const char *action;   /* "CreateTags" */
	const char *target;   /* the resource it acts on ("" when none given) */
	bool changes;         /* false for the reads: Describe*, Get*, List*, Simulate* */
};
struct aws_call_result {
	sg_err rc;
	const struct aws_error *err;  /* never NULL */
	const char *request_id;
	long long started_ms;         /* wall clock, ms (journaled) */
	long long ms;                 /* how long it took, retries included (monotonic) */
};
struct aws_observer {
	sg_err (*before)(void *ctx, const struct aws_call *call, unsigned *flags);
	void (*after)(void *ctx, const struct aws_call *call, const struct aws_call_result *res);
	void *ctx;
};
/* Set (or with NULL remove) the observer; it is copied. */
void aws_client_observe(struct aws_client *c, const struct aws_observer *o);

/* aws_query / aws_json naming the resource the call acts on (target may be
 * NULL), for the observer: the typed calls use these. */
sg_err aws_query_on(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const struct aws_params *params, unsigned flags,
                    struct aws_xml **reply, struct aws_error *err);
sg_err aws_json_on(struct aws_client *c, enum aws_service svc, const char *operation,
                   const char *target, const json_t *body, unsigned flags, json_t **reply,
                   struct aws_error *err);

/* aws_query_on with params p that a typed call built for it, and which is
 * freed here whatever happens: a p that could not be made (NULL,
 * SG_ERR_NOMEM) or not built (aws_params_error: its code, said in err) is
 * refused unsent.  The typed Query calls (ec2.c, iam.c, sts.c, ...) all go
 * through it. */
sg_err aws_query_take(struct aws_client *c, enum aws_service svc, const char *action,
                      const char *target, struct aws_params *p, unsigned flags,
                      struct aws_xml **reply, struct aws_error *err);

/*
 * Pagination for JSON calls: body (may be NULL) is sent with "NextToken"
 * set from the previous reply's "NextToken" until a reply has none; each
 * reply goes to page() as in aws_query_pages.  target as in aws_json_on.
 */
sg_err aws_json_pages(struct aws_client *c, enum aws_service svc, const char *operation,
                      const char *target, const json_t *body, unsigned max_pages,
                      sg_err (*page)(void *ctx, const json_t *reply), void *ctx,
                      struct aws_error *err);

/*
 * A REST GET (S3): GET endpoint/subpath, signed with x-amz-content-sha256,
 * retried as aws_query is.  subpath must hold only characters that need no
 * URI encoding; the caller (s3.c) checks.  *body (malloc'd, NUL-terminated,
 * caller frees) and *len get the reply (at most 16 MiB: SG_ERR_RANGE
 * beyond).  action and target are for the observer.
 */
sg_err aws_rest_get(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, char **body, size_t *len,
                    struct aws_error *err);
/* A REST PUT (S3 PutObject): body (len bytes, its SHA-256 signed as
 * x-amz-content-sha256, so S3 refuses a body altered on the way) with
 * content_type, retried as a GET is (a PUT of the same object is
 * idempotent). */
sg_err aws_rest_put(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, const char *content_type,
                    const char *body, size_t len, struct aws_error *err);

/* The same GET with the 2xx body streamed to data() in pieces, in bounded
 * memory whatever its size; restart() (may be NULL) runs before each
 * attempt, so a retried call starts its digest again.  data() returns
 * nonzero to abort (the call then fails with SG_ERR_NOMEM). */
struct aws_stream {
	void (*restart)(void *ctx);
	int (*data)(void *ctx, const char *p, size_t n);
	void *ctx;
};
sg_err aws_rest_get_stream(struct aws_client *c, enum aws_service svc, const char *action,
                           const char *target, const char *subpath, const struct aws_stream *sink,
                           struct aws_error *err);

/* A fresh idempotency token (UUID v4 text) for ClientToken params. */
sg_err aws_client_token(char out[37]);

#endif
