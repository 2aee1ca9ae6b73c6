/*
 * server.h — `ssrfguard serve`: the guarded fetch service.  Prefix: srv_.
 *
 * `workers` event loops (default one per CPU), one a thread, each bound to
 * the listen address with SO_REUSEPORT (loops.c): in each, the service's
 * own HTTP/1 front end serves clients (front.h), evdns resolves upstream
 * names, http:// hops are fetched by its own client over pooled keep-alive
 * connections (gofetch.h) and https:// hops by libcurl's multi-socket API
 * (curl's hiperfifo pattern) on the same loop, so no thread waits per
 * request.  The loops share the store (one writer commits every loop's
 * blocked requests), the judged-DNS cache, the log and the metrics; limits
 * are shared out between them.  Routes:
 *
 *   GET /go?url=URL   fetch URL (http/https) for the caller and return the
 *                     upstream status, content type and body.  Every hop is
 *                     judged by libssrfguard: the URL first (sg_check_url);
 *                     a name is resolved on the loop (evdns) and every
 *                     answer judged (sg_check_resolved), then exactly the
 *                     judged addresses are pinned for libcurl under the
 *                     set's own connect-to name (CURLOPT_RESOLVE and
 *                     CURLOPT_CONNECT_TO, pin_token: a kept connection
 *                     serves only a hop with the same judged set); every
 *                     address libcurl is about to connect to is judged
 *                     again and must be pinned (CURLOPT_OPENSOCKETFUNCTION
 *                     -> sg_check_addr), and the connection actually used,
 *                     new or reused, before each request is sent (judged,
 *                     and in the pinned set: CURLOPT_PREREQFUNCTION).  Redirects are
 *                     followed here, hop by hop (http/https only, at most
 *                     max_redirects, URL credentials dropped when the origin
 *                     changes; no cookies or client headers are ever sent).
 *                     A blocked hop answers 403 naming the incident, after
 *                     the incident is committed to the store.
 *   GET /healthz      200 {"status":"ok"} ("degraded" with warnings when the
 *                     store nears store_max_bytes); 503 while draining.
 *   GET /metrics      Prometheus text.
 *
 * Incidents.  Blocked requests of one loop turn are committed together
 * (store_record_many: one transaction, one fsync), then each gets its 403.
 * Nothing about containment runs on this path: a responder learns of new
 * work through the store (a claim), and an embedded one is also poked via
 * srv_responder.notify.
 *
 * Shutdown.  SIGTERM or SIGINT: every loop stops accepting, lets in-flight
 * fetches and queued replies finish (at most drain_s), then srv_run
 * returns.
 *
 * Threading: every srv_ function is called on one thread (the one that
 * calls srv_run); the loops run on it and on threads srv_run starts.
 */
#ifndef SSRFGUARD_SERVER_H
#define SSRFGUARD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "ssrfguard/error.h"

typedef struct srv srv;

/* Where the service runs; recorded with every attempt.  Never from a
 * request: from config, else IMDSv2 (srv_identity_resolve). */
typedef struct srv_identity {
	char instance_id[64];
	char region[32];
	char az[32];
	char source[16];       /* "config", "imds", "env", "unknown" */
} srv_identity;

/*
 * Fill id from cfg; ask IMDSv2 (token PUT, then the instance identity
 * document) for what config left empty unless cfg->imds is 0.  A failed
 * IMDS call is not an error: the fields stay "" and a warning is written
 * to msg.  This talks to the metadata service directly, never through the
 * guarded fetcher.
 */
sg_err srv_identity_resolve(const srvcfg *cfg, srv_identity *id, char *msg, size_t msglen);

/*
 * The embedded responder hook.  cmd_serve registers the respond room's
 * respond_embedded() (src/respond/embed.h) when `respond = on`.
 *
 *   start   called once on the loop thread after the store is created and
 *           before the listener opens.  Typically starts a thread that
 *           opens its OWN store handle (env->store_path) and loops on
 *           store_claim().  Non-SG_OK aborts startup.
 *   notify  called on the loop thread right after a commit that opened an
 *           incident needing containment (or escalated one to "open").
 *           Must not block (signal a condition variable, write an eventfd).
 *           May be NULL: the responder then polls store_claim().
 *   stop    called once on the loop thread after the service drained; joins
 *           the responder's threads.  May be NULL.
 *   status  the responder's state now (SRV_RESPONDER_RUNNING or _FAILING,
 *           why filled when failing); called on the loop thread for
 *           /healthz, /metrics and every 403 that asks for containment, so
 *           it must be cheap and thread-safe.  May be NULL (= running).
 * ctx is passed back untouched.  The hook structs are copied.
 *
 * env->log writes one JSON log line (ts, level, event, message) to the
 * service's log from any thread: the responder's messages join the log.
 */
typedef enum srv_responder_state {
	SRV_RESPONDER_OFF = 0, /* no embedded responder */
	SRV_RESPONDER_RUNNING, /* claims and contains */
	SRV_RESPONDER_FAILING, /* cannot work now (why says so); retries */
} srv_responder_state;

typedef struct srv_responder_env {
	const char *store_path;
	int store_sync_normal;
	int64_t lease_ms;
	const srv_identity *identity;
	const srvcfg *cfg;
	void (*log)(void *log_ctx, const char *level, const char *event, const char *message);
	void *log_ctx;
} srv_responder_env;

typedef struct srv_responder {
	void *ctx;
	sg_err (*start)(void *ctx, const srv_responder_env *env);
	void (*notify)(void *ctx, int64_t incident_id);
	void (*stop)(void *ctx);
	srv_responder_state (*status)(void *ctx, char *why, size_t whylen);
	/* The responder's settings that the --config files now set otherwise
	 * than at its start (they take effect only on restart): "respond.NAME",
	 * comma separated, or "".  On the primary loop (a reload). */
	void (*restart_needed)(void *ctx, char *out, size_t cap);
} srv_responder;

/* One JSON log line (ts, level, event, message) to the service's log, from
 * any thread. */
void srv_log(srv *s, const char *level, const char *event, const char *message);

/*
 * Build the service: policy (cfg->policy file + cfg->rules), store (opened,
 * schema created), event loop, curl multi, listener bound to cfg->listen.
 * cfg and id must outlive the srv.  *out is NULL on error; err names the
 * problem.
 */
sg_err srv_new(const srvcfg *cfg, const srv_identity *id, srv **out,
               char *err, size_t errlen);

/*
 * What srv_new would refuse in the files cfg names, without starting: the
 * policy, the proxy's roles file and each role's policy, the proxy
 * listener's TLS certificate, key, client CA and CRL (serve
 * --check-config).  SG_OK, or an error and err in the words start-up uses.
 */
sg_err srv_check_config(const srvcfg *cfg, char *err, size_t errlen);

/* Register the embedded responder (before srv_run). */
void srv_set_responder(srv *s, const srv_responder *r);

/* Serve until SIGTERM/SIGINT and drained.  SG_OK on a clean stop. */
sg_err srv_run(srv *s);

void srv_free(srv *s); /* NULL-safe */

#endif
