/* journal.c — the step journal, an observer of the run's AWS client (see
 * journal.h). */
#include "respond/journal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/jsonload.h"
#include "respond/rsp.h"

sg_err rsp_journal_save(rsp_run *x)
{
	if (x->dry_run || !x->data)
		return SG_OK;
	char *d = json_dumps(x->data, JSON_COMPACT);
	if (!d)
		return SG_ERR_NOMEM;
	store_change c = {.incident_id = x->id,
	                  .step = x->journal_step ? x->journal_step : pb_step_name(x->step),
	                  .to = pb_state_name(PB_RUNNING),
	                  .reason = "journal",
	                  .actor = x->r->owner,
	                  .data = d};
	sg_err err = store_transition(x->st, &c);
	if (err == SG_ERR_BUSY)
		x->lost = true; /* another responder holds the incident now */
	else if (err)
		respond_log(x->cfg, "error", "%s: journal of %s: %s (%s)", x->inc, c.step,
		        sg_strerror(err), store_errmsg(x->st));
	free(d);
	return err;
}

/* x->data[key], made an empty object/array when missing. */
static json_t *member(rsp_run *x, const char *key, bool array)
{
	if (!x->data && !(x->data = json_object()))
		return NULL;
	json_t *v = json_object_get(x->data, key);
	if (!v) {
		v = array ? json_array() : json_object();
		if (json_object_set_new(x->data, key, v))
			return NULL;
	}
	return v;
}

sg_err rsp_created(rsp_run *x, const char *key, const char *value)
{
	json_t *c = member(x, "created", false);
	if (!c || json_object_set_new(c, key, json_string(value)))
		return SG_ERR_NOMEM;
	return rsp_journal_save(x);
}

const char *rsp_created_get(rsp_run *x, const char *key)
{
	return json_string_value(json_object_get(json_object_get(x->data, "created"), key));
}

unsigned rsp_attempt(const rsp_run *x)
{
	json_int_t a = json_integer_value(json_object_get(x->data, "attempt"));
	return a < 1 ? 1 : a > RSP_ATTEMPTS_MAX ? RSP_ATTEMPTS_MAX : (unsigned)a;
}

void rsp_attempt_key(const char *key, unsigned n, char *out, size_t cap)
{
	if (n > 1)
		snprintf(out, cap, "%s#%u", key, n);
	else
		snprintf(out, cap, "%s", key);
}

const char *rsp_created_latest(rsp_run *x, const char *key, bool *earlier)
{
	*earlier = false;
	for (unsigned n = rsp_attempt(x); n >= 1; n--) {
		char k[128];
		rsp_attempt_key(key, n, k, sizeof k);
		const char *v = rsp_created_get(x, k);
		if (v && *v)
			return v;
		*earlier = true;
	}
	*earlier = false;
	return NULL;
}

/* data["attempt"] one more (absent = 1; RSP_ATTEMPTS_MAX stays). */
static int bump_attempt(json_t *data)
{
	json_int_t a = json_integer_value(json_object_get(data, "attempt"));
	a = a < 1 ? 1 : a >= RSP_ATTEMPTS_MAX ? RSP_ATTEMPTS_MAX - 1 : a;
	return json_object_set_new(data, "attempt", json_integer(a + 1));
}

json_t *rsp_row_json(const char *text)
{
	json_t *j = NULL;
	if (text && *text)
		sg_json_load_bounded(text, strlen(text), RSP_ROW_JSON_MAX, 0, "row", &j, NULL, 0);
	return j;
}

sg_err rsp_journal_retried(const char *data, char **out)
{
	*out = NULL;
	json_t *j = rsp_row_json(data);
	if (!j)
		return SG_OK;
	sg_err err = SG_ERR_NOMEM;
	if (!bump_attempt(j) && (*out = json_dumps(j, JSON_COMPACT)))
		err = SG_OK;
	json_decref(j);
	return err;
}

void rsp_attempt_next(rsp_run *x)
{
	if (x->data)
		bump_attempt(x->data);
}

void rsp_notef(rsp_run *x, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	sg_text_settle(line, sizeof line); /* JSON text, whatever the pieces were */
	json_t *n = member(x, "notes", true);
	size_t i;
	json_t *v;
	json_array_foreach(n, i, v) if (!strcmp(json_string_value(v), line)) return;
	json_array_append_new(n, json_string(line));
}

void rsp_intent(rsp_run *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->intent, sizeof x->intent, fmt, ap);
	va_end(ap);
}

/* ---- the observer ------------------------------------------------------ */

/* A wait polls the same read again and again: one entry with a count,
 * not thousands (the journal stays small and cheap to rewrite). */
static bool repeat_of_last(json_t *calls, const char *api, const char *target)
{
	size_t n = json_array_size(calls);
	json_t *last = n ? json_array_get(calls, n - 1) : NULL;
	json_t *change = last ? json_object_get(last, "change") : NULL;
	return last && !json_object_get(last, "error") && (!change || json_is_null(change)) &&
	       !strcmp(json_string_value(json_object_get(last, "api")) ?: "", api) &&
	       !strcmp(json_string_value(json_object_get(last, "target")) ?: "", target);
}

static void log_call(rsp_run *x, const char *api, const char *target, const char *change,
                     const struct aws_call_result *res)
{
	json_t *calls = member(x, "calls", true);
	if (!calls)
		return;
	if (!change && res->rc == SG_OK && repeat_of_last(calls, api, target)) {
		json_t *last = json_array_get(calls, json_array_size(calls) - 1);
		json_int_t rep = json_integer_value(json_object_get(last, "repeats"));
		json_object_set_new(last, "repeats", json_integer(rep ? rep + 1 : 2));
		json_object_set_new(last, "last_at", json_integer((json_int_t)res->started_ms));
		json_object_set_new(last, "request_id", json_string(res->request_id));
		return;
	}
	const struct aws_error *e = res->err;
	json_t *c = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:i}", "at", (json_int_t)res->started_ms,
	                      "ms", (json_int_t)res->ms, "api", api, "target", target, "change",
	                      change, "request_id", res->request_id, "attempts", e->attempts);
	if (!c)
		return;
	if (res->rc != SG_OK) {
		char msg[800];
		snprintf(msg, sizeof msg, "%s%s%s", e->code, e->code[0] ? ": " : "",
		         e->message[0] ? e->message : sg_strerror(res->rc));
		json_object_set_new(c, "error", json_string(msg));
		snprintf(x->last_error, sizeof x->last_error, "%s: %.240s", api, msg);
		x->last_fail.rc = res->rc;
		x->last_fail.http_status = e->http_status;
		snprintf(x->last_fail.code, sizeof x->last_fail.code, "%s", e->code);
		sg_text_settle(x->last_error, sizeof x->last_error); /* the cut may split a character */
		if (e->outcome_unknown)
			json_object_set_new(c, "outcome_unknown", json_true());
	}
	if (x->dry_run)
		json_object_set_new(c, "dry_run", json_true());
	json_array_append_new(calls, c);
}

static void api_name(const struct aws_call *call, char out[128])
{
	snprintf(out, 128, "%s:%s", aws_service_info(call->svc)->name, call->action);
}

static sg_err before(void *ctx, const struct aws_call *call, unsigned *flags)
{
	rsp_run *x = ctx;
	if (x->lost)
		return SG_ERR_BUSY;
	if (!x->dry_run || !call->changes)
		return SG_OK;
	if (call->svc == AWS_EC2) {
		*flags |= AWS_CALL_DRY_RUN;
		return SG_OK;
	}
	/* no DryRun outside EC2: say so rather than act */
	char api[128];
	struct aws_error e;
	aws_error_clear(&e);
	struct aws_call_result res = {SG_ERR_UNSUPPORTED, &e, "", 0, 0};
	api_name(call, api);
	log_call(x, api, call->target, x->intent[0] ? x->intent : call->action, &res);
	return SG_ERR_UNSUPPORTED;
}

static void after(void *ctx, const struct aws_call *call, const struct aws_call_result *res)
{
	rsp_run *x = ctx;
	char api[128];
	api_name(call, api);
	const char *change = !call->changes ? NULL : x->intent[0] ? x->intent : call->action;
	log_call(x, api, call->target, change, res);
	if (call->changes && res->rc == SG_OK && !x->dry_run) {
		x->intent[0] = '\0';
		/* test hook: "mid" is the step's first change, "change-N" its N-th,
		 * each after AWS made it and before the journal holds it */
		char phase[24];
		snprintf(phase, sizeof phase, "change-%u", ++x->changes);
		if (x->changes == 1)
			rsp_crashpoint(x, "mid");
		rsp_crashpoint(x, phase);
	}
	if (call->changes || res->rc != SG_OK)
		rsp_journal_save(x);
}

void rsp_journal_attach(rsp_run *x)
{
	struct aws_observer o = {before, after, x};
	aws_client_observe(x->aws, &o);
}

void rsp_journal_detach(rsp_run *x)
{
	aws_client_observe(x->aws, NULL);
}
