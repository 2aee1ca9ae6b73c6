/* health.c — GET /healthz: whether the dashboard can do its work now, for a
 * load balancer or a supervisor (no token: it says nothing of an incident). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "dashboard/dash_int.h"
#include "store/store.h"
#include "tls/servertls.h"

void dash_healthz(dash *d, struct evhttp_request *req)
{
	int64_t counts[STORE_STATE__COUNT];
	tls_live_status tls = {0};
	/* a read now: a store that went away or was corrupted since the start */
	sg_err err = store_count_states(d->st, counts);
	if (d->tls)
		tls_live_state(d->tls, &tls);
	char why[300] = "";
	if (err)
		snprintf(why, sizeof why, "cannot read the store: %s: %.200s", sg_strerror(err),
		         store_errmsg(d->st));
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "status",
	                      err ? "failing" : tls.failing ? "degraded" : "ok", "version",
	                      SSRFGUARD_VERSION, "store", err ? "failing" : "ok", "release",
	                      d->r ? "allowed" : "read-only");
	if (o && err)
		json_object_set_new(o, "store_error", sg_utf8_json(why));
	if (o && d->tls) /* a reload that failed leaves the files before in force */
		json_object_set_new(o, "tls", json_string(tls.failing ? "reload_failed" : "ok"));
	if (o && tls.failing)
		json_object_set_new(o, "tls_error", sg_utf8_json(tls.why));
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
