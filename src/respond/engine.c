/* engine.c — drives one claimed incident through the playbook, durably
 * (see engine.h).  Every step state goes through step_to(), which takes
 * the enum and writes its name: no free-form status reaches the store. */
#include "respond/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "playbook/failure.h"
#include "respond/journal.h"
#include "respond/notify.h"
#include "respond/rsp.h"

/*
 * The note becomes the step's result, its history row, a notification and
 * a progress line: it must be JSON text.  Untrusted pieces are escaped
 * where a step writes them (common/escape.h); here a character that
 * snprintf cut short is dropped, and a piece that was not escaped is
 * escaped with the whole note, and said.
 */
static void settle_note(rsp_run *x)
{
	if (sg_text_settle(x->note, sizeof x->note))
		respond_log(x->cfg, "warning", "%s: step %s wrote unescaped text into its note; escaped",
		            x->inc, pb_step_name(x->step));
}

/* The one writer of a step's state. */
static sg_err step_to(rsp_run *x, pb_step s, pb_state to, const char *reason, bool bump,
                      const char *data)
{
	if ((unsigned)s >= PB_STEP__COUNT || (unsigned)to >= PB_STATE__COUNT)
		return SG_ERR_INVAL;
	store_change c = {
		.incident_id = x->id,
		.step = pb_step_name(s),
		.to = pb_state_name(to),
		.reason = reason && reason[0] ? reason : pb_state_name(to),
		.actor = x->r->owner,
		.data = data,
		.bump_attempts = bump,
	};
	sg_err err = store_transition(x->st, &c);
	if (err)
		respond_log(x->cfg, "error", "%s: step %s -> %s: %s (%s)", x->inc, c.step, c.to,
		        sg_strerror(err), store_errmsg(x->st));
	return err;
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
	if (store_step_get(x->st, x->id, pb_step_name(s), &row) == SG_OK)
		x->data = rsp_row_json(row.data);
	store_step_free(&row);
	if (!json_is_object(x->data)) {
		json_decref(x->data);
		x->data = json_object();
	}
}

/* Whether the step's failure rc may pass by itself (playbook/failure.h),
 * judged by the AWS error behind it when rc is its last failed call's. */
static bool transient(const rsp_run *x, sg_err rc)
{
	if (rc == RSP_AGAIN || rc == RSP_FATAL)
		return rc == RSP_AGAIN;
	bool from_call = x->last_fail.rc == rc;
	return pb_failure_transient(rc, from_call ? x->last_fail.code : "",
	                            from_call ? x->last_fail.http_status : 0);
}

/* The wait before the engine's retry after the a-th try of this run:
 * --step-backoff-ms doubled per try, at most RSP_STEP_BACKOFF_CAP_MS. */
#define RSP_STEP_BACKOFF_CAP_MS 60000u
static unsigned backoff_ms(const respond_config *cfg, int a)
{
	unsigned ms = cfg->step_backoff_ms ? cfg->step_backoff_ms : 1000;
	for (int i = 1; i < a && ms < RSP_STEP_BACKOFF_CAP_MS; i++)
		ms *= 2;
	return ms < RSP_STEP_BACKOFF_CAP_MS ? ms : RSP_STEP_BACKOFF_CAP_MS;
}

/* Sleep ms in poll intervals: the lease is renewed meanwhile, and a
 * stopping responder or a lost lease ends the wait (rsp_pause). */
static sg_err back_off(rsp_run *x, unsigned ms)
{
	int64_t until = sg_mono_ms() + ms;
	sg_err err = SG_OK;
	while (!err && sg_mono_ms() < until)
		err = rsp_pause(x);
	return err;
}

/* A failed step's result says which kind of failure it was: the
 * operator must act on a permanent one; a transient one outlasted the
 * engine's retries (`incidents retry` tries again). */
static void say_failure(rsp_run *x, bool transient_failure, int tries)
{
	size_t n = strlen(x->note);
	if (transient_failure)
		snprintf(x->note + n, sizeof x->note - n, " [transient: failed %d attempt%s in this run]",
		         tries, tries == 1 ? "" : "s");
	else
		snprintf(x->note + n, sizeof x->note - n, " [permanent: not retried]");
	json_object_set_new(x->data, "failure", json_string(transient_failure ? "transient" : "permanent"));
}

/*
 * One step, with the engine's own retries: a transient failure
 * (transient()) is tried again as a new attempt (rsp_attempt_next: an SSM
 * command that ended TimedOut or undelivered is sent again as "#N", a
 * gone forensic instance replaced), after backoff_ms, up to
 * --step-attempts tries in this run; a permanent one fails at once.
 */
static sg_err run_step(rsp_run *x, pb_step s)
{
	const respond_config *cfg = x->cfg;
	int max = cfg->step_attempts > 0 ? cfg->step_attempts : 3;
	x->step = s;
	load_data(x, s);
	for (int a = 1;; a++) {
		sg_err err = rsp_renew(x);
		if (err)
			return err; /* lost the lease: stop writing */
		x->changes = 0;
		x->note[0] = '\0';
		x->last_error[0] = '\0';
		x->intent[0] = '\0';
		memset(&x->last_fail, 0, sizeof x->last_fail);
		char *d = json_dumps(x->data, JSON_COMPACT);
		char why[64];
		snprintf(why, sizeof why, "attempt %u", rsp_attempt(x));
		err = step_to(x, s, PB_RUNNING, why, true, d);
		free(d);
		if (err)
			return err;
		if (a == 1)
			rsp_progress(x, "%-9s ... %s", pb_step_name(s), pb_step_title(s));
		rsp_crashpoint(x, "start");
		sg_err rc = step_fns[s](x);
		if (x->lost) {
			respond_log(x->cfg, "error", "%s: lease lost during %s; another responder continues", x->inc,
			        pb_step_name(s));
			return SG_ERR_BUSY;
		}
		if (rc == RSP_STOP || (x->stop && atomic_load(x->stop) && rc != SG_OK && rc != RSP_SKIP))
			return RSP_STOP; /* the step stays "running": the next claim runs it again */
		if (rc == SG_OK || rc == RSP_SKIP)
			rsp_crashpoint(x, "end");
		pb_state to = rc == SG_OK ? PB_DONE : rc == RSP_SKIP ? PB_SKIPPED : PB_RUNNING;
		bool passing = to == PB_RUNNING && transient(x, rc);
		if (to == PB_RUNNING && (!passing || a >= max))
			to = PB_FAILED;
		if (!x->note[0] && rc != SG_OK && rc != RSP_SKIP)
			snprintf(x->note, sizeof x->note, "%s", x->last_error[0] ? x->last_error : sg_strerror(rc));
		settle_note(x);
		if (to == PB_FAILED)
			say_failure(x, passing, a);
		else if (to != PB_RUNNING)
			json_object_del(x->data, "failure"); /* an earlier attempt's */
		if (to != PB_RUNNING) {
			if (x->note[0])
				json_object_set_new(x->data, "result", json_string(x->note));
			d = json_dumps(x->data, JSON_COMPACT);
			err = step_to(x, s, to, x->note, false, d);
			free(d);
			if (err)
				return err;
			x->states[s] = to;
			rsp_progress(x, "%-9s %-7s %s", pb_step_name(s), pb_state_name(to), x->note);
			if (x->states[s] == PB_FAILED) {
				char text[700];
				snprintf(text, sizeof text, "%s: step %s failed: %s", x->inc, pb_step_name(s),
				         x->note);
				rsp_notify(x, "failure", text, NULL);
			}
			return SG_OK;
		}
		unsigned wait = backoff_ms(cfg, a);
		rsp_notef(x, "attempt %u failed (%s): transient, attempt %u after %u ms", rsp_attempt(x),
		          x->note, rsp_attempt(x) + 1, wait);
		rsp_progress(x, "%-9s retry   attempt %u failed (%s): transient; attempt %u in %u ms",
		         pb_step_name(s), rsp_attempt(x), x->note, rsp_attempt(x) + 1, wait);
		if ((err = back_off(x, wait)))
			return err; /* RSP_STOP: the step stays "running"; BUSY: the lease is lost */
		rsp_attempt_next(x);
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
			json_t *j = rsp_row_json(rows[i].data);
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

/* Take the incident's instance unless another incident holds it (store_hold:
 * one keyed record per instance, however many incidents the store has).
 * *other: the holder's id when it is another incident, else 0.  An observe
 * run changes nothing, so it neither takes nor needs the instance. */
static sg_err hold_instance(rsp_run *x, int64_t *other)
{
	int64_t holder = 0;
	*other = 0;
	if (x->cfg->observe)
		return SG_OK;
	sg_err err = store_hold(x->st, x->id, x->r->owner, &holder);
	if (err)
		respond_log(x->cfg, "error", "%s: taking its instance: %s (%s)", x->inc, sg_strerror(err),
		            store_errmsg(x->st));
	else if (holder != x->id)
		*other = holder;
	return err;
}

/* Whether the incident can run at all: the store's identity is read (its
 * AWS key could collide with another store's without it) and it names an
 * instance (failed if not). */
static sg_err check_runnable(rsp_run *x, const store_incident *inc)
{
	if (!store_identity(x->st)[0]) {
		respond_log(x->cfg, "error", "%s: the store's identity cannot be read (%s): not run",
		            x->inc, store_errmsg(x->st));
		return SG_ERR_CORRUPT;
	}
	if (!inc->instance_id[0]) {
		incident_to(x, "failed", "the incident names no instance");
		return SG_ERR_INVAL;
	}
	return SG_OK;
}

/* Take the instance, or close the incident as merged (*merged) when
 * another incident already handles it. */
static sg_err hold_or_merge(rsp_run *x, const store_incident *inc, bool *merged)
{
	int64_t other;
	char reason[256];
	*merged = false;
	sg_err err = hold_instance(x, &other);
	if (err || !other)
		return err;
	snprintf(reason, sizeof reason, "merged: instance %s is already handled by INC-%lld",
	         inc->instance_id, (long long)other);
	rsp_progress(x, "%s", reason);
	*merged = true;
	return incident_to(x, "closed", reason);
}

/* Say that containment starts (or resumes after a crash or a stop), or that
 * an observe run only looks. */
static void announce_run(rsp_run *x, const store_incident *inc)
{
	if (!x->cfg->observe)
		rsp_notify(x, "start", x->states[PB_RECORD] == PB_PENDING ? "containment started"
		                                                          : "containment resumed", NULL);
	rsp_progress(x, "%s: instance %s (%s)", x->inc, inc->instance_id,
	             x->cfg->observe ? "observe mode: nothing will change" : "containment");
}

/* A step turned off (in the config, or by observe mode), recorded as off. */
static sg_err skip_step(rsp_run *x, pb_step step)
{
	x->step = step;
	sg_err err = step_to(x, step, PB_OFF, x->cfg->observe ? "observe mode" : "turned off in config",
	                     false, NULL);
	if (err)
		return err;
	x->states[step] = PB_OFF;
	rsp_progress(x, "%-9s off     %s", pb_step_name(step),
	             x->cfg->observe ? "(observe mode)" : "(turned off in config)");
	return SG_OK;
}

/* A step that cannot run because the step it needs (cause) is off or did
 * not end well, recorded as blocked with the reason. */
static sg_err block_step(rsp_run *x, pb_step step, pb_step cause)
{
	char reason[256];
	snprintf(reason, sizeof reason, "blocked: it needs %s, which %s", pb_step_name(cause),
	         x->states[cause] == PB_OFF ? "is turned off" : pb_state_name(x->states[cause]));
	sg_err err = step_to(x, step, PB_BLOCKED, reason, false, NULL);
	if (err)
		return err;
	x->states[step] = PB_BLOCKED;
	rsp_progress(x, "%-9s blocked (needs %s)", pb_step_name(step), pb_step_name(cause));
	return SG_OK;
}

/* Run a step pb_next chose, after asking pb_may_start once more.  When the
 * responder is stopping, the incident is given back at once (no waiting for
 * the lease to expire; the next claim resumes it) and *stopped is set. */
static sg_err start_step(rsp_run *x, pb_step step, bool *stopped)
{
	if (!pb_may_start(step, x->states)) {
		/* pb_next and pb_may_start disagree: a bug, never run blind */
		respond_log(x->cfg, "error", "%s: refusing to start %s: ordering invariant", x->inc,
		            pb_step_name(step));
		return SG_ERR_STATE;
	}
	if (step != PB_RECORD && step != PB_FINISH && !x->inst)
		return SG_ERR_STATE;
	sg_err err = run_step(x, step);
	if (err == RSP_STOP || (!err && x->stop && atomic_load(x->stop) && step != PB_FINISH)) {
		rsp_progress(x, "responder stopping: %s given back, resumes at %s", x->inc,
		             pb_step_name(step));
		*stopped = true;
		return incident_to(x, "open", "responder stopped; it resumes with the next claim");
	}
	return err;
}

/* The steps in pb_next's order until the playbook ends (observe mode: only
 * record and finish), the plan built once the instance is recorded. */
static sg_err run_steps(rsp_run *x, bool *stopped)
{
	pb_order order = x->cfg->playbook.order;
	if (x->cfg->observe)
		order.enabled = PB_BIT(PB_RECORD) | PB_BIT(PB_FINISH);
	*stopped = false;
	for (;;) {
		sg_err err = SG_OK;
		if (x->inst && !x->plan.n)
			if ((err = pb_plan_build(x->inst, &x->cfg->playbook, x->inc, &x->plan)))
				return err;
		pb_decision d = pb_next(&order, x->states);
		if (d.verdict == PB_NEXT_END)
			return SG_OK;
		if (d.verdict == PB_NEXT_SKIP)
			err = skip_step(x, d.step);
		else if (d.verdict == PB_NEXT_BLOCK)
			err = block_step(x, d.step, d.cause);
		else
			err = start_step(x, d.step, stopped);
		if (err || *stopped)
			return err;
	}
}

/* The incident's state once the playbook ended, from its steps' outcome
 * (*out): contained (said when the finish step failed), or failed with the
 * reason; an observe run ends failed, having changed nothing. */
static sg_err conclude(rsp_run *x, const char **out)
{
	char reason[256];
	*out = x->cfg->observe ? "observed" : pb_outcome(x->states);
	if (x->cfg->observe)
		return incident_to(x, "failed", "observe mode: recorded and planned, nothing changed");
	if (!strcmp(*out, "contained") && x->states[PB_FINISH] == PB_FAILED)
		/* contained it is, but the run did not end well: say so */
		return incident_to(x, "contained", "contained, but the finish step failed (the final "
		                                   "status tag or the report is missing: see the steps)");
	if (!strcmp(*out, "contained"))
		return incident_to(x, "contained", "playbook complete");
	char why[200];
	pb_outcome_why(x->states, why, sizeof why);
	snprintf(reason, sizeof reason, "playbook ended %s: %s", *out, why);
	return incident_to(x, "failed", reason);
}

sg_err rsp_run_claimed(rsp_run *x, char *outcome, size_t outlen)
{
	store_incident inc = {0};
	const char *out = "failed";
	bool merged, stopped;
	sg_err err = store_get(x->st, x->id, &inc);
	if (err)
		goto done;
	rsp_name_incident(x, x->id);
	if ((err = check_runnable(x, &inc)))
		goto done;
	if ((err = hold_or_merge(x, &inc, &merged)) || merged) {
		if (merged)
			out = "merged";
		goto done;
	}
	if ((err = load_states(x)))
		goto done;
	announce_run(x, &inc);
	if ((err = run_steps(x, &stopped)) || stopped) {
		if (stopped)
			out = "stopped";
		goto done;
	}
	err = conclude(x, &out);
done:
	if (outcome)
		snprintf(outcome, outlen, "%s", out);
	store_incident_free(&inc);
	return err;
}
