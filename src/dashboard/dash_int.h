/* dash_int.h — what the dashboard's files share (not a public interface). */
#ifndef SSRFGUARD_DASHBOARD_INT_H
#define SSRFGUARD_DASHBOARD_INT_H

#include <event2/http.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "dashboard/dashboard.h"
#include "logging/logging.h"
#include "playbook/incname.h"

#define DASH_EVENTS_MAX 32        /* live-update subscribers at once */
#define DASH_EVENTS_TICK_MS 1000  /* how often the list is re-read for them */
#define DASH_HEALTH_WHY 300       /* a health failure's reason, for the log */

struct event;
struct event_base;
struct accept_guard;
struct dash_sub;

typedef struct dash {
	const dash_config *cfg;
	store *st;              /* opened read-only */
	size_t token_len;       /* 0: no token (client certificates alone) */
	struct tls_live *tls;   /* NULL: plain HTTP; else the context in force */
	struct event *timer;    /* events.c */
	struct dash_sub *subs;
	size_t nsubs;
	unsigned ticks;
	dash_total total;       /* api.c: the pages' "of M" */
	struct responder *r;    /* release.c: NULL in read-only mode */
	struct accept_guard *accept;     /* src/accept: a failed accept() pauses */
	char csrf[65];          /* per process, random, hex */
	char store_why[DASH_HEALTH_WHY]; /* health.c: the failure last logged ("" none) */
	char tls_why[DASH_HEALTH_WHY];
} dash;

#define DASH_COOKIE "ssrfguard_dash"
#define DASH_ID_MAX PB_INCIDENT_ID_MAX

/* ---- request text (request.c, pure) ---- */

/* The token a request offers: the Authorization header's "Bearer X", else
 * the value of the cookie DASH_COOKIE in the Cookie header (either may be
 * NULL).  NULL when none; *len its length. */
const char *dash_request_token(const char *authorization, const char *cookie, size_t *len);

/* An incident in a path: N or INC-N (playbook/incname.h), 1..DASH_ID_MAX,
 * else 0. */
int64_t dash_path_id(const char *text);

/* ---- the detail's tables, from the incident's report (tables.c) ---- */

typedef struct json_t json_t;

/* Every AWS call of the report's steps, oldest first:
 * [{"at_ms","step","api","target","request_id","change","outcome"}]. */
json_t *dash_calls_json(const json_t *report);
/* The evidence kept: snapshots, volumes, console output, the capture's
 * streams (S3 object or SSM command), the forensic report, custody log,
 * examined devices and manifests: [{"kind","object","detail","sha256",
 * "bytes"}] (bytes null when unknown). */
json_t *dash_evidence_json(const json_t *report);

/* ---- serving ---- */

#define DASH_OPERATOR_MAX 512

/* Who sent req: "operator:SUBJECT" of its verified client certificate,
 * else "operator:dashboard" (the token names nobody). */
void dash_operator(const dash *d, struct evhttp_request *req, char *out, size_t cap);

/* The evhttp callback of every request (server.c); arg is the dash. */
void dash_handle(struct evhttp_request *req, void *arg);

/* Every response's headers: its type, the CSP, nosniff, no-store, ... */
void dash_security_headers(struct evhttp_request *req, const char *type);
/* {"error":REASON} with code (reason a constant). */
void dash_reply_error(struct evhttp_request *req, int code, const char *reason);

/* Any reply with the security headers. */
void dash_reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                const char *body, size_t len);

/* GET /healthz (health.c), without the token: 200 {"status":"ok"|"degraded",
 * "version","store":"ok","release":"allowed"|"read-only"[,"tls":"ok"|
 * "reload_failed"]} (degraded: a TLS reload failed, the files before stay
 * in force); 503 "failing", "store":"failing" when the store cannot be
 * read now (store_ping: one small read).  Reasons go to the log, once per
 * change, never to the unauthenticated body. */
void dash_healthz(dash *d, struct evhttp_request *req);

/* ---- release (release.c) ---- */

/* d->csrf from the system's random source. */
sg_err dash_csrf_init(dash *d);
/* GET /api/session: {"release": may the page release, "csrf": token}. */
void dash_session(dash *d, struct evhttp_request *req);
/* POST /api/incidents/ID/release: 403 read-only, without the X-CSRF-Token
 * header or from another Origin; 400 without the body {"confirm":"INC-ID"};
 * else respond_release: 200/404/409 {"released", "partial", "message"}
 * (partial: released, the status tag not set). */
void dash_release(dash *d, struct evhttp_request *req, int64_t id);
/* POST /api/incidents/ID/close: the same guards as release, the body
 * {"confirm":"INC-ID","reason":TEXT}; else respond_close: 200/404/409
 * {"closed", "message"}. */
void dash_close(dash *d, struct evhttp_request *req, int64_t id);

/* A request's page (GET /api/page, /api/events): its query's before (0:
 * the newest) and limit (DASH_PAGE when absent), whole numbers within
 * 1..DASH_ID_MAX and 1..DASH_PAGE_MAX, and no other parameter; else
 * SG_ERR_PARSE, answered 400 DASH_BAD_PAGE. */
sg_err dash_page_query(struct evhttp_request *req, int64_t *before, size_t *limit);
#define DASH_BAD_PAGE "Bad Request: before and limit are whole numbers"

/* ---- live updates (events.c) ---- */

/* The timer that feeds subscribers; stop ends every stream and frees. */
sg_err dash_events_start(dash *d, struct event_base *base);
void dash_events_stop(dash *d);
/* GET /api/events[?before=ID&limit=N]: a new server-sent event stream of
 * that page (503 when full, 400 for a bad page). */
void dash_events_subscribe(dash *d, struct evhttp_request *req);

/* One JSON log line on stderr (logging.h). */
#define dash_log(level, event, message) logging_write(STDERR_FILENO, level, event, message, NULL)

#endif
