/* server.c — the HTTP side of `ssrfguard serve`: listener, routes, replies,
 * signals and draining.  See server.h. */
#include "server/srv_int.h"
#include "server/proxy.h"
#include "server/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

char *srv_clean_dup(const char *s, size_t n, size_t max)
{
	size_t cap = (n < max ? n : max) * 4 + 1;
	char *p = malloc(cap);
	if (p)
		sg_text_clean(p, cap, s, n < max ? n : max);
	return p;
}

/* Spare jobs a loop keeps: a job is 3.5 KiB, past malloc's per-thread
 * cache, so each request's calloc and free took glibc's slow path. */
#define SRV_JOB_SPARE 64

job *srv_job_new(struct srv *s)
{
	job *j = s->spare;
	if (j) {
		s->spare = j->next;
		s->nspare--;
		memset(j, 0, sizeof *j);
	} else if (!(j = calloc(1, sizeof *j))) {
		return NULL;
	}
	sg_list_init(&j->run_link); /* unlinked: removing it is harmless */
	return j;
}

static void spares_free(struct srv *s)
{
	while (s->spare) {
		job *j = s->spare;
		s->spare = j->next;
		free(j);
	}
	s->nspare = 0;
}

void srv_job_free(job *j)
{
	if (!j)
		return;
	fetch_easy_release(j);
	gf_free(j);
	curl_slist_free_all(j->pins); /* after the handle let go of them */
	curl_slist_free_all(j->connect_to);
	dest_free(&j->d);
	if (j->body) {
		j->s->fetch_bytes -= j->body_bytes < j->s->fetch_bytes ? j->body_bytes
		                                                        : j->s->fetch_bytes;
		evbuffer_free(j->body);
	}
	free(j->request);
	free(j->headers);
	free(j->raw_url);
	free(j->url);
	rset_release(j->rules);
	struct srv *s = j->s;
	if (s && s->nspare < SRV_JOB_SPARE) {
		j->next = s->spare;
		s->spare = j;
		s->nspare++;
	} else {
		free(j);
	}
}

/* ---- replies ---- */

void srv_log_request(job *j, int code, size_t bytes, const char *decision)
{
	char mem[4096];
	tbuf b;
	struct srv *s = j->s;
	tb_init(&b, mem, sizeof mem);
	tb_str(&b, "{\"event\":\"request\",\"route\":\"/go\",\"client\":");
	tb_json(&b, j->client, strlen(j->client), 64);
	long long us = (long long)((j->end_ms > 0 ? j->end_ms : srv_elapsed_ms(&j->t0)) * 1e3);
	if (us < 0)
		us = 0;
	char frac[5] = {'.', (char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10),
	                (char)('0' + us % 10), '\0'};
	/* the usual fields from pieces: tb_fmt's printf cost a tenth of a request */
	tb_str(&b, ",\"status\":");
	tb_u64(&b, (uint64_t)code);
	tb_str(&b, ",\"ms\":");
	tb_u64(&b, (uint64_t)(us / 1000));
	tb_str(&b, frac);
	tb_str(&b, ",\"bytes\":");
	tb_u64(&b, bytes);
	tb_str(&b, ",\"decision\":\"");
	tb_str(&b, decision);
	tb_str(&b, "\",\"hops\":");
	tb_u64(&b, (uint64_t)j->hop);
	if (j->blocked) {
		tb_fmt(&b, ",\"incident\":%lld,\"category\":\"%s\",\"rule\":",
		       (long long)j->rec.incident_id, sg_category_name(j->bv.category));
		tb_json(&b, j->bv.rule, strlen(j->bv.rule), 96);
	}
	tb_str(&b, ",\"url\":");
	tb_json(&b, j->raw_url ? j->raw_url : "", j->raw_url ? strlen(j->raw_url) : 0, 1024);
	tb_str(&b, "}\n");
	log_line(s, "info", b.p, b.len);
}

/* A /go job's answer (an evbuffer body, or len bytes at p): counted,
 * logged, written to its client if it is still there. */
static void reply(job *j, int code, const char *ctype, struct evbuffer *body, const char *p,
                  size_t len, const char *decision)
{
	struct srv *s = j->s;
	metrics_count(s, ROUTE_GO, code);
	srv_log_request(j, code, body ? evbuffer_get_length(body) : len, decision);
	if (j->fc)
		fr_reply(j->fc, code, ctype, j->sandbox ? "Content-Security-Policy: sandbox\r\n" : NULL,
		         body, p, len, 0);
	j->fc = NULL;
}

void srv_reply(job *j, int code, const char *ctype, struct evbuffer *body, const char *decision)
{
	reply(j, code, ctype, body, NULL, 0, decision);
}

void srv_reply_error(job *j, int code, const char *msg)
{
	char mem[1024];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	const char *err = code == 400 ? "bad_request" : code == 499 ? "client_closed"
	                : code == 502 ? "bad_gateway" : code == 503 ? "unavailable"
	                : code == 504 ? "gateway_timeout" : code == 508 ? "loop_detected" : "error";
	tb_fmt(&b, "{\"error\":\"%s\",\"message\":", err);
	tb_json(&b, msg, strlen(msg), 400);
	tb_str(&b, "}\n");
	reply(j, code, "application/json", NULL, b.p, b.len, code == 400 ? "reject"
	      : code == 499 ? "client_gone" : "error");
}

static void reply_simple(struct srv *s, fr_conn *c, int route, int code, const char *ctype,
                         const char *extra, const char *text, size_t len, int close)
{
	metrics_count(s, route, code);
	fr_reply(c, code, ctype, extra, NULL, text, len, close);
}

void srv_check_drained(struct srv *s)
{
	if (s->draining && !s->inflight && !s->queued && !s->c_count && !fr_replying(s) &&
	    !proxy_busy(s))
		event_base_loopexit(s->base, NULL);
}

/* ---- /go ---- */

/* A header of the request head, for srv_headers_json. */
static const char *head_field(void *ctx, const char *name, size_t *len)
{
	const px_field *f = px_find(ctx, name);
	*len = f ? f->value.n : 0;
	return f ? f->value.p : NULL;
}

/* The request line and the headers of note, kept as the evidence of an
 * attempt: taken only when a /go request is blocked, while its request is
 * still there (an allowed fetch never pays for them). */
void srv_job_evidence(job *j)
{
	if (!j->fc || j->request)
		return;
	const px_head *h = fr_head(j->fc);
	char line[SRV_URL_MAX * 3 + 64];
	int tn = h->target.n < SRV_URL_MAX * 3 ? (int)h->target.n : SRV_URL_MAX * 3;
	int n = snprintf(line, sizeof line, "GET %.*s HTTP/1.%d", tn, h->target.p, h->minor);
	j->request = srv_clean_dup(line, n > 0 ? (size_t)n : 0, 4096);
	j->headers = srv_headers_json(NULL, head_field, (void *)(uintptr_t)h);
}

/* The query of a target ("/go?url=..."), NUL-terminated, a fragment cut
 * off (then in *copy, which the caller frees; the request head itself is
 * left whole, it is the evidence); NULL if none. */
static const char *query_of(fr_conn *c, char **copy)
{
	const char *t = fr_target(c);
	const char *q = strchr(t, '?');
	*copy = NULL;
	if (!q)
		return NULL;
	const char *hash = strchr(q + 1, '#');
	if (!hash)
		return q + 1;
	size_t n = (size_t)(hash - q - 1);
	if ((*copy = malloc(n + 1))) {
		memcpy(*copy, q + 1, n);
		(*copy)[n] = '\0';
	}
	return *copy ? *copy : "";
}

static void handle_go(struct srv *s, fr_conn *c)
{
	job *j = srv_job_new(s);
	if (!j) {
		reply_simple(s, c, ROUTE_GO, 503, "text/plain", NULL, "out of memory\n", 14, 0);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	j->s = s;
	j->fc = c;
	j->rules = rset_hold(rules_current(s)); /* the newest reading, to the end */
	const char *peer = fr_peer(c); /* inet_ntop's text: nothing to clean */
	size_t pn = strnlen(peer, sizeof j->client - 1);
	memcpy(j->client, peer, pn);
	j->client[pn] = '\0';

	const px_field *accept = px_find(fr_head(c), "accept");
	if (accept) {
		char a[512];
		size_t an = accept->value.n < sizeof a - 1 ? accept->value.n : sizeof a - 1;
		memcpy(a, accept->value.p, an);
		a[an] = '\0';
		j->html = text_accepts_html(a);
	}

	const char *why = NULL;
	char *url = NULL;
	size_t ulen = 0;
	char *qcopy;
	int bad = query_url_param(query_of(c, &qcopy), SRV_URL_MAX, &url, &ulen, &why);
	free(qcopy);
	if (bad != 0) {
		j->raw_url = dupn("", 0);
		srv_reply_error(j, 400, why);
		srv_job_free(j);
		return;
	}
	j->raw_url = srv_clean_dup(url, ulen, SRV_URL_MAX);
	j->url = url;
	if (!j->raw_url) {
		srv_reply_error(j, 503, "out of memory");
		srv_job_free(j);
		return;
	}

	sg_verdict v;
	sg_check_url(j->rules->policy, url, ulen, &v); /* on error v blocks: fail closed */
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

int srv_store_pressure(struct srv *s, int64_t *bytes)
{
	int64_t cap = s->cfg->store_max_bytes;
	*bytes = 0;
	if (store_size(s->st, bytes) != SG_OK || cap <= 0)
		return 0;
	return *bytes >= cap ? 2 : *bytes >= cap / 10 * 9 ? 1 : 0;
}

void srv_health_get(struct srv *s, srv_health *h)
{
	memset(h, 0, sizeof *h);
	/* The store: the last commit, and a read now (a corrupt store that no
	 * blocked request has touched yet fails here). */
	incident_last_commit(s, h->store_why, sizeof h->store_why);
	h->store_ok = !h->store_why[0];
	if (h->store_ok && store_ping(s->st) != SG_OK) {   /* one small read, not the list */
		h->store_ok = 0;
		snprintf(h->store_why, sizeof h->store_why, "cannot read the store: %.150s",
		         store_errmsg(s->st));
	}
	h->store_pressure = srv_store_pressure(s, &h->store_bytes);
	h->responder = SRV_RESPONDER_OFF;
	if (s->resp_started)
		h->responder = s->resp.status ? s->resp.status(s->resp.ctx, h->responder_why,
		                                               sizeof h->responder_why)
		                              : SRV_RESPONDER_RUNNING;
}

/* 200 while every part works ("ok", or "degraded" with a warning when the
 * store is near or at its cap: attempts are then counted, not detailed);
 * 503 while draining or when a part fails (which part, and why). */
static void handle_healthz(struct srv *s, fr_conn *c)
{
	static const char *const resp_names[] = {"off", "running", "failing"};
	char mem[3072];
	tbuf b;
	srv_health h;
	proxy_state px;
	srv_health_get(s, &h);
	rules_status rs;
	proxy_status(s, &px);
	rules_state(s, &rs);
	int failing = !h.store_ok || h.responder == SRV_RESPONDER_FAILING;
	int degraded = h.store_pressure || px.tls_failing || rs.failing;
	tb_init(&b, mem, sizeof mem);
	tb_fmt(&b, "{\"status\":\"%s\",\"version\":\"%s\",\"store\":\"%s\"",
	       s->draining ? "draining" : failing ? "failing" : degraded ? "degraded" : "ok",
	       SSRFGUARD_VERSION, h.store_ok ? "ok" : "failing");
	if (!h.store_ok) {
		tb_str(&b, ",\"store_error\":");
		tb_json(&b, h.store_why, strlen(h.store_why), 200);
	}
	tb_fmt(&b, ",\"store_bytes\":%lld,\"store_max_bytes\":%lld", (long long)h.store_bytes,
	       (long long)s->cfg->store_max_bytes);
	/* blocked attempts whose DynamoDB write was never answered, still being
	 * settled (store_settle, each second): each may be recorded, at most once */
	struct srv *prim = s->primary ? s->primary : s;
	tb_fmt(&b, ",\"store_unsettled\":%llu",
	       (unsigned long long)SRV_READ(prim->m.unsettled_kept));
	if (h.store_pressure)
		tb_fmt(&b, ",\"warnings\":[\"store %s its cap: further attempts are counted in "
		           "their incident, not stored in detail\"]",
		       h.store_pressure == 2 ? "at" : "near");
	tb_fmt(&b, ",\"responder\":\"%s\"", resp_names[h.responder]);
	if (h.responder == SRV_RESPONDER_FAILING) {
		tb_str(&b, ",\"responder_error\":");
		tb_json(&b, h.responder_why, strlen(h.responder_why), 200);
	} else if (h.responder_why[0]) { /* running, with something to fix */
		tb_str(&b, ",\"responder_warning\":");
		tb_json(&b, h.responder_why, strlen(h.responder_why), 200);
	}
	if (px.tls) { /* a reload that failed leaves the files loaded before in force */
		tb_fmt(&b, ",\"proxy_tls\":\"%s\"", px.tls_failing ? "reload_failed" : "ok");
		if (px.tls_failing) {
			tb_str(&b, ",\"proxy_tls_error\":");
			tb_json(&b, px.tls_why, strlen(px.tls_why), 300);
		}
	}
	/* likewise the guard's rules: the reading before stays in force */
	tb_fmt(&b, ",\"policy\":\"%s\",\"policy_generation\":%llu",
	       rs.failing ? "reload_failed" : "ok", (unsigned long long)rs.gen);
	if (rs.failing) {
		tb_str(&b, ",\"policy_error\":");
		tb_json(&b, rs.why, strlen(rs.why), 300);
	}
	/* max_reply_bytes: the bytes held for clients, and the proxy's share of it */
	tb_fmt(&b, ",\"reply_budget\":{\"bytes\":%zu,\"max_reply_bytes\":%lld",
	       metrics_reply_bytes(s),
	       (long long)srv_lim(s)->max_reply_bytes * (long long)s->nloops);
	if (px.on)
		tb_fmt(&b, ",\"short\":%zu,\"relayed\":%zu,\"waiting\":%zu,\"stalled_closed\":%llu",
		       px.budget_short, px.budget_relayed, px.budget_waiting,
		       (unsigned long long)px.budget_stalled);
	tb_str(&b, "}");
	if (rs.restart[0]) { /* changed in a config file, not in force */
		tb_str(&b, ",\"restart_needed\":");
		tb_json(&b, rs.restart, strlen(rs.restart), RULES_RESTART_MAX);
	}
	tb_str(&b, "}\n");
	reply_simple(s, c, ROUTE_HEALTHZ, s->draining || failing ? 503 : 200, "application/json",
	             NULL, b.p, b.len, 0);
}

static void handle_metrics(struct srv *s, fr_conn *c)
{
	struct evbuffer *body = evbuffer_new();
	metrics_count(s, ROUTE_METRICS, 200);
	if (body)
		metrics_render(s, body);
	fr_reply(c, 200, "text/plain; version=0.0.4", NULL, body, NULL, 0, 0);
	if (body)
		evbuffer_free(body);
}

/* A request this service sent itself, come back (through a redirect, a
 * load balancer or another proxy): it carries our Via mark. */
int srv_via_seen(const struct srv *s, const px_head *h)
{
	const char *mark = s->via + SRV_VIA_MARK;
	size_t mn = s->via_len - SRV_VIA_MARK;
	for (size_t i = 0; i < h->nfields; i++)
		if (px_span_ieq(h->f[i].name, "via") &&
		    memmem(h->f[i].value.p, h->f[i].value.n, mark, mn))
			return 1;
	return 0;
}

/* The path of a target: origin-form up to '?' or '#' (an absolute-form
 * target's own path). */
static px_span path_of(px_span t)
{
	px_span scheme, auth, origin;
	int slash;
	if (t.n && t.p[0] != '/' && px_split_absolute(t, &scheme, &auth, &origin, &slash) == 0)
		t = origin;
	size_t n = 0;
	while (n < t.n && t.p[n] != '?' && t.p[n] != '#')
		n++;
	return (px_span){t.p, n};
}

/* Framing the parser refused (conflicting Content-Length, ...) never
 * reaches here: front.c answered 400 and closed. */
void srv_route(struct srv *s, fr_conn *c)
{
	const px_head *h = fr_head(c);
	if (srv_via_seen(s, h)) {
		static const char msg[] = "{\"error\":\"loop_detected\",\"message\":\"this request "
		                          "was sent by this service itself\"}\n";
		reply_simple(s, c, ROUTE_OTHER, 508, "application/json", NULL, msg, sizeof msg - 1, 1);
		return;
	}
	if (!px_span_ieq(h->method, "GET")) {
		static const char msg[] = "{\"error\":\"method_not_allowed\",\"message\":\"only GET\"}\n";
		reply_simple(s, c, ROUTE_OTHER, 405, "application/json", "Allow: GET\r\n", msg,
		             sizeof msg - 1, 0);
		return;
	}
	px_span path = path_of(h->target);
	if (path.n == 3 && !memcmp(path.p, "/go", 3)) {
		handle_go(s, c);
	} else if (path.n == 8 && !memcmp(path.p, "/healthz", 8)) {
		handle_healthz(s, c);
	} else if (path.n == 8 && !memcmp(path.p, "/metrics", 8)) {
		handle_metrics(s, c);
	} else {
		static const char msg[] = "{\"error\":\"not_found\",\"message\":\"try /go?url=...\"}\n";
		reply_simple(s, c, ROUTE_OTHER, 404, "application/json", NULL, msg, sizeof msg - 1, 0);
	}
}

/* ---- signals, drain ---- */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)fd;
	(void)what;
	const char msg[] = "{\"event\":\"drain_timeout\",\"message\":\"in-flight work abandoned\"}\n";
	log_line(s, "warning", msg, sizeof msg - 1);
	event_base_loopexit(s->base, NULL);
}

void srv_drain(struct srv *s, int sig)
{
	if (s->draining)
		return;
	s->draining = 1;
	char msg[160];
	int n = snprintf(msg, sizeof msg, "{\"event\":\"draining\",\"loop\":%zu,\"signal\":%d,"
	                 "\"inflight\":%zu,\"queued\":%zu}\n", s->index, sig, s->inflight, s->queued);
	log_line(s, "info", msg, (size_t)n);
	fr_stop(s);
	proxy_stop(s);
	/* the proxy cuts what is left at proxy_drain_s; the loop outlasts it */
	const srvcfg_limits *l = srv_lim(s);
	int64_t wait = s->proxy && l->proxy_drain_s + 1 > l->drain_s ? l->proxy_drain_s + 1
	                                                            : l->drain_s;
	struct timeval tv = {(time_t)wait, 0};
	event_add(s->drain_timer, &tv);
	srv_check_drained(s);
}

/* ---- setup ---- */

void srv_nodelay(int fd)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
		/* not TCP (a unix: listener): nothing to hold back */
	}
}

size_t srv_via_new(char *out, size_t cap)
{
	unsigned char r[8] = {0};
	char hex[17];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		uint64_t x = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^ (uint64_t)getpid();
		memcpy(r, &x, sizeof r);
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	int n = snprintf(out, cap, "Via: 1.1 ssrfguard-%s", hex);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Serve HTTP on fd, a listening socket (loops.c made it). */
sg_err srv_listen_on(struct srv *s, evutil_socket_t fd)
{
	return fr_listen(s, fd);
}

/* One event loop of the service (loops.c makes them all): cfg is the
 * settings every loop shares (its limits are read through the rules,
 * srv_lim); log is the shared log. */
sg_err srv_loop_new(const srvcfg *cfg, const srv_identity *id, struct srv_log *log,
                    struct srv *primary, size_t index, size_t nloops, srv **out,
                    char *err, size_t errlen)
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
	sg_list_init(&s->running);
	s->cfg = cfg;
	s->id = id;
	s->log = log;
	s->index = index;
	s->nloops = nloops;
	s->primary = primary ? primary : s;
	if (primary)
		memcpy(s->via, primary->via, sizeof s->via);
	else
		srv_via_new(s->via, sizeof s->via);
	s->via_len = strlen(s->via);
	s->wake_fd = -1;
	pthread_mutex_init(&s->pub_mu, NULL);
	store_opts so = srvcfg_store_opts(cfg);
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
	if (!primary && (e = rules_init(s, err, errlen)) != SG_OK)
		goto fail;
	if (primary)
		s->rset = rset_hold(rules_current(primary)); /* before any loop runs */
	e = SG_ERR_NOMEM;
	if (conn_init(s) != SG_OK || fr_init(s) != SG_OK)
		goto fail;
	s->drain_timer = evtimer_new(s->base, on_drain_timeout, s);
	s->commit_ev = event_new(s->base, -1, 0, incident_commit, s);
	if (!s->drain_timer || !s->commit_ev)
		goto fail;
	if ((e = incident_init(s, err, errlen)) != SG_OK)
		goto fail;
	if ((e = fetch_init(s)) != SG_OK) {
		snprintf(err, errlen, "cannot set up the fetcher (libcurl multi handle, evdns"
		         " resolver from /etc/resolv.conf)");
		goto fail;
	}
	*out = s;
	return SG_OK;
fail:
	if (errlen && !err[0])
		snprintf(err, errlen, "%s", sg_strerror(e));
	srv_loop_free(s);
	return e;
}

void srv_loop_free(srv *s)
{
	if (!s)
		return;
	proxy_free(s); /* before the resolver and the loop it uses */
	/* Jobs still queued (drain timeout): their connections close below. */
	for (job *j = s->q_head, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	for (job *j = s->c_head, *n; j; j = n) {
		n = j->next;
		srv_job_free(j);
	}
	if (s->multi)
		fetch_abandon(s);
	fetch_cleanup(s);
	incident_cleanup(s);
	fr_free(s);
	conn_cleanup(s);
	if (s->drain_timer)
		event_free(s->drain_timer);
	if (s->commit_ev)
		event_free(s->commit_ev);
	log_cleanup(s);
	rules_free(s);
	if (s->base)
		event_base_free(s->base);
	store_close(s->st);
	pthread_mutex_destroy(&s->pub_mu);
	self_free(s);
	spares_free(s); /* last: everything above may free jobs */
	free(s);
}
