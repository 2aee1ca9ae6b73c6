/* server.c — the dashboard's HTTP side (libevent evhttp): the token check,
 * the routes, the security headers on every response. */
#include "dashboard/dashboard.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dashboard/assets.h"
#include "dashboard/dash_int.h"
#include "store/store.h"
#include "tls/servertls.h"

#define LOGIN_BODY_MAX 1024
#define API_PREFIX "/api/incidents"

/* Constant-time for a candidate of the token's length. */
static int token_ok(const dash *d, const char *got, size_t len)
{
	return d->token_len && len == d->token_len && CRYPTO_memcmp(got, d->cfg->token, len) == 0;
}

/* The verified client certificate's subject ("" when none). */
static size_t peer_subject(struct evhttp_request *req, char *out, size_t cap)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	return tls_peer_subject(bev ? bufferevent_openssl_get_ssl(bev) : NULL, out, cap);
}

void dash_operator(const dash *d, struct evhttp_request *req, char *out, size_t cap)
{
	char subject[DASH_OPERATOR_MAX];
	if (d->tls && peer_subject(req, subject, sizeof subject))
		snprintf(out, cap, "operator:%s", subject);
	else
		snprintf(out, cap, "operator:dashboard");
}

/* The client certificate when client_ca asks for one (the handshake has
 * refused any other), and the token when there is one. */
static int authorized(const dash *d, struct evhttp_request *req)
{
	char subject[DASH_OPERATOR_MAX];
	if (d->cfg->client_ca && d->cfg->client_ca[0] &&
	    !peer_subject(req, subject, sizeof subject))
		return 0;
	if (!d->token_len)
		return 1;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	size_t len = 0;
	const char *got = dash_request_token(evhttp_find_header(h, "Authorization"),
	                                     evhttp_find_header(h, "Cookie"), &len);
	return got && token_ok(d, got, len);
}

void dash_security_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy",
	                  "default-src 'none'; script-src 'self'; style-src 'self'; "
	                  "connect-src 'self'; img-src 'self'; form-action 'self'; "
	                  "frame-ancestors 'none'; base-uri 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}

void dash_reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *body, size_t len)
{
	dash_security_headers(req, type);
	struct evbuffer *b = evbuffer_new();
	if (b && body)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

void dash_reply_error(struct evhttp_request *req, int code, const char *reason)
{
	char body[96];
	int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", reason);
	dash_reply(req, code, reason, "application/json", body, (size_t)n);
}

/* 401 and the sign-in form; without a token to type, 403. */
static void reply_login(const dash *d, struct evhttp_request *req)
{
	if (!d->token_len)
		dash_reply_error(req, 403, "Forbidden: client certificate");
	else
		dash_reply(req, 401, "Unauthorized", dash_login_page.type, dash_login_page.body,
		           dash_login_page.len);
}

/* POST /login: the form's token, compared like the header; a good one sets
 * the cookie and sends the browser to the page. */
static void login(dash *d, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char body[LOGIN_BODY_MAX + 1];
	struct evkeyvalq q = {0};
	if (n > LOGIN_BODY_MAX) {
		dash_reply_error(req, 413, "Payload Too Large");
		return;
	}
	evbuffer_copyout(in, body, n);
	body[n] = '\0';
	const char *tok = NULL;
	if (evhttp_parse_query_str(body, &q) == 0)
		tok = evhttp_find_header(&q, "token");
	if (!tok || !token_ok(d, tok, strlen(tok))) {
		evhttp_clear_headers(&q);
		dash_log("warning", "login", "a sign-in with a wrong token");
		reply_login(d, req);
		return;
	}
	evhttp_clear_headers(&q);
	/* the token is checked printable, without ';' ',' or spaces (dash_run) */
	char cookie[sizeof DASH_COOKIE + DASH_TOKEN_MAX + 64];
	snprintf(cookie, sizeof cookie, DASH_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/%s",
	         d->cfg->token, d->tls ? "; Secure" : "");
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Set-Cookie", cookie);
	evhttp_add_header(h, "Location", "/");
	dash_reply(req, 303, "See Other", "text/plain; charset=utf-8", "", 0);
}

/* "/api/incidents/ID/ACTION" (ACTION "release" or "close") -> ID, else 0. */
static int64_t change_path(const char *path, const char *action)
{
	char digits[24];
	if (strncmp(path, API_PREFIX "/", sizeof API_PREFIX))
		return 0;
	const char *rest = path + sizeof API_PREFIX, *slash = strchr(rest, '/');
	if (!slash || strcmp(slash + 1, action) || (size_t)(slash - rest) >= sizeof digits)
		return 0;
	memcpy(digits, rest, (size_t)(slash - rest));
	digits[slash - rest] = '\0';
	return dash_path_id(digits);
}

/* A query's number (as an incident id: N or INC-N, the one reader of both),
 * 1..max; 0 when absent; -1 otherwise. */
static int64_t query_num(const struct evkeyvalq *q, const char *name, int64_t max)
{
	const char *v = evhttp_find_header(q, name);
	int64_t n = v ? dash_path_id(v) : 0;
	return !v ? 0 : n >= 1 && n <= max ? n : -1;
}

sg_err dash_page_query(struct evhttp_request *req, int64_t *before, size_t *limit)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq q = {0};
	if (qs && evhttp_parse_query_str(qs, &q) != 0)
		return SG_ERR_PARSE;
	int64_t b = query_num(&q, "before", DASH_ID_MAX), l = query_num(&q, "limit", DASH_PAGE_MAX);
	size_t known = (evhttp_find_header(&q, "before") != NULL) +
	               (evhttp_find_header(&q, "limit") != NULL), given = 0;
	for (struct evkeyval *kv = q.tqh_first; kv; kv = kv->next.tqe_next)
		given++;
	evhttp_clear_headers(&q);
	if (b < 0 || l < 0 || given != known)
		return SG_ERR_PARSE;
	*before = b;
	*limit = l ? (size_t)l : DASH_PAGE;
	return SG_OK;
}

/* GET /api/page?before=ID&limit=N. */
static sg_err page(dash *d, struct evhttp_request *req, char **json)
{
	int64_t before;
	size_t limit;
	sg_err err = dash_page_query(req, &before, &limit);
	return err ? err : dash_page_json(d->st, &d->total, before, limit, json);
}

static void api(dash *d, struct evhttp_request *req, const char *path)
{
	char *json = NULL;
	sg_err err;
	if (!strcmp(path, "/api/page"))
		err = page(d, req, &json);
	else if (!strcmp(path, API_PREFIX))
		err = dash_list_json(d->st, &json);
	else if (!strncmp(path, API_PREFIX "/", sizeof API_PREFIX) &&
	         dash_path_id(path + sizeof API_PREFIX) > 0)
		err = dash_detail_json(d->st, d->cfg, dash_path_id(path + sizeof API_PREFIX),
		                       &json);
	else
		err = SG_ERR_NOTFOUND;
	if (err == SG_ERR_NOTFOUND)
		dash_reply_error(req, 404, "Not Found");
	else if (err == SG_ERR_PARSE)
		dash_reply_error(req, 400, DASH_BAD_PAGE);
	else if (err) {
		char msg[200];
		snprintf(msg, sizeof msg, "store: %s: %s", sg_strerror(err), store_errmsg(d->st));
		dash_log("error", "store", msg);
		dash_reply_error(req, 503, "Service Unavailable");
	} else
		dash_reply(req, 200, "OK", "application/json", json, strlen(json));
	free(json);
}

void dash_handle(struct evhttp_request *req, void *arg)
{
	dash *d = arg;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!path || !*path)
		path = "/";
	if (m == EVHTTP_REQ_POST && !strcmp(path, "/login") && d->token_len) {
		login(d, req);
		return;
	}
	if ((m == EVHTTP_REQ_GET || m == EVHTTP_REQ_HEAD) && !strcmp(path, "/healthz")) {
		dash_healthz(d, req); /* no token: it names no incident */
		return;
	}
	if (!authorized(d, req)) {
		reply_login(d, req);
		return;
	}
	if (m == EVHTTP_REQ_POST && change_path(path, "release")) {
		dash_release(d, req, change_path(path, "release"));
		return;
	}
	if (m == EVHTTP_REQ_POST && change_path(path, "close")) {
		dash_close(d, req, change_path(path, "close"));
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		dash_reply_error(req, 405, "Method Not Allowed");
		return;
	}
	const dash_asset *a = dash_asset_find(path);
	if (a)
		dash_reply(req, 200, "OK", a->type, a->body, a->len);
	else if (!strcmp(path, "/api/session"))
		dash_session(d, req);
	else if (!strcmp(path, "/api/events"))
		dash_events_subscribe(d, req);
	else if (!strncmp(path, API_PREFIX, sizeof API_PREFIX - 1) || !strcmp(path, "/api/page"))
		api(d, req, path);
	else
		dash_reply_error(req, 404, "Not Found");
}
