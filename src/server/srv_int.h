/* srv_int.h — private to src/server: the service's state, shared by
 * front.c (client connections), server.c (routes, replies), fetch.c (a
 * hop: redirects, limits; libcurl for https), gofetch.c (http hops),
 * incident.c (group commit and the 403), metrics.c and log.c. */
#ifndef SSRFGUARD_SRV_INT_H
#define SSRFGUARD_SRV_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <event2/event.h>
#include <event2/http.h>
#include <time.h>

#include "common/escape.h"
#include "common/list.h"
#include "proxy/roles.h"
#include "server/dest.h"
#include "server/front.h"
#include "server/gofetch.h"
#include "server/pin.h"
#include "server/server.h"
#include "server/text.h"
#include "ssrfguard/guard.h"
#include "store/store.h"

#define SRV_URL_MAX 8192
#define SRV_DNS_TTL_CAP_S 300 /* judged answers are reused at most this long */
#define SRV_CURL_PIN_S 60   /* a pin's life in libcurl's DNS cache */
#define SRV_REQUEST_BODY_MAX 4096 /* a client request's body (none is used) */
#define SRV_EVDNS_CAP 32     /* evdns keeps at most this many addresses a family */
#define SRV_GONE_CHECK_MS 200 /* fetches this old are cancelled if their client left */
#define SRV_EASY_POOL 64     /* finished jobs' libcurl handles a loop keeps for reuse */

/* rules.c: one reading of the guard's rules, immutable once made: the
 * service's policy (`policy` file, `rule` settings), the proxy's roles (the
 * built-in role `default` without a roles file), a policy per role, each
 * role's row of the proxy's request counters, `contain`, and the limits
 * and timeouts.  Counted: the primary holds the reading in force, each loop
 * the newest it has taken, each /go job and proxy connection the one it
 * was judged by; the last to let go frees it.
 *
 * The limits are read through a reading, never from the settings (one
 * pointer, no lock): what one request or tunnel measures from its start
 * (max_body, max_header_bytes, total_timeout_ms, connect_timeout_ms,
 * max_redirects, proxy_tunnel_s) through the reading it was judged by
 * (srv_job_lim, the proxy connection's set); everything else (connection
 * limits and waits, budgets, queues, the DNS cache, drains) through its
 * loop's newest (srv_lim), which a loop takes at each request and accepted
 * connection, and at least once a second. */
typedef struct rset {
	sg_policy *policy;        /* the service's */
	px_roles roles;
	sg_policy **pol;          /* per role; `policy` for a role without rules */
	size_t *slot;             /* per role: its row of the proxy's counters */
	uint64_t gen;             /* 1 at the start, one more each good reload */
	uint32_t contain_mask;    /* `contain`: the categories whose attempts ask
	                             for containment (srvcfg's, of this reading) */
	srvcfg_limits lim;        /* the limits: each loop's share (srv_limits_share) */
	unsigned refs;
} rset;
#define RULES_SLOTS 1024 /* rows of the proxy's counters: role names since the start */

/* One GET /go request, from arrival to answer. */
typedef struct job {
	struct srv *s;
	fr_conn *fc;                  /* its client connection; NULL once answered */
	struct job *next;             /* fetch queue / commit batch */
	struct sg_list run_link;      /* in the loop's running fetches */
	char client[48];
	char *request;                /* request line, cleaned (a blocked /go: srv_job_evidence) */
	char *headers;                /* JSON object of headers of note */
	char *raw_url;                /* the url parameter, cleaned */
	char *url;                    /* this hop's URL */
	int html;                     /* answer the 403 as HTML */
	int sandbox;                  /* upstream content: CSP sandbox */
	int hop;
	struct timespec t0;
	double end_ms;                /* ms since t0 at the hop's answer when the
	                                 reply follows at once (metrics and the
	                                 log line share one clock read), else 0 */
	rset *rules;                  /* the reading it is judged by (a reference) */
	/* fetch */
	CURL *easy;
	struct evbuffer *body;
	size_t body_bytes, hdr_bytes;
	int too_big, hdr_too_big, started;
	int bad_interim, over_budget;
	sg_verdict hopv;              /* stage-1 verdict of this hop */
	dest d;                       /* its name resolved and judged before curl
	                                 (d.addrs: the evidence of every hop) */
	int pinned;                   /* this hop dials only d.judged */
	char pin_host[SG_HOST_MAX];   /* the pin in curl's DNS cache (its
	                                 connect-to name, pin_token), to remove */
	unsigned pin_port;
	struct curl_slist *pins, *connect_to;
	gf_hop gf;                    /* an http hop on gofetch.c */
	/* block */
	int blocked;
	sg_verdict bv;                /* the blocking verdict */
	store_record_out rec;
	char dest[SG_HOST_MAX + 16];  /* "host:port" evidence */
	/* another front end (the proxy): answers the block itself once the
	 * attempt is committed (e: the commit's result); req stays NULL */
	void (*committed)(struct job *j, int contain, sg_err e);
	void *ctx;
	const char *role;             /* the proxy client's role, or NULL */
} job;

/* Counters: written by their loop, read by any loop's /metrics, so every
 * access is a relaxed atomic (SRV_COUNT, SRV_READ). */
#define SRV_COUNT(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)
#define SRV_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
typedef struct srv_metrics {
	uint64_t req[4][12];          /* route x status class, see metrics.c */
	uint64_t blocked[SG_CAT__COUNT];
	uint64_t hist[16];            /* fetch durations, by bucket (not cumulative) */
	uint64_t hist_sum_us;
	uint64_t hist_count;
	uint64_t commits, commit_errors, incidents_opened;
	uint64_t aggregated;          /* attempts counted in their incident only */
	uint64_t unsettled;           /* attempts the store could not say were
	                                 recorded or not (store_record_out) */
	uint64_t dns_cut;             /* answers past the resolver's cap */
	uint64_t settled[4];          /* unsettled attempts settled later, by
	                                 store_settled_how (the primary's only) */
	uint64_t unsettled_kept;      /* gauge: unsettled attempts still being
	                                 settled (the primary's only) */
} srv_metrics;

/* conn.c's figures for the metrics. */
typedef struct conn_stats_t {
	size_t open, limit, replying, out_bytes;
	uint64_t dropped, evicted, accept_pauses;
	int paused;
} conn_stats_t;

/* A loop's gauges as other loops' /metrics see them (published each
 * second under mu; counters are read live, atomically). */
typedef struct srv_gauges {
	size_t inflight, queued, reply_bytes;
	conn_stats_t conns;
} srv_gauges;

/* One event loop of the service.  loops.c runs `workers` of them, one a
 * thread, each with its own listening socket (SO_REUSEPORT), front end,
 * libcurl multi handle, resolver, store handles and writer; they share the
 * store file, the log and the process's Via mark.  Loop 0, the primary,
 * also owns the signals and the embedded responder. */
struct srv {
	const srvcfg *cfg;            /* the settings serve started with, shared by
	                                 every loop (the limits: srv_lim) */
	size_t index, nloops;
	struct srv *primary;          /* loop 0 (itself for loop 0) */
	struct srv **peers;           /* primary only: loops 1.. */
	pthread_t th;                 /* a peer's thread */
	int started;                  /* its thread runs */
	int wake_fd;                  /* eventfd: the primary asks a peer to drain */
	struct event *wake_ev;
	pthread_mutex_t pub_mu;
	srv_gauges pub;
	const srv_identity *id;
	struct event_base *base;
	struct front *front;          /* front.c: the listener and its clients */
	struct event *sig_term, *sig_int, *sig_hup;  /* primary only */
	struct event *drain_timer, *commit_ev, *curl_timer;
	struct event *gone_timer;     /* fetch.c: fetches whose client left */
	struct rules *rules;          /* primary only: rules.c's reading in force */
	rset *rset;                   /* the newest reading this loop took (a reference) */
	store *st;
	CURLM *multi;
	struct sockev *sockev;        /* fetch.c: each upstream socket's event, by fd */
	size_t sockev_cap;
	CURL *easy_pool[SRV_EASY_POOL]; /* fetch.c: idle easy handles, shared options set */
	size_t easy_pooled;
	struct gf_pool *gf;           /* gofetch.c: idle upstream connections */
	struct evdns_base *dns;       /* the service's resolver (fetch.c) */
	dnsc *dcache;                 /* judged answers, dns_cache_s: the primary's,
	                                 shared by every loop under dcache_mu */
	pthread_mutex_t dcache_mu;    /* primary only */
	CURLSH *share;
	int draining;
	size_t inflight, queued;
	size_t fetch_bytes;           /* upstream bodies held by running fetches */
	job *q_head, *q_tail;         /* fetches waiting for a slot */
	struct sg_list running;       /* job (run_link): fetches resolving or inside the multi
	                                 handle, oldest (by t0) first */
	job *c_head, *c_tail;         /* blocked, waiting for the writer */
	size_t c_count;               /* blocked, not yet answered (incl. the
	                                 batch with the writer) */
	job *spare;                   /* freed jobs kept for the next request */
	size_t nspare;                /* (at most SRV_JOB_SPARE; server.c) */
	struct writer *writer;        /* incident.c: the store-writer thread */
	struct conns *conns;          /* conn.c: request-head deadlines */
	struct srv_log *log;          /* log.c: shared by every loop */
	struct evbuffer *logbuf;      /* lines not yet written (log.c) */
	struct event *log_ev;         /* their write: at the turn's end or a timer */
	int64_t log_wrote_ms;         /* the last write (sg_mono_coarse_ms) */
	time_t clock_sec;             /* log.c: the second the texts below show */
	char clock_iso[24];           /* "2026-12-04T14:08:54" */
	char clock_http[32];          /* "Fri, 04 Dec 2026 14:08:54 GMT" */
	srv_metrics m;
	srv_responder resp;
	int resp_started;
	struct self *self;            /* self.c: our listeners' ports */
	char via[48];                 /* "Via: 1.1 ssrfguard-<random>" (srv_via_new) */
	size_t via_len;
	struct curl_slist *out_headers; /* fetch.c: headers every fetch sends */
	struct proxy *proxy;          /* proxy.c: the egress proxy, or NULL */
};

/* rules.c: the guard's rules, read at the start (an error there is fatal:
 * err), again on SIGHUP (rules_reload) and when a file they come from
 * changes; a reload that fails keeps the reading in force, is logged
 * (policy_reload) and says why (rules_state). */
sg_err rules_init(struct srv *primary, char *err, size_t errlen);
void rules_free(struct srv *s);           /* the primary: the reading in force too */
void rules_reload(struct srv *primary, const char *why);
/* The newest reading for this loop (s->rset, taken again after a reload). */
rset *rules_current(struct srv *s);
rset *rset_hold(rset *set);
void rset_release(rset *set);             /* NULL-safe */
/* The reading serve would start with (the policy, the roles file, each
 * role's policy), built and thrown away: SG_OK, or an error and err. */
sg_err rules_check(const srvcfg *cfg, char *err, size_t errlen);
#define RULES_RESTART_MAX 400
typedef struct rules_status {
	int failing;
	char why[300];
	char restart[RULES_RESTART_MAX]; /* settings changed in the files, not in force
	                                    until a restart (comma list, "" = none) */
	uint64_t gen, reloads, failures;
} rules_status;
void rules_state(const struct srv *s, rules_status *out);
/* The proxy counters' role names (rows 0..n-1); n returned. */
size_t rules_names(const struct srv *s, const char *names[RULES_SLOTS]);
/* out[i]: paths[i]'s change time, zero for "" or a file that cannot be seen. */
void srv_file_mtimes(const char *const *paths, size_t n, struct timespec *out);

/* What /healthz, /metrics and the 403 say about the service's parts
 * (server.c): the store (last commit, a read now, its size against its cap)
 * and the responder. */
typedef struct srv_health {
	int store_ok;
	char store_why[200];
	int store_pressure;           /* srv_store_pressure() */
	int64_t store_bytes;
	srv_responder_state responder;
	char responder_why[200];
} srv_health;
void srv_health_get(struct srv *s, srv_health *h);

/* loops.c: each of nloops loops' share of the shared limits
 * (max_concurrent, max_queue, max_connections, max_reply_bytes) in l, and
 * max_connections resolved to the limit in effect (conn_limit_for). */
void srv_limits_share(srvcfg_limits *l, size_t nloops);
/* A loop's limits: those of the newest reading it took (rules_current).
 * The pointer lives until the loop takes a newer reading (at a request or
 * an accepted connection): read a value where it is used, never keep the
 * pointer across a call that may start a request. */
static inline const srvcfg_limits *srv_lim(const struct srv *s)
{
	return &s->rset->lim;
}
/* A request's limits: those of the reading it was judged by. */
static inline const srvcfg_limits *srv_job_lim(const job *j)
{
	return &j->rules->lim;
}
/* loops.c: n listening sockets on spec ("ADDR:PORT"; what names the
 * setting in err): the first bound alone (nobody else holds the address),
 * then all with SO_REUSEPORT on the port it got. */
sg_err srv_listen_fds(const char *what, const char *spec, size_t n, int *fds, char *err,
                      size_t errlen);

/* server.c: the routes (front.c calls srv_route with each request) */
enum { ROUTE_GO, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_OTHER };
void srv_route(struct srv *s, fr_conn *c);
sg_err srv_loop_new(const srvcfg *cfg, const srv_identity *id, struct srv_log *log,
                    struct srv *primary, size_t index, size_t nloops, struct srv **out,
                    char *err, size_t errlen);
void srv_loop_free(struct srv *s);
sg_err srv_listen_on(struct srv *s, evutil_socket_t fd);
void srv_drain(struct srv *s, int sig); /* stop accepting, finish, exit the loop */
/* The one Via field of every request this service sends, /go's hops and
 * the proxy's requests alike: "Via: 1.1 ssrfguard-" and 16 random hex
 * digits, this process's own mark (no CRLF); its length.  srv_via_seen: 1 if
 * a request head carries this process's mark in a Via field — a request it
 * sent itself, come back (a loop); another ssrfguard's mark is not ours. */
/* TCP_NODELAY on a TCP socket (a no-op on others): an answer may leave in
 * more than one write (the rest of a large one, pipelined answers, a relayed
 * body), and Nagle's algorithm would hold each small one back until the
 * peer's (delayed, up to 40 ms) acknowledgement of the one before. */
void srv_nodelay(int fd);
#define SRV_VIA_MARK 9 /* the mark's offset in the field: after "Via: 1.1 " */
size_t srv_via_new(char *out, size_t cap);
int srv_via_seen(const struct srv *s, const px_head *h);
void srv_reply(job *j, int code, const char *ctype, struct evbuffer *body,
               const char *decision);
void srv_reply_error(job *j, int code, const char *msg);
/* A zeroed job of loop s (one of its spares, else calloc), NULL when out
 * of memory; srv_job_free lets go of its parts and keeps it as a spare.
 * The loop's thread only. */
job *srv_job_new(struct srv *s);
void srv_job_free(job *j);
/* A /go job's request line and headers of note (j->request, j->headers),
 * read from its request head when it is blocked; either stays NULL when
 * out of memory, and the attempt is still recorded without it. */
void srv_job_evidence(job *j);
void srv_check_drained(struct srv *s);
void srv_log_request(job *j, int code, size_t bytes, const char *decision);
double srv_elapsed_ms(const struct timespec *t0);
/* A cleaned (printable UTF-8) heap copy of n attacker bytes, at most max;
 * NULL when out of memory. */
char *srv_clean_dup(const char *s, size_t n, size_t max);

/* fetch.c */
sg_err fetch_init(struct srv *s);
void fetch_cleanup(struct srv *s);
void fetch_submit(job *j);   /* start or queue the fetch of j->url */
void fetch_abandon(struct srv *s); /* drain timeout: drop running fetches */
/* The loop's limits changed (a reload): the connection cache's size, and
 * queued fetches started if max_concurrent grew. */
void fetch_adopt_limits(struct srv *s);
/* A job's easy handle back to its loop's pool (or freed), with nothing of
 * the job left in it; j->easy is NULL after.  Only for a handle outside
 * the multi (srv_job_free calls it). */
void fetch_easy_release(job *j);
/* libcurl's finished transfers to their answers (fetch_curl.c's events). */
void fetch_check_multi(struct srv *s);

/* fetch_curl.c: https hops on libcurl's multi handle on the loop.
 * fetch_curl_init/cleanup  the multi handle, its timer, the loop's easy
 *               handles and upstream sockets' events (fetch_init/cleanup);
 * fetch_curl_start  the hop handed to libcurl, pinned to its judged set:
 *               0, or -1 with the hop's failure in *code and *msg. */
sg_err fetch_curl_init(struct srv *s);
void fetch_curl_cleanup(struct srv *s);
int fetch_curl_start(job *j, int64_t left_ms, int *code, const char **msg);
/* What a hop's client (libcurl's callbacks, gofetch.c) reports:
 * fetch_judge   the enforcing check of an address about to be used (dest.h),
 *               recorded as evidence; the first refusal is j->bv, j->blocked;
 * fetch_body_add  body bytes within max_body and max_reply_bytes: 0, or -1
 *               with j->too_big / j->over_budget set (or out of memory);
 * fetch_hop_answered  a whole answer (location and ctype may be NULL):
 *               a redirect is followed, anything else answered;
 * fetch_hop_failed  code and msg; code 0: the limit flags of j say what
 *               (too_big, hdr_too_big, bad_interim, over_budget), else 502;
 * fetch_hop_blocked  j->bv blocks: the incident, then the 403. */
void fetch_judge(job *j, const struct sockaddr *sa, socklen_t len, sg_verdict *v);
int fetch_body_add(job *j, const char *p, size_t len);
void fetch_hop_answered(job *j, int code, const char *location, const char *ctype);
void fetch_hop_failed(job *j, int code, const char *msg);
void fetch_hop_blocked(job *j);

/* evidence.c: the headers kept as the evidence of a blocked attempt, a JSON
 * object (malloc'd; NULL on OOM): "ssrfguard_role" first when role is not
 * NULL, then the headers of note, forwarding ones first, each value cut on
 * its own.  get returns a header's value (len bytes, any bytes) or NULL. */
typedef const char *(*srv_header_fn)(void *ctx, const char *name, size_t *len);
char *srv_headers_json(const char *role, srv_header_fn get, void *ctx);

/* incident.c */
void incident_block(job *j, const sg_verdict *v); /* queue for commit + 403 */
/* The 503's message for a blocked job whose commit failed: not recorded,
 * or (j->rec.unsettled) may have been, the store never having answered —
 * and then in which incident.  Written into buf; returns buf. */
const char *srv_unrecorded_why(const job *j, char *buf, size_t cap);
void incident_commit(evutil_socket_t fd, short what, void *arg);
sg_err incident_init(struct srv *s, char *err, size_t errlen);
sg_err incident_start(struct srv *primary); /* the writer, once every loop exists */
void incident_stop(struct srv *primary);    /* before any loop is freed */
/* The store's last commit, whichever loop's attempts it held: why it
 * failed, else "" (also before the first). */
void incident_last_commit(struct srv *s, char *why, size_t cap);
void incident_cleanup(struct srv *s);

/* conn.c: every client connection within bounds (see its top comment).
 * Listeners of any kind (front.c's, a proxy's) are registered with
 * conn_add_listener so they pause and resume together. */
struct evconnlistener;
/* The connection limit of one of nloops loops: its share of max_connections
 * (l's), within what the descriptor limit leaves (0: all of that). */
size_t conn_limit_for(const srvcfg_limits *l, size_t nloops);
sg_err conn_init(struct srv *s);
void conn_cleanup(struct srv *s);
sg_err conn_add_listener(struct srv *s, struct evconnlistener *l);
void conn_remove_listener(struct srv *s, struct evconnlistener *l);
void conn_stats(const struct srv *s, conn_stats_t *out);
size_t conn_out_bytes(const struct srv *s);
/* What max_reply_bytes bounds: fetch bodies held and bytes queued to clients. */
size_t conn_reply_held(const struct srv *s);
/* A front end's connection (front.c's, the proxy's), counted against
 * max_connections from accept to close.  idle: may it be evicted now (no
 * request in progress)?  close: evict it (must call conn_guest_remove).
 * conn_guest_add may evict an older idle connection, or pause accepting;
 * NULL when out of memory (the connection is then served uncounted). */
typedef struct conn_guest conn_guest;
typedef struct conn_guest_ops {
	int (*idle)(void *ctx);
	void (*close)(void *ctx);
} conn_guest_ops;
conn_guest *conn_guest_add(struct srv *s, const conn_guest_ops *ops, void *ctx);
void conn_guest_remove(conn_guest *g); /* NULL-safe */
/* Bytes queued to clients by a guest (for conn_out_bytes), and a guest's
 * connection dropped for its deadline (for the metrics). */
void conn_out_add(struct srv *s, size_t added, size_t removed);
void conn_dropped(struct srv *s);

/* self.c: never fetch the service's own listeners (any local address on
 * a port one of them listens on).  Every listener, of any kind, registers. */
void self_add_listener(struct srv *s, const struct sockaddr *sa, socklen_t len);
int self_is_own(struct srv *s, const struct sockaddr *sa, socklen_t len);
void self_free(struct srv *s);

/* Store use against store_max_bytes: 0 fine, 1 near (90 %), 2 at the cap. */
int srv_store_pressure(struct srv *s, int64_t *bytes);

/* metrics.c */
void metrics_publish(struct srv *s);   /* this loop's gauges, for the others */
void metrics_count(struct srv *s, int route, int code);
void metrics_fetch_time(struct srv *s, double seconds);
struct evbuffer;
void metrics_render(struct srv *s, struct evbuffer *out);
/* ssrfguard_reply_bytes: every loop's (the others' as last published). */
size_t metrics_reply_bytes(struct srv *s);

/* log.c (log_line_from_any_thread: one whole line, ts and level added) */
struct srv_log *log_open(const srvcfg *cfg); /* NULL + errno on error */
void log_close(struct srv_log *l);
void log_line_from_any_thread(struct srv *s, const char *level, const char *event,
                              const char *message);
int log_init(struct srv *s);
void log_cleanup(struct srv *s);
void log_flush(struct srv *s);
/* json: one object "{...}\n"; ts and level are put in front of its fields. */
void log_line(struct srv *s, const char *level, const char *json, size_t len);
/* A reload of files (SIGHUP or a changed file; trigger says which):
 * {"event":EVENT,"trigger":...,"ok":...<extra>} and, when it failed (error
 * not NULL, level error), "error" and "message":kept (what stays in force).
 * extra: more fields, "" or ",\"name\":value...". */
void log_reload(struct srv *s, const char *event, const char *trigger, const char *extra,
                const char *error, const char *kept);
/* The loop's clock (its thread only): now, with s->clock_iso and
 * s->clock_http made anew only when the second changed. */
void log_clock(struct srv *s, struct timespec *now);

#endif
