/* examresult.c — FORENSICS after SendCommand: the examination delivered
 * (rsp_forensics_delivered) and, with --forensics-wait, its result line
 * joins the incident (see rsp.h, rsp_forensics_result). */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/sigv4.h"
#include "common/escape.h"
#include "playbook/examresult.h"
#include "respond/journal.h"

/* A string member of the forensic host's result for a note: escaped and
 * cut on a character boundary (common/escape.h); "?" when absent. */
static const char *shown(const json_t *res, const char *key, char *buf, size_t cap)
{
	const char *s = json_string_value(json_object_get(res, key));
	if (!s)
		return "?";
	sg_text_clean(buf, cap, s, json_string_length(json_object_get(res, key)));
	return buf;
}

/* The step's note from the result: status, findings, the report and its
 * hash; every value as the forensic command printed it, escaped. */
static sg_err result_note(rsp_run *x, const json_t *res, const char *fid, size_t nvol)
{
	const char *st = json_string_value(json_object_get(res, "status"));
	char report[200], rhex[80], why[300];
	json_int_t findings = json_integer_value(json_object_get(res, "findings"));
	if (!strcmp(st, "ok") || !strcmp(st, "incomplete")) {
		snprintf(x->note, sizeof x->note, "%zu volume(s) examined on %s%s: %lld finding(s); report %s "
		         "(sha256 %s)", nvol, fid, strcmp(st, "ok") ? ", INCOMPLETE" : "", (long long)findings,
		         shown(res, "report", report, sizeof report), shown(res, "report_sha256", rhex, sizeof rhex));
		return SG_OK;
	}
	snprintf(x->note, sizeof x->note, "examination on %s failed: %s", fid,
	         shown(res, json_is_string(json_object_get(res, "error")) ? "error" : "status", why, sizeof why));
	return RSP_FATAL;
}

enum { FORENSICS_DELIVERY_WAIT_S = 120 };

sg_err rsp_forensics_delivered(rsp_run *x, const char *fid, const char *cmd, size_t nvol,
                               int64_t step_deadline)
{
	int64_t deadline = rsp_deadline(x, "forensics_sent_ms", FORENSICS_DELIVERY_WAIT_S);
	char status[64], details[64] = "";
	json_t *inv = NULL;
	sg_err err = rsp_ssm_wait_delivered(x, cmd, fid, deadline < step_deadline ? deadline : step_deadline,
	                                    status, sizeof status, &inv);
	if (err == SG_ERR_TIMEOUT) {
		snprintf(x->note, sizeof x->note, "%zu volume(s) attached to %s; collection sent (command %s) "
		         "but still %s: the SSM agent there has not taken it", nvol, fid, cmd, status);
		return err;
	}
	if (err)
		return err;
	const char *d = json_string_value(json_object_get(inv, "StatusDetails"));
	if (d)
		sg_text_clean(details, sizeof details, d, strlen(d)); /* the reply's text */
	bool undelivered = rsp_ssm_undelivered(inv);
	json_decref(inv);
	/* never ran: not delivered in time or undeliverable (a new attempt
	 * sends it again), cancelled, or the command's MaxErrors reached (SSM
	 * API reference, GetCommandInvocation, StatusDetails) */
	if (undelivered || !strcmp(details, "Terminated") || !strncmp(status, "Cancel", 6)) {
		snprintf(x->note, sizeof x->note, "%zu volume(s) attached to %s; collection command %s not "
		         "delivered: %s (%s)", nvol, fid, cmd, status, details);
		return undelivered ? RSP_AGAIN : RSP_FATAL;
	}
	if (!strcmp(status, "InProgress") || x->cfg->forensics_wait_s) { /* the wait reads its end */
		snprintf(x->note, sizeof x->note, "%zu volume(s) attached to %s; collection started (command %s)",
		         nvol, fid, cmd);
		return SG_OK;
	}
	snprintf(x->note, sizeof x->note, "%zu volume(s) attached to %s; collection command %s ran and ended "
	         "%s (%s)", nvol, fid, cmd, status, details);
	return !strcmp(status, "Success") ? SG_OK : !strcmp(status, "TimedOut") ? RSP_AGAIN : RSP_FATAL;
}

sg_err rsp_forensics_result(rsp_run *x, const char *fid, const char *cmd, size_t nvol)
{
	unsigned wait = x->cfg->forensics_wait_s;
	int64_t deadline = rsp_deadline(x, "forensics_started_ms", wait);
	char status[64];
	json_t *inv = NULL;
	sg_err err = rsp_ssm_wait(x, cmd, fid, deadline, status, sizeof status, &inv);
	if (err == SG_ERR_TIMEOUT) {
		json_object_set_new(x->data, "forensics",
		                    json_pack("{s:s,s:s}", "command_id", cmd, "ssm_status", status));
		snprintf(x->note, sizeof x->note, "%zu volume(s) attached to %s; examination still %s after "
		         "%u s (command %s): its result is not in this incident", nvol, fid, status, wait, cmd);
		return SG_OK;
	}
	if (err)
		return err;
	const char *out = json_string_value(json_object_get(inv, "StandardOutputContent"));
	const char *errtext = json_string_value(json_object_get(inv, "StandardErrorContent"));
	out = out ? out : "";
	char hex[65];
	aws_sha256_hex(out, strlen(out), hex);
	json_t *res = pb_exam_result_line(out, strlen(out));
	json_t *ev = json_pack("{s:s,s:s,s:s,s:o*}", "command_id", cmd, "ssm_status", status,
	                       "stdout_sha256", hex, "examination", res);
	if (!ev) {
		json_decref(inv);
		return SG_ERR_NOMEM;
	}
	if (!res) {
		json_object_set_new(ev, "stderr", json_string(errtext ? errtext : ""));
		char why[301] = "no output";
		if (errtext && errtext[0])
			sg_text_clean(why, sizeof why, errtext, strlen(errtext)); /* the forensic host's */
		snprintf(x->note, sizeof x->note, "examination on %s ended %s without a result line "
		         "(command %s): %s", fid, status, cmd, why);
		err = !strcmp(status, "TimedOut") ? RSP_AGAIN : RSP_FATAL; /* cut at its run limit */
	} else {
		err = result_note(x, res, fid, nvol);
	}
	json_decref(inv);
	json_object_set_new(x->data, "forensics", ev);
	return err;
}
