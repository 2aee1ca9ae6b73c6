/* client.c — the AWS client: signing, transport, retries (see aws.h). */
#include "aws/aws.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "aws/creds.h"
#include "aws/http.h"
#include "aws/imds.h"
#include "aws/json.h"
#include "aws/retry.h"
#include "aws/sigv4.h"

#define REFRESH_MARGIN_S 300
#define MAX_REPLY (16u << 20)

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

static const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void logf_(struct aws_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct aws_client *c, const char *fmt, ...)
{
	if (!c->log)
		return;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	c->log(c->log_ctx, line);
}

static long long local_s(struct aws_client *c)
{
	return c->now ? c->now(c->now_ctx) : (long long)time(NULL);
}

/* The signing time: the local clock, corrected once AWS said it is off. */
static long long now_s(struct aws_client *c)
{
	return local_s(c) + c->skew_s;
}

/* The SDKs' clock-skew codes (a request signed too far from AWS's time). */
static bool skew_code(const char *code)
{
	static const char *const codes[] = {
		"RequestTimeTooSkewed", "RequestExpired",  "RequestInTheFuture",
		"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

/*
 * Learn AWS's clock from a reply's Date.  After a skew refusal, when the
 * clocks differ by more than four minutes (AWS allows five, S3 fifteen),
 * sign with AWS's time from now on and say so: true means "send again".
 */
static bool learn_clock(struct aws_client *c, const struct aws_http_resp *r, const char *code)
{
	if (!r->date_s)
		return false;
	long long local = local_s(c);
	c->server_offset_s = r->date_s - local;
	c->have_offset = 1;
	long long off = r->date_s - (local + c->skew_s);
	if (!code || !skew_code(code) || (off < 240 && off > -240))
		return false;
	c->skew_s = r->date_s - local;
	logf_(c, "aws: the local clock is %lld s off AWS's (its Date header); signing with AWS's time",
	      -c->skew_s);
	return true;
}

static double rand01(struct aws_client *c)
{
	/* xorshift64*: jitter only, not a secret */
	uint64_t x = c->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return (double)((x * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long env_long(const char *name, long dflt, long lo, long hi)
{
	const char *v = env_get(name);
	if (!v)
		return dflt;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return dflt;
	return x;
}

static sg_err split_url(struct endpoint *e)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	sg_err rc = SG_ERR_NOMEM;
	if (!u)
		return rc;
	rc = SG_ERR_INVAL;
	if (curl_url_set(u, CURLUPART_URL, e->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto fail;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	int n = port ? snprintf(e->host, sizeof e->host, "%s:%s", host, port)
	             : snprintf(e->host, sizeof e->host, "%s", host);
	if (n < 0 || (size_t)n >= sizeof e->host)
		goto fail;
	n = snprintf(e->path, sizeof e->path, "%s", path && *path ? path : "/");
	if (n < 0 || (size_t)n >= sizeof e->path)
		goto fail;
	rc = SG_OK;
fail:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	aws_credentials_wipe(&c->creds);
	free(c);
}

sg_err aws_client_new(const struct aws_client_opts *opts, struct aws_client **out,
                      struct aws_error *err)
{
	struct aws_client_opts none = {0};
	struct aws_client *c = NULL;
	sg_err rc = SG_ERR_INVAL;
	aws_error_clear(err);
	if (!out)
		return SG_ERR_INVAL;
	*out = NULL;
	if (!opts)
		opts = &none;
	static int curl_ready;
	if (!curl_ready) {
		/* CLI-level, idempotent; libcurl requires it before threads anyway */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return SG_ERR_NOMEM;
		curl_ready = 1;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		return SG_ERR_NOMEM;
	c->curl = curl_easy_init();
	rc = SG_ERR_NOMEM;
	if (!c->curl)
		goto fail;
	c->log = opts->log;
	c->log_ctx = opts->log_ctx;
	c->cancel = opts->cancel;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
	c->max_attempts = opts->max_attempts > 0
	                          ? opts->max_attempts
	                          : (int)env_long("AWS_MAX_ATTEMPTS", 3, 1, 100);
	c->base_ms = opts->backoff_base_ms
	                     ? opts->backoff_base_ms
	                     : (unsigned)env_long("SSRFGUARD_AWS_BACKOFF_BASE_MS", 1000, 1, 60000);
	c->cap_ms = opts->backoff_cap_ms ? opts->backoff_cap_ms : 20000;
	aws_retry_init(&c->retry, c->max_attempts, c->base_ms, c->cap_ms);
	if (getrandom(&c->rng, sizeof c->rng, GRND_NONBLOCK) != (ssize_t)sizeof c->rng)
		c->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL;
	c->rng |= 1;

	const char *ca = opts->ca_bundle ? opts->ca_bundle : env_get("AWS_CA_BUNDLE");
	if (ca) {
		rc = SG_ERR_RANGE;
		if (snprintf(c->ca_bundle, sizeof c->ca_bundle, "%s", ca) >= (int)sizeof c->ca_bundle)
			goto fail;
		c->have_ca = 1;
	}
	if (opts->profile)
		snprintf(c->profile, sizeof c->profile, "%s", opts->profile);

	/* region */
	rc = SG_ERR_INVAL;
	if (opts->region && *opts->region) {
		snprintf(c->region, sizeof c->region, "%s", opts->region);
	} else if (aws_region_resolve(opts->profile, c->region, sizeof c->region) != SG_OK) {
		struct imds_identity id;
		if (imds_identity_get(NULL, &id) == SG_OK) {
			snprintf(c->region, sizeof c->region, "%s", id.region);
		} else {
			aws_error_set(err, NULL, "no region: set AWS_REGION, a profile region, or "
			                         "run on EC2");
			goto fail;
		}
	}
	/* endpoints; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns the
	 * AWS_ENDPOINT_URL* variables off, as in the SDKs */
	const char *ign = env_get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	aws_getenv_fn ep_env = ign && !strcasecmp(ign, "true") ? NULL : env_get;
	for (int s = 0; s < AWS__SERVICE_COUNT; s++) {
		rc = aws_endpoint_resolve((enum aws_service)s, c->region, opts->endpoint_url, ep_env,
		                          c->ep[s].url, sizeof c->ep[s].url, c->ep[s].sign_region,
		                          sizeof c->ep[s].sign_region);
		if (!rc)
			rc = split_url(&c->ep[s]);
		if (rc) {
			aws_error_set(err, NULL, "bad endpoint or region for %s",
			              aws_service_info((enum aws_service)s)->name);
			goto fail;
		}
	}
	/* credentials */
	if (opts->anonymous) {
		c->anonymous = c->static_creds = 1;
	} else if (opts->credentials) {
		c->creds = *opts->credentials;
		c->static_creds = 1;
		rc = SG_ERR_AUTH;
		if (!c->creds.access_key_id[0] || !c->creds.secret_access_key[0]) {
			aws_error_set(err, NULL, "the credentials passed in are empty");
			goto fail;
		}
	} else {
		struct aws_creds_opts co = {.profile = c->profile[0] ? c->profile : NULL};
		rc = aws_creds_resolve(&co, &c->creds, err);
		if (rc)
			goto fail;
	}
	*out = c;
	return SG_OK;
fail:
	aws_client_free(c);
	return rc;
}

const char *aws_client_region(const struct aws_client *c)
{
	return c ? c->region : NULL;
}

void aws_client_credentials_origin(const struct aws_client *c, char *out, size_t cap,
                                   long long *expires)
{
	if (!out || !cap)
		return;
	if (expires)
		*expires = c ? c->creds.expiration : 0;
	if (!c || c->anonymous)
		snprintf(out, cap, "none (unsigned requests)");
	else if (c->creds.origin[0])
		snprintf(out, cap, "%s (%s)", c->creds.source, c->creds.origin);
	else
		snprintf(out, cap, "%s", c->creds.source[0] ? c->creds.source : "given by the caller");
}

const char *aws_client_endpoint(const struct aws_client *c, enum aws_service svc)
{
	if (!c || (unsigned)svc >= AWS__SERVICE_COUNT)
		return NULL;
	return c->ep[svc].url;
}

void aws_client_set_clock(struct aws_client *c, long long (*now)(void *ctx), void *ctx)
{
	if (!c)
		return;
	c->now = now;
	c->now_ctx = ctx;
}

sg_err aws_client_token(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return SG_ERR_IO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
	         b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	         b[14], b[15]);
	return SG_OK;
}

static sg_err refresh_creds(struct aws_client *c, int force, struct aws_error *err)
{
	if (c->static_creds ||
	    (!force && !aws_creds_expiring(&c->creds, now_s(c), REFRESH_MARGIN_S)))
		return SG_OK;
	struct aws_credentials fresh;
	struct aws_creds_opts co = {.profile = c->profile[0] ? c->profile : NULL};
	sg_err rc = aws_creds_resolve(&co, &fresh, err);
	if (rc) {
		/* keep using what we have while it is still valid */
		if (!force && c->creds.expiration > now_s(c))
			return SG_OK;
		return rc;
	}
	aws_credentials_wipe(&c->creds);
	c->creds = fresh;
	aws_credentials_wipe(&fresh);
	logf_(c, "aws: credentials refreshed from %s", c->creds.source);
	return SG_OK;
}

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

/* The endpoint's path (or URL) with subpath appended. */
static sg_err join_path(const char *base, const char *subpath, char *out, size_t cap)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	int n = snprintf(out, cap, "%.*s/%s", (int)bl, base, subpath ? subpath : "");
	return n < 0 || (size_t)n >= cap ? SG_ERR_RANGE : SG_OK;
}

/* One signed request. */
static sg_err send_signed(struct aws_client *c, enum aws_service svc, const struct wire_req *w,
                          int fresh, struct aws_http_resp *resp, enum aws_failure *fail,
                          char *diag, size_t diaglen)
{
	const struct endpoint *e = &c->ep[svc];
	const struct aws_service_info *si = aws_service_info(svc);
	char date[17], hash[65], auth[AWS_SIGV4_AUTH_MAX], path[1536], url[2048];
	sg_err rc = aws_amz_date(now_s(c), date);
	if (rc)
		return rc;
	if (w->subpath) {
		if ((rc = join_path(e->path, w->subpath, path, sizeof path)) ||
		    (rc = join_path(e->url, w->subpath, url, sizeof url))) {
			*fail = AWS_FAIL_FATAL;
			snprintf(diag, diaglen, "request path too long");
			return rc;
		}
	}
	aws_sha256_hex(w->body ? w->body : "", w->body_len, hash);
	struct aws_kv h[7];
	size_t n = 0;
	h[n++] = (struct aws_kv){"Host", e->host};
	if (w->content_type)
		h[n++] = (struct aws_kv){"Content-Type", w->content_type};
	h[n++] = (struct aws_kv){"X-Amz-Date", date};
	if (w->target)
		h[n++] = (struct aws_kv){"X-Amz-Target", w->target};
	if (si->proto == AWS_PROTO_REST_XML) /* S3 requires the payload hash header */
		h[n++] = (struct aws_kv){"x-amz-content-sha256", hash};
	auth[0] = '\0';
	if (!c->anonymous) { /* an anonymous client sends no token and no signature */
		if (c->creds.session_token[0])
			h[n++] = (struct aws_kv){"X-Amz-Security-Token", c->creds.session_token};
		struct aws_sigv4_request req = {.method = w->method,
		                                .path = w->subpath ? path : e->path, .headers = h,
		                                .nheaders = n, .payload_sha256 = hash};
		struct aws_sigv4_signer s = {.access_key_id = c->creds.access_key_id,
		                             .secret_access_key = c->creds.secret_access_key,
		                             .region = e->sign_region, .service = si->signing_name,
		                             .amz_date = date};
		rc = aws_sigv4_authorization(&s, &req, auth, sizeof auth);
		if (rc) {
			*fail = AWS_FAIL_FATAL;
			snprintf(diag, diaglen, "cannot sign the request (%s)", sg_strerror(rc));
			return rc;
		}
		h[n++] = (struct aws_kv){"Authorization", auth};
	}
	struct aws_http_req hr = {.method = w->method, .url = w->subpath ? url : e->url,
	                          .headers = h, .nheaders = n, .body = w->body,
	                          .body_len = w->body_len,
	                          .connect_timeout_ms = c->connect_timeout_ms,
	                          .timeout_ms = c->timeout_ms,
	                          .ca_bundle = c->have_ca ? c->ca_bundle : NULL,
	                          .max_reply = MAX_REPLY, .fresh_connection = fresh,
	                          .stream = w->stream ? w->stream->data : NULL,
	                          .stream_ctx = w->stream ? w->stream->ctx : NULL,
	                          .cancel = c->cancel};
	rc = aws_http_do(c->curl, &hr, resp, fail, diag, diaglen);
	memset(auth, 0, sizeof auth);
	return rc;
}

/* Classify an HTTP answer that is not 2xx. */
static enum aws_failure failure_of(const struct aws_error *e)
{
	if (aws_code_is_throttling(e->code) || aws_code_is_conflict(e->code) ||
	    e->http_status == 429)
		return AWS_FAIL_THROTTLE;   /* refused: nothing was done, resend after a pause */
	if (aws_code_is_transient(e->code) || e->http_status == 500 || e->http_status == 502 ||
	    e->http_status == 503 || e->http_status == 504)
		return AWS_FAIL_TRANSIENT;
	return AWS_FAIL_FATAL;
}

/* The shared retry loop.  On SG_OK *resp holds the 2xx answer. */
static sg_err call(struct aws_client *c, enum aws_service svc, const char *action,
                   const struct wire_req *w, unsigned flags, struct aws_http_resp *resp,
                   struct aws_error *err)
{
	const struct aws_service_info *si = aws_service_info(svc);
	bool idempotent = !(flags & AWS_CALL_NOT_IDEMPOTENT);
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	aws_error_clear(e);
	memset(resp, 0, sizeof *resp);
	c->retry.max_attempts = c->max_attempts;
	int refreshed = 0, skewed = 0;

	for (int attempt = 1;; attempt++) {
		e->attempts = attempt;
		sg_err rc = refresh_creds(c, 0, e);
		if (rc)
			return rc;
		enum aws_failure fail;
		char diag[300];
		if (w->stream && w->stream->restart)
			w->stream->restart(w->stream->ctx);
		rc = send_signed(c, svc, w, !idempotent, resp, &fail, diag, sizeof diag);
		if (rc == SG_OK) {
			learn_clock(c, resp, NULL);
			e->http_status = (int)resp->status;
			aws_copy_clean(e->request_id, sizeof e->request_id, resp->request_id,
			               strlen(resp->request_id));
			if (resp->status >= 200 && resp->status < 300) {
				aws_retry_success(&c->retry);
				logf_(c, "aws %s %s: HTTP %ld (request %s)", si->name, action,
				      resp->status, e->request_id);
				return SG_OK;
			}
			e->code[0] = e->message[0] = '\0';
			if (w->wire == WIRE_XML)
				aws_error_from_xml(resp->body, resp->len, e);
			else
				aws_error_from_json(resp->body, resp->len, resp->request_id, e);
			if (!e->request_id[0])
				aws_copy_clean(e->request_id, sizeof e->request_id, resp->request_id,
				               strlen(resp->request_id));
			if (!e->code[0])
				aws_error_set(e, NULL, "HTTP %ld without an AWS error body",
				              resp->status);
			aws_http_resp_free(resp);
			fail = failure_of(e);
			if (!strcmp(e->code, "DryRunOperation") && (flags & AWS_CALL_DRY_RUN)) {
				logf_(c, "aws %s %s: dry run permitted (request %s)", si->name, action,
				      e->request_id);
				return SG_OK;
			}
			rc = aws_error_classify(e->code, e->http_status);
			/* Refused as signed at the wrong time: correct the clock from
			 * the answer's Date and send once more (the request was
			 * refused, so this is safe for any call). */
			if (!skewed && learn_clock(c, resp, e->code)) {
				skewed = 1;
				continue;
			}
			/* Refreshable credentials the service calls expired (clock
			 * skew, early rotation): fetch new ones and send once more.
			 * The request was refused, so this is safe for any call. */
			if (!refreshed && !c->static_creds &&
			    (!strcmp(e->code, "ExpiredToken") || !strcmp(e->code, "ExpiredTokenException"))) {
				refreshed = 1;
				if (refresh_creds(c, 1, e) == SG_OK) {
					logf_(c, "aws %s %s: credentials expired early; resending", si->name,
					      action);
					continue;
				}
			}
		} else {
			/* nothing from an earlier attempt may pose as this failure's cause */
			e->http_status = 0;
			e->code[0] = e->request_id[0] = '\0';
			aws_error_set(e, NULL, "%s %s: %s", si->name, action, diag);
		}
		unsigned delay = 0;
		bool again = aws_retry_next(&c->retry, attempt, fail, idempotent, rand01(c), &delay);
		logf_(c, "aws %s %s: attempt %d failed: %s%s%s (HTTP %d, request %s)%s", si->name,
		      action, attempt, e->code[0] ? e->code : sg_strerror(rc),
		      e->message[0] ? ": " : "", e->message, e->http_status,
		      e->request_id[0] ? e->request_id : "-", again ? "; retrying" : "");
		if (!again) {
			e->outcome_unknown =
				!idempotent && (fail == AWS_FAIL_TRANSIENT || fail == AWS_FAIL_IO);
			return rc;
		}
		sleep_ms(delay);
	}
}

/* EC2 actions whose API model has no DryRun member (of those ssrfguard uses):
 * a dry run of them is refused here instead of by the service. */
static int ec2_has_dry_run(const char *action)
{
	static const char *const none[] = {
		"AssociateIamInstanceProfile", "DisassociateIamInstanceProfile",
		"ReplaceIamInstanceProfileAssociation", "DescribeIamInstanceProfileAssociations",
		NULL,
	};
	for (size_t i = 0; none[i]; i++)
		if (!strcmp(action, none[i]))
			return 0;
	return 1;
}

/* A 2xx reply whose body (kind: "XML", "JSON") did not decode: said in
 * err; SG_ERR_PROTOCOL, or SG_ERR_NOMEM when that was the reason. */
static sg_err undecodable(struct aws_error *err, const struct aws_service_info *si,
                          const char *action, const char *kind, sg_err rc)
{
	aws_error_set(err, NULL, "%s %s: undecodable %s reply (%s)", si->name, action, kind,
	              sg_strerror(rc));
	return rc == SG_ERR_NOMEM ? rc : SG_ERR_PROTOCOL;
}

static sg_err query(struct aws_client *c, enum aws_service svc, const char *action,
                    const struct aws_params *params, unsigned flags, struct aws_xml **reply,
                    struct aws_error *err)
{
	struct aws_params *p = NULL;
	char *body = NULL;
	size_t body_len = 0;
	struct aws_http_resp resp = {0};
	sg_err rc = SG_ERR_INVAL;
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || (si->proto != AWS_PROTO_EC2 && si->proto != AWS_PROTO_QUERY) || !action ||
	    !*action)
		goto fail;
	if ((flags & AWS_CALL_DRY_RUN) && svc != AWS_EC2)
		goto fail;
	if ((flags & AWS_CALL_DRY_RUN) && !ec2_has_dry_run(action)) {
		rc = SG_ERR_UNSUPPORTED;
		aws_error_set(err, NULL, "%s has no DryRun parameter", action);
		goto fail;
	}
	rc = SG_ERR_NOMEM;
	p = params ? aws_params_dup(params) : aws_params_new();
	if (!p)
		goto fail;
	aws_params_set(p, "Action", action);
	aws_params_set(p, "Version", si->api_version);
	if (flags & AWS_CALL_DRY_RUN)
		aws_params_set(p, "DryRun", "true");
	rc = aws_params_encode(p, &body, &body_len);
	if (rc)
		goto fail;
	struct wire_req w = {WIRE_XML, "POST", NULL,
	                     "application/x-www-form-urlencoded; charset=utf-8", NULL, body, body_len,
	                     NULL};
	rc = call(c, svc, action, &w, flags, &resp, err);
	if (rc || !resp.body)
		goto fail;
	if (flags & AWS_CALL_DRY_RUN) {
		/* a dry run that "succeeded" for real would be a server bug */
		rc = SG_ERR_PROTOCOL;
		aws_error_set(err, NULL, "dry run answered 2xx instead of DryRunOperation");
		goto fail;
	}
	struct aws_xml *x = NULL;
	rc = aws_xml_parse(resp.body, resp.len, NULL, &x);
	if (rc) {
		rc = undecodable(err, si, action, "XML", rc);
		goto fail;
	}
	if (reply)
		*reply = x;
	else
		aws_xml_free(x);
fail:
	aws_http_resp_free(&resp);
	aws_params_free(p);
	free(body);
	return rc;
}

static sg_err json_call(struct aws_client *c, enum aws_service svc, const char *operation,
                        const json_t *body, unsigned flags, json_t **reply,
                        struct aws_error *err)
{
	char *text = NULL;
	struct aws_http_resp resp = {0};
	sg_err rc = SG_ERR_INVAL;
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || (si->proto != AWS_PROTO_JSON11 && si->proto != AWS_PROTO_JSON10) ||
	    !operation || !*operation ||
	    (flags & AWS_CALL_DRY_RUN) || (body && !json_is_object(body)))
		goto fail;
	rc = SG_ERR_NOMEM;
	text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	if (!text)
		goto fail;
	char target[160];
	rc = SG_ERR_RANGE;
	if (snprintf(target, sizeof target, "%s.%s", si->json_prefix, operation) >=
	    (int)sizeof target)
		goto fail;
	struct wire_req w = {WIRE_JSON, "POST", NULL,
	                     si->proto == AWS_PROTO_JSON10 ? "application/x-amz-json-1.0"
	                                                   : "application/x-amz-json-1.1",
	                     target, text, strlen(text), NULL};
	rc = call(c, svc, operation, &w, flags, &resp, err);
	if (rc)
		goto fail;
	json_t *j = NULL;
	rc = aws_json_parse(resp.body, resp.len, NULL, &j);
	if (rc) {
		rc = undecodable(err, si, operation, "JSON", rc);
		goto fail;
	}
	if (reply)
		*reply = j;
	else
		json_decref(j);
fail:
	aws_http_resp_free(&resp);
	free(text);
	return rc;
}

/* ---- the observer ------------------------------------------------------ */

void aws_client_observe(struct aws_client *c, const struct aws_observer *o)
{
	if (c)
		c->observer = o ? *o : (struct aws_observer){0};
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The observer around one call: observe_before may veto it (its error is
 * the call's) or change its flags; observe_after reports the outcome. */
static sg_err observe_before(struct aws_client *c, const struct aws_call *call, unsigned *flags)
{
	const struct aws_observer *o = &c->observer;
	return o->before ? o->before(o->ctx, call, flags) : SG_OK;
}

static void observe_after(struct aws_client *c, const struct aws_call *call, sg_err rc,
                          const struct aws_error *e, const char *request_id, long long t0)
{
	const struct aws_observer *o = &c->observer;
	if (o->after) {
		struct aws_call_result res = {rc, e, request_id, t0, wall_ms() - t0};
		o->after(o->ctx, call, &res);
	}
}

static bool is_read(const char *action)
{
	static const char *const verbs[] = {"Describe", "Get", "List", "Simulate", "Query"};
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strncmp(action, verbs[i], strlen(verbs[i])))
			return true;
	return false;
}

/* The request id of a call: the reply body's (EC2 requestId, Query
 * ResponseMetadata/RequestId) before the header's. */
static const char *request_id_of(const struct aws_xml *reply, const struct aws_error *e)
{
	const char *v = reply ? aws_xml_str(reply, "requestId") : NULL;
	if (!v && reply)
		v = aws_xml_str(reply, "ResponseMetadata/RequestId");
	return v ? v : e->request_id;
}

sg_err aws_query_on(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const struct aws_params *params, unsigned flags,
                    struct aws_xml **reply, struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	struct aws_xml *r = NULL;
	aws_error_clear(e);
	if (reply)
		*reply = NULL;
	if (!c || !action)
		return SG_ERR_INVAL;
	struct aws_call call = {svc, action, target ? target : "", !is_read(action)};
	sg_err no = observe_before(c, &call, &flags);
	if (no)
		return no;
	long long t0 = wall_ms();
	sg_err rc = query(c, svc, action, params, flags, &r, e);
	observe_after(c, &call, rc, e, request_id_of(r, e), t0);
	if (reply)
		*reply = r;
	else
		aws_xml_free(r);
	return rc;
}

sg_err aws_query_take(struct aws_client *c, enum aws_service svc, const char *action,
                      const char *target, struct aws_params *p, unsigned flags,
                      struct aws_xml **reply, struct aws_error *err)
{
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	sg_err rc = p ? aws_params_error(p) : SG_ERR_NOMEM;
	if (rc == SG_OK)
		rc = aws_query_on(c, svc, action, target, p, flags, reply, err);
	else if (p)
		aws_error_set(err, NULL, "%s: bad parameters (%s)", action ? action : "?",
		              sg_strerror(rc));
	aws_params_free(p);
	return rc;
}

sg_err aws_query(struct aws_client *c, enum aws_service svc, const char *action,
                 const struct aws_params *params, unsigned flags, struct aws_xml **reply,
                 struct aws_error *err)
{
	return aws_query_on(c, svc, action, NULL, params, flags, reply, err);
}

sg_err aws_json_on(struct aws_client *c, enum aws_service svc, const char *operation,
                   const char *target, const json_t *body, unsigned flags, json_t **reply,
                   struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	aws_error_clear(e);
	if (reply)
		*reply = NULL;
	if (!c || !operation)
		return SG_ERR_INVAL;
	struct aws_call call = {svc, operation, target ? target : "", !is_read(operation)};
	sg_err no = observe_before(c, &call, &flags);
	if (no)
		return no;
	long long t0 = wall_ms();
	sg_err rc = json_call(c, svc, operation, body, flags, reply, e);
	observe_after(c, &call, rc, e, e->request_id, t0);
	return rc;
}

sg_err aws_json(struct aws_client *c, enum aws_service svc, const char *operation,
                const json_t *body, unsigned flags, json_t **reply, struct aws_error *err)
{
	return aws_json_on(c, svc, operation, NULL, body, flags, reply, err);
}

sg_err aws_query_pages(struct aws_client *c, enum aws_service svc, const char *action,
                       const struct aws_params *params, const char *in_name,
                       const char *out_path, unsigned max_pages,
                       sg_err (*page)(void *ctx, const struct aws_xml *reply), void *ctx,
                       struct aws_error *err)
{
	if (!c || !in_name || !out_path || !page)
		return SG_ERR_INVAL;
	struct aws_params *p = params ? aws_params_dup(params) : aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	unsigned limit = max_pages ? max_pages : 1000;
	sg_err rc = SG_OK;
	for (unsigned i = 0;; i++) {
		if (i >= limit) {
			rc = SG_ERR_RANGE;
			aws_error_set(err, NULL, "%s: more than %u pages", action, limit);
			break;
		}
		struct aws_xml *r = NULL;
		rc = aws_query(c, svc, action, p, AWS_CALL_IDEMPOTENT, &r, err);
		if (rc)
			break;
		rc = page(ctx, r);
		const char *tok = aws_xml_str(r, out_path);
		int more = tok && *tok; /* tok lives in r: decide before freeing it */
		if (!rc && more)
			rc = aws_params_set(p, in_name, tok);
		aws_xml_free(r);
		if (rc || !more)
			break;
	}
	aws_params_free(p);
	return rc;
}

sg_err aws_json_pages(struct aws_client *c, enum aws_service svc, const char *operation,
                      const char *target, const json_t *body, unsigned max_pages,
                      sg_err (*page)(void *ctx, const json_t *reply), void *ctx,
                      struct aws_error *err)
{
	if (!c || !page || (body && !json_is_object(body)))
		return SG_ERR_INVAL;
	json_t *req = body ? json_deep_copy(body) : json_object();
	if (!req)
		return SG_ERR_NOMEM;
	unsigned limit = max_pages ? max_pages : 1000;
	sg_err rc = SG_OK;
	for (unsigned i = 0;; i++) {
		if (i >= limit) {
			rc = SG_ERR_RANGE;
			aws_error_set(err, NULL, "%s: more than %u pages", operation, limit);
			break;
		}
		json_t *r = NULL;
		rc = aws_json_on(c, svc, operation, target, req, 0, &r, err);
		if (rc)
			break;
		rc = page(ctx, r);
		const char *tok = json_string_value(json_object_get(r, "NextToken"));
		bool more = tok && *tok;
		if (!rc && more && json_object_set_new(req, "NextToken", json_string(tok)))
			rc = SG_ERR_NOMEM;
		json_decref(r);
		if (rc || !more)
			break;
	}
	json_decref(req);
	return rc;
}

/* One REST call (S3): the observer around it, the reply's body kept when
 * body is not NULL. */
static sg_err rest_call(struct aws_client *c, enum aws_service svc, const char *action,
                        const char *target, const struct wire_req *w, char **body, size_t *len,
                        struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	aws_error_clear(e);
	if (body) {
		*body = NULL;
		*len = 0;
	}
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || si->proto != AWS_PROTO_REST_XML || !action || !w->subpath)
		return SG_ERR_INVAL;
	struct aws_call seen = {svc, action, target ? target : "", false};
	unsigned flags = 0;
	sg_err no = observe_before(c, &seen, &flags);
	if (no)
		return no;
	long long t0 = wall_ms();
	struct aws_http_resp resp = {0};
	sg_err rc = call(c, svc, action, w, flags, &resp, e);
	observe_after(c, &seen, rc, e, e->request_id, t0);
	if (!rc && body) {
		*body = resp.body ? resp.body : strdup("");
		*len = resp.body ? resp.len : 0;
		resp.body = NULL;
		if (!*body)
			rc = SG_ERR_NOMEM;
	}
	aws_http_resp_free(&resp);
	return rc;
}

sg_err aws_rest_get(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, char **body, size_t *len,
                    struct aws_error *err)
{
	struct wire_req w = {WIRE_XML, "GET", subpath, NULL, NULL, NULL, 0, NULL};
	return rest_call(c, svc, action, target, &w, body, len, err);
}

sg_err aws_rest_get_stream(struct aws_client *c, enum aws_service svc, const char *action,
                           const char *target, const char *subpath, const struct aws_stream *sink,
                           struct aws_error *err)
{
	if (!sink || !sink->data)
		return SG_ERR_INVAL;
	struct wire_req w = {WIRE_XML, "GET", subpath, NULL, NULL, NULL, 0, sink};
	return rest_call(c, svc, action, target, &w, NULL, NULL, err);
}

sg_err aws_rest_put(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, const char *content_type,
                    const char *body, size_t len, struct aws_error *err)
{
	struct wire_req w = {WIRE_XML, "PUT", subpath, content_type, NULL, body, len, NULL};
	return rest_call(c, svc, action, target, &w, NULL, NULL, err);
}

long long aws_client_now(const struct aws_client *c)
{
	long long local = c && c->now ? c->now(c->now_ctx) : (long long)time(NULL);
	return local + (c && c->have_offset ? c->server_offset_s : 0);
}
