/* http.c — libcurl transport (see http.h). */
#include "aws/http.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/awserr.h"
#include "common/buf.h"

#define HTTP_DEFAULT_MAX_REPLY (16u << 20)
#define HTTP_MAX_HEADER_LINE 8192

struct sink {
	sg_buf body;
	struct aws_http_resp *resp;
	int too_big;
	CURL *h;
	const struct aws_http_req *req;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (s->req->stream) {
		long status = 0;
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			return s->req->stream(s->req->stream_ctx, ptr, n) ? 0 : n;
	}
	sg_buf_append(&s->body, ptr, n);
	if (sg_buf_err(&s->body)) {
		s->too_big = sg_buf_err(&s->body) == SG_ERR_RANGE;
		return 0; /* abort the transfer */
	}
	return n;
}

/* libcurl's progress callback: nonzero aborts the transfer.  It is called
 * about once a second while nothing arrives (a long poll), more often
 * while data flows. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const struct aws_http_req *req = ud;
	return atomic_load(req->cancel) != 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (n > HTTP_MAX_HEADER_LINE)
		return n;
	if (n > 5 && !strncasecmp(ptr, "date:", 5)) {
		char v[128];
		size_t vl = n - 5 < sizeof v - 1 ? n - 5 : sizeof v - 1;
		memcpy(v, ptr + 5, vl);
		v[vl] = '\0';
		time_t t = curl_getdate(v, NULL); /* RFC 7231 IMF-fixdate and the older forms */
		if (t > 0)
			s->resp->date_s = (long long)t;
		return n;
	}
	static const char *const names[] = {"x-amzn-requestid:", "x-amz-request-id:"};
	for (size_t i = 0; i < 2; i++) {
		size_t l = strlen(names[i]);
		if (n > l && !strncasecmp(ptr, names[i], l)) {
			const char *v = ptr + l;
			size_t vl = n - l;
			while (vl && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
				vl--;
			aws_copy_clean(s->resp->request_id, sizeof s->resp->request_id, v, vl);
		}
	}
	return n;
}

void aws_http_resp_free(struct aws_http_resp *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* The request's headers as libcurl's list, with an empty "Expect:" so
 * that curl adds no line of its own to a signed request. */
static sg_err header_list(const struct aws_http_req *req, struct curl_slist **out)
{
	struct curl_slist *hdrs = NULL;
	for (size_t i = 0; i <= req->nheaders; i++) {
		char line[HTTP_MAX_HEADER_LINE];
		int n = i < req->nheaders ? snprintf(line, sizeof line, "%s: %s", req->headers[i].name,
		                                     req->headers[i].value)
		                          : snprintf(line, sizeof line, "Expect:");
		if (n < 0 || (size_t)n >= sizeof line) {
			curl_slist_free_all(hdrs);
			return SG_ERR_RANGE;
		}
		struct curl_slist *nh = curl_slist_append(hdrs, line);
		if (!nh) {
			curl_slist_free_all(hdrs);
			return SG_ERR_NOMEM;
		}
		hdrs = nh;
	}
	*out = hdrs;
	return SG_OK;
}

/* Every libcurl option of the exchange, on the freshly reset handle h. */
static void set_options(CURL *h, const struct aws_http_req *req, struct curl_slist *hdrs,
                        struct sink *s, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->https_only ? "https" : "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* "" disables proxies; NULL restores the default (proxy variables) for
	 * the next call on the same handle. */
	curl_easy_setopt(h, CURLOPT_PROXY, req->no_proxy ? "" : NULL);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_bundle)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_bundle);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 3000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ssrfguard/0.1");
	if (req->cancel) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, req);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (req->fresh_connection) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	}
	if (!strcmp(req->method, "POST") || !strcmp(req->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (!strcmp(req->method, "PUT"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

/* A failed exchange (cc) classified for the retry policy: whether the
 * request certainly went unsent (CONNECT), may have been processed (IO), or
 * cannot succeed by retrying (FATAL). */
static sg_err classify_failure(CURL *h, CURLcode cc, int too_big, enum aws_failure *fail)
{
	curl_off_t connect_us = 0;
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		*fail = AWS_FAIL_CONNECT;
		return SG_ERR_NETWORK;
	case CURLE_OPERATION_TIMEDOUT:
		*fail = connect_us == 0 ? AWS_FAIL_CONNECT : AWS_FAIL_IO;
		return SG_ERR_TIMEOUT;
	case CURLE_ABORTED_BY_CALLBACK: /* req->cancel */
		*fail = AWS_FAIL_FATAL;
		return SG_ERR_STATE;
	case CURLE_WRITE_ERROR:
		*fail = AWS_FAIL_FATAL;
		return too_big ? SG_ERR_RANGE : SG_ERR_NOMEM;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		*fail = AWS_FAIL_IO;
		return SG_ERR_NETWORK;
	default: /* TLS verification, bad URL, ...: retrying will not help */
		*fail = AWS_FAIL_FATAL;
		return SG_ERR_NETWORK;
	}
}

sg_err aws_http_do(CURL *h, const struct aws_http_req *req, struct aws_http_resp *resp,
                   enum aws_failure *fail, char *diag, size_t diaglen)
{
	struct curl_slist *hdrs = NULL;
	struct sink s;
	sg_err rc = SG_ERR_INVAL;
	char errbuf[CURL_ERROR_SIZE] = "";

	*fail = AWS_FAIL_FATAL;
	memset(resp, 0, sizeof *resp);
	if (diag && diaglen)
		diag[0] = '\0';
	sg_buf_init(&s.body, req->max_reply ? req->max_reply : HTTP_DEFAULT_MAX_REPLY);
	s.resp = resp;
	s.too_big = 0;
	s.h = h;
	s.req = req;
	if (!h || !req->method || !req->url)
		goto fail;

	curl_easy_reset(h);
	if ((rc = header_list(req, &hdrs)))
		goto fail;
	set_options(h, req, hdrs, &s, errbuf);

	CURLcode cc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = classify_failure(h, cc, s.too_big, fail);
		if (diag && diaglen)
			snprintf(diag, diaglen, "%s%s%s", curl_easy_strerror(cc),
			         errbuf[0] ? ": " : "", errbuf);
		goto done;
	}
	sg_buf_append(&s.body, "", 0);
	rc = sg_buf_err(&s.body);
	if (rc)
		goto fail;
	resp->status = status;
	resp->body = sg_buf_take(&s.body, &resp->len);
	if (!resp->body) {
		rc = SG_ERR_NOMEM;
		goto fail;
	}
	*fail = AWS_FAIL_NONE;
	rc = SG_OK;
	goto done;
fail:
	if (diag && diaglen && !diag[0])
		snprintf(diag, diaglen, "%s", sg_strerror(rc));
done:
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	sg_buf_free(&s.body);
	return rc;
}

sg_err aws_http_once(const struct aws_http_req *req, struct aws_http_resp *resp, char *diag,
                     size_t diaglen)
{
	enum aws_failure fail;
	CURL *h = curl_easy_init();
	if (!h) {
		memset(resp, 0, sizeof *resp);
		if (diag && diaglen)
			snprintf(diag, diaglen, "%s", sg_strerror(SG_ERR_NOMEM));
		return SG_ERR_NOMEM;
	}
	sg_err rc = aws_http_do(h, req, resp, &fail, diag, diaglen);
	curl_easy_cleanup(h);
	return rc;
}
