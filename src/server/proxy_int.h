/* proxy_int.h — private to the egress proxy: proxy.c (client connections),
 * proxy_relay.c (one request relayed, tunnels), proxy_guard.c (roles, the
 * guard at the connect, refusals and their incidents) and the files below.
 * See proxy.h. */
#ifndef SSRFGUARD_SERVER_PROXY_INT_H
#define SSRFGUARD_SERVER_PROXY_INT_H

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/list.h"
#include "proxy/http1.h"
#include "proxy/ppheader.h"
#include "proxy/roles.h"
#include "server/pin.h"
#include "server/proxy.h"
#include "server/srv_int.h"

#define PX_HIGH_WATER (256 * 1024) /* bytes queued toward one side before
                                      the other side stops being read */
#define PX_POOL_MAX 256            /* idle upstream connections kept */
#define PX_INTERIM_MAX 5           /* interim (1xx) heads relayed before a
                                      final one, as Go's net/http client */

enum px_state {
	PS_PPHDR,     /* waiting for the PROXY protocol header */
	PS_HEAD,      /* waiting for a request head */
	PS_RESOLVE,   /* resolving the upstream name (dest.h keeps the time) */
	PS_CONNECT,   /* connecting to a judged address */
	PS_COMMIT,    /* a refusal waits for its incident's commit */
	PS_RELAY,     /* request body and response flowing */
	PS_TUNNEL,    /* CONNECT established */
	PS_CLOSING,   /* flushing the last bytes to the client */
	PS_HELD,      /* answered; the next request waits until the client has
	                 read what is queued for it (below PX_HIGH_WATER / 2) */
};

enum { PX_DEC_ALLOW, PX_DEC_REPORT, PX_DEC_BLOCK, PX_DEC_ERROR, PX_DEC__N };

/* A body's framing (rq_mode, rs_mode); PX_BODY_DECHUNK: chunked from the
 * upstream, relayed as its data only, ended by the close (an HTTP/1.0
 * client does not read chunked). */
enum { PX_BODY_NONE, PX_BODY_LENGTH, PX_BODY_CHUNKED, PX_BODY_CLOSE, PX_BODY_DECHUNK };

typedef struct pconn pconn;

/* One a loop (a Unix socket listener: the primary's only).  The primary's,
 * `main`, owns the TLS context every loop reads (the roles are the guard's
 * rules: rules.c, srv_int.h). */
struct proxy {
	struct srv *s;            /* its loop */
	struct proxy *main;       /* the primary loop's (itself there) */
	struct evconnlistener *lst;
	int is_unix;
	struct sg_list conns;     /* pconn, newest first */
	size_t nconns;
	uint64_t *req;            /* [RULES_SLOTS][decision] requests, this loop's */
	uint64_t tunnels, bytes_up, bytes_down, pp_bad;
	struct sg_list pool;      /* proxy_pool.c: idle upstreams, newest first */
	size_t npool;
	struct event *pool_sweep;
	uint64_t pool_hits;
	int tls_on;               /* the listener speaks TLS */
	uint64_t tls_errors;
	struct tls_live *tls;     /* main only: the context in force (src/tls) */
	/* SIGTERM (proxy_stop): open connections get proxy_drain_s */
	int draining;
	struct event *drain_ev;
	uint64_t drain_finished;  /* connections that ended by themselves */
	/* proxy_budget.c: upstreams read within max_reply_bytes, fairly
	 * (gauges and counters read by every loop's /metrics and /healthz) */
	size_t relayed;           /* upstreams read for their clients */
	size_t full;              /* ... held back: their client holds its share */
	size_t waiting;           /* ... held back: the budget is short */
	int paused;               /* the budget is short */
	int waking;               /* the held back are being woken */
	size_t full_share;        /* the share the full were last held at */
	uint64_t pauses;          /* times it came to that */
	uint64_t stalled;         /* clients closed by proxy_stall_s */
};

struct pconn {
	struct proxy *px;
	struct sg_list link;      /* in its proxy's conns */
	struct bufferevent *cli, *up;
	enum px_state state;
	char client[48];          /* source address text (after PROXY protocol) */
	int has_uid;
	uint32_t uid;
	rset *set;                /* the rules its request was judged by (a reference) */
	size_t role_ix;
	const px_role *role;      /* in set */
	struct event *tev;        /* the one timer: head deadline, connect, idle */
	int64_t last_ms, tunnel_t0_ms, deadline_ms;
	struct timespec t0;
	/* the request in progress */
	char *head;               /* its head's bytes; h points into it */
	px_head h;
	int is_connect, is_head, want_close;
	sg_verdict v;             /* stage 1, then the final verdict */
	int report;               /* allowed, but the role's mode reports it */
	char acl_why[160];
	dest d;                   /* the destination resolved and judged */
	size_t next_addr;         /* the next of d.judged to dial */
	int rq_mode, rq_done;     /* request body framing */
	uint64_t rq_left;
	px_chunk rq_ck;
	int rs_mode, rs_started, rs_close, status;
	unsigned rs_interim;      /* interim heads relayed (PX_INTERIM_MAX) */
	size_t rs_head_bytes;     /* all its heads together (max_header_bytes) */
	char err_why[160];        /* an error answer's reason, for the log */
	uint64_t rs_left;
	px_chunk rs_ck;
	uint64_t up_bytes, down_bytes;
	/* upstream kept for the next request */
	char up_host[SG_HOST_MAX];
	unsigned up_port;
	size_t up_role_ix;
	uint64_t up_gen;          /* the rules' reading it was judged under */
	pin_sa up_addr;           /* the address it is connected to */
	int up_reusable;
	job *pending;             /* refusal waiting for the store */
	int gone;                 /* client went away while pending */
	int head_started;         /* bytes of a head arrived: its deadline runs */
	int cli_eof, up_eof;      /* tunnel half-closes */
	int64_t incident;         /* the refusal's incident, for the log */
	struct ptunnel *sp;       /* a tunnel relayed by splice(2), or NULL */
	int tls;                  /* cli is a TLS filter over the socket */
	conn_guest *guest;        /* counted in max_connections (conn.c) */
	/* proxy_budget.c */
	struct evbuffer *watched[2]; /* its client-bound buffers, counted */
	size_t out_held;          /* their bytes (in the service's reply bytes) */
	int rd;                   /* up is read for the client: counted in relayed */
	int rd_full, rd_wait;     /* ... held back: its share is held, or no room */
	int64_t took_ms;          /* its client last took bytes (proxy_stall_s) */
};

/* proxy_listen.c: a connection ended while draining */
void proxy_drain_check(struct proxy *px);

/* proxy.c */
int pc_idle(const pconn *pc);           /* no request in progress */
void pc_accept(struct proxy *px, evutil_socket_t fd, const struct sockaddr *sa);
const char *pc_decision_name(int decision);
void pc_free(pconn *pc);
void pc_reply(pconn *pc, int code, const char *ctype, const char *extra_headers,
              const char *body, size_t len, int close);
void pc_reply_error(pconn *pc, int code, const char *msg);
void pc_log(pconn *pc, int status, int decision);
void pc_arm(pconn *pc, int64_t ms);     /* the connection's timer, ms from now */
/* A socket to sa (already judged) with the upstream callbacks; state
 * PS_CONNECT.  -1 if no connection attempt could start. */
int pc_dial(pconn *pc, const struct sockaddr *sa, socklen_t len);
/* A pooled one, connected to addr. */
void pc_adopt_upstream(pconn *pc, struct bufferevent *bev, const pin_sa *addr);
void pc_drop_upstream(pconn *pc);
/* The request is answered: wait for the next one (or hold it while the
 * client does not read its answers). */
void pc_next_request(pconn *pc);
/* No further request: flush what is queued for the client, then free pc. */
void pc_close_after_flush(pconn *pc);

/* proxy_relay.c */
void pc_try_head(pconn *pc);             /* parse a request head, if whole, and act */
void pc_pump_request(pconn *pc);         /* the request body toward the upstream */
void pc_pump_response(pconn *pc);        /* the response head, then its body */
void pc_response_done(pconn *pc);        /* keep or drop the upstream, then the next */
void pc_start_upstream(pconn *pc);       /* connected: send head or 200 */
/* Tunnel: everything from src to dst (counted), with backpressure. */
void pc_relay_bytes(struct bufferevent *src, struct bufferevent *dst, uint64_t *count);

/* proxy_pool.c: idle upstream connections shared between clients */
int pool_init(struct proxy *px);
void pool_free(struct proxy *px);
/* Keep pc's upstream if it is reusable, else close it; pc->up is NULL after. */
void pool_put(pconn *pc);
/* An idle connection judged for (host, port) under role role_ix of the
 * rules' reading gen, connected to an address of judged (this hop's own
 * judgement: a name's answers may have changed since), or NULL; *addr is
 * its address. */
struct bufferevent *pool_take(struct proxy *px, const char *host, unsigned port,
                              size_t role_ix, uint64_t gen, const pin_set *judged,
                              pin_sa *addr);

/* proxy_splice.c: relay an established tunnel with splice(2); -1 if it
 * cannot (the caller relays through the bufferevents instead). */
int pt_start(pconn *pc);
void pt_free(struct ptunnel *t);

/* proxy_budget.c: the bytes queued toward the proxy's clients count in
 * max_reply_bytes (with /go's); the upstreams read for clients share it
 * fairly: each client holds at most its share (the budget divided by the
 * upstreams relayed, within [16 KiB, PX_HIGH_WATER]), below 16 KiB it is
 * always read, above that only while the budget has room.  Spliced
 * tunnels are outside: the kernel's pipes hold their bytes. */
void pb_sync(struct proxy *px);   /* the room again (each second: /go's share moved) */
size_t pb_share(const struct proxy *px); /* a client's share now */
void pb_watch(pconn *pc);         /* count pc->cli's output (and, TLS, its socket's) */
void pb_forget(pconn *pc);        /* before pc->cli is freed; also pb_done */
void pb_read_upstream(pconn *pc); /* read pc->up within its client's cap and the room */
void pb_done(pconn *pc);          /* pc->up is no longer read for the client */
int pb_waiting(const pconn *pc);  /* pc->up is not read now: no room */
/* Each second: pb_sync, and when the budget is short every client that
 * took none of the bytes it holds for proxy_stall_s is closed (logged,
 * counted). */
void pb_tick(struct proxy *px);

/* proxy_tls.c: TLS on the listener, client certificates.  The context is
 * built again on SIGHUP (proxy_reload) and when a file changes; a reload
 * that fails keeps the one in force and says why (ptls_state). */
int ptls_init(struct proxy *px, char *err, size_t errlen); /* 0, or -1 and err */
void ptls_free(struct proxy *px);
void ptls_reload(struct proxy *px, const char *why); /* main only */
typedef struct ptls_status {
	int on, failing;
	char why[300];
	uint64_t reloads, failures;
} ptls_status;
void ptls_state(const struct proxy *px, ptls_status *out);
int ptls_wrap(pconn *pc);                 /* pc->cli becomes a TLS filter over it */
/* The verified client certificate's subject CN and DNS SANs; 0 if none. */
size_t ptls_peer_names(pconn *pc, char (*names)[256], size_t max);
void ptls_error_text(pconn *pc, char *out, size_t cap);

/* proxy_guard.c */
/* Pick the role of this request; 0, or -1 after answering (407). */
int pg_role(pconn *pc);
/* Judge the request's destination and dial it (or refuse it). */
void pg_route(pconn *pc, px_span host, unsigned port, const char *url, size_t ulen);
/* Connect to the next judged address, or 502. */
void pg_connect_next(pconn *pc);

#endif
