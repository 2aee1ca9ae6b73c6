/* request.c — one signed HTTP request of an AWS call (see request.h). */
#include "aws/request.h"

#include <stdio.h>
#include <string.h>

#include "aws/clock.h"
#include "aws/sigv4.h"

#define MAX_REPLY (16u << 20)

/* The endpoint's path (or URL) with subpath appended. */
static sg_err join_path(const char *base, const char *subpath, char *out, size_t cap)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	int n = snprintf(out, cap, "%.*s/%s", (int)bl, base, subpath ? subpath : "");
	return n < 0 || (size_t)n >= cap ? SG_ERR_RANGE : SG_OK;
}

sg_err awsc_send_signed(struct aws_client *c, enum aws_service svc, const struct wire_req *w,
                        int fresh, struct aws_http_resp *resp, enum aws_failure *fail, char *diag,
                        size_t diaglen)
{
	const struct endpoint *e = &c->ep[svc];
	const struct aws_service_info *si = aws_service_info(svc);
	char date[17], hash[65], auth[AWS_SIGV4_AUTH_MAX], path[1536], url[2048];
	sg_err rc = aws_amz_date(awsc_sign_time(c), date);
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
