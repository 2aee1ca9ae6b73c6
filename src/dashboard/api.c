/* api.c — the dashboard's JSON: the incident list and one incident's
 * detail, every attacker-controlled string made well-formed UTF-8. */
#include "dashboard/dashboard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonload.h"
#include "common/utf8.h"
#include "dashboard/dash_int.h"
#include "playbook/report.h"
#include "respond/respond.h"
#include "store/store.h"

static int put_text(json_t *obj, const char *key, const char *s)
{
	json_t *v = sg_utf8_json(s ? s : "");
	return v ? json_object_set_new(obj, key, v) : -1;
}

static int put_int(json_t *obj, const char *key, int64_t v)
{
	return json_object_set_new(obj, key, json_integer((json_int_t)v));
}

static json_t *incident_json(const store_incident *in)
{
	json_t *o = json_object();
	if (!o || put_int(o, "id", in->id) || put_text(o, "state", store_state_name(in->state)) ||
	    put_text(o, "state_reason", in->state_reason) || put_text(o, "source", in->source) ||
	    put_text(o, "category", in->category) || put_text(o, "rule", in->rule) ||
	    put_text(o, "dest", in->dest) || put_text(o, "instance", in->instance_id) ||
	    put_text(o, "region", in->region) || put_text(o, "az", in->az) ||
	    put_int(o, "attempts", in->attempts) || put_int(o, "opened_ms", in->opened_ms) ||
	    put_int(o, "updated_ms", in->updated_ms) || put_int(o, "state_ms", in->state_ms) ||
	    put_text(o, "lease_owner", in->lease_owner) ||
	    json_object_set_new(o, "older_responder", json_boolean(in->lease_old))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *attempt_json(const store_attempt *a)
{
	json_t *o = json_object();
	if (!o || put_int(o, "id", a->id) || put_int(o, "at_ms", a->at_ms) ||
	    put_text(o, "client", a->client) || put_text(o, "request", a->request) ||
	    put_text(o, "headers", a->headers) || put_text(o, "url", a->url) ||
	    put_text(o, "dest", a->dest) || put_text(o, "category", a->category) ||
	    put_text(o, "rule", a->rule) || put_text(o, "reason", a->reason) ||
	    put_text(o, "addrs", a->addrs) || put_int(o, "hop", a->hop)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *step_json(const store_step *s)
{
	json_t *o = json_object();
	if (!o || put_text(o, "name", s->name) || put_text(o, "status", s->status) ||
	    put_int(o, "attempts", s->attempts) || put_int(o, "updated_ms", s->updated_ms)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *history_json(const store_history *h)
{
	json_t *o = json_object();
	if (!o || put_int(o, "at_ms", h->at_ms) || put_text(o, "step", h->step) ||
	    put_text(o, "from", h->from) || put_text(o, "to", h->to) ||
	    put_text(o, "reason", h->reason) || put_text(o, "actor", h->actor)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The text of j ('/' escaped: no "</script>" in any response). */
static sg_err dump(json_t *j, char **out)
{
	*out = j ? json_dumps(j, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

static sg_err append_incident(void *ctx, const store_incident *inc)
{
	return json_array_append_new(ctx, incident_json(inc)) ? SG_ERR_NOMEM : SG_OK;
}

sg_err dash_list_json(store *st, char **out)
{
	*out = NULL;
	json_t *ja = json_array();
	sg_err err = ja ? store_each_incident(st, -1, append_incident, ja) : SG_ERR_NOMEM;
	if (err) {
		json_decref(ja);
		return err;
	}
	return dump(ja, out);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The number of incidents, from the cache while the newest incident is the
 * one it was counted with and the count is fresh (dashboard.h).  newest: the
 * newest incident's id (0: none), or -1 when the page read was an older one
 * and it must be looked up (one row). */
static sg_err count_total(store *st, dash_total *cache, int64_t newest, int64_t *total)
{
	if (!cache)
		return store_count(st, -1, total);
	if (newest < 0) {
		store_incident *top = NULL;
		size_t n = 0;
		sg_err err = store_list(st, -1, 0, 1, &top, &n);
		if (err)
			return err;
		newest = n ? top[0].id : 0;
		store_incidents_free(top, n);
	}
	int64_t now = mono_ms();
	if (cache->at_ms && cache->newest == newest && now - cache->at_ms < DASH_TOTAL_STALE_MS) {
		*total = cache->total;
		return SG_OK;
	}
	sg_err err = store_count(st, -1, total);
	if (!err)
		*cache = (dash_total){.newest = newest, .total = *total, .at_ms = now ? now : 1};
	return err;
}

/* One more than asked is read: whether an older page exists is then known. */
sg_err dash_page_json(store *st, dash_total *cache, int64_t before, size_t limit, char **out)
{
	*out = NULL;
	store_incident *arr = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!limit || limit > DASH_PAGE_MAX)
		return SG_ERR_INVAL;
	sg_err err = store_list(st, -1, before, limit + 1, &arr, &n);
	if (!err)
		err = count_total(st, cache, before ? -1 : n ? arr[0].id : 0, &total);
	if (err) {
		store_incidents_free(arr, n);
		return err;
	}
	json_t *ja = json_array();
	for (size_t i = 0; i < n && i < limit; i++)
		if (append_incident(ja, &arr[i]))
			break;
	json_t *o = json_array_size(ja) == (n < limit ? n : limit)
	                    ? json_pack("{s:O,s:I,s:o}", "incidents", ja, "total", (json_int_t)total,
	                                "older", n > limit ? json_integer((json_int_t)arr[limit - 1].id)
	                                                   : json_null())
	                    : NULL;
	json_decref(ja);
	store_incidents_free(arr, n);
	return dump(o, out);
}

/* Append every row of an array the store returned, each through row_json. */
#define APPEND_ROWS(ja, arr, n, row_json)                                        \
	for (size_t i_ = 0; (ja) && i_ < (n); i_++)                              \
		if (json_array_append_new((ja), row_json(&(arr)[i_])) != 0) {    \
			json_decref(ja);                                         \
			(ja) = NULL;                                             \
		}

/* The report `incidents show --json` prints, as JSON (null when it cannot
 * be built: the rest of the detail still shows). */
static json_t *report_json(const dash_config *dc, int64_t id)
{
	responder *r = NULL;
	char *js = NULL;
	json_t *rep = NULL;
	if (respond_new(dc->where, &r, NULL, 0) == SG_OK && respond_report_json(r, id, &js) == SG_OK)
		sg_json_load_bounded(js, strlen(js), PB_REPORT_JSON_MAX, 0, "report", &rep, NULL,
		                     0);
	free(js);
	respond_free(r);
	return rep ? rep : json_null();
}

sg_err dash_detail_json(store *st, const dash_config *cfg, int64_t id, char **out)
{
	*out = NULL;
	store_incident inc;
	sg_err err = store_get(st, id, &inc);
	if (err)
		return err;
	store_attempt *at = NULL;
	store_step *sp = NULL;
	store_history *hi = NULL;
	size_t nat = 0, nsp = 0, nhi = 0;
	json_t *o = NULL;
	if (!(err = store_attempts(st, id, 0, &at, &nat)) && !(err = store_steps(st, id, &sp, &nsp)) &&
	    !(err = store_history_list(st, id, &hi, &nhi))) {
		json_t *ja = json_array(), *js = json_array(), *jh = json_array();
		APPEND_ROWS(ja, at, nat, attempt_json);
		APPEND_ROWS(js, sp, nsp, step_json);
		APPEND_ROWS(jh, hi, nhi, history_json);
		json_t *rep = report_json(cfg, id);
		json_t *fx = json_object_get(rep, "forensics");
		o = json_pack("{s:o?,s:o?,s:o?,s:o?,s:o?,s:o?,s:O?,s:o?}", "incident", incident_json(&inc),
		              "attempts", ja, "steps", js, "history", jh, "calls", dash_calls_json(rep),
		              "evidence", dash_evidence_json(rep),
		              "forensics", json_is_object(fx) ? fx : json_null(), "report", rep);
		err = dump(o, out);
	}
	store_attempts_free(at, nat);
	store_steps_free(sp, nsp);
	store_history_free(hi, nhi);
	store_incident_free(&inc);
	return err;
}
