/* proxy_listen.c — the egress proxy's listeners (TCP: one a loop, with
 * SO_REUSEPORT; a Unix socket: the primary loop's), pausing accept() with
 * the loop's other listeners, and the proxy's setup, reload, bounded drain
 * on SIGTERM, shutdown and metrics.  Each accepted client goes to pc_accept
 * (proxy.c).  See proxy.h. */
#include "server/proxy_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/listen.h"

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)l;
	(void)salen;
	pc_accept(arg, fd, sa);
}

static int listen_unix(struct proxy *px, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_un un;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
	sg_listen l;
	char why[160];
	if (sg_listen_parse(spec, SG_LISTEN_UNIX, &l, why, sizeof why) != SG_OK) {
		snprintf(err, errlen, "proxy_listen %s", why);
		return -1;
	}
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, l.path, strlen(l.path)); /* at most 107 bytes: listen.h */
	unlink(un.sun_path); /* a stale socket of an earlier run */
	px->is_unix = 1;
	px->lst = evconnlistener_new_bind(px->s->base, on_accept, px, flags, 1024,
	                                  (struct sockaddr *)&un, sizeof un);
	if (!px->lst) {
		snprintf(err, errlen, "proxy_listen %.100s: cannot bind: %s", spec, strerror(errno));
		return -1;
	}
	return 0;
}

static struct srv *loop_of(struct srv *primary, size_t i)
{
	return i ? primary->peers[i - 1] : primary;
}

/* Loop i's proxy: the primary's loads the TLS context, the others share
 * it. */
static sg_err proxy_new(struct srv *primary, size_t i, char *err, size_t errlen)
{
	struct srv *s = loop_of(primary, i);
	struct proxy *px = calloc(1, sizeof *px);
	if (!px)
		return SG_ERR_NOMEM;
	sg_list_init(&px->conns);
	sg_list_init(&px->pool);
	px->s = s;
	px->main = i ? primary->proxy : px;
	s->proxy = px;
	if (!(px->req = calloc((size_t)RULES_SLOTS * PX_DEC__N, sizeof *px->req)))
		return SG_ERR_NOMEM;
	if (i == 0) {
		if (ptls_init(px, err, errlen) != 0)
			return SG_ERR_INVAL;
	} else
		px->tls_on = px->main->tls_on;
	return pool_init(px) == 0 ? SG_OK : SG_ERR_NOMEM;
}

/* Every loop's fetches must know the proxy's port as ours (self.c); each
 * listener's accept() pauses with its loop's other listeners (conn.c). */
static int register_listener(struct srv *primary, struct proxy *px, char *err, size_t errlen)
{
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(evconnlistener_get_fd(px->lst), (struct sockaddr *)&me, &ml) == 0)
		for (size_t i = 0; i < primary->nloops; i++)
			self_add_listener(loop_of(primary, i), (struct sockaddr *)&me, ml);
	if (conn_add_listener(px->s, px->lst) != SG_OK) {
		snprintf(err, errlen, "proxy_listen: too many listeners");
		return -1;
	}
	return 0;
}

sg_err proxy_init(struct srv *s, char *err, size_t errlen)
{
	const char *spec = s->cfg->proxy_listen;
	int fds[64];
	if (!spec[0])
		return SG_OK;
	int is_unix = !strncmp(spec, "unix:", 5); /* no SO_REUSEPORT: one loop */
	size_t n = is_unix ? 1 : s->nloops < 64 ? s->nloops : 64;
	sg_err e;
	for (size_t i = 0; i < n; i++)
		if ((e = proxy_new(s, i, err, errlen)) != SG_OK)
			return e;
	if (is_unix)
		return listen_unix(s->proxy, spec, err, errlen) == 0 &&
		       register_listener(s, s->proxy, err, errlen) == 0 ? SG_OK : SG_ERR_NETWORK;
	if ((e = srv_listen_fds("proxy_listen", spec, n, fds, err, errlen)) != SG_OK)
		return e;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC;
	for (size_t i = 0; i < n; i++) {
		struct proxy *px = loop_of(s, i)->proxy;
		if (!(px->lst = evconnlistener_new(px->s->base, on_accept, px, flags, -1, fds[i]))) {
			for (size_t k = i; k < n; k++)
				close(fds[k]);
			snprintf(err, errlen, "proxy_listen: out of memory");
			return SG_ERR_NOMEM;
		}
		if (register_listener(s, px, err, errlen) != 0)
			return SG_ERR_RANGE;
	}
	return SG_OK;
}

void proxy_reload(struct srv *s)
{
	if (s->proxy && s->proxy->main == s->proxy)
		ptls_reload(s->proxy, "SIGHUP");
}

/* ---- SIGTERM: a bounded drain ---- */

static void log_drain(struct proxy *px, size_t tunnels, size_t requests)
{
	char line[300];
	int n = snprintf(line, sizeof line, "{\"event\":\"proxy_drained\",\"loop\":%zu,"
	                 "\"finished\":%llu,\"cut\":%zu,\"tunnels_cut\":%zu,"
	                 "\"requests_cut\":%zu,\"proxy_drain_s\":%lld}\n", px->s->index,
	                 (unsigned long long)px->drain_finished, tunnels + requests, tunnels,
	                 requests, (long long)srv_lim(px->s)->proxy_drain_s);
	log_line(px->s, tunnels + requests ? "warning" : "info", line,
	         n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
}

/* proxy_drain_s ran out: whatever is still open is cut, and counted. */
static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;
	size_t tunnels = 0, requests = 0;
	(void)fd;
	(void)what;
	px->draining = 2; /* logged here, once */
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &px->conns) {
		pconn *pc = sg_list_entry(l, pconn, link);
		if (pc->pending)
			continue; /* a refusal's commit: it answers and closes */
		if (pc->state == PS_TUNNEL)
			tunnels++;
		else
			requests++;
		pc_free(pc);
	}
	log_drain(px, tunnels, requests);
	srv_check_drained(px->s);
}

/* A connection ended while draining: the last one ends the drain (after
 * the cut, a refusal that waited for its commit may be the last). */
void proxy_drain_check(struct proxy *px)
{
	if (!px->draining)
		return;
	if (px->draining == 1) {
		px->drain_finished++;
		if (!sg_list_empty(&px->conns))
			return;
		px->draining = 2;
		if (px->drain_ev)
			event_del(px->drain_ev);
		log_drain(px, 0, 0);
	}
	if (sg_list_empty(&px->conns))
		srv_check_drained(px->s);
}

int proxy_busy(const struct srv *s)
{
	return s->proxy && !sg_list_empty(&s->proxy->conns);
}

void proxy_stop(struct srv *s)
{
	struct proxy *px = s->proxy;
	if (!px)
		return;
	if (px->lst) {
		conn_remove_listener(s, px->lst);
		evconnlistener_free(px->lst); /* new connections are refused */
		px->lst = NULL;
	}
	if (px->draining || !s->draining)
		return;
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &px->conns) { /* idle ones go now */
		pconn *pc = sg_list_entry(l, pconn, link);
		if (pc_idle(pc))
			pc_free(pc);
	}
	px->draining = 1;
	px->drain_finished = 0;
	if (sg_list_empty(&px->conns)) {
		px->draining = 2;
		log_drain(px, 0, 0);
		return;
	}
	struct timeval tv = {(time_t)srv_lim(s)->proxy_drain_s, 0};
	px->drain_ev = evtimer_new(s->base, on_drain_timeout, px);
	if (!px->drain_ev || evtimer_add(px->drain_ev, &tv) != 0)
		on_drain_timeout(-1, 0, px);
}

void proxy_free(struct srv *s)
{
	struct proxy *px = s ? s->proxy : NULL;
	if (!px)
		return;
	if (px->lst) {
		conn_remove_listener(s, px->lst);
		evconnlistener_free(px->lst);
		px->lst = NULL;
	}
	px->draining = 0;
	for (struct sg_list *l; (l = sg_list_first(&px->conns));) {
		pconn *pc = sg_list_entry(l, pconn, link);
		pc->pending = NULL; /* the writer's jobs are freed by incident.c */
		pc_free(pc);
	}
	if (px->drain_ev)
		event_free(px->drain_ev);
	pool_free(px);
	ptls_free(px);
	free(px->req);
	free(px);
	s->proxy = NULL;
}

/* The loops' figures summed (counters are atomic, gauges read relaxed). */
typedef struct px_sums {
	uint64_t tunnels, up, down, pp_bad, pool_hits, tls_errors, pauses, stalled;
	size_t nconns, npool, paused, relayed, held_back;
} px_sums;

static void sum_loops(struct srv *primary, px_sums *t, size_t r, size_t d, uint64_t *req)
{
	memset(t, 0, sizeof *t);
	*req = 0;
	for (size_t i = 0; i < primary->nloops; i++) {
		const struct proxy *px = loop_of(primary, i)->proxy;
		if (!px)
			continue;
		*req += SRV_READ(px->req[r * PX_DEC__N + d]);
		t->tunnels += SRV_READ(px->tunnels);
		t->up += SRV_READ(px->bytes_up);
		t->down += SRV_READ(px->bytes_down);
		t->pp_bad += SRV_READ(px->pp_bad);
		t->pool_hits += SRV_READ(px->pool_hits);
		t->tls_errors += SRV_READ(px->tls_errors);
		t->nconns += SRV_READ(px->nconns);
		t->npool += SRV_READ(px->npool);
		t->paused += (size_t)SRV_READ(px->paused);
		t->pauses += SRV_READ(px->pauses);
		t->stalled += SRV_READ(px->stalled);
		t->relayed += SRV_READ(px->relayed);
		t->held_back += SRV_READ(px->full) + SRV_READ(px->waiting);
	}
}

void proxy_status(struct srv *s, proxy_state *out)
{
	ptls_status t;
	memset(out, 0, sizeof *out);
	if (!s->primary->proxy)
		return;
	ptls_state(s->primary->proxy, &t);
	px_sums sums;
	uint64_t unused;
	sum_loops(s->primary, &sums, 0, 0, &unused);
	out->on = 1;
	out->budget_short = sums.paused;
	out->budget_relayed = sums.relayed;
	out->budget_waiting = sums.held_back;
	out->budget_stalled = sums.stalled;
	out->tls = t.on;
	out->tls_failing = t.failing;
	snprintf(out->tls_why, sizeof out->tls_why, "%s", t.why);
}

void proxy_metrics(struct srv *s, struct evbuffer *o)
{
	struct srv *primary = s->primary;
	struct proxy *px = primary->proxy; /* any loop's /metrics */
	px_sums t;
	uint64_t n = 0;
	if (!px)
		return;
	memset(&t, 0, sizeof t);
	evbuffer_add_printf(o, "# HELP ssrfguard_proxy_requests_total Proxy requests and tunnels,"
	                       " by role and decision.\n# TYPE ssrfguard_proxy_requests_total counter\n");
	const char *names[RULES_SLOTS]; /* every role since the start: counts survive reloads */
	size_t nnames = rules_names(s, names);
	for (size_t r = 0; r < nnames; r++)
		for (size_t d = 0; d < PX_DEC__N; d++) {
			sum_loops(primary, &t, r, d, &n);
			evbuffer_add_printf(o, "ssrfguard_proxy_requests_total{role=\"%s\",decision=\"%s\"}"
			                       " %llu\n", names[r], pc_decision_name((int)d),
			                    (unsigned long long)n);
		}
	evbuffer_add_printf(o, "# HELP ssrfguard_proxy_connections Open proxy client connections.\n"
	                       "# TYPE ssrfguard_proxy_connections gauge\n"
	                       "ssrfguard_proxy_connections %zu\n"
	                       "# HELP ssrfguard_proxy_tunnels_total CONNECT tunnels opened.\n"
	                       "# TYPE ssrfguard_proxy_tunnels_total counter\n"
	                       "ssrfguard_proxy_tunnels_total %llu\n"
	                       "# HELP ssrfguard_proxy_bytes_total Bytes relayed (finished requests"
	                       " and tunnels).\n# TYPE ssrfguard_proxy_bytes_total counter\n"
	                       "ssrfguard_proxy_bytes_total{direction=\"up\"} %llu\n"
	                       "ssrfguard_proxy_bytes_total{direction=\"down\"} %llu\n"
	                       "# HELP ssrfguard_proxy_protocol_errors_total Connections closed for"
	                       " a missing or bad PROXY protocol header.\n"
	                       "# TYPE ssrfguard_proxy_protocol_errors_total counter\n"
	                       "ssrfguard_proxy_protocol_errors_total %llu\n"
	                       "# HELP ssrfguard_proxy_upstream_idle Idle upstream connections kept"
	                       " for reuse.\n# TYPE ssrfguard_proxy_upstream_idle gauge\n"
	                       "ssrfguard_proxy_upstream_idle %zu\n"
	                       "# HELP ssrfguard_proxy_upstream_reused_total Requests sent on a kept"
	                       " upstream connection of another client.\n"
	                       "# TYPE ssrfguard_proxy_upstream_reused_total counter\n"
	                       "ssrfguard_proxy_upstream_reused_total %llu\n"
	                       "# HELP ssrfguard_proxy_tls_errors_total Client TLS handshakes that"
	                       " failed (no, untrusted or revoked certificate, ...).\n"
	                       "# TYPE ssrfguard_proxy_tls_errors_total counter\n"
	                       "ssrfguard_proxy_tls_errors_total %llu\n",
	                    t.nconns, (unsigned long long)t.tunnels, (unsigned long long)t.up,
	                    (unsigned long long)t.down, (unsigned long long)t.pp_bad, t.npool,
	                    (unsigned long long)t.pool_hits, (unsigned long long)t.tls_errors);
	evbuffer_add_printf(o, "# HELP ssrfguard_proxy_reply_paused Loops whose reply budget is short:"
	                       " the bytes held for clients (ssrfguard_reply_bytes) leave less than"
	                       " 4 KiB of max_reply_bytes for each upstream relayed.\n"
	                       "# TYPE ssrfguard_proxy_reply_paused gauge\n"
	                       "ssrfguard_proxy_reply_paused %zu\n"
	                       "# HELP ssrfguard_proxy_reply_pauses_total Times a loop's reply budget"
	                       " became short.\n"
	                       "# TYPE ssrfguard_proxy_reply_pauses_total counter\n"
	                       "ssrfguard_proxy_reply_pauses_total %llu\n"
	                       "# HELP ssrfguard_proxy_reply_relayed Upstreams read for their proxy"
	                       " clients (relayed responses and tunnels, not spliced).\n"
	                       "# TYPE ssrfguard_proxy_reply_relayed gauge\n"
	                       "ssrfguard_proxy_reply_relayed %zu\n"
	                       "# HELP ssrfguard_proxy_reply_waiting Of those, upstreams not read now:"
	                       " their client holds its share of max_reply_bytes, or the budget is"
	                       " short.\n"
	                       "# TYPE ssrfguard_proxy_reply_waiting gauge\n"
	                       "ssrfguard_proxy_reply_waiting %zu\n"
	                       "# HELP ssrfguard_proxy_reply_stalled_total Proxy clients closed for"
	                       " taking none of their bytes for proxy_stall_s while the budget was"
	                       " short.\n"
	                       "# TYPE ssrfguard_proxy_reply_stalled_total counter\n"
	                       "ssrfguard_proxy_reply_stalled_total %llu\n",
	                    t.paused, (unsigned long long)t.pauses, t.relayed, t.held_back,
	                    (unsigned long long)t.stalled);
	ptls_status ts;
	ptls_state(px, &ts);
	if (ts.on)
		evbuffer_add_printf(o, "# HELP ssrfguard_proxy_tls_reloads_total Reloads of the proxy's"
		                       " certificate, key, client CA and CRLs (SIGHUP or a changed file).\n"
		                       "# TYPE ssrfguard_proxy_tls_reloads_total counter\n"
		                       "ssrfguard_proxy_tls_reloads_total{result=\"ok\"} %llu\n"
		                       "ssrfguard_proxy_tls_reloads_total{result=\"error\"} %llu\n"
		                       "# HELP ssrfguard_proxy_tls_reload_failing 1 when the last reload"
		                       " failed and the files loaded before are still in force.\n"
		                       "# TYPE ssrfguard_proxy_tls_reload_failing gauge\n"
		                       "ssrfguard_proxy_tls_reload_failing %d\n",
		                    (unsigned long long)(ts.reloads - ts.failures),
		                    (unsigned long long)ts.failures, ts.failing);
}
