/* report.c — an incident's report from the store's journal (see report.h). */
#include "respond/report.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "playbook/guardduty.h"
#include "respond/rsp.h"

/* The kernel backstop's attempts: who tried, from its evidence JSON
 * (src/backstop/reader.c; already cleaned to printable text there). */
static json_t *processes(const store_attempt *att, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		json_t *ev = rsp_row_json(att[i].headers);
		const char *src = json_string_value(json_object_get(ev, "source"));
		if (src && !strcmp(src, "backstop")) {
			char at[32];
			rsp_iso8601(att[i].at_ms, at);
			json_object_set_new(ev, "at", json_string(at));
			json_object_set_new(ev, "dest", json_string(att[i].dest));
			json_object_del(ev, "source");
			json_array_append(list, ev);
		}
		json_decref(ev);
	}
	return list;
}

/* Every state change of the incident and its steps: when, who, why.  The
 * store's strings are made JSON text (common/utf8.h): a row written with
 * bytes that are not UTF-8 is shown repaired, never dropped. */
static json_t *history(store *st, int64_t id)
{
	store_history *h = NULL;
	size_t n = 0;
	json_t *list = json_array();
	if (store_history_list(st, id, &h, &n) != SG_OK)
		return list;
	for (size_t i = 0; list && i < n; i++) {
		char at[32];
		rsp_iso8601(h[i].at_ms, at);
		json_array_append_new(list, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "at", at, "step",
		                                      sg_utf8_json(h[i].step), "from", sg_utf8_json(h[i].from),
		                                      "to", sg_utf8_json(h[i].to), "actor",
		                                      sg_utf8_json(h[i].actor), "reason",
		                                      sg_utf8_json(h[i].reason)));
	}
	store_history_free(h, n);
	return list;
}

/* The GuardDuty finding kept with the incident (step "finding", the
 * queue intake's): what it says, read again by the same parser. */
static void add_finding(store *st, int64_t id, json_t *r)
{
	store_step row = {0};
	if (store_step_get(st, id, "finding", &row) != SG_OK)
		return;
	pb_gd_finding f;
	char why[300];
	json_t *o;
	if (pb_guardduty_parse_detail(row.data, strlen(row.data), &f, why, sizeof why) == SG_OK)
		o = json_pack("{s:s,s:f,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "type",
		              f.type_name, "severity", f.severity, "id", f.finding_id, "account", f.account,
		              "region", f.region, "resource_type", f.resource_type, "resource_role",
		              f.resource_role, "instance", f.instance_id, "principal", f.principal, "az",
		              f.az, "first_seen", f.first_seen, "last_seen", f.last_seen, "count",
		              (json_int_t)f.count, "sample", f.sample);
	else
		o = json_pack("{s:s}", "unreadable", why);
	if (o)
		json_object_set_new(r, "finding", o);
	store_step_free(&row);
}

/* "finish failed: RESULT" after what why holds (RESULT: the finish
 * step's, from steps). */
static void finish_why(const json_t *steps, char *why, size_t cap)
{
	size_t i, n = strlen(why);
	const json_t *s;
	const char *result = "";
	json_array_foreach(steps, i, s)
		if (!strcmp(json_string_value(json_object_get(s, "name")), "finish") &&
		    json_is_string(json_object_get(s, "result")))
			result = json_string_value(json_object_get(s, "result"));
	if (n < cap)
		snprintf(why + n, cap - n, "%sfinish failed%s%.300s", n ? "; " : "", result[0] ? ": " : "",
		         result);
}

/* The incident's own fields and the key that names it in AWS (rsp.h). */
static json_t *report_head(store *st, int64_t id, const store_incident *inc)
{
	char name[32], opened[32], key[PB_INCIDENT_KEY_MAX];
	respond_incident_name(id, name, sizeof name);
	rsp_iso8601(inc->opened_ms, opened);
	json_t *r = json_pack("{s:s,s:I,s:o,s:o,s:s,s:o,s:s,s:o,s:o,s:o,s:I}", "incident", name,
	                      "store_id", (json_int_t)id, "instance", sg_utf8_json(inc->instance_id),
	                      "region", sg_utf8_json(inc->region), "state",
	                      store_state_name(inc->state), "state_reason",
	                      sg_utf8_json(inc->state_reason), "opened", opened, "source",
	                      sg_utf8_json(inc->source), "category", sg_utf8_json(inc->category),
	                      "dest", sg_utf8_json(inc->dest), "attempts", (json_int_t)inc->attempts);
	if (!r)
		return NULL;
	rsp_incident_key(st, id, key);
	json_object_set_new(r, "aws_key", json_string(key));
	return r;
}

/* From the attempts: the first one's URL, and the processes the kernel
 * backstop named. */
static void add_attempts(store *st, int64_t id, json_t *r)
{
	store_attempt *att = NULL;
	size_t na = 0;
	if (store_attempts(st, id, 0, &att, &na) == SG_OK && na) {
		json_object_set_new(r, "url", sg_utf8_json(att[0].url));
		json_t *procs = processes(att, na);
		if (json_array_size(procs))
			json_object_set(r, "processes", procs);
		json_decref(procs);
	}
	store_attempts_free(att, na);
}

/* One step's entry: its name, state and attempts, and what its journal
 * row keeps; the evidence the step kept goes to the top of the report r. */
static json_t *step_entry(json_t *r, pb_step s, const store_step *row)
{
	json_t *d = rsp_row_json(row->data);
	json_t *o = json_pack("{s:s,s:s,s:I}", "name", row->name, "state", row->status, "attempts",
	                      (json_int_t)row->attempts);
	if (o && json_is_object(d)) {
		/* failure: "transient" or "permanent" (a failed step);
		 * attempt: the journal's (`incidents retry` and the
		 * engine's own retries start a new one) */
		const char *k[] = {"result", "notes", "created", "calls", "failure", "attempt"};
		for (size_t j = 0; j < sizeof k / sizeof k[0]; j++)
			if (json_object_get(d, k[j]))
				json_object_set(o, k[j], json_object_get(d, k[j]));
		/* evidence the steps kept, at the top of the report */
		const char *ev[] = {"console", "console_screenshot", "capture", "memory",
		                    "forensics", "errored_volumes", "shares"};
		for (size_t j = 0; j < sizeof ev / sizeof ev[0]; j++)
			if (json_object_get(d, ev[j]))
				json_object_set(r, ev[j], json_object_get(d, ev[j]));
		if (s == PB_RECORD && json_object_get(d, "instance"))
			json_object_set(r, "recorded", json_object_get(d, "instance"));
		if (s == PB_FINISH && json_object_get(d, "plan"))
			json_object_set(r, "plan", json_object_get(d, "plan"));
	}
	json_decref(d);
	return o;
}

/* The playbook's steps in its order, as r's "steps" (returned, owned by r);
 * states gets each step's state (pending when it has no row). */
static json_t *add_steps(store *st, int64_t id, json_t *r, pb_state states[PB_STEP__COUNT])
{
	store_step *rows = NULL;
	size_t n = 0;
	json_t *steps = json_array();
	json_object_set_new(r, "steps", steps);
	if (store_steps(st, id, &rows, &n) == SG_OK)
		for (unsigned s = 0; s < PB_STEP__COUNT; s++)
			for (size_t i = 0; i < n; i++) {
				if (strcmp(rows[i].name, pb_step_name((pb_step)s)))
					continue;
				pb_state_parse(rows[i].status, &states[s]);
				json_t *o = step_entry(r, (pb_step)s, &rows[i]);
				if (o)
					json_array_append_new(steps, o);
			}
	store_steps_free(rows, n);
	return steps;
}

/* Outcome and finish time (fin) only from what happened (no step ran: no
 * "contained", no finish).  A finish that failed ended the run: the
 * outcome is the steps', and why names the finish's failure (the report
 * not written, say), never "in progress". */
static void add_outcome(json_t *r, const json_t *steps, const pb_state states[PB_STEP__COUNT],
                        const char *outcome, const char *fin)
{
	bool finish_failed = states[PB_FINISH] == PB_FAILED;
	if (!outcome)
		outcome = finish_failed ? pb_outcome(states) : pb_outcome_so_far(states);
	json_object_set_new(r, "outcome", json_string(outcome));
	char why[400] = "";
	if (!strcmp(outcome, "partial"))
		pb_outcome_why(states, why, sizeof why);
	if (finish_failed)
		finish_why(steps, why, sizeof why);
	if (why[0])
		json_object_set_new(r, "outcome_why", json_string(why));
	if (strcmp(outcome, "not started") && strcmp(outcome, "in progress"))
		json_object_set_new(r, "finished", json_string(fin));
}

json_t *rsp_report_build(store *st, int64_t id, const char *outcome)
{
	store_incident inc = {0};
	if (store_get(st, id, &inc) != SG_OK)
		return NULL;
	json_t *r = report_head(st, id, &inc);
	if (r) {
		pb_state states[PB_STEP__COUNT] = {0};
		char fin[32];
		add_attempts(st, id, r);
		json_t *steps = add_steps(st, id, r, states);
		add_finding(st, id, r);
		rsp_iso8601(inc.state_ms, fin);
		add_outcome(r, steps, states, outcome, fin);
		json_object_set_new(r, "history", history(st, id));
	}
	store_incident_free(&inc);
	return r;
}

sg_err respond_report_path(responder *r, int64_t id, const char *ext, char *out, size_t cap)
{
	char msg[256], key[PB_INCIDENT_KEY_MAX];
	store *st = NULL;
	if (cap)
		out[0] = '\0';
	if (!r->cfg.report_dir)
		return SG_OK;
	sg_err err = respond_store_open(&r->cfg, NULL, &st, msg, sizeof msg);
	if (err)
		return err;
	rsp_incident_key(st, id, key);
	store_close(st);
	rsp_report_path(&r->cfg, key, ext, out, cap);
	return SG_OK;
}

sg_err respond_report_json(responder *r, int64_t id, char **out)
{
	char msg[256];
	store *st = NULL;
	*out = NULL;
	sg_err err = respond_store_open(&r->cfg, NULL, &st, msg, sizeof msg);
	if (err)
		return err;
	json_t *rep = rsp_report_build(st, id, NULL);
	store_close(st);
	if (!rep)
		return SG_ERR_NOTFOUND;
	*out = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(rep);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

