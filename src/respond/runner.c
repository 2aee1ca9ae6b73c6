/* runner.c — drives one incident through the playbook, durably. */
#include "respond/rsp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const store_opts rsp_store_opts = {.sync = STORE_SYNC_NORMAL};

int64_t rsp_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rsp_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

void rsp_iso8601(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void respond_incident_name(int64_t id, char *out, size_t cap)
{
	snprintf(out, cap, "INC-%lld", (long long)id);
}

void rsp_crashpoint(rsp_run *x, const char *phase)
{
	if (!x->r->crash_step[0])
		return;
	if (strcmp(x->r->crash_step, pb_step_name(x->step)) != 0 || strcmp(x->r->crash_phase, phase) != 0)
		return;
	fprintf(stderr, "respond: test hook: crashing at %s:%s\n", x->r->crash_step, phase);
	fflush(NULL);
	_exit(77);
}

static void progress(rsp_run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(rsp_run *x, const char *fmt, ...)
{
	if (!x->cfg->progress)
		return;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	x->cfg->progress(x->cfg->progress_ctx, x->id, line);
}

/* ---- the step journal ------------------------------------------------ */

static sg_err step_transition(rsp_run *x, pb_step s, const char *to, const char *reason, bool bump,
                              const char *data)
{
	store_change c = {
		.incident_id = x->id,
		.step = pb_step_name(s),
		.to = to,
		.reason = reason && reason[0] ? reason : to,
		.actor = x->r->owner,
		.data = data,
		.bump_attempts = bump,
	};
	sg_err err = store_transition(x->st, &c);
	if (err)
		respond_log(x->cfg, "error", "%s: step %s -> %s: %s (%s)", x->inc, pb_step_name(s), to,
		        sg_strerror(err), store_errmsg(x->st));
	return err;
}

sg_err rsp_journal_save(rsp_run *x, const char *status)
{
	if (x->dry_run)
		return SG_OK;
	char *d = json_dumps(x->data, JSON_COMPACT);
	if (!d)
		return SG_ERR_NOMEM;
	sg_err err;
	if (x->journal_step) {
		store_change c = {.incident_id = x->id, .step = x->journal_step, .to = status,
		                  .reason = "journal", .actor = x->r->owner, .data = d};
		err = store_transition(x->st, &c);
	} else
		err = step_transition(x, x->step, status, "journal", false, d);
	if (err == SG_ERR_BUSY)
		x->lost = true; /* another responder holds the incident now */
	free(d);
	return err;
}

sg_err rsp_created(rsp_run *x, const char *key, const char *value)
{
	json_t *c = json_object_get(x->data, "created");
	if (!c) {
		c = json_object();
		json_object_set_new(x->data, "created", c);
	}
	if (json_object_set_new(c, key, json_string(value)))
		return SG_ERR_NOMEM;
	return rsp_journal_save(x, "running");
}

const char *rsp_created_get(rsp_run *x, const char *key)
{
	return json_string_value(json_object_get(json_object_get(x->data, "created"), key));
}

void rsp_notef(rsp_run *x, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	json_t *n = json_object_get(x->data, "notes");
	if (!n) {
		n = json_array();
		json_object_set_new(x->data, "notes", n);
	}
	/* the same note from a rerun is said once */
	size_t i;
	json_t *v;
	json_array_foreach(n, i, v) if (!strcmp(json_string_value(v), line)) return;
	json_array_append_new(n, json_string(line));
}

static void log_call(rsp_run *x, const char *api, const char *target, const char *change,
                     int64_t t0, sg_err rc, const struct aws_error *e, const char *request_id)
{
	json_t *calls = json_object_get(x->data, "calls");
	if (!calls) {
		calls = json_array();
		json_object_set_new(x->data, "calls", calls);
	}
	/* a wait polls the same read again and again: one entry with a count,
	 * not thousands (the journal stays small and cheap to rewrite) */
	size_t n = json_array_size(calls);
	json_t *last = n ? json_array_get(calls, n - 1) : NULL;
	json_t *lc = last ? json_object_get(last, "change") : NULL;
	if (!change && rc == SG_OK && last && !json_object_get(last, "error") && (!lc || json_is_null(lc)) &&
	    !strcmp(json_string_value(json_object_get(last, "api")) ?: "", api) &&
	    !strcmp(json_string_value(json_object_get(last, "target")) ?: "", target ? target : "")) {
		json_int_t rep = json_integer_value(json_object_get(last, "repeats"));
		json_object_set_new(last, "repeats", json_integer(rep ? rep + 1 : 2));
		json_object_set_new(last, "last_at", json_integer((json_int_t)t0));
		json_object_set_new(last, "request_id", json_string(request_id ? request_id : ""));
		return;
	}
	json_t *c = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:i}", "at", (json_int_t)t0, "ms",
	                      (json_int_t)(rsp_now_ms() - t0), "api", api, "target", target ? target : "",
	                      "change", change, "request_id", request_id ? request_id : "", "attempts",
	                      e->attempts);
	if (!c)
		return;
	if (rc != SG_OK) {
		char msg[800];
		snprintf(msg, sizeof msg, "%s%s%s", e->code, e->code[0] ? ": " : "",
		         e->message[0] ? e->message : sg_strerror(rc));
		json_object_set_new(c, "error", json_string(msg));
		snprintf(x->last_error, sizeof x->last_error, "%s: %.240s", api, msg);
		if (e->outcome_unknown)
			json_object_set_new(c, "outcome_unknown", json_true());
	}
	if (x->dry_run)
		json_object_set_new(c, "dry_run", json_true());
	json_array_append_new(calls, c);
}

static void after_call(rsp_run *x, const char *change, sg_err rc)
{
	if (rc == SG_OK && change && !x->dry_run) {
		bool first = !x->mutated;
		x->mutated = true;
		if (first)
			rsp_crashpoint(x, "mid");
	}
	/* changes and failures are journaled at once; a successful read is
	 * kept in memory and written with the next change or the step's end
	 * (a crash loses only the record of reads, which change nothing) */
	if (change || rc != SG_OK)
		rsp_journal_save(x, "running");
}

sg_err rsp_query(rsp_run *x, enum aws_service svc, const char *action, struct aws_params *p,
                 unsigned flags, const char *target, const char *change, struct aws_xml **reply,
                 struct aws_error *err)
{
	struct aws_error local;
	if (!err)
		err = &local;
	aws_error_clear(err);
	struct aws_xml *r = NULL;
	char api[128];
	snprintf(api, sizeof api, "%s:%s", aws_service_info(svc)->name, action);
	if (x->lost) {
		if (reply)
			*reply = NULL;
		return SG_ERR_BUSY;
	}
	if (x->dry_run && change) {
		if (svc != AWS_EC2) {
			/* no DryRun outside EC2: say so rather than act */
			log_call(x, api, target, change, rsp_now_ms(), SG_ERR_UNSUPPORTED, err, "");
			return SG_ERR_UNSUPPORTED;
		}
		flags |= AWS_CALL_DRY_RUN;
	}
	int64_t t0 = rsp_now_ms();
	sg_err rc = aws_query(x->aws, svc, action, p, flags, &r, err);
	const char *rid = err->request_id;
	if (rc == SG_OK && r) {
		const char *v = aws_xml_str(r, "requestId");
		if (!v)
			v = aws_xml_str(r, "ResponseMetadata/RequestId");
		if (v)
			rid = v;
	}
	log_call(x, api, target, change, t0, rc, err, rid);
	after_call(x, change, rc);
	if (reply)
		*reply = r;
	else
		aws_xml_free(r);
	return rc;
}

sg_err rsp_query_settle(rsp_run *x, enum aws_service svc, const char *action, struct aws_params *p,
                        const char *target, const char *change)
{
	for (int tries = 0;; tries++) {
		sg_err err = rsp_query(x, svc, action, p, 0, target, change, NULL, NULL);
		if (err != SG_ERR_NOTFOUND || tries >= 20)
			return err;
		if ((err = rsp_pause(x)))
			return err;
	}
}

sg_err rsp_json(rsp_run *x, enum aws_service svc, const char *op, json_t *body, unsigned flags,
                const char *target, const char *change, json_t **reply, struct aws_error *err)
{
	struct aws_error local;
	if (!err)
		err = &local;
	aws_error_clear(err);
	char api[128];
	snprintf(api, sizeof api, "%s:%s", aws_service_info(svc)->name, op);
	if (x->lost) {
		if (reply)
			*reply = NULL;
		return SG_ERR_BUSY;
	}
	if (x->dry_run && change) {
		log_call(x, api, target, change, rsp_now_ms(), SG_ERR_UNSUPPORTED, err, "");
		return SG_ERR_UNSUPPORTED;
	}
	json_t *r = NULL;
	int64_t t0 = rsp_now_ms();
	sg_err rc = aws_json(x->aws, svc, op, body, flags, &r, err);
	log_call(x, api, target, change, t0, rc, err, err->request_id);
	after_call(x, change, rc);
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return rc;
}

/* ---- one step ---------------------------------------------------------- */

typedef sg_err (*step_fn)(rsp_run *x);

static const step_fn step_fns[PB_STEP__COUNT] = {
	[PB_RECORD] = rsp_step_record,       [PB_TAG] = rsp_step_tag,
	[PB_IMDS] = rsp_step_imds,           [PB_REVOKE] = rsp_step_revoke,
	[PB_PRESERVE] = rsp_step_preserve,   [PB_ASG] = rsp_step_asg,
	[PB_LB] = rsp_step_lb,               [PB_SNAPSHOT] = rsp_step_snapshot,
	[PB_CAPTURE] = rsp_step_capture,     [PB_ISOLATE] = rsp_step_isolate,
	[PB_STRIP] = rsp_step_strip,         [PB_FORENSICS] = rsp_step_forensics,
	[PB_FINISH] = rsp_step_finish,
};

/* Load the step's journal from the store (resume), or start a fresh one. */
static void load_data(rsp_run *x, pb_step s)
{
	json_decref(x->data);
	x->data = NULL;
	store_step row = {0};
	if (store_step_get(x->st, x->id, pb_step_name(s), &row) == SG_OK && row.data[0])
		x->data = json_loads(row.data, 0, NULL);
	store_step_free(&row);
	if (!json_is_object(x->data)) {
		json_decref(x->data);
		x->data = json_object();
	}
}

static sg_err renew(rsp_run *x)
{
	int64_t lease = x->cfg->lease_ms ? x->cfg->lease_ms : 60000;
	sg_err err = store_renew(x->st, x->id, x->r->owner, lease);
	if (err == SG_ERR_BUSY)
		x->lost = true;
	if (!err)
		x->renewed_ms = rsp_now_ms();
	return err;
}

sg_err rsp_pause(rsp_run *x)
{
	if (x->stop && *x->stop)
		return RSP_STOP;
	rsp_sleep_ms(x->cfg->poll_ms ? x->cfg->poll_ms : 1000);
	if (x->stop && *x->stop)
		return RSP_STOP;
	if (x->dry_run || !x->id)
		return SG_OK;
	int64_t lease = x->cfg->lease_ms ? x->cfg->lease_ms : 60000;
	if (rsp_now_ms() - x->renewed_ms > lease / 3)
		renew(x);
	return x->lost ? SG_ERR_BUSY : SG_OK;
}

static sg_err run_step(rsp_run *x, pb_step s)
{
	const respond_config *cfg = x->cfg;
	int max = cfg->step_attempts > 0 ? cfg->step_attempts : 3;
	unsigned backoff = cfg->step_backoff_ms ? cfg->step_backoff_ms : 1000;
	x->step = s;
	load_data(x, s);
	for (int a = 1;; a++) {
		sg_err err = renew(x);
		if (err)
			return err; /* lost the lease: stop writing */
		x->mutated = false;
		x->note[0] = '\0';
		x->last_error[0] = '\0';
		char *d = json_dumps(x->data, JSON_COMPACT);
		char why[64];
		snprintf(why, sizeof why, "attempt %d", a);
		err = step_transition(x, s, "running", why, true, d);
		free(d);
		if (err)
			return err;
		if (a == 1)
			progress(x, "%-9s ... %s", pb_step_name(s), pb_step_title(s));
		rsp_crashpoint(x, "start");
		sg_err rc = step_fns[s](x);
		if (x->lost) {
			respond_log(x->cfg, "error", "%s: lease lost during %s; another responder continues", x->inc,
			        pb_step_name(s));
			return SG_ERR_BUSY;
		}
		if (rc == RSP_STOP || (x->stop && *x->stop && rc != SG_OK && rc != RSP_SKIP))
			return RSP_STOP; /* the step stays "running": the next claim runs it again */
		if (rc == SG_OK || rc == RSP_SKIP)
			rsp_crashpoint(x, "end");
		const char *to = rc == SG_OK ? "done" : rc == RSP_SKIP ? "skipped" : NULL;
		if (!to && (rc == RSP_FATAL || a >= max))
			to = "failed";
		if (!x->note[0] && rc != SG_OK && rc != RSP_SKIP)
			snprintf(x->note, sizeof x->note, "%s", x->last_error[0] ? x->last_error : sg_strerror(rc));
		if (to) {
			if (x->note[0])
				json_object_set_new(x->data, "result", json_string(x->note));
			d = json_dumps(x->data, JSON_COMPACT);
			err = step_transition(x, s, to, x->note[0] ? x->note : to, false, d);
			free(d);
			if (err)
				return err;
			pb_state_parse(to, &x->states[s]);
			progress(x, "%-9s %-7s %s", pb_step_name(s), to, x->note);
			if (x->states[s] == PB_FAILED) {
				char text[700];
				snprintf(text, sizeof text, "%s: step %s failed: %s", x->inc, pb_step_name(s),
				         x->note);
				rsp_notify(x, "failure", text);
			}
			return SG_OK;
		}
		progress(x, "%-9s retry   attempt %d failed (%s); again in %u ms", pb_step_name(s), a,
		         x->note, backoff);
		rsp_sleep_ms(backoff);
		if (backoff < 60000)
			backoff *= 2;
	}
}

/* ---- one incident ----------------------------------------------------- */

static sg_err load_states(rsp_run *x)
{
	store_step *rows = NULL;
	size_t n = 0;
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		x->states[s] = PB_PENDING;
	sg_err err = store_steps(x->st, x->id, &rows, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		pb_step s;
		pb_state st;
		if (pb_step_parse(rows[i].name, &s) != SG_OK || pb_state_parse(rows[i].status, &st) != SG_OK)
			continue; /* another area's journal rows (e.g. delivery) */
		x->states[s] = st;
		if (s == PB_RECORD && st == PB_DONE) {
			json_t *j = json_loads(rows[i].data, 0, NULL);
			char *inst = json_dumps(json_object_get(j, "instance"), JSON_COMPACT);
			char msg[200];
			pb_instance_free(x->inst);
			x->inst = NULL;
			if (!inst || pb_instance_from_json(inst, strlen(inst), &x->inst, msg, sizeof msg)) {
				respond_log(x->cfg, "error", "%s: recorded instance unreadable: %s", x->inc,
				        inst ? msg : "missing");
				err = SG_ERR_CORRUPT;
			}
			free(inst);
			json_decref(j);
		}
	}
	store_steps_free(rows, n);
	return err;
}

static sg_err incident_to(rsp_run *x, const char *to, const char *reason)
{
	store_change c = {.incident_id = x->id, .to = to, .reason = reason, .actor = x->r->owner};
	sg_err err = store_transition(x->st, &c);
	if (err)
		respond_log(x->cfg, "error", "%s -> %s: %s (%s)", x->inc, to, sg_strerror(err),
		        store_errmsg(x->st));
	return err;
}

/* Another incident already holding this instance (containing with a live
 * lease, or contained)?  Returns its id or 0. */
static int64_t other_active(rsp_run *x, const char *instance)
{
	int64_t found = 0, now = rsp_now_ms();
	for (int st = STORE_CONTAINING; st <= STORE_CONTAINED && !found; st++) {
		store_incident *arr = NULL;
		size_t n = 0;
		if (store_list(x->st, st, 0, &arr, &n) != SG_OK)
			continue;
		for (size_t i = 0; i < n && !found; i++)
			if (arr[i].id != x->id && !strcmp(arr[i].instance_id, instance) &&
			    (st == STORE_CONTAINED || arr[i].lease_until_ms >= now))
				found = arr[i].id;
		store_incidents_free(arr, n);
	}
	return found;
}

sg_err rsp_run_claimed(rsp_run *x, char *outcome, size_t outlen);

/* Run a claimed incident to its end.  x has st, aws, r, cfg, id set. */
sg_err rsp_run_claimed(rsp_run *x, char *outcome, size_t outlen)
{
	store_incident inc = {0};
	char reason[256];
	const char *out = "failed";
	sg_err err = store_get(x->st, x->id, &inc);
	if (err)
		goto fail;
	respond_incident_name(x->id, x->inc, sizeof x->inc);
	if (!inc.instance_id[0]) {
		incident_to(x, "failed", "the incident names no instance");
		err = SG_ERR_INVAL;
		goto fail;
	}
	int64_t other = other_active(x, inc.instance_id);
	if (other) {
		snprintf(reason, sizeof reason, "merged: instance %s is already handled by INC-%lld",
		         inc.instance_id, (long long)other);
		progress(x, "%s", reason);
		err = incident_to(x, "closed", reason);
		out = "merged";
		goto fail;
	}
	if ((err = load_states(x)))
		goto fail;
	if (!x->cfg->observe)
		rsp_notify(x, "start", x->states[PB_RECORD] == PB_PENDING ? "containment started"
		                                                          : "containment resumed");
	progress(x, "%s: instance %s (%s)", x->inc, inc.instance_id,
	         x->cfg->observe ? "observe mode: nothing will change" : "containment");
	pb_order order = x->cfg->playbook.order;
	if (x->cfg->observe)
		order.enabled = PB_BIT(PB_RECORD) | PB_BIT(PB_FINISH);
	for (;;) {
		if (x->inst && !x->plan.n)
			if ((err = pb_plan_build(x->inst, &x->cfg->playbook, x->inc, &x->plan)))
				goto fail;
		pb_decision d = pb_next(&order, x->states);
		if (d.verdict == PB_NEXT_END)
			break;
		if (d.verdict == PB_NEXT_SKIP) {
			x->step = d.step;
			err = step_transition(x, d.step, "skipped",
			                      x->cfg->observe ? "observe mode" : "turned off in config", false, NULL);
			if (err)
				goto fail;
			x->states[d.step] = PB_SKIPPED;
			progress(x, "%-9s skipped %s", pb_step_name(d.step),
			         x->cfg->observe ? "(observe mode)" : "(turned off)");
			continue;
		}
		if (d.verdict == PB_NEXT_BLOCK) {
			snprintf(reason, sizeof reason, "blocked: it needs %s, which %s",
			         pb_step_name(d.cause), pb_state_name(x->states[d.cause]));
			err = step_transition(x, d.step, "blocked", reason, false, NULL);
			if (err)
				goto fail;
			x->states[d.step] = PB_BLOCKED;
			progress(x, "%-9s blocked (needs %s)", pb_step_name(d.step), pb_step_name(d.cause));
			continue;
		}
		if (!pb_may_start(d.step, x->states)) {
			/* pb_next and pb_may_start disagree: a bug, never run blind */
			respond_log(x->cfg, "error", "%s: refusing to start %s: ordering invariant", x->inc,
			        pb_step_name(d.step));
			err = SG_ERR_STATE;
			goto fail;
		}
		if (d.step != PB_RECORD && d.step != PB_FINISH && !x->inst) {
			err = SG_ERR_STATE;
			goto fail;
		}
		if ((err = run_step(x, d.step)) == RSP_STOP ||
		    (!err && x->stop && *x->stop && d.step != PB_FINISH)) {
			/* shutting down: give the incident back at once (no waiting
			 * for the lease to expire); the next claim resumes it */
			progress(x, "responder stopping: %s given back, resumes at %s", x->inc,
			         pb_step_name(d.step));
			err = incident_to(x, "open", "responder stopped; it resumes with the next claim");
			out = "stopped";
			goto fail;
		}
		if (err)
			goto fail;
	}
	out = x->cfg->observe ? "observed" : pb_outcome(x->states);
	if (x->cfg->observe)
		err = incident_to(x, "failed", "observe mode: recorded and planned, nothing changed");
	else if (!strcmp(out, "contained"))
		err = incident_to(x, "contained", "playbook complete");
	else {
		snprintf(reason, sizeof reason, "playbook ended %s: see the failed and blocked steps", out);
		err = incident_to(x, "failed", reason);
	}
fail:
	if (outcome)
		snprintf(outcome, outlen, "%s", out);
	store_incident_free(&inc);
	return err;
}
