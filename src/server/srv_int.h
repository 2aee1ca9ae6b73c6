/* srv_int.h — private to src/server: the service's state, shared by
 * server.c (HTTP side), fetch.c (libcurl side), incident.c (group commit and
 * the 403), metrics.c and log.c. */
#ifndef SSRFGUARD_SRV_INT_H
#define SSRFGUARD_SRV_INT_H

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <time.h>

#include "server/pin.h"
#include "server/server.h"
#include "server/text.h"
#include "ssrfguard/guard.h"
#include "store/store.h"

#define SRV_URL_MAX 8192
#define SRV_ADDRS_MAX 512   /* bytes of the judged-address JSON array */
#define SRV_DNS_TTL_CAP_S 300 /* judged answers are reused at most this long */
#define SRV_CURL_PIN_S 60   /* a pin's life in libcurl's DNS cache */

/* One GET /go request, from arrival to answer. */
typedef struct job {
	struct srv *s;
	struct evhttp_request *req;   /* NULL once the client went away */
	struct job *next;             /* fetch queue / commit batch */
	struct job *iprev, *inext;    /* in libcurl's multi handle */
	char client[48];
	char *request;                /* request line, cleaned */
	char *headers;                /* JSON object of headers of note */
	char *raw_url;                /* the url parameter, cleaned */
	char *url;                    /* this hop's URL */
	int html;                     /* answer the 403 as HTML */
	int hop;
	struct timespec t0;
	/* fetch */
	CURL *easy;
	struct evbuffer *body;
	size_t body_bytes, hdr_bytes;
	int too_big, hdr_too_big, started;
	sg_verdict hopv;              /* stage-1 verdict of this hop */
	char addrs[SRV_ADDRS_MAX];    /* JSON array of judged addresses */
	size_t addrs_len;
	/* resolution (fetch.c): names are resolved and judged before curl */
	struct dnsq *dq;              /* pending evdns lookup, or NULL */
	struct event *dns_ev;         /* lookup deadline; fires the result too */
	int dns_done, dns_err;        /* result handed over by the callback */
	struct evutil_addrinfo *dns_res;
	int64_t dns_ms;               /* time spent resolving this hop */
	int pinned;                   /* this hop dials only `judged` */
	pin_set judged;               /* the judged, pinned addresses */
	char pin_host[SG_HOST_MAX];   /* the pin in curl's DNS cache, to remove */
	unsigned pin_port;
	struct curl_slist *pins;
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

typedef struct srv_metrics {
	uint64_t req[4][12];          /* route x status class, see metrics.c */
	uint64_t blocked[SG_CAT__COUNT];
	uint64_t hist[16];            /* fetch duration buckets */
	double hist_sum;
	uint64_t hist_count;
	uint64_t commits, commit_errors, incidents_opened;
} srv_metrics;

struct srv {
	const srvcfg *cfg;
	const srv_identity *id;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *sig_term, *sig_int, *drain_timer, *commit_ev, *curl_timer;
	sg_policy *policy;
	store *st;
	CURLM *multi;
	struct sockev *sockev;        /* fetch.c: each upstream socket's event, by fd */
	size_t sockev_cap;
	struct evdns_base *dns;       /* the service's resolver (fetch.c) */
	dnsc *dcache;                 /* judged answers, dns_cache_s */
	CURLSH *share;
	int draining;
	size_t inflight, queued, replying;
	job *q_head, *q_tail;         /* fetches waiting for a slot */
	job *running;                 /* fetches inside the multi handle */
	job *c_head, *c_tail;         /* blocked, waiting for the writer */
	size_t c_count;               /* blocked, not yet answered (incl. the
	                                 batch with the writer) */
	struct writer *writer;        /* incident.c: the store-writer thread */
	struct conns *conns;          /* conn.c: request-head deadlines */
	int logfd;
	struct evbuffer *logbuf;      /* lines of this loop turn (log.c) */
	struct event *log_ev;
	srv_metrics m;
	srv_responder resp;
	int resp_started;
	struct proxy *proxy;          /* proxy.c: the egress proxy, or NULL */
};

/* server.c */
void srv_reply(job *j, int code, const char *ctype, struct evbuffer *body,
               const char *decision);
void srv_reply_error(job *j, int code, const char *msg);
void srv_job_free(job *j);
void srv_check_drained(struct srv *s);
void srv_log_request(job *j, int code, size_t bytes, const char *decision);
double srv_elapsed_ms(const struct timespec *t0);
/* The guard policy: defaults, cfg's policy file and rules, then extra. */
sg_err srv_policy_load(const srvcfg *cfg, char *const *extra, size_t nextra, sg_policy **out,
                       char *err, size_t errlen);

/* fetch.c */
sg_err fetch_init(struct srv *s);
void fetch_cleanup(struct srv *s);
void fetch_submit(job *j);   /* start or queue the fetch of j->url */
void fetch_abandon(struct srv *s); /* drain timeout: drop running fetches */

/* incident.c */
void incident_block(job *j, const sg_verdict *v); /* queue for commit + 403 */
void incident_commit(evutil_socket_t fd, short what, void *arg);
sg_err incident_init(struct srv *s, char *err, size_t errlen);
void incident_cleanup(struct srv *s);

/* conn.c */
sg_err conn_init(struct srv *s);
void conn_cleanup(struct srv *s);
void conn_dispatched(struct srv *s, struct evhttp_request *req);
void conn_answered(struct srv *s, struct evhttp_request *req);
uint64_t conn_dropped(const struct srv *s);

/* metrics.c */
void metrics_count(struct srv *s, int route, int code);
void metrics_fetch_time(struct srv *s, double seconds);
struct evbuffer;
void metrics_render(struct srv *s, struct evbuffer *out);

/* log.c */
int log_init(struct srv *s);
void log_cleanup(struct srv *s);
void log_flush(struct srv *s);
void log_line(struct srv *s, const char *json, size_t len);

#endif
