/* report.c — Markdown incident report from its JSON document. */
#include "playbook/report.h"

#include "common/buf.h"
#include "common/jsonload.h"
#include "common/mdtext.h"
#include "common/msg.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sb_esc(sg_buf *b, const char *s)
{
	char tmp[3];
	for (; s && *s; s++)
		sg_buf_puts(b, sg_md_byte((unsigned char)*s, tmp));
}

void pb_call_outcome(const json_t *call, const char *last, char *out, size_t cap)
{
	const char *e = json_string_value(json_object_get(call, "error"));
	const char *change = json_string_value(json_object_get(call, "change"));
	json_int_t rep = json_integer_value(json_object_get(call, "repeats"));
	if (e && e[0])
		snprintf(out, cap, "FAILED%s: %s",
		         json_is_true(json_object_get(call, "outcome_unknown")) ? " (outcome unknown)" : "",
		         e);
	else if (json_is_true(json_object_get(call, "dry_run")))
		snprintf(out, cap, "dry run");
	else if (rep > 1)
		snprintf(out, cap, "%s (polled %lld times%s%s)", change ? "done" : "ok", (long long)rep,
		         last ? ", until " : "", last ? last : "");
	else
		snprintf(out, cap, "%s", change ? "done" : "ok");
}

char *pb_md_escape(const char *text)
{
	sg_buf b = {0};
	sb_esc(&b, text);
	return sg_buf_take(&b, NULL);
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static void iso(int64_t ms, char out[40])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(out, 40, "?");
		return;
	}
	size_t n = strftime(out, 40, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%03dZ", (int)(ms % 1000));
}

typedef struct row {
	int64_t at;
	json_t *step, *call;
} row;

static int row_cmp(const void *a, const void *b)
{
	const row *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}


/* One capture stream: the SHA-256 of the whole output (and where it was
 * read from), or the mark that only a truncated part exists. */
static void capture_stream(sg_buf *b, json_t *cap, const char *stream)
{
	char k[64];
	snprintf(k, sizeof k, "%s_truncated", stream);
	sg_buf_puts(b, "- ");
	sg_buf_puts(b, stream);
	if (json_is_true(json_object_get(cap, k))) {
		snprintf(k, sizeof k, "%s_shown_sha256", stream);
		sg_buf_puts(b, ": **truncated by SSM**, only its first part exists (SHA-256 of that part `");
		sb_esc(b, str(cap, k));
		sg_buf_puts(b, "`)\n");
		return;
	}
	snprintf(k, sizeof k, "%s_sha256", stream);
	sg_buf_puts(b, " SHA-256: `");
	sb_esc(b, str(cap, k));
	sg_buf_puts(b, "`");
	snprintf(k, sizeof k, "%s_object", stream);
	if (json_object_get(cap, k)) {
		sg_buf_puts(b, " of ");
		sb_esc(b, str(cap, k));
	}
	sg_buf_puts(b, "\n");
}

/* "- label: `value`" when the value is there. */
static void fact(sg_buf *b, const char *label, const char *v)
{
	if (!v || !v[0])
		return;
	sg_buf_puts(b, "- ");
	sg_buf_puts(b, label);
	sg_buf_puts(b, ": `");
	sb_esc(b, v);
	sg_buf_puts(b, "`\n");
}

/* "... and N more" when the result line left N of a list out. */
static void more_in_report(sg_buf *b, json_t *o, const char *key)
{
	json_int_t more = json_integer_value(json_object_get(o, key));
	if (more > 0)
		sg_buf_printf(b, "\n... and %lld more in the forensic report\n", (long long)more);
}

/* A table of rows: one column per {key, heading}; a row's number or text
 * escaped, an absent value empty.  Nothing when the list is empty. */
static void rows_table(sg_buf *b, const json_t *list, const char *const cols[][2], size_t ncols)
{
	size_t i, c;
	json_t *o;
	if (!json_array_size(list))
		return;
	sg_buf_puts(b, "|");
	for (c = 0; c < ncols; c++)
		sg_buf_printf(b, " %s |", cols[c][1]);
	sg_buf_puts(b, "\n|");
	for (c = 0; c < ncols; c++)
		sg_buf_puts(b, "---|");
	sg_buf_puts(b, "\n");
	json_array_foreach(list, i, o)
	{
		sg_buf_puts(b, "|");
		for (c = 0; c < ncols; c++) {
			json_t *v = json_object_get(o, cols[c][0]);
			sg_buf_puts(b, " ");
			if (json_is_integer(v))
				sg_buf_printf(b, "%lld", (long long)json_integer_value(v));
			else
				sb_esc(b, json_is_string(v) ? json_string_value(v) : "");
			sg_buf_puts(b, " |");
		}
		sg_buf_puts(b, "\n");
	}
}

/* The same under a heading of its own; nothing when the list is empty. */
static void table_section(sg_buf *b, const char *title, const json_t *list,
                          const char *const cols[][2], size_t ncols)
{
	if (!json_array_size(list))
		return;
	sg_buf_printf(b, "\n## %s\n\n", title);
	rows_table(b, list, cols, ncols);
}

/* The findings the result line carries (the forensic report has them all). */
static void exam_findings(sg_buf *b, json_t *ev)
{
	json_t *top = json_object_get(ev, "top_findings");
	if (!json_is_array(top)) {
		sg_buf_puts(b, "- no baseline: nothing compared\n");
		return;
	}
	sg_buf_printf(b, "- findings: %lld\n", (long long)json_integer_value(json_object_get(ev, "findings")));
	if (!json_array_size(top))
		return;
	static const char *const cols[][2] = {
		{"class", "class"}, {"path", "path"}, {"interest", "why it matters"}, {"detail", "detail"},
	};
	sg_buf_puts(b, "\n");
	rows_table(b, top, cols, sizeof cols / sizeof cols[0]);
	more_in_report(b, ev, "findings_omitted");
}

/* The files YARA matched, with their rules. */
static void exam_yara(sg_buf *b, json_t *ev)
{
	json_t *y = json_object_get(ev, "yara");
	if (!json_is_object(y) || !strcmp(str(y, "scope"), "off"))
		return;
	sg_buf_printf(b, "\n- YARA (scope %s, %s): %lld of %lld scanned file(s) matched\n", str(y, "scope"),
	              str(y, "status"), (long long)json_integer_value(json_object_get(y, "matched")),
	              (long long)json_integer_value(json_object_get(y, "scanned")));
	json_t *ms = json_object_get(y, "matches");
	if (!json_array_size(ms))
		return;
	sg_buf_puts(b, "\n| path | finding | YARA rules |\n|---|---|---|\n");
	size_t i, k;
	json_t *m, *r;
	json_array_foreach(ms, i, m)
	{
		sg_buf_puts(b, "| ");
		sb_esc(b, str(m, "path"));
		sg_buf_puts(b, " | ");
		sb_esc(b, str(m, "class"));
		sg_buf_puts(b, " | ");
		json_array_foreach(json_object_get(m, "rules"), k, r)
		{
			if (k)
				sg_buf_puts(b, ", ");
			sb_esc(b, json_is_string(r) ? json_string_value(r) : "");
		}
		sg_buf_puts(b, " |\n");
	}
	more_in_report(b, y, "matches_omitted");
}

/* The persistence places, whatever their hash says. */
static void exam_persistence(sg_buf *b, json_t *ev)
{
	json_t *pl = json_object_get(ev, "persistence");
	if (!json_array_size(pl))
		return;
	sg_buf_puts(b, "\n| persistence place | kind | against the baseline |\n|---|---|---|\n");
	size_t i;
	json_t *p;
	json_array_foreach(pl, i, p)
	{
		sg_buf_puts(b, "| ");
		sb_esc(b, str(p, "path"));
		sg_buf_puts(b, " | ");
		sb_esc(b, str(p, "kind"));
		sg_buf_puts(b, " | ");
		sb_esc(b, str(p, "baseline")[0] ? str(p, "baseline") : "no baseline");
		sg_buf_puts(b, " |\n");
	}
	more_in_report(b, ev, "persistence_omitted");
}

/* One examined volume: its hashes, findings, YARA matches and
 * persistence places as the result line carries them. */
static void exam_evidence(sg_buf *b, json_t *ev)
{
	sg_buf_puts(b, "\n### ");
	sb_esc(b, str(ev, "label"));
	sg_buf_puts(b, " (");
	sb_esc(b, str(ev, "status"));
	sg_buf_puts(b, ")\n\n");
	fact(b, "device SHA-256", str(ev, "device_sha256"));
	fact(b, "manifest SHA-256", str(ev, "manifest_sha256"));
	exam_findings(b, ev);
	exam_yara(b, ev);
	exam_persistence(b, ev);
}

/* The GuardDuty finding the incident came from (or was joined by). */
static void finding_section(sg_buf *b, json_t *f)
{
	sg_buf_puts(b, "\n## GuardDuty finding\n\n");
	if (json_object_get(f, "unreadable")) {
		fact(b, "unreadable", str(f, "unreadable"));
		return;
	}
	fact(b, "type", str(f, "type"));
	json_t *sev = json_object_get(f, "severity");
	if (json_is_number(sev))
		sg_buf_printf(b, "- severity: `%.1f`\n", json_number_value(sev));
	fact(b, "finding id", str(f, "id"));
	fact(b, "account", str(f, "account"));
	fact(b, "region", str(f, "region"));
	fact(b, "resource", str(f, "resource_type"));
	fact(b, "resource role", str(f, "resource_role"));
	fact(b, "instance", str(f, "instance"));
	fact(b, "principal", str(f, "principal"));
	fact(b, "availability zone", str(f, "az"));
	fact(b, "first seen", str(f, "first_seen"));
	fact(b, "last seen", str(f, "last_seen"));
	json_int_t count = json_integer_value(json_object_get(f, "count"));
	if (count > 0)
		sg_buf_printf(b, "- count: `%lld`\n", (long long)count);
	if (json_is_true(json_object_get(f, "sample")))
		sg_buf_puts(b, "- **a GuardDuty sample finding** (never contained)\n");
}

/* The examination on the forensic instance, as its result line says. */
static void forensics_section(sg_buf *b, json_t *fx)
{
	sg_buf_puts(b, "\n## Forensic examination\n\n");
	fact(b, "SSM command", str(fx, "command_id"));
	fact(b, "SSM status", str(fx, "ssm_status"));
	json_t *ex = json_object_get(fx, "examination");
	if (!json_is_object(ex)) {
		sg_buf_puts(b, "- no result from the examination");
		sg_buf_puts(b, str(fx, "stdout_sha256")[0] ? " (it printed no result line)\n"
		                                         : " yet (still running when the responder stopped "
		                                           "waiting)\n");
		return;
	}
	fact(b, "status", str(ex, "status"));
	fact(b, "error", str(ex, "error"));
	fact(b, "report", str(ex, "report"));
	fact(b, "report SHA-256", str(ex, "report_sha256"));
	fact(b, "custody log", str(ex, "custody_log"));
	fact(b, "custody head", str(ex, "custody_head"));
	size_t i;
	json_t *ev;
	json_array_foreach(json_object_get(ex, "evidence"), i, ev)
		exam_evidence(b, ev);
}

/* The evidence snapshots shared with a forensic account (respond.md). */
static void shares_section(sg_buf *b, json_t *shares)
{
	size_t i;
	json_t *s;
	if (!json_array_size(shares))
		return;
	sg_buf_puts(b, "\n## Shared with a forensic account\n\n| snapshot | shared as | KMS key | account |\n"
	            "|---|---|---|---|\n");
	json_array_foreach(shares, i, s)
	{
		const char *cols[] = {"source", "shared", "kms_key", "account"};
		for (size_t k = 0; k < 4; k++) {
			sg_buf_puts(b, "| ");
			sb_esc(b, str(s, cols[k])[0] ? str(s, cols[k]) : "(none: shared as it is)");
			sg_buf_puts(b, " ");
		}
		sg_buf_puts(b, "|\n");
	}
}

static const char *const process_cols[][2] = {
	{"at", "time (UTC)"}, {"dest", "destination"}, {"uid", "uid"}, {"pid", "pid"},
	{"exe", "executable"}, {"cmdline", "command line"}, {"cgroup", "cgroup"},
	{"unit", "unit"}, {"repeats", "repeats"},
};
static const char *const history_cols[][2] = {
	{"at", "time (UTC)"}, {"step", "step"}, {"from", "from"}, {"to", "to"},
	{"actor", "by"}, {"reason", "why"},
};

/* The incident's own facts, one row each, and the processes behind it. */
static void head_section(sg_buf *b, json_t *r)
{
	sg_buf_puts(b, "# Incident ");
	sb_esc(b, str(r, "incident"));
	sg_buf_puts(b, "\n\n| | |\n|---|---|\n");
	static const char *const fields[][2] = {
		{"instance", "Instance"}, {"aws_key", "AWS key"}, {"outcome", "Outcome"},
		{"outcome_why", "Why"},
		{"state", "State"},       {"opened", "Opened"},     {"finished", "Finished"},
		{"source", "Source"},
		{"category", "Category"}, {"dest", "Destination"},  {"url", "URL"},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if ((!strcmp(fields[i][0], "finished") || !strcmp(fields[i][0], "outcome_why") ||
		     !strcmp(fields[i][0], "aws_key")) &&
		    !json_object_get(r, fields[i][0]))
			continue; /* not finished: no row that could pass for a time */
		sg_buf_printf(b, "| %s | ", fields[i][1]);
		sb_esc(b, str(r, fields[i][0]));
		sg_buf_puts(b, " |\n");
	}
	sg_buf_printf(b, "| Attempts | %lld |\n", (long long)json_integer_value(json_object_get(r, "attempts")));
	table_section(b, "Processes behind the attempts (kernel backstop)",
	              json_object_get(r, "processes"), process_cols,
	              sizeof process_cols / sizeof process_cols[0]);
}

/* One row per step; the AWS calls of them all, counted. */
static size_t steps_section(sg_buf *b, json_t *steps)
{
	sg_buf_puts(b, "\n## Steps\n\n| # | step | state | tries | result |\n|---|---|---|---|---|\n");
	size_t i;
	json_t *s;
	size_t total_calls = 0;
	json_array_foreach(steps, i, s)
	{
		sg_buf_printf(b, "| %zu | ", i + 1);
		sb_esc(b, str(s, "name"));
		sg_buf_puts(b, " | ");
		sb_esc(b, str(s, "state"));
		sg_buf_printf(b, " | %lld | ", (long long)json_integer_value(json_object_get(s, "attempts")));
		sb_esc(b, str(s, "result"));
		sg_buf_puts(b, " |\n");
		total_calls += json_array_size(json_object_get(s, "calls"));
	}
	return total_calls;
}

/* The steps' notes, when any. */
static void notes_section(sg_buf *b, json_t *steps)
{
	bool any_note = false;
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s)
	{
		size_t j;
		json_t *n;
		json_array_foreach(json_object_get(s, "notes"), j, n)
		{
			if (!any_note)
				sg_buf_puts(b, "\n## Notes\n\n");
			any_note = true;
			sg_buf_puts(b, "- **");
			sb_esc(b, str(s, "name"));
			sg_buf_puts(b, "**: ");
			sb_esc(b, json_string_value(n));
			sg_buf_puts(b, "\n");
		}
	}
}

/* What the steps created or changed, when anything. */
static void created_section(sg_buf *b, json_t *steps)
{
	bool any_created = false;
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s)
	{
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(s, "created"), k, v)
		{
			if (!any_created)
				sg_buf_puts(b, "\n## Created or changed resources\n\n| step | what | id |\n|---|---|---|\n");
			any_created = true;
			sg_buf_puts(b, "| ");
			sb_esc(b, str(s, "name"));
			sg_buf_puts(b, " | ");
			sb_esc(b, k);
			sg_buf_puts(b, " | ");
			sb_esc(b, json_string_value(v));
			sg_buf_puts(b, " |\n");
		}
	}
}

static void capture_section(sg_buf *b, json_t *cap)
{
	sg_buf_puts(b, "\n## Volatile capture\n\n- status: ");
	sb_esc(b, str(cap, "status"));
	sg_buf_puts(b, "\n");
	capture_stream(b, cap, "stdout");
	capture_stream(b, cap, "stderr");
}

/* One timeline row: a call, its step, how it ended. */
static void call_row(sg_buf *b, const row *rw)
{
	char t[40];
	iso(rw->at, t);
	json_t *c = rw->call;
	sg_buf_printf(b, "| %s | ", t);
	sb_esc(b, str(rw->step, "name"));
	sg_buf_puts(b, " | ");
	sb_esc(b, str(c, "api"));
	sg_buf_puts(b, " | ");
	sb_esc(b, str(c, "target"));
	sg_buf_puts(b, " | ");
	sb_esc(b, str(c, "request_id"));
	sg_buf_puts(b, " | ");
	sb_esc(b, str(c, "change"));
	sg_buf_puts(b, " | ");
	char until[40], result[1200];
	iso(json_integer_value(json_object_get(c, "last_at")), until);
	pb_call_outcome(c, until, result, sizeof result);
	sb_esc(b, result);
	sg_buf_puts(b, " |\n");
}

/* Timeline: every call of every step (total_calls of them), in time
 * order.  SG_ERR_NOMEM when they cannot be sorted. */
static sg_err timeline_section(sg_buf *b, json_t *steps, size_t total_calls)
{
	if (total_calls > (1u << 20))
		return SG_ERR_NOMEM;
	row *rows = calloc(total_calls ? total_calls : 1, sizeof *rows);
	if (!rows)
		return SG_ERR_NOMEM;
	size_t i, nrows = 0;
	json_t *s;
	json_array_foreach(steps, i, s)
	{
		size_t j;
		json_t *c;
		json_array_foreach(json_object_get(s, "calls"), j, c)
		{
			rows[nrows].at = json_integer_value(json_object_get(c, "at"));
			rows[nrows].step = s;
			rows[nrows].call = c;
			nrows++;
		}
	}
	qsort(rows, nrows, sizeof *rows, row_cmp);
	sg_buf_puts(b, "\n## Timeline of AWS calls\n\n| time (UTC) | step | call | target | request id | "
	            "change asked | result |\n|---|---|---|---|---|---|---|\n");
	for (size_t k = 0; k < nrows; k++)
		call_row(b, &rows[k]);
	free(rows);
	return SG_OK;
}

sg_err pb_report_markdown(const char *json, size_t len, char **out, char *msg, size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	if (!json || !out)
		return SG_ERR_INVAL;
	*out = NULL;
	json_t *r = NULL;
	sg_err err = sg_json_load_bounded(json, len, PB_REPORT_JSON_MAX, 0, "report", &r, msg, msglen);
	if (err)
		return err;
	sg_buf b = {0};
	head_section(&b, r);
	json_t *steps = json_object_get(r, "steps");
	size_t total_calls = steps_section(&b, steps);
	notes_section(&b, steps);
	created_section(&b, steps);
	json_t *finding = json_object_get(r, "finding");
	if (json_is_object(finding))
		finding_section(&b, finding);
	json_t *cap = json_object_get(r, "capture");
	if (json_is_object(cap))
		capture_section(&b, cap);
	json_t *fx = json_object_get(r, "forensics");
	if (json_is_object(fx))
		forensics_section(&b, fx);
	shares_section(&b, json_object_get(r, "shares"));
	err = timeline_section(&b, steps, total_calls);
	if (!err) {
		table_section(&b, "State changes", json_object_get(r, "history"), history_cols,
		              sizeof history_cols / sizeof history_cols[0]);
		*out = sg_buf_take(&b, NULL);
		err = *out ? SG_OK : sg_buf_err(&b);
	}
	sg_buf_free(&b);
	json_decref(r);
	return err;
}
