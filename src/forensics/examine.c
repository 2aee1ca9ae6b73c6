/* examine.c — run an examination end to end (see examine.h, exam_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics/exam_int.h"
#include "forensics/persist.h"
#include "forensics/report.h"
#include "forensics/report_md.h"
#include "forensics/walk.h"

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

#ifndef SSRFGUARD_VERSION
#define SSRFGUARD_VERSION "0.1.0"
#endif

static const char *src_status_name(src_status s)
{
	return s == SRC_COMPLETE ? "complete" : s == SRC_INCOMPLETE ? "incomplete" : "failed";
}

/* ---- examine: one source at a time, each with its own state ---- */

static sg_err src_custody(exam_ctx *x, src_state *st, const char *action,
                          const fx_custody_hash *h, size_t n)
{
	return custlog_append(x->clog, x->who, action, st->subject, h, n, x->head, &x->entries, st->err,
	                      sizeof st->err);
}

/* Open and lock the device, log the start, make the source's directory. */
static sg_err src_open(exam_ctx *x, src_state *st)
{
	sg_err rc = evid_open(st->s->device, &st->ev, st->err, sizeof st->err);
	if (rc)
		return rc;
	jset(st->evj, "size", json_integer((json_int_t)st->ev.size));
	jset(st->evj, "kind", json_string(st->ev.is_blockdev ? "block device" : "image file"));
	jset(st->evj, "locked", json_true());
	fx_custody_hash h[1] = {{"baseline_sha256", x->bhex}};
	if ((rc = src_custody(x, st, "examine-start", h, x->have_base ? 1 : 0)))
		return rc;
	if (exam_dir_ready(st->dir, st->err, sizeof st->err))
		return SG_ERR_IO;
	return SG_OK;
}

/* The acquisition hash of the whole device (and, when asked, its 1 MiB
 * windows): started on threads of its own, so the walk goes on beside the
 * one stream that cannot be split, and hashes the files from the very
 * buffers the stream reads (dfeed.h); src_acquire_finish() waits for it. */
static sg_err src_acquire_start(exam_ctx *x, src_state *st)
{
	if (x->o->no_device_hash)
		return SG_OK;
	say("acquisition hash of %" PRIu64 " bytes (beside the walk)", st->ev.size);
	sg_err rc = SG_OK;
	if (x->o->hash_windows &&
	    (rc = outf_open(&st->wf, st->dir, "windows.txt", st->err, sizeof st->err)))
		return rc;
	/* a feed thread hashes two files at once, faster than the stream brings
	   bytes: one per two workers keeps the stream's core to itself */
	if (x->o->workers && dfeed_new((x->o->workers + 1) / 2, &st->feed)) {
		snprintf(st->err, sizeof st->err, "out of memory");
		rc = SG_ERR_NOMEM;
	}
	if (!rc)
		rc = acq_start(&st->ev, x->o->hash_windows ? 1u << 20 : 0,
		               x->o->hash_windows ? &st->wf : NULL, &st->pc, st->feed, &st->acq,
		               st->err, sizeof st->err);
	if (rc) {
		if (x->o->hash_windows)
			outf_abort(&st->wf);
		dfeed_free(st->feed);
		st->feed = NULL;
	}
	return rc;
}

static sg_err src_acquire_finish(exam_ctx *x, src_state *st)
{
	if (!st->acq)
		return SG_OK;
	acq_result ar;
	char whex[FX_SHA256_HEX] = "", e[ERRLEN] = "";
	int windows = x->o->hash_windows;
	sg_err rc = acq_finish(st->acq, &ar, e, sizeof e);
	st->acq = NULL;
	dfeed_free(st->feed); /* the walk, and so every pool, is over */
	st->feed = NULL;
	if (!rc && windows)
		rc = outf_commit(&st->wf, whex, e, sizeof e);
	if (rc) {
		if (windows)
			outf_abort(&st->wf);
		if (!st->err[0]) /* the walk's error, if any, comes first */
			snprintf(st->err, sizeof st->err, "acquisition: %s", e);
		return rc;
	}
	sg_hex_encode(ar.sha256, FX_SHA256_LEN, st->devhex);
	jset(st->evj, "sha256", json_string(st->devhex));
	if (windows) {
		jset(st->evj, "window_size", json_integer(1 << 20));
		jset(st->evj, "windows", json_integer((json_int_t)ar.windows));
		jset(st->evj, "windows_file", exam_out_json(st->dir, "windows.txt", whex));
	}
	jset(st->evj, "acquisition_seconds", json_real(ar.seconds));
	jset(st->evj, "acquisition_engine", json_string(ar.engine));
	say("acquisition sha256 %s (%.2f s, %.0f MB/s)", st->devhex, ar.seconds,
	    ar.seconds > 0 ? (double)st->ev.size / ar.seconds / 1e6 : 0.0);
	fx_custody_hash h[2] = {{"device_sha256", st->devhex}, {"windows_sha256", whex}};
	return src_custody(x, st, "acquired", h, windows ? 2 : 1);
}

/* Walk every file system; judge whether the walk is the whole truth. */
static sg_err src_walk(exam_ctx *x, src_state *st)
{
	walkdev_tally t;
	sg_err rc = walkdev_run(&st->ev, x->o->partition, x->o->workers, st->feed, &st->pc,
	                        &st->cur, st->evj, &t, st->err, sizeof st->err);
	if (rc)
		return rc;
	char why[200];
	if (t.failed) {
		snprintf(st->err, sizeof st->err, "%s: %u file system%s could not be read (see the "
		         "report)", st->label, t.failed, t.failed > 1 ? "s" : "");
		jset(st->evj, "error", exam_jtext(st->err));
		exam_worsen(st, SRC_FAILED);
	}
	if (t.incomplete) {
		snprintf(why, sizeof why, "%u file system%s walked incompletely (see its \"incomplete\")",
		         t.incomplete, t.incomplete > 1 ? "s" : "");
		json_array_append_new(st->why, json_string(why));
		exam_worsen(st, SRC_INCOMPLETE);
	}
	if (!t.failed && !t.walked) {
		json_array_append_new(st->why, json_string("no file system on the device could be walked"));
		exam_worsen(st, SRC_INCOMPLETE);
	}
	return SG_OK;
}

/* The baseline's entries, once parsed (their error for every source). */
static sg_err base_ready(exam_ctx *x, src_state *st)
{
	if (x->bl) {
		x->base_rc = baseline_wait(x->bl, &x->bres, x->base_err, sizeof x->base_err);
		baseline_free(x->bl);
		x->bl = NULL;
		if (x->bres.warn[0])
			say("%s", x->bres.warn);
		if (!x->base_rc)
			say("baseline %s: %s, %zu entries", x->o->baseline, x->bres.format, x->base.n);
	}
	if (x->base_rc)
		snprintf(st->err, sizeof st->err, "%s", x->base_err);
	return x->base_rc;
}

static sg_err src_diff(exam_ctx *x, src_state *st, size_t *findings)
{
	if (!x->have_base)
		return SG_OK;
	sg_err rc = base_ready(x, st);
	if (rc)
		return rc;
	int fs = -1;
	size_t matched = 0;
	if (fx_diff_view_best_fs(&x->base, &st->cur, &st->view, &fs, &matched) ||
	    fx_diff_run(&x->base, st->view.n ? &st->view : &st->cur, x->bres.content_only,
	                &st->diff)) {
		snprintf(st->err, sizeof st->err, "out of memory comparing with the baseline");
		return SG_ERR_NOMEM;
	}
	json_t *bj = json_object();
	for (size_t i = 0; st->view.n && i < st->cur.n; i++)
		if (st->cur.v[i].path + st->cur.v[i].path_len - st->view.v[0].path_len ==
		    st->view.v[0].path) {
			st->view_lo = i;
			break;
		}
	if (st->view.n) {
		say("baseline of one file system compared with file system %d (%zu of its %zu paths "
		    "found there)", fs, matched, x->base.n);
		jset(bj, "compared_with", json_pack("{s:i,s:I}", "filesystem", fs, "paths_matched",
		                                      (json_int_t)matched));
	}
	jset(bj, "path", json_string(x->o->baseline));
	jset(bj, "sha256", json_string(x->bhex));
	jset(bj, "format", json_string(x->bres.format));
	jset(bj, "entries", json_integer((json_int_t)x->base.n));
	jset(st->evj, "baseline", bj);
	jset(st->evj, "summary", fx_summary_json(&st->diff));
	jset(st->evj, "findings", fx_findings_json(&st->diff, 0));
	*findings += st->diff.n;
	say("%zu findings (%zu of special interest)", st->diff.n, st->diff.interesting);
	return SG_OK;
}

/* The persistence places (persist.h) of the list the diff ran on, with
 * what the diff says of each; at most PERSISTENCE_MAX, the rest counted. */
enum { PERSISTENCE_MAX = 5000 };

static void src_persistence(exam_ctx *x, src_state *st)
{
	size_t omitted = 0;
	const fx_list *l = st->view.n ? &st->view : &st->cur;
	jset(st->evj, "persistence",
	     fx_persistence_json(l, x->have_base ? &st->diff : NULL, PERSISTENCE_MAX, &omitted));
	jset(st->evj, "persistence_omitted", json_integer((json_int_t)omitted));
}

static sg_err src_outputs(exam_ctx *x, src_state *st)
{
	src_persistence(x, st);
	jset(st->evj, "timeline", fx_timeline_json(&st->cur, x->o->timeline));
	exam_when_source(x, st);
	json_t *outs = json_object();
	sg_err rc = exam_write_outputs(st->dir, st->label, st->s->device, x->o->argv_text, &st->cur,
	                               &st->marks, outs, st->err, sizeof st->err);
	if (rc) {
		json_decref(outs);
		return rc;
	}
	jset(st->evj, "outputs", outs);
	return SG_OK;
}

/* The source's entry in the result line. */
static void src_result(exam_ctx *x, src_state *st, json_t *result_ev)
{
	const json_t *man = json_object_get(json_object_get(st->evj, "outputs"), "manifest");
	json_t *r = json_object();
	jset(r, "label", json_string(st->label));
	jset(r, "device", json_string(st->s->device));
	jset(r, "status", json_string(src_status_name(st->status)));
	jset(r, "device_sha256", st->devhex[0] ? json_string(st->devhex) : json_null());
	jset(r, "manifest", json_incref(json_object_get(man, "path")));
	jset(r, "manifest_sha256", json_incref(json_object_get(man, "sha256")));
	exam_result_source(r, st->evj, x->o->nsrc);
	exam_result_incomplete(r, st->why, x->o->nsrc);
	json_array_append_new(result_ev, r);
}

/* Examine one source into the report's evs (and the result line's
 * result_ev); its status, which nothing of another source changes. */
static src_status examine_source(exam_ctx *x, const exam_source *s, json_t *evs,
                                 json_t *result_ev, json_t *warnings, size_t *findings)
{
	src_state *st = calloc(1, sizeof *st);
	if (!st) {
		json_array_append_new(warnings, json_string("out of memory"));
		return SRC_FAILED;
	}
	const exam_opts *o = x->o;
	st->s = s;
	st->ev.fd = -1;
	fx_list_init(&st->cur, MAX_ENTRIES);
	exam_make_label(s, st->label, sizeof st->label, x->labels);
	snprintf(st->dir, sizeof st->dir, "%s/%s", o->out_dir, st->label);
	snprintf(st->subject, sizeof st->subject, "%s%s%s (%s)", o->incident ? o->incident : "",
	         o->incident ? " " : "", st->label, s->device);
	st->evj = json_object();
	st->why = json_array();
	json_array_append_new(evs, st->evj);
	jset(st->evj, "label", json_string(st->label));
	jset(st->evj, "device", json_string(s->device));
	jset(st->evj, "volume_id", jstr_or_null(s->volume_id));
	if (s->info)
		jset(st->evj, "source", json_incref(s->info));
	say("examining %s (%s)", s->device, st->label);
	sg_err rc = src_open(x, st);
	progress *prog = NULL;
	if (!rc)
		progress_start(&st->pc, o->progress, &prog);
	if (!rc)
		rc = src_acquire_start(x, st);
	/* everything but the report goes on beside the acquisition, the one
	   stream that sets the pace */
	if (!rc)
		rc = src_walk(x, st);
	if (!rc)
		rc = src_diff(x, st, findings);
	if (!rc)
		rc = exam_yara_source(x, st);
	if (!rc)
		rc = src_outputs(x, st);
	sg_err arc = src_acquire_finish(x, st); /* also after a failed walk */
	progress_stop(prog);
	if (!rc)
		rc = arc;
	if (!rc)
		src_result(x, st, result_ev);
	if (rc) {
		exam_worsen(st, SRC_FAILED);
		if (!st->err[0])
			snprintf(st->err, sizeof st->err, "%s", sg_strerror(rc));
		jset(st->evj, "error", exam_jtext(st->err));
	}
	if (st->status == SRC_FAILED) {
		char w[ERRLEN + 100];
		snprintf(w, sizeof w, "%s: %s", st->label, st->err);
		json_array_append_new(warnings, exam_jtext(w));
	}
	jset(st->evj, "status", json_string(src_status_name(st->status)));
	if (json_array_size(st->why))
		jset(st->evj, "incomplete", json_incref(st->why));
	if (st->status == SRC_INCOMPLETE)
		say("%s: INCOMPLETE examination", st->label);
	src_status status = st->status;
	json_decref(st->why);
	exam_marks_free(&st->marks);
	fx_diff_free(&st->diff);
	free(st->view.v); /* shallow: its strings belong to cur */
	fx_list_free(&st->cur);
	evid_close(&st->ev);
	free(st);
	return status;
}

/* "N of M sources failed: LABEL: why" for the result line. */
static void summarize_failures(const json_t *evs, char *err, size_t errlen)
{
	size_t i, failed = 0;
	const json_t *ev, *first = NULL;
	json_array_foreach(evs, i, ev) {
		const char *st = json_string_value(json_object_get(ev, "status"));
		if (st && !strcmp(st, "failed") && !failed++)
			first = ev;
	}
	if (first)
		snprintf(err, errlen, "%zu of %zu sources failed; %s: %s", failed, json_array_size(evs),
		         json_string_value(json_object_get(first, "label")),
		         json_string_value(json_object_get(first, "error")));
}

/* Every source's reasons for being incomplete, "LABEL: why", for the
 * report's top; the first of them (and how many more) in err. */
static json_t *summarize_incomplete(const json_t *evs, char *err, size_t errlen)
{
	json_t *all = json_array();
	size_t i, k;
	const json_t *ev, *why;
	json_array_foreach(evs, i, ev) {
		json_array_foreach(json_object_get(ev, "incomplete"), k, why) {
			char line[ERRLEN + 100];
			snprintf(line, sizeof line, "%s: %s", json_string_value(json_object_get(ev, "label")),
			         json_string_value(why));
			json_array_append_new(all, json_string(line));
		}
	}
	if (json_array_size(all) && !err[0])
		snprintf(err, errlen, "examination incomplete: %s%s", json_string_value(json_array_get(all, 0)),
		         json_array_size(all) > 1 ? " (and more: see the report)" : "");
	return all;
}

/* Exit status: 2 failed, 3 incomplete, 1 findings (--fail-on-findings), 0. */
static int exit_status(src_status s, size_t findings, int fail_on_findings)
{
	if (s == SRC_FAILED)
		return 2;
	if (s == SRC_INCOMPLETE)
		return 3;
	return findings && fail_on_findings ? 1 : 0;
}

static const char *result_name(src_status s)
{
	return s == SRC_COMPLETE ? "ok" : s == SRC_INCOMPLETE ? "incomplete" : "error";
}

/* The head anchored in the evidence bucket (anchor.h), and that upload —
 * where, the object's SHA-256, or why it failed — logged after it; the
 * status, made incomplete when either did not happen. */
static src_status finish_anchor(exam_ctx *x, const char *rhex, const char *mhex,
                                const char *when, src_status status, json_t **anchor,
                                char *err, size_t errlen)
{
	const exam_opts *o = x->o;
	int ok = 0;
	json_t *rec = json_pack("{s:s,s:s?,s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "format",
	                        "ssrfguard-custody-anchor", "incident", o->incident, "custody_log",
	                        x->clog, "custody_head", x->head, "custody_entries",
	                        (json_int_t)x->entries, "report_json_sha256", rhex,
	                        "report_md_sha256", mhex, "examiner", x->who, "time", when);
	*anchor = anchor_put(&o->anchor, o->incident, x->head, rec, &ok);
	json_decref(rec);
	const char *why = json_string_value(json_object_get(*anchor, "error"));
	char subject[2600], head[FX_SHA256_HEX];
	memcpy(head, x->head, sizeof head);
	snprintf(subject, sizeof subject, "%s%ss3://%s/%s%s%s", o->incident ? o->incident : "",
	         o->incident ? " " : "", o->anchor.bucket,
	         json_string_value(json_object_get(*anchor, "key")), ok ? "" : ": ",
	         ok ? "" : why ? why : "failed");
	fx_custody_hash h[2] = {{"custody_head", head},
	                        {"anchor_sha256", json_string_value(json_object_get(*anchor, "sha256"))}};
	char lerr[ERRLEN] = "";
	int logged = !custlog_append(x->clog, x->who, ok ? "custody-anchored" : "custody-anchor-failed",
	                             subject, h, ok ? 2 : 1, x->head, &x->entries, lerr, sizeof lerr);
	if (!ok) /* the examination is whole, its anchor is not: never "ok" */
		snprintf(err, errlen, "custody head not written to the evidence bucket: %s", why);
	else if (!logged)
		snprintf(err, errlen, "custody head written to the evidence bucket, but not logged: %s",
		         lerr);
	if (!ok || !logged) {
		say("%s", err);
		if (status == SRC_COMPLETE)
			status = SRC_INCOMPLETE;
	}
	json_object_set_new(*anchor, "custody_head", json_string(head));
	json_object_set_new(*anchor, "logged", json_boolean(logged));
	return status;
}

/* Write report.json and report.md, log them, print the result line. */
static int finish(exam_ctx *x, json_t *report, json_t *result_ev, src_status status,
                  size_t findings, char *err, size_t errlen)
{
	const exam_opts *o = x->o;
	char when[40], rhex[FX_SHA256_HEX], mhex[FX_SHA256_HEX];
	custlog_now(when, sizeof when);
	jset(report, "finished", json_string(when));
	jset(report, "status", json_string(src_status_name(status)));
	if (status == SRC_FAILED && err[0])
		jset(report, "error", exam_jtext(err));
	/* the log's head as the report is written: verify-log --report checks
	   that the log still holds it and, after it, the report's own hash */
	jset(report, "custody", json_pack("{s:s,s:I,s:s}", "log", x->clog, "entries_before_report",
	                                  (json_int_t)x->entries, "head_before_report", x->head));
	char *js = json_dumps(report, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	sg_buf md = {0};
	sg_err rc = js ? fx_report_markdown(report, &md) : SG_ERR_NOMEM;
	if (rc)
		snprintf(err, errlen, "out of memory rendering the report");
	if (!rc)
		rc = exam_write_text(o->out_dir, "report.json", js, strlen(js), rhex, err, errlen);
	if (!rc)
		rc = exam_write_text(o->out_dir, "report.md", md.p, md.len, mhex, err, errlen);
	free(js);
	sg_buf_free(&md);
	if (rc)
		return -1;
	fx_custody_hash h[2] = {{"report_json_sha256", rhex}, {"report_md_sha256", mhex}};
	char subject[4200];
	snprintf(subject, sizeof subject, "%s%sreport %s/report.json", o->incident ? o->incident : "",
	         o->incident ? " " : "", o->out_dir);
	static const char *const action[] = {"examine-done", "examine-incomplete", "examine-failed"};
	if (custlog_append(x->clog, x->who, action[status], subject, h, 2, x->head, &x->entries, err,
	                   errlen)) {
		status = SRC_FAILED;
	}
	json_t *anchor = NULL;
	if (o->anchor.bucket && status != SRC_FAILED)
		status = finish_anchor(x, rhex, mhex, when, status, &anchor, err, errlen);
	json_t *res = json_object();
	char p[4200];
	jset(res, "status", json_string(result_name(status)));
	if (status == SRC_FAILED)
		jset(res, "error", exam_jtext(err[0] ? err : "examination failed"));
	if (status == SRC_INCOMPLETE)
		jset(res, "error", exam_jtext(err[0] ? err : "examination incomplete: the report "
		                               "says what could not be read or hashed"));
	jset(res, "incident", jstr_or_null(o->incident));
	snprintf(p, sizeof p, "%s/report.json", o->out_dir);
	jset(res, "report", json_string(p));
	jset(res, "report_sha256", json_string(rhex));
	snprintf(p, sizeof p, "%s/report.md", o->out_dir);
	jset(res, "report_md", json_string(p));
	jset(res, "report_md_sha256", json_string(mhex));
	jset(res, "evidence", json_incref(result_ev));
	jset(res, "findings", json_integer((json_int_t)findings));
	jset(res, "custody_log", json_string(x->clog));
	jset(res, "custody_head", json_string(x->head));
	if (anchor) /* only with --evidence-bucket */
		jset(res, "custody_anchor", anchor);
	char *line = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line)
		printf("%s\n", line);
	free(line);
	json_decref(res);
	if (status != SRC_COMPLETE)
		fprintf(stderr, "ssrfguard forensics: %s\n",
		        status == SRC_INCOMPLETE ? "examination INCOMPLETE (see the report)"
		                                 : err[0] ? err : "examination failed");
	return exit_status(status, findings, o->fail_on_findings);
}

/* Everything the sources need before the first is read: the rules (first:
 * a rule that does not compile leaves nothing behind), the output
 * directory (absolute in *oc: the responder records it; *abs to free), the
 * custody log's path and the baseline.  -1 (err set) when one is not there. */
static int exam_prepare(exam_ctx *x, exam_opts *oc, char **abs, char *clog_buf, size_t clog_len,
                        json_t *warnings, char *err, size_t errlen)
{
	const exam_opts *o = x->o;
	if (mount_ns_private(err, errlen)) {
		say("%s; XFS file systems cannot be mounted", err);
		json_array_append_new(warnings, exam_jtext(err));
		err[0] = 0;
	}
	if (exam_yara_load(x, err, errlen) || exam_dir_ready(o->out_dir, err, errlen))
		return -1;
	*abs = realpath(o->out_dir, NULL);
	*oc = *o;
	if (*abs)
		oc->out_dir = *abs;
	x->o = oc;
	if (!x->clog) {
		snprintf(clog_buf, clog_len, "%s/custody.log", oc->out_dir);
		x->clog = clog_buf;
	}
	if (o->baseline) {
		if (baseline_start(o->baseline, o->baseline_strip, &x->base, x->bhex, &x->bl, err,
		                   errlen))
			return -1;
		x->have_base = 1;
	}
	return 0;
}

/* The report's head: what ran, where, by whom, since when, the incident's
 * time and the rules. */
static void report_head(exam_ctx *x, json_t *report)
{
	const exam_opts *o = x->o;
	char when[40], host[256] = "";
	custlog_now(when, sizeof when);
	gethostname(host, sizeof host - 1);
	jset(report, "format", json_string("ssrfguard-forensics-report"));
	jset(report, "version", json_integer(1));
	jset(report, "tool", json_string("ssrfguard " SSRFGUARD_VERSION));
	jset(report, "incident", jstr_or_null(o->incident));
	jset(report, "examiner", json_string(x->who));
	jset(report, "host", json_string(host));
	jset(report, "command", jstr_or_null(o->argv_text));
	jset(report, "started", json_string(when));
	exam_when_init(x);
	if (x->incident_sec != INT64_MIN)
		jset(report, "incident_time", json_pack("{s:s,s:I,s:s}", "time",
		                                        exam_iso(x->incident_sec, when, sizeof when),
		                                        "sec", (json_int_t)x->incident_sec, "from",
		                                        x->incident_from));
	if (x->yara) /* no key at all with --yara-scope off */
		jset(report, "yara", yscan_describe(x->yara));
}

/* Every source in turn, into the report; the worst status of them. */
static src_status examine_all(exam_ctx *x, json_t *report, json_t *evs, json_t *result_ev,
                              json_t *warnings, size_t *findings, char *err, size_t errlen)
{
	src_status status = SRC_COMPLETE;
	for (size_t i = 0; i < x->o->nsrc; i++) {
		src_status s = examine_source(x, &x->o->src[i], evs, result_ev, warnings, findings);
		if (s > status)
			status = s;
	}
	if (x->bres.warn[0])
		json_array_append_new(warnings, json_string(x->bres.warn));
	if (status == SRC_FAILED)
		summarize_failures(evs, err, errlen);
	if (status == SRC_INCOMPLETE)
		jset(report, "incomplete", summarize_incomplete(evs, err, errlen));
	jset(report, "evidence", json_incref(evs));
	jset(report, "warnings", json_incref(warnings));
	return status;
}

int exam_run(const exam_opts *o)
{
	char err[ERRLEN] = "", me[300], clog_buf[4096];
	exam_ctx x;
	memset(&x, 0, sizeof x);
	fx_list_init(&x.base, MAX_ENTRIES);
	json_t *report = json_object(), *evs = json_array(), *warnings = json_array();
	json_t *result_ev = json_array();
	x.labels = json_object();
	x.who = exam_who(o, me, sizeof me);
	x.clog = o->custody_log;
	x.o = o;
	char *abs = NULL;
	exam_opts oc;
	int rc = -1;
	if (!exam_prepare(&x, &oc, &abs, clog_buf, sizeof clog_buf, warnings, err, sizeof err)) {
		report_head(&x, report);
		size_t findings = 0;
		src_status status = examine_all(&x, report, evs, result_ev, warnings, &findings, err,
		                                sizeof err);
		rc = finish(&x, report, result_ev, status, findings, err, sizeof err);
	}
	if (rc < 0) {
		exam_print_error(err[0] ? err : "examination failed");
		rc = 2;
	}
	fflush(stdout);
	json_decref(report);
	json_decref(evs);
	json_decref(warnings);
	json_decref(result_ev);
	json_decref(x.labels);
	baseline_free(x.bl);
	fx_list_free(&x.base);
	yscan_free(x.yara);
	free(abs);
	return rc;
}
