/* attempts.c — the attempts of one AWS call: credentials, retries,
 * backoff, the error answer read (see attempts.h). */
#include "aws/attempts.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "aws/clock.h"
#include "aws/creds.h"

#define REFRESH_MARGIN_S 300

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

static sg_err refresh_creds(struct aws_client *c, int force, struct aws_error *err)
{
	if (c->static_creds ||
	    (!force && !aws_creds_expiring(&c->creds, awsc_sign_time(c), REFRESH_MARGIN_S)))
		return SG_OK;
	struct aws_credentials fresh;
	struct aws_creds_opts co = {.profile = c->profile[0] ? c->profile : NULL};
	sg_err rc = aws_creds_resolve(&co, &fresh, err);
	if (rc) {
		/* keep using what we have while it is still valid */
		if (!force && c->creds.expiration > awsc_sign_time(c))
			return SG_OK;
		return rc;
	}
	aws_credentials_wipe(&c->creds);
	c->creds = fresh;
	aws_credentials_wipe(&fresh);
	awsc_logf(c, "aws: credentials refreshed from %s", c->creds.source);
	return SG_OK;
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

/* A non-2xx answer: its AWS error (code, message, request id) read into e,
 * "HTTP N without an AWS error body" when it has none; the body freed. */
static void read_refusal(const struct wire_req *w, struct aws_http_resp *resp,
                         struct aws_error *e)
{
	e->code[0] = e->message[0] = '\0';
	if (w->wire == WIRE_XML)
		aws_error_from_xml(resp->body, resp->len, e);
	else
		aws_error_from_json(resp->body, resp->len, resp->request_id, e);
	if (!e->request_id[0])
		aws_copy_clean(e->request_id, sizeof e->request_id, resp->request_id,
		               strlen(resp->request_id));
	if (!e->code[0])
		aws_error_set(e, NULL, "HTTP %ld without an AWS error body", resp->status);
	aws_http_resp_free(resp);
}

/* What a call may mend once: the clock, the credentials. */
struct mended {
	int skewed, refreshed;
};

/* Whether the refusal in e can be mended so that the refused request is
 * worth sending again at once (each mend once per call). */
static bool mend_refusal(struct aws_client *c, const struct aws_http_resp *resp,
                         struct aws_error *e, const char *svc_name, const char *action,
                         struct mended *m)
{
	/* Refused as signed at the wrong time: correct the clock from
	 * the answer's Date and send once more (the request was
	 * refused, so this is safe for any call). */
	if (!m->skewed && awsc_learn_clock(c, resp, e->code)) {
		m->skewed = 1;
		return true;
	}
	/* Refreshable credentials the service calls expired (clock
	 * skew, early rotation): fetch new ones and send once more.
	 * The request was refused, so this is safe for any call. */
	if (!m->refreshed && !c->static_creds &&
	    (!strcmp(e->code, "ExpiredToken") || !strcmp(e->code, "ExpiredTokenException"))) {
		m->refreshed = 1;
		if (refresh_creds(c, 1, e) == SG_OK) {
			awsc_logf(c, "aws %s %s: credentials expired early; resending", svc_name,
			          action);
			return true;
		}
	}
	return false;
}

sg_err awsc_call(struct aws_client *c, enum aws_service svc, const char *action,
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
	struct mended mended = {0};

	for (int attempt = 1;; attempt++) {
		e->attempts = attempt;
		sg_err rc = refresh_creds(c, 0, e);
		if (rc)
			return rc;
		enum aws_failure fail;
		char diag[300];
		if (w->stream && w->stream->restart)
			w->stream->restart(w->stream->ctx);
		rc = awsc_send_signed(c, svc, w, !idempotent, resp, &fail, diag, sizeof diag);
		if (rc == SG_OK) {
			awsc_learn_clock(c, resp, NULL);
			e->http_status = (int)resp->status;
			aws_copy_clean(e->request_id, sizeof e->request_id, resp->request_id,
			               strlen(resp->request_id));
			if (resp->status >= 200 && resp->status < 300) {
				aws_retry_success(&c->retry);
				awsc_logf(c, "aws %s %s: HTTP %ld (request %s)", si->name, action,
				          resp->status, e->request_id);
				return SG_OK;
			}
			read_refusal(w, resp, e);
			fail = failure_of(e);
			if (!strcmp(e->code, "DryRunOperation") && (flags & AWS_CALL_DRY_RUN)) {
				awsc_logf(c, "aws %s %s: dry run permitted (request %s)", si->name,
				          action, e->request_id);
				return SG_OK;
			}
			rc = aws_error_classify(e->code, e->http_status);
			if (mend_refusal(c, resp, e, si->name, action, &mended))
				continue;
		} else {
			/* nothing from an earlier attempt may pose as this failure's cause */
			e->http_status = 0;
			e->code[0] = e->request_id[0] = '\0';
			aws_error_set(e, NULL, "%s %s: %s", si->name, action, diag);
		}
		unsigned delay = 0;
		bool again = aws_retry_next(&c->retry, attempt, fail, idempotent, rand01(c), &delay);
		awsc_logf(c, "aws %s %s: attempt %d failed: %s%s%s (HTTP %d, request %s)%s", si->name,
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
