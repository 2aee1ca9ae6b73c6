/* tables.c — the detail's tables drawn from an incident's report (the
 * document of lib/playbook/report.h): every AWS call in time order, the
 * evidence kept, and the forensic examination's result.  Absent fields
 * are empty cells, never an error: a report grows while a run goes on. */
#include "dashboard/dash_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/report.h"

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* ---- AWS calls ---- */

/* What became of a call (playbook/report.h): "done", "ok", "dry run",
 * "FAILED: why", … */
static json_t *outcome(const json_t *c)
{
	char buf[1200];
	pb_call_outcome(c, NULL, buf, sizeof buf);
	return json_string(buf);
}

static int by_time(const void *a, const void *b)
{
	json_int_t x = num(*(json_t *const *)a, "at_ms"), y = num(*(json_t *const *)b, "at_ms");
	return (x > y) - (x < y);
}

json_t *dash_calls_json(const json_t *report)
{
	json_t *rows = json_array(), *step, *c;
	size_t i, j;
	json_array_foreach(json_object_get(report, "steps"), i, step)
		json_array_foreach(json_object_get(step, "calls"), j, c)
			json_array_append_new(rows, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o*}", "at_ms",
			                                      num(c, "at"), "step", str(step, "name"), "api",
			                                      str(c, "api"), "target", str(c, "target"),
			                                      "request_id", str(c, "request_id"), "change",
			                                      str(c, "change"), "outcome", outcome(c)));
	size_t n = json_array_size(rows);
	json_t **v = n ? malloc(n * sizeof *v) : NULL;
	if (!v)
		return rows;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(rows, i));
	qsort(v, n, sizeof *v, by_time);
	json_array_clear(rows);
	for (i = 0; i < n; i++)
		json_array_append_new(rows, v[i]);
	free(v);
	return rows;
}

/* ---- evidence ---- */

static void evidence(json_t *rows, const char *kind, const char *object, const char *detail,
                     const char *sha256, json_t *bytes)
{
	json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:o}", "kind", kind, "object", object,
	                                      "detail", detail, "sha256", sha256,
	                                      "bytes", bytes ? bytes : json_null()));
}

static const json_t *step_created(const json_t *report, const char *name)
{
	json_t *s;
	size_t i;
	json_array_foreach(json_object_get(report, "steps"), i, s)
		if (!strcmp(str(s, "name"), name))
			return json_object_get(s, "created");
	return NULL;
}

/* Snapshots of the instance's volumes; volumes made of them for the
 * forensic instance, with the device each is attached at. */
static void volumes(json_t *rows, const json_t *report)
{
	const json_t *snap = step_created(report, "snapshot"), *fx = step_created(report, "forensics");
	const char *k;
	json_t *v;
	char detail[600], key[300];
	json_object_foreach((json_t *)snap, k, v)
		if (!strncmp(k, "snapshot:", 9) && json_is_string(v)) {
			snprintf(detail, sizeof detail, "of %s", k + 9);
			evidence(rows, "snapshot", json_string_value(v), detail, "", NULL);
		}
	json_object_foreach((json_t *)fx, k, v)
		if (!strncmp(k, "volume:", 7) && json_is_string(v)) {
			snprintf(key, sizeof key, "attached:%s", json_string_value(v));
			const char *dev = str(fx, key);
			snprintf(detail, sizeof detail, "from %s%s%s", k + 7, dev[0] ? ", attached at " : "",
			         dev);
			evidence(rows, "volume", json_string_value(v), detail, "", NULL);
		}
}

/* One stream of the SSM capture: its S3 object (or the command), its hash;
 * a stream SSM cut is marked, with the hash of the part shown only. */
static void capture_stream(json_t *rows, const json_t *cap, const char *stream)
{
	char kind[32], k[64], object[300];
	snprintf(kind, sizeof kind, "capture %s", stream);
	snprintf(k, sizeof k, "%s_object", stream);
	snprintf(object, sizeof object, "%s%s", str(cap, k)[0] ? "" : "SSM command ",
	         str(cap, k)[0] ? str(cap, k) : str(cap, "command_id"));
	snprintf(k, sizeof k, "%s_truncated", stream);
	if (json_is_true(json_object_get(cap, k))) {
		snprintf(k, sizeof k, "%s_shown_sha256", stream);
		evidence(rows, kind, object, "truncated by SSM: the hash is of the part shown only",
		         str(cap, k), NULL);
		return;
	}
	snprintf(k, sizeof k, "%s_sha256", stream);
	const char *sha = str(cap, k);
	snprintf(k, sizeof k, "%s_bytes", stream);
	if (sha[0])
		evidence(rows, kind, object, "", sha, json_incref(json_object_get(cap, k)));
}

static void examination(json_t *rows, const json_t *ex)
{
	json_t *e;
	size_t i;
	if (str(ex, "report")[0])
		evidence(rows, "forensic report", str(ex, "report"), str(ex, "status"),
		         str(ex, "report_sha256"), NULL);
	if (str(ex, "report_md")[0])
		evidence(rows, "forensic report (Markdown)", str(ex, "report_md"), "",
		         str(ex, "report_md_sha256"), NULL);
	if (str(ex, "custody_log")[0])
		evidence(rows, "custody log", str(ex, "custody_log"), "head", str(ex, "custody_head"), NULL);
	json_array_foreach(json_object_get(ex, "evidence"), i, e) {
		char detail[300];
		snprintf(detail, sizeof detail, "%s%s%s", str(e, "device"), str(e, "device")[0] ? ", " : "",
		         str(e, "status"));
		evidence(rows, "examined device", str(e, "label"), detail, str(e, "device_sha256"), NULL);
		if (str(e, "manifest")[0] || str(e, "manifest_sha256")[0])
			evidence(rows, "manifest", str(e, "manifest")[0] ? str(e, "manifest") : str(e, "label"),
			         "", str(e, "manifest_sha256"), NULL);
	}
}

json_t *dash_evidence_json(const json_t *report)
{
	json_t *rows = json_array();
	volumes(rows, report);
	const json_t *con = json_object_get(report, "console"), *cap = json_object_get(report, "capture");
	if (json_is_object(con))
		evidence(rows, "console output", "", "", str(con, "sha256"),
		         json_incref(json_object_get(con, "bytes")));
	if (json_is_object(cap)) {
		capture_stream(rows, cap, "stdout");
		capture_stream(rows, cap, "stderr");
	}
	const json_t *fx = json_object_get(json_object_get(report, "forensics"), "examination");
	if (json_is_object(fx))
		examination(rows, fx);
	return rows;
}
