/*
 * proxy.h — the egress proxy of `ssrfguard serve` (--proxy-listen), on the
 * service's own event loop, sharing its guard policy, resolver, judged-answer
 * cache, incident writer, log and metrics with /go.  Prefix: proxy_.
 *
 * What a client gets:
 *   - absolute-form requests ("GET http://host/path HTTP/1.1"), any method,
 *     bodies streamed both ways (Content-Length or chunked, never buffered
 *     whole), keep-alive to the client and to the upstream it last used;
 *   - CONNECT host:port tunnels to the ports the client's role allows
 *     (default 443 and 80), relayed with idle and total timeouts, no TLS
 *     interception;
 *   - the guard at the connect (dest.h, the same code as /go): the name
 *     is resolved once (evdns, the judged-answer cache, an answer past the
 *     resolver's cap read whole), every answer judged with the role's
 *     policy, and only a judged address is dialled (judged again as a
 *     socket address just before connect(), and never one of this host's
 *     own addresses on the service's ports).  No redirect is followed: the client's next hop
 *     comes back here and is judged like the first;
 *   - a refusal: 403 with a JSON body and X-Ssrfguard-Reason, after the
 *     attempt was committed to the store (opening or joining the source's
 *     incident, exactly as /go does).
 * Hygiene: hop-by-hop fields and Proxy-Authorization are never forwarded,
 * the client's X-Forwarded-* and Forwarded fields are dropped, a Via field
 * marks each forwarded request (a request already carrying ours is a loop
 * and is refused), proxy environment variables are never read.
 *
 * Roles: see roles.h; every log line, metric and attempt names the role.
 *
 * One proxy a loop (SO_REUSEPORT; a Unix socket listener: the primary
 * loop only), each connection counted in its loop's max_connections.
 *
 * Threading: each loop's thread; proxy_init, proxy_free before and after
 * the loops run.
 */
#ifndef SSRFGUARD_SERVER_PROXY_H
#define SSRFGUARD_SERVER_PROXY_H

#include "server/config.h"
#include "ssrfguard/error.h"

struct srv;
struct evbuffer;

/* On the primary, for every loop: load the TLS files, bind cfg->proxy_listen.  A no-op (SG_OK) when proxy_listen is empty.
 * err names the problem. */
sg_err proxy_init(struct srv *s, char *err, size_t errlen);

/* The TLS files proxy_init would load, read into a context and thrown away
 * (serve --check-config): SG_OK (also when proxy_listen is empty), or
 * SG_ERR_INVAL and err in proxy_init's words. */
sg_err proxy_check_config(const srvcfg *cfg, char *err, size_t errlen);

/* SIGTERM, on each loop: stop accepting (new connections are refused),
 * close idle connections; tunnels and requests in progress get
 * proxy_drain_s to finish (a connection closes after its answer), then
 * are cut.  A log line (event proxy_drained) says how many finished and
 * how many were cut. */
void proxy_stop(struct srv *s);

/* 1 while this loop's proxy still has connections (the loop waits). */
int proxy_busy(const struct srv *s);

/* SIGHUP (primary loop): build the listener's TLS context again from its
 * files (certificate, key, client CA, CRLs); also done when one of them
 * changes.  A failure keeps what is in force, is logged and shows in
 * proxy_status.  (The roles file is the guard's rules': rules.c.) */
void proxy_reload(struct srv *s);

typedef struct proxy_state {
	int on;                   /* proxy_listen is set */
	/* its share of the reply budget (max_reply_bytes, proxy_budget.c) */
	size_t budget_short;      /* loops whose budget is short */
	size_t budget_relayed;    /* upstreams read for their clients */
	size_t budget_waiting;    /* ... held back (a client at its share, or short) */
	uint64_t budget_stalled;  /* clients closed by proxy_stall_s */
	int tls;                  /* the listener speaks TLS */
	int tls_failing;          /* the last reload failed: older files in force */
	char tls_why[300];
} proxy_state;
void proxy_status(struct srv *s, proxy_state *out); /* any loop */

/* Close every connection, free everything.  NULL-safe. */
void proxy_free(struct srv *s);

/* Append the proxy's Prometheus series. */
void proxy_metrics(struct srv *s, struct evbuffer *out);

#endif
