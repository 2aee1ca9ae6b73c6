/* finish.c — PB_FINISH: the final status tag, the report files, then the
 * end notification. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws/ec2.h"
#include "common/atomicfile.h"
#include "playbook/report.h"
#include "respond/journal.h"
#include "respond/notify.h"
#include "respond/report.h"

/* The end notification, once per outcome (a retry may change it). */
static void notify_end(rsp_run *x, const char *outcome)
{
	const char *told = rsp_created_get(x, "notified");
	if (told && !strcmp(told, outcome))
		return;
	char text[256];
	json_t *rep = rsp_report_build(x->st, x->id, outcome);
	json_t *fx = json_object_get(rep, "forensics"), *extra = NULL;
	char why[160] = ""; /* what kept it from "contained" */
	if (!x->cfg->observe)
		pb_outcome_why(x->states, why, sizeof why);
	int n = snprintf(text, sizeof text, "playbook ended: %s%s%s%s", outcome, why[0] ? " (" : "",
	                 why, why[0] ? ")" : "");
	if (fx) {
		extra = json_pack("{s:O}", "forensics", fx);
		json_t *ex = json_object_get(fx, "examination");
		const char *st = json_string_value(json_object_get(ex, "status"));
		if (st && n > 0 && (size_t)n < sizeof text)
			snprintf(text + n, sizeof text - (size_t)n, "; examination %.20s: %lld finding(s)",
			         st, (long long)json_integer_value(json_object_get(ex, "findings")));
	}
	rsp_notify(x, "end", text, extra);
	json_decref(extra);
	json_decref(rep);
	rsp_created(x, "notified", outcome);
}

/* KEY.json and KEY.md in --report-dir (rsp_report_path; none configured: SG_OK). */
static sg_err write_reports(rsp_run *x, const char *outcome)
{
	if (!x->cfg->report_dir)
		return SG_OK;
	json_t *rep = rsp_report_build(x->st, x->id, outcome);
	/* the FINISH row in the store is "running" still: say done here */
	size_t si;
	json_t *sv;
	json_array_foreach(json_object_get(rep, "steps"), si, sv)
		if (!strcmp(json_string_value(json_object_get(sv, "name")), "finish"))
			json_object_set_new(sv, "state", json_string("done"));
	char *js = rep ? json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	char *md = NULL;
	json_decref(rep);
	if (!js)
		return SG_ERR_NOMEM;
	char msg[256] = "", path[4096];
	mkdir(x->cfg->report_dir, 0750);
	sg_err err = pb_report_markdown(js, strlen(js), &md, msg, sizeof msg);
	if (!err) {
		rsp_report_path(x->cfg, x->key, "json", path, sizeof path);
		err = sg_file_replace(path, js, strlen(js), 0640, msg, sizeof msg);
	}
	if (!err) {
		rsp_created(x, "report_json", path);
		rsp_report_path(x->cfg, x->key, "md", path, sizeof path);
		err = sg_file_replace(path, md, strlen(md), 0640, msg, sizeof msg);
		if (!err)
			rsp_created(x, "report_md", path);
	}
	free(js);
	free(md);
	if (err)
		snprintf(x->note, sizeof x->note, "report not written to %s: %s", x->cfg->report_dir,
		         msg[0] ? msg : sg_strerror(err));
	return err;
}

sg_err rsp_step_finish(rsp_run *x)
{
	const char *outcome = x->cfg->observe ? "observed" : pb_outcome(x->states);
	sg_err err;
	/* the plan, as the report's "what would / did run" */
	json_t *plan = json_array();
	for (size_t i = 0; i < x->plan.n; i++)
		json_array_append_new(plan, json_pack("{s:s,s:s,s:s}", "step",
		                                      pb_step_name(x->plan.actions[i].step), "api",
		                                      pb_op_api(x->plan.actions[i].op), "text",
		                                      x->plan.actions[i].text));
	json_object_set_new(x->data, "plan", plan);
	if (!x->cfg->observe && x->inst) {
		struct aws_tag tags[] = {{"ssrfguard:status", outcome}};
		rsp_intent(x, "set the final status tag");
		err = aws_ec2_create_tags(x->aws, (const char *[]){x->inst->id}, 1, tags, 1, 0, NULL);
		if (err)
			return err;
	}
	rsp_journal_save(x);
	/* the reports first: "playbook ended" is never sent of a run whose
	 * report is missing (the failed step is notified instead) */
	if ((err = write_reports(x, outcome)))
		return err;
	notify_end(x, outcome);
	snprintf(x->note, sizeof x->note, "%s", outcome);
	return SG_OK;
}
