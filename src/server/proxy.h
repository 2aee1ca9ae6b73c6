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
 * Threading: the loop thread only.
 */
#ifndef SSRFGUARD_SERVER_PROXY_H
#define SSRFGUARD_SERVER_PROXY_H

#include "ssrfguard/error.h"

struct srv;
struct evbuffer;

/* Load the roles file, bind cfg->proxy_listen.  A no-op (SG_OK) when
 * proxy_listen is empty.  err names the problem. */
sg_err proxy_init(struct srv *s, char *err, size_t errlen);

/* Stop accepting (SIGTERM); open connections finish or time out. */
void proxy_stop(struct srv *s);

/* Close every connection, free everything.  NULL-safe. */
void proxy_free(struct srv *s);

/* Append the proxy's Prometheus series. */
void proxy_metrics(struct srv *s, struct evbuffer *out);

#endif
