/* health.c — GET /healthz: whether the dashboard can do its work now, for a
 * load balancer or a supervisor.  No token: it says nothing of an incident,
 * and of a failure only "failing" — the store's own error names the table,
 * account and role, a TLS error the certificate files — the reason goes to
 * the log.  One small read per probe (store_ping), never the incident list:
 * a load balancer's nodes each probe every few seconds. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "dashboard/dash_int.h"
#include "store/store.h"
#include "tls/servertls.h"

/* The reason to the log once per change of it (probes come every few
 * seconds; a failure that lasts is one line, its end another). */
static void log_change(const char *event, char last[DASH_HEALTH_WHY], const char *why)
{
	if (!strncmp(last, why, DASH_HEALTH_WHY - 1))
		return;
	snprintf(last, DASH_HEALTH_WHY, "%s", why);
	char line[DASH_HEALTH_WHY * 4 + 40];
	if (why[0]) {
		size_t n = (size_t)snprintf(line, sizeof line, "/healthz failing: ");
		sg_text_clean(line + n, sizeof line - n, why, strlen(why));
	} else {
		snprintf(line, sizeof line, "/healthz: %s ok again", event);
	}
	dash_log(why[0] ? "error" : "info", event, line);
}

void dash_healthz(dash *d, struct evhttp_request *req)
{
	tls_live_status tls = {0};
	/* a read now: a store that went away or was corrupted since the start */
	sg_err err = store_ping(d->st);
	if (d->tls)
		tls_live_state(d->tls, &tls);
	char why[DASH_HEALTH_WHY] = "";
	if (err)
		snprintf(why, sizeof why, "cannot read the store: %s: %.200s", sg_strerror(err),
		         store_errmsg(d->st));
	log_change("store", d->store_why, why);
	log_change("tls", d->tls_why, tls.failing ? tls.why : "");
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "status",
	                      err ? "failing" : tls.failing ? "degraded" : "ok", "version",
	                      SSRFGUARD_VERSION, "store", err ? "failing" : "ok", "release",
	                      d->r ? "allowed" : "read-only");
	if (o && d->tls) /* a reload that failed leaves the files before in force */
		json_object_set_new(o, "tls", json_string(tls.failing ? "reload_failed" : "ok"));
	char *body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!body) {
		dash_reply_error(req, 500, "Internal Server Error");
		return;
	}
	if (err)
		dash_reply(req, 503, "Service Unavailable", "application/json", body, strlen(body));
	else
		dash_reply(req, 200, "OK", "application/json", body, strlen(body));
	free(body);
}
