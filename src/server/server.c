/* server.c — the HTTP side of `ssrfguard serve`: listener, routes, replies,
 * signals and draining.  See server.h. */
#include "server/srv_int.h"
#include "server/proxy.h"
#include "server/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ROUTE_GO, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_OTHER };

double srv_elapsed_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* A cleaned (printable UTF-8) heap copy of n attacker bytes, at most max. */
static char *clean_dup(const char *s, size_t n, size_t max)
{
	size_t cap = (n < max ? n : max) * 4 + 1;
	char *p = malloc(cap);
	if (p)
		text_clean(p, cap, s, n < max ? n : max);
	return p;
}

void srv_job_free(job *j)
{
	if (!j)
		return;
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->pins); /* after the handle that points at it */
	if (j->dns_ev)
		event_free(j->dns_ev);
	if (j->dns_res)
		evutil_freeaddrinfo(j->dns_res);
	if (j->body)
		evbuffer_free(j->body);
	free(j->request);
	free(j->headers);
	free(j->raw_url);
	free(j->url);
	free(j);
}

/* ---- replies ---- */

static void on_reply_done(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	conn_answered(s, req);
	if (s->replying)
		s->replying--;
	srv_check_drained(s);
}

static void send_reply(struct srv *s, struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (ctype)
		evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	if (s->draining)
		evhttp_add_header(h, "Connection", "close");
	if (evhttp_request_get_connection(req)) {
		s->replying++;
		evhttp_request_set_on_complete_cb(req, on_reply_done, s);
	}
	evhttp_send_reply(req, code, reason, body);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return code < 300 ? "OK" : code < 400 ? "Redirect" : code < 500 ? "Client Error"
	                                                             : "Server Error";
	}
}

void srv_log_request(job *j, int code, size_t bytes, const char *decision)
{
	char mem[4096];
	tbuf b;
	struct srv *s = j->s;
	tb_init(&b, mem, sizeof mem);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tb_fmt(&b, "{\"ts\":%lld.%03ld,\"event\":\"request\",\"route\":\"/go\",\"client\":",
	       (long long)now.tv_sec, now.tv_nsec / 1000000);
	tb_json(&b, j->client, strlen(j->client), 64);
	tb_fmt(&b, ",\"status\":%d,\"ms\":%.3f,\"bytes\":%zu,\"decision\":\"%s\",\"hops\":%d",
	       code, srv_elapsed_ms(&j->t0), bytes, decision, j->hop);
	if (j->blocked) {
		tb_fmt(&b, ",\"incident\":%lld,\"category\":\"%s\",\"rule\":",
		       (long long)j->rec.incident_id, sg_category_name(j->bv.category));
		tb_json(&b, j->bv.rule, strlen(j->bv.rule), 96);
	}
	tb_str(&b, ",\"url\":");
	tb_json(&b, j->raw_url ? j->raw_url : "", j->raw_url ? strlen(j->raw_url) : 0, 1024);
	tb_str(&b, "}\n");
	log_line(s, b.p, b.len);
}

void srv_reply(job *j, int code, const char *ctype, struct evbuffer *body, const char *decision)
{
	struct srv *s = j->s;
	size_t n = body ? evbuffer_get_length(body) : 0;
	metrics_count(s, ROUTE_GO, code);
	srv_log_request(j, code, n, decision);
	send_reply(s, j->req, code, reason_of(code), ctype, body);
	j->req = NULL;
}

void srv_reply_error(job *j, int code, const char *msg)
{
	char mem[1024];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	const char *err = code == 400 ? "bad_request" : code == 502 ? "bad_gateway"
	                : code == 503 ? "unavailable" : code == 504 ? "gateway_timeout" : "error";
	tb_fmt(&b, "{\"error\":\"%s\",\"message\":", err);
	tb_json(&b, msg, strlen(msg), 400);
	tb_str(&b, "}\n");
	struct evbuffer *body = evbuffer_new();
	if (body)
		evbuffer_add(body, b.p, b.len);
	srv_reply(j, code, "application/json", body, code == 400 ? "reject" : "error");
	if (body)
		evbuffer_free(body);
}

static void reply_simple(struct srv *s, struct evhttp_request *req, int route, int code,
                         const char *ctype, const char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();
	metrics_count(s, route, code);
	if (body)
		evbuffer_add(body, text, len);
	send_reply(s, req, code, reason_of(code), ctype, body);
	if (body)
		evbuffer_free(body);
}

void srv_check_drained(struct srv *s)
{
	if (s->draining && !s->inflight && !s->queued && !s->c_count && !s->replying)
		event_base_loopexit(s->base, NULL);
}

/* ---- /go ---- */

static const char *const headers_of_note[] = {
	"Host", "User-Agent", "Referer", "Origin", "X-Forwarded-For", "X-Real-IP",
	"Forwarded", "Accept", "Content-Type",
};

static char *headers_json(struct evhttp_request *req)
{
	char mem[4096];
	tbuf b;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	int first = 1;
	tb_init(&b, mem, sizeof mem);
	tb_str(&b, "{");
	for (size_t i = 0; i < sizeof headers_of_note / sizeof headers_of_note[0]; i++) {
		const char *v = evhttp_find_header(in, headers_of_note[i]);
		if (!v)
			continue;
		if (!first)
			tb_str(&b, ",");
		first = 0;
		tb_json(&b, headers_of_note[i], strlen(headers_of_note[i]), 32);
		tb_str(&b, ":");
		tb_json(&b, v, strlen(v), 300);
	}
	tb_str(&b, "}");
	if (b.trunc)
		return dupn("{\"truncated\":true}", 18);
	return dupn(b.p, b.len);
}

static void handle_go(struct srv *s, struct evhttp_request *req)
{
	job *j = calloc(1, sizeof *j);
	if (!j) {
		reply_simple(s, req, ROUTE_GO, 503, "text/plain", "out of memory\n", 14);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->s = s;
	j->req = req;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *peer = NULL;
	ev_uint16_t port = 0;
	if (evcon)
		evhttp_connection_get_peer(evcon, &peer, &port);
	text_clean(j->client, sizeof j->client, peer ? peer : "?", peer ? strlen(peer) : 1);

	const char *uri = evhttp_request_get_uri(req);
	char line[SRV_URL_MAX * 3 + 64];
	snprintf(line, sizeof line, "GET %s HTTP/%d.%d", uri, req->major, req->minor);
	j->request = clean_dup(line, strlen(line), 4096);
	j->headers = headers_json(req);
	const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	j->html = text_accepts_html(accept);
	if (!j->request || !j->headers) {
		srv_reply_error(j, 503, "out of memory");
		srv_job_free(j);
		return;
	}

	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *why = NULL;
	char *url = NULL;
	size_t ulen = 0;
	if (query_url_param(u ? evhttp_uri_get_query(u) : NULL, SRV_URL_MAX, &url, &ulen, &why) != 0) {
		j->raw_url = dupn("", 0);
		srv_reply_error(j, 400, why);
		srv_job_free(j);
		return;
	}
	j->raw_url = clean_dup(url, ulen, SRV_URL_MAX);
	j->url = url;
	if (!j->raw_url) {
		srv_reply_error(j, 503, "out of memory");
		srv_job_free(j);
		return;
	}

	sg_verdict v;
	sg_check_url(s->policy, url, ulen, &v); /* on error v blocks: fail closed */
	if (v.action == SG_BLOCK && v.category == SG_CAT_MALFORMED) {
		char msg[SG_REASON_MAX + 32];
		snprintf(msg, sizeof msg, "unparsable url: %s", v.reason);
		srv_reply_error(j, 400, msg);
		srv_job_free(j);
		return;
	}
	if (v.action == SG_BLOCK) {
		incident_block(j, &v);
		return;
	}
	j->hopv = v;
	fetch_submit(j);
}

/* ---- other routes ---- */

static void handle_healthz(struct srv *s, struct evhttp_request *req)
{
	if (s->draining)
		reply_simple(s, req, ROUTE_HEALTHZ, 503, "application/json",
		             "{\"status\":\"draining\"}\n", 22);
	else
		reply_simple(s, req, ROUTE_HEALTHZ, 200, "application/json",
		             "{\"status\":\"ok\"}\n", 16);
}

static void handle_metrics(struct srv *s, struct evhttp_request *req)
{
	struct evbuffer *body = evbuffer_new();
	metrics_count(s, ROUTE_METRICS, 200);
	if (body)
		metrics_render(s, body);
	send_reply(s, req, 200, "OK", "text/plain; version=0.0.4", body);
	if (body)
		evbuffer_free(body);
}

static void route(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	conn_dispatched(s, req);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
		reply_simple(s, req, ROUTE_OTHER, 405, "application/json",
		             "{\"error\":\"method_not_allowed\",\"message\":\"only GET\"}\n", 52);
		return;
	}
	if (path && !strcmp(path, "/go"))
		handle_go(s, req);
	else if (path && !strcmp(path, "/healthz"))
		handle_healthz(s, req);
	else if (path && !strcmp(path, "/metrics"))
		handle_metrics(s, req);
	else
		reply_simple(s, req, ROUTE_OTHER, 404, "application/json",
		             "{\"error\":\"not_found\",\"message\":\"try /go?url=...\"}\n", 50);
}

/* ---- signals, drain ---- */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)fd;
	(void)what;
	const char msg[] = "{\"event\":\"drain_timeout\",\"message\":\"in-flight work abandoned\"}\n";
	log_line(s, msg, sizeof msg - 1);
	event_base_loopexit(s->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	(void)what;
	if (s->draining)
		return;
	s->draining = 1;
	char msg[160];
	int n = snprintf(msg, sizeof msg, "{\"event\":\"draining\",\"signal\":%d,\"inflight\":%zu,"
	                 "\"queued\":%zu}\n", (int)sig, s->inflight, s->queued);
	log_line(s, msg, (size_t)n);
	if (s->bound) {
		evhttp_del_accept_socket(s->http, s->bound);
		s->bound = NULL;
	}
	proxy_stop(s);
	struct timeval tv = {(time_t)s->cfg->drain_s, 0};
	event_add(s->drain_timer, &tv);
	srv_check_drained(s);
}

/* ---- setup ---- */

sg_err srv_policy_load(const srvcfg *cfg, char *const *extra, size_t nextra, sg_policy **out,
                       char *err, size_t errlen)
{
	char msg[256];
	sg_err e = sg_policy_new(out);
	if (e != SG_OK) {
		snprintf(err, errlen, "policy: %s", sg_strerror(e));
		return e;
	}
	if (cfg->policy[0]) {
		FILE *f = fopen(cfg->policy, "rb");
		if (!f) {
			snprintf(err, errlen, "policy %s: %s", cfg->policy, strerror(errno));
			return SG_ERR_IO;
		}
		char *buf = malloc(1 << 20);
		size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
		if (!buf)
			return SG_ERR_NOMEM;
		if (n == 1 << 20) {
			free(buf);
			snprintf(err, errlen, "policy %s: larger than 1 MiB", cfg->policy);
			return SG_ERR_RANGE;
		}
		e = sg_policy_parse(*out, buf, n, msg, sizeof msg);
		free(buf);
		if (e != SG_OK) {
			snprintf(err, errlen, "policy %s: %s", cfg->policy, msg);
			return e;
		}
	}
	for (size_t i = 0; i < cfg->nrules + nextra; i++) {
		const char *r = i < cfg->nrules ? cfg->rules[i] : extra[i - cfg->nrules];
		if ((e = sg_policy_add(*out, r, strlen(r), msg, sizeof msg)) != SG_OK) {
			snprintf(err, errlen, "rule '%.100s': %s", r, msg);
			return e;
		}
	}
	return SG_OK;
}

static sg_err bind_listener(struct srv *s, char *err, size_t errlen)
{
	char host[128];
	const char *l = s->cfg->listen;
	const char *colon = strrchr(l, ':');
	if (!colon || colon == l || !colon[1]) {
		snprintf(err, errlen, "listen '%.100s': want ADDR:PORT", l);
		return SG_ERR_PARSE;
	}
	size_t hn = (size_t)(colon - l);
	if (l[0] == '[' && hn >= 2 && l[hn - 1] == ']') {
		l++;
		hn -= 2;
	}
	if (hn >= sizeof host) {
		snprintf(err, errlen, "listen: address too long");
		return SG_ERR_PARSE;
	}
	memcpy(host, l, hn);
	host[hn] = '\0';
	char *end = NULL;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 0 || port > 65535) {
		snprintf(err, errlen, "listen: bad port '%.16s'", colon + 1);
		return SG_ERR_PARSE;
	}
	s->bound = evhttp_bind_socket_with_handle(s->http, host, (ev_uint16_t)port);
	if (!s->bound) {
		snprintf(err, errlen, "listen %s: cannot bind: %s", s->cfg->listen, strerror(errno));
		return SG_ERR_NETWORK;
	}
	return SG_OK;
}

sg_err srv_new(const srvcfg *cfg, const srv_identity *id, srv **out, char *err, size_t errlen)
{
	sg_err e = SG_ERR_NOMEM;
	struct srv *s = NULL;
	char msg[512];

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	s = calloc(1, sizeof *s);
	if (!s)
		goto fail;
	s->cfg = cfg;
	s->id = id;
	s->logfd = -1;
	if (!strcmp(cfg->log, "-")) {
		s->logfd = dup(STDERR_FILENO);
	} else {
		s->logfd = open(cfg->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (s->logfd < 0) {
			e = SG_ERR_IO;
			snprintf(err, errlen, "log %s: %s", cfg->log, strerror(errno));
			goto fail;
		}
	}
	if ((e = srv_policy_load(cfg, NULL, 0, &s->policy, err, errlen)) != SG_OK)
		goto fail;
	store_opts so = {.sync = cfg->store_sync_normal ? STORE_SYNC_NORMAL : STORE_SYNC_FULL,
	                 .busy_ms = (int)cfg->store_busy_ms};
	if ((e = store_open(cfg->store, &so, &s->st, msg, sizeof msg)) != SG_OK) {
		snprintf(err, errlen, "store: %s", msg);
		goto fail;
	}
	e = SG_ERR_NOMEM;
	/* The changelist folds the add/del pairs libcurl and evhttp make on a
	 * socket within one loop turn into one epoll_ctl (or none). */
	struct event_config *ecfg = event_config_new();
	if (ecfg)
		event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	s->base = ecfg ? event_base_new_with_config(ecfg) : NULL;
	if (ecfg)
		event_config_free(ecfg);
	if (!s->base)
		goto fail;
	if (log_init(s) != 0)
		goto fail;
	s->http = evhttp_new(s->base);
	if (!s->http)
		goto fail;
	evhttp_set_gencb(s->http, route, s);
	if (conn_init(s) != SG_OK)
		goto fail;
	evhttp_set_timeout(s->http, (int)cfg->client_timeout_s);
	evhttp_set_max_headers_size(s->http, (ev_ssize_t)cfg->max_request_bytes);
	evhttp_set_max_body_size(s->http, 4096);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                                    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->drain_timer = evtimer_new(s->base, on_drain_timeout, s);
	s->commit_ev = event_new(s->base, -1, 0, incident_commit, s);
	if (!s->sig_term || !s->sig_int || !s->drain_timer || !s->commit_ev)
		goto fail;
	event_add(s->sig_term, NULL);
	event_add(s->sig_int, NULL);
	if ((e = incident_init(s, err, errlen)) != SG_OK)
		goto fail;
	if ((e = fetch_init(s)) != SG_OK) {
		snprintf(err, errlen, "cannot set up the fetcher (libcurl multi handle, evdns"
		         " resolver from /etc/resolv.conf)");
		goto fail;
	}
	if ((e = proxy_init(s, err, errlen)) != SG_OK)
		goto fail;
	*out = s;
	return SG_OK;
fail:
	if (errlen && !err[0])
		snprintf(err, errlen, "%s", sg_strerror(e));
	srv_free(s);
	return e;
}

void srv_set_responder(srv *s, const srv_responder *r)
{
	if (s && r)
		s->resp = *r;
}

sg_err srv_run(srv *s)
{
	char err[512];
	sg_err e;
	signal(SIGPIPE, SIG_IGN);
	if (s->resp.start) {
		srv_responder_env env = {
			.store_path = s->cfg->store, .store_sync_normal = s->cfg->store_sync_normal,
			.lease_ms = s->cfg->lease_ms, .identity = s->id, .cfg = s->cfg,
		};
		if ((e = s->resp.start(s->resp.ctx, &env)) != SG_OK) {
			int n = snprintf(err, sizeof err, "{\"event\":\"error\",\"message\":\"embedded "
			                 "responder failed to start: %s\"}\n", sg_strerror(e));
			log_line(s, err, (size_t)n);
			return e;
		}
		s->resp_started = 1;
	}
	if ((e = bind_listener(s, err, sizeof err)) != SG_OK) {
		char line[700];
		tbuf b;
		tb_init(&b, line, sizeof line);
		tb_str(&b, "{\"event\":\"error\",\"message\":");
		tb_json(&b, err, strlen(err), 600);
		tb_str(&b, "}\n");
		log_line(s, b.p, b.len);
		fprintf(stderr, "ssrfguard serve: %s\n", err);
		goto out;
	}
	{
		char line[700];
		tbuf b;
		tb_init(&b, line, sizeof line);
		tb_str(&b, "{\"event\":\"listening\",\"listen\":");
		tb_json(&b, s->cfg->listen, strlen(s->cfg->listen), 128);
		tb_str(&b, ",\"store\":");
		tb_json(&b, s->cfg->store, strlen(s->cfg->store), 256);
		tb_str(&b, ",\"instance_id\":");
		tb_json(&b, s->id->instance_id, strlen(s->id->instance_id), 64);
		tb_str(&b, ",\"region\":");
		tb_json(&b, s->id->region, strlen(s->id->region), 32);
		tb_str(&b, ",\"az\":");
		tb_json(&b, s->id->az, strlen(s->id->az), 32);
		tb_fmt(&b, ",\"identity\":\"%s\",\"pid\":%d}\n", s->id->source, (int)getpid());
		log_line(s, b.p, b.len);
	}
	event_base_dispatch(s->base);
	{
		const char msg[] = "{\"event\":\"stopped\"}\n";
		log_line(s, msg, sizeof msg - 1);
		log_flush(s);
	}
out:
	if (s->resp_started && s->resp.stop)
		s->resp.stop(s->resp.ctx);
	s->resp_started = 0;
	return e;
}

void srv_free(srv *s)
{
	if (!s)
		return;
	if (s->resp_started && s->resp.stop)
		s->resp.stop(s->resp.ctx);
	/* Jobs still queued (drain timeout): their requests die with evhttp. */
	for (job *j = s->q_head, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	for (job *j = s->c_head, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	proxy_free(s); /* before the resolver and the loop it uses */
	if (s->multi)
		fetch_abandon(s);
	fetch_cleanup(s);
	incident_cleanup(s);
	if (s->http)
		evhttp_free(s->http);
	conn_cleanup(s);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->drain_timer)
		event_free(s->drain_timer);
	if (s->commit_ev)
		event_free(s->commit_ev);
	log_cleanup(s);
	if (s->base)
		event_base_free(s->base);
	store_close(s->st);
	sg_policy_free(s->policy);
	if (s->logfd >= 0)
		close(s->logfd);
	free(s);
}
