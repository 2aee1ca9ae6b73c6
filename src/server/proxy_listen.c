/* proxy_listen.c — the egress proxy's listener (TCP or a Unix socket),
 * pausing accept() when descriptors run out, and the proxy's setup,
 * shutdown and metrics.  Each accepted client goes to pc_accept (proxy.c).
 * See proxy.h. */
#include "server/proxy_int.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static int listen_on(struct proxy *px, const char *spec, char *err, size_t errlen)
{
	struct srv *s = px->s;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE;
	sg_listen l;
	char why[160];
	if (sg_listen_parse(spec, SG_LISTEN_UNIX | SG_LISTEN_PORT0, &l, why, sizeof why) != SG_OK) {
		snprintf(err, errlen, "proxy_listen %s", why);
		return -1;
	}
	if (l.is_unix) {
		struct sockaddr_un un;
		memset(&un, 0, sizeof un);
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path, l.path, strlen(l.path)); /* at most 107 bytes: listen.h */
		unlink(un.sun_path); /* a stale socket of an earlier run */
		px->is_unix = 1;
		px->lst = evconnlistener_new_bind(s->base, on_accept, px, flags, 1024,
		                                  (struct sockaddr *)&un, sizeof un);
	} else {
		struct sockaddr_storage ss;
		int sl = sizeof ss;
		if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &sl) != 0) {
			snprintf(err, errlen, "proxy_listen '%.100s': the host must be an IP address", spec);
			return -1;
		}
		px->lst = evconnlistener_new_bind(s->base, on_accept, px, flags, 1024,
		                                  (struct sockaddr *)&ss, sl);
	}
	if (!px->lst) {
		snprintf(err, errlen, "proxy_listen %.100s: cannot bind: %s", spec, strerror(errno));
		return -1;
	}
	/* Every loop's fetches must know this port as ours (self.c); accept()
	 * pauses with the service's other listeners (conn.c). */
	struct sockaddr_storage me;
	socklen_t ml = sizeof me;
	if (getsockname(evconnlistener_get_fd(px->lst), (struct sockaddr *)&me, &ml) == 0)
		for (size_t i = 0; i < s->nloops; i++)
			self_add_listener(i ? s->peers[i - 1] : s, (struct sockaddr *)&me, ml);
	if (conn_add_listener(s, px->lst) != SG_OK) {
		snprintf(err, errlen, "proxy_listen: too many listeners");
		return -1;
	}
	return 0;
}

sg_err proxy_init(struct srv *s, char *err, size_t errlen)
{
	if (!s->cfg->proxy_listen[0])
		return SG_OK;
	struct proxy *px = calloc(1, sizeof *px);
	if (!px)
		return SG_ERR_NOMEM;
	px->s = s;
	s->proxy = px;
	sg_err e = pg_init(px, err, errlen);
	if (e != SG_OK)
		return e;
	if (pool_init(px) != 0)
		return SG_ERR_NOMEM;
	if (ptls_init(px, err, errlen) != 0)
		return SG_ERR_INVAL;
	if (listen_on(px, s->cfg->proxy_listen, err, errlen) != 0)
		return SG_ERR_NETWORK;
	return SG_OK;
}

void proxy_stop(struct srv *s)
{
	if (s->proxy && s->proxy->lst) {
		conn_remove_listener(s, s->proxy->lst);
		evconnlistener_free(s->proxy->lst);
		s->proxy->lst = NULL;
	}
}

void proxy_free(struct srv *s)
{
	struct proxy *px = s ? s->proxy : NULL;
	if (!px)
		return;
	proxy_stop(s);
	while (px->conns) {
		pconn *pc = px->conns;
		pc->pending = NULL; /* the writer's jobs are freed by incident.c */
		pc_free(pc);
	}
	pool_free(px);
	ptls_free(px);
	pg_free(px);
	free(px);
	s->proxy = NULL;
}

void proxy_metrics(struct srv *s, struct evbuffer *o)
{
	struct proxy *px = s->primary->proxy; /* any loop's /metrics; counters are atomic */
	if (!px)
		return;
	evbuffer_add_printf(o, "# HELP ssrfguard_proxy_requests_total Proxy requests and tunnels,"
	                       " by role and decision.\n# TYPE ssrfguard_proxy_requests_total counter\n");
	for (size_t r = 0; r < px->roles.n; r++)
		for (size_t d = 0; d < PX_DEC__N; d++)
			evbuffer_add_printf(o, "ssrfguard_proxy_requests_total{role=\"%s\",decision=\"%s\"}"
			                       " %llu\n", px->roles.r[r].name, pc_decision_name((int)d),
			                    (unsigned long long)SRV_READ(px->req[r * PX_DEC__N + d]));
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
	                    SRV_READ(px->nconns), (unsigned long long)SRV_READ(px->tunnels),
	                    (unsigned long long)SRV_READ(px->bytes_up), (unsigned long long)SRV_READ(px->bytes_down),
	                    (unsigned long long)SRV_READ(px->pp_bad),
	                    SRV_READ(px->npool), (unsigned long long)SRV_READ(px->pool_hits),
	                    (unsigned long long)SRV_READ(px->tls_errors));
}
