/* examine.c — run an examination end to end (see examine.h). */
#include "forensics/examine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forensics/acquire.h"
#include "forensics/baseline.h"
#include "forensics/custlog.h"
#include "forensics/diff.h"
#include "forensics/escape.h"
#include "forensics/evidence.h"
#include "forensics/fsprobe.h"
#include "forensics/manifest.h"
#include "forensics/outfile.h"
#include "forensics/part.h"
#include "forensics/persist.h"
#include "forensics/report.h"
#include "forensics/sha256x2.h"
#include "forensics/walk.h"
#include "forensics/walkdev.h"

#define say exam_say
#define jset exam_jset

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

#ifndef SSRFGUARD_VERSION
#define SSRFGUARD_VERSION "0.1.0"
#endif

#define ERRLEN 1024
#define MAX_ENTRIES (50u * 1000 * 1000)
#define PROBE_LEN (64u << 10)
#define FLUSH_AT (4u << 20)

/* ---- outputs ---- */

typedef sg_err (*line_fn)(fx_buf *out, const fx_entry *e);

/* Write fn's lines for the entries of l (only those of file system
 * only_fs when >= 0) to dir/name, head first. */
static sg_err write_list(const char *dir, const char *name, const fx_list *l, int only_fs,
                         fx_buf *head, line_fn fn, char hex[FX_SHA256_HEX], char *err,
                         size_t errlen)
{
	outf f;
	fx_buf b = {0};
	sg_err rc = outf_open(&f, dir, name, err, errlen);
	if (rc)
		return rc;
	if (head && head->len)
		rc = fx_buf_add(&b, head->p, head->len);
	for (size_t i = 0; i < l->n && !rc; i++) {
		if (only_fs >= 0 && l->v[i].fs != only_fs)
			continue;
		rc = fn(&b, &l->v[i]);
		if (!rc && b.len >= FLUSH_AT) {
			rc = outf_write(&f, b.p, b.len, err, errlen);
			fx_buf_reset(&b);
		}
	}
	if (!rc && b.len)
		rc = outf_write(&f, b.p, b.len, err, errlen);
	if (!rc)
		rc = outf_commit(&f, hex, err, errlen);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "%s: %s", name, sg_strerror(rc));
		outf_abort(&f);
	}
	fx_buf_free(&b);
	return rc;
}

static json_t *out_json(const char *dir, const char *name, const char *hex)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_t *o = json_object();
	jset(o, "path", json_string(path));
	jset(o, "sha256", json_string(hex));
	return o;
}

/* On a device with several file systems holding files, one hashdeep list
 * per partition too (manifest-pN.hashdeep), to audit a mount of just that
 * partition with hashdeep -a -k. */
static sg_err write_partition_lists(const char *dir, const fx_list *l, fx_buf *head,
                                    json_t *outs, char *err, size_t errlen)
{
	int seen[FX_PART_MAX] = {0}, nfs = 0;
	unsigned part[FX_PART_MAX] = {0};
	for (size_t i = 0; i < l->n; i++) {
		const fx_entry *e = &l->v[i];
		size_t plen = fx_part_prefix_len(e->path, e->path_len);
		if (e->type != FX_T_FILE || !e->has_hash || !plen || e->fs < 0 || e->fs >= FX_PART_MAX ||
		    seen[e->fs])
			continue;
		seen[e->fs] = 1;
		part[e->fs] = (unsigned)strtoul(e->path + 1, NULL, 10);
		nfs++;
	}
	if (nfs < 2)
		return SG_OK;
	json_t *per = json_object();
	jset(outs, "hashdeep_per_partition", per);
	for (int fs = 0; fs < FX_PART_MAX; fs++) {
		if (!seen[fs])
			continue;
		char name[48], key[16], hex[FX_SHA256_HEX];
		snprintf(name, sizeof name, "manifest-p%u.hashdeep", part[fs]);
		snprintf(key, sizeof key, "p%u", part[fs]);
		sg_err rc = write_list(dir, name, l, fs, head, fx_hashdeep_line, hex, err, errlen);
		if (rc)
			return rc;
		jset(per, key, out_json(dir, name, hex));
	}
	return SG_OK;
}

static sg_err write_outputs(const char *dir, const char *label, const char *source,
                            const char *argv_text, const fx_list *l, json_t *outs, char *err,
                            size_t errlen)
{
	char hex[FX_SHA256_HEX];
	fx_buf head = {0};
	sg_err rc = fx_manifest_header(&head, label, source);
	if (!rc)
		rc = write_list(dir, "manifest.jsonl", l, -1, &head, fx_manifest_line, hex, err, errlen);
	if (!rc)
		jset(outs, "manifest", out_json(dir, "manifest.jsonl", hex));
	fx_buf_reset(&head);
	if (!rc)
		rc = fx_hashdeep_header(&head, argv_text);
	if (!rc)
		rc = write_list(dir, "manifest.hashdeep", l, -1, &head, fx_hashdeep_line, hex, err, errlen);
	if (!rc)
		jset(outs, "hashdeep", out_json(dir, "manifest.hashdeep", hex));
	if (!rc)
		rc = write_partition_lists(dir, l, &head, outs, err, errlen);
	if (!rc)
		rc = write_list(dir, "bodyfile", l, -1, NULL, fx_bodyfile_line, hex, err, errlen);
	if (!rc)
		jset(outs, "bodyfile", out_json(dir, "bodyfile", hex));
	fx_buf_free(&head);
	return rc;
}

static sg_err write_text(const char *dir, const char *name, const char *p, size_t len,
                         char hex[FX_SHA256_HEX], char *err, size_t errlen)
{
	outf f;
	sg_err rc = outf_open(&f, dir, name, err, errlen);
	if (!rc)
		rc = outf_write(&f, p, len, err, errlen);
	if (!rc)
		rc = outf_commit(&f, hex, err, errlen);
	if (rc)
		outf_abort(&f);
	return rc;
}

static void make_label(const exam_source *s, char *buf, size_t len, json_t *used)
{
	const char *base = s->volume_id;
	if (!base) {
		base = strrchr(s->device, '/');
		base = base ? base + 1 : s->device;
	}
	size_t o = 0;
	for (const char *p = base; *p && o + 1 < len && o < 64; p++)
		buf[o++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_')
		               ? *p : '_';
	buf[o] = 0;
	if (!o || buf[0] == '.')
		snprintf(buf, len, "evidence");
	char try[80]; /* the base is at most 64 bytes */
	snprintf(try, sizeof try, "%.64s", buf);
	for (int k = 2; json_object_get(used, try) && k < 1000; k++)
		snprintf(try, sizeof try, "%.64s-%d", buf, k);
	snprintf(buf, len, "%s", try);
	json_object_set_new(used, buf, json_true());
}

static int dir_is_empty_or_create(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	struct stat st;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a directory", dir);
		return -1;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "custody.log"))
			n++;
	if (d)
		closedir(d);
	if (n) {
		snprintf(err, errlen, "%s is not empty: refusing to mix outputs of two examinations",
		         dir);
		return -1;
	}
	return 0;
}

static void print_error(const char *msg)
{
	json_t *o = json_object();
	jset(o, "status", json_string("error"));
	jset(o, "error", json_string(msg));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
	fprintf(stderr, "ssrfguard forensics: %s\n", msg);
}

static const char *who_of(const exam_opts *o, char *buf, size_t len)
{
	if (o->examiner)
		return o->examiner;
	custlog_whoami(buf, len);
	return buf;
}

/* ---- examine: one source at a time, each with its own state ---- */

/* What the sources of one examination share. */
typedef struct exam_ctx {
	const exam_opts *o;
	const char *who, *clog;
	fx_list base;                 /* parsed beside the first acquisition */
	baseline *bl;                 /* until then */
	sg_err base_rc;
	char base_err[ERRLEN];
	baseline_result bres;
	int have_base;
	char bhex[FX_SHA256_HEX];
	json_t *labels;               /* labels in use */
	char head[FX_SHA256_HEX];     /* the custody log's head after our last append */
	uint64_t entries;             /* and its number of entries then */
} exam_ctx;

/* Worst first: a source's status never improves. */
typedef enum src_status { SRC_COMPLETE = 0, SRC_INCOMPLETE, SRC_FAILED } src_status;

static const char *src_status_name(src_status s)
{
	return s == SRC_COMPLETE ? "complete" : s == SRC_INCOMPLETE ? "incomplete" : "failed";
}

/* One source's state: nothing in it reaches the next source. */
typedef struct src_state {
	const exam_source *s;
	char label[96], dir[4096], subject[4608];
	evid ev;
	fx_list cur;
	fx_diff diff;
	fx_list view;        /* the file system a one-file-system baseline is compared with */
	char devhex[FX_SHA256_HEX];
	acq_job *acq;        /* the acquisition running beside the walk, or NULL */
	progress_counters pc;
	outf wf;             /* its windows.txt */
	char err[ERRLEN];
	json_t *evj;         /* its object in the report (owned by the report) */
	json_t *why;         /* why it is incomplete */
	src_status status;
} src_state;

static void src_worsen(src_state *st, src_status s)
{
	if (s > st->status)
		st->status = s;
}

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
	if (dir_is_empty_or_create(st->dir, st->err, sizeof st->err))
		return SG_ERR_IO;
	return SG_OK;
}

/* The acquisition hash of the whole device and its 1 MiB windows: started
 * on threads of its own, so the walk goes on beside the one stream that
 * cannot be split; src_acquire_finish() waits for it. */
static sg_err src_acquire_start(exam_ctx *x, src_state *st)
{
	if (x->o->no_device_hash)
		return SG_OK;
	say("acquisition hash of %" PRIu64 " bytes (beside the walk)", st->ev.size);
	sg_err rc = outf_open(&st->wf, st->dir, "windows.txt", st->err, sizeof st->err);
	if (rc)
		return rc;
	rc = acq_start(&st->ev, 1u << 20, &st->wf, &st->pc, &st->acq, st->err, sizeof st->err);
	if (rc)
		outf_abort(&st->wf);
	return rc;
}

static sg_err src_acquire_finish(exam_ctx *x, src_state *st)
{
	if (!st->acq)
		return SG_OK;
	acq_result ar;
	char whex[FX_SHA256_HEX], e[ERRLEN] = "";
	sg_err rc = acq_finish(st->acq, &ar, e, sizeof e);
	st->acq = NULL;
	if (!rc)
		rc = outf_commit(&st->wf, whex, e, sizeof e);
	if (rc) {
		outf_abort(&st->wf);
		if (!st->err[0]) /* the walk's error, if any, comes first */
			snprintf(st->err, sizeof st->err, "acquisition: %s", e);
		return rc;
	}
	sg_hex_encode(ar.sha256, FX_SHA256_LEN, st->devhex);
	jset(st->evj, "sha256", json_string(st->devhex));
	jset(st->evj, "window_size", json_integer(1 << 20));
	jset(st->evj, "windows", json_integer((json_int_t)ar.windows));
	jset(st->evj, "windows_file", out_json(st->dir, "windows.txt", whex));
	jset(st->evj, "acquisition_seconds", json_real(ar.seconds));
	jset(st->evj, "acquisition_engine", json_string(ar.engine));
	say("acquisition sha256 %s (%.2f s, %.0f MB/s)", st->devhex, ar.seconds,
	    ar.seconds > 0 ? (double)st->ev.size / ar.seconds / 1e6 : 0.0);
	fx_custody_hash h[2] = {{"device_sha256", st->devhex}, {"windows_sha256", whex}};
	return src_custody(x, st, "acquired", h, 2);
}

/* Walk every file system; judge whether the walk is the whole truth. */
static sg_err src_walk(exam_ctx *x, src_state *st)
{
	walkdev_tally t;
	sg_err rc = walkdev_run(&st->ev, x->o->partition, x->o->workers, &st->pc, &st->cur, st->evj,
	                        &t, st->err, sizeof st->err);
	if (rc)
		return rc;
	char why[200];
	if (t.failed) {
		snprintf(st->err, sizeof st->err, "%s: %u file system%s could not be read (see the "
		         "report)", st->label, t.failed, t.failed > 1 ? "s" : "");
		jset(st->evj, "error", json_string(st->err));
		src_worsen(st, SRC_FAILED);
	}
	if (t.incomplete) {
		snprintf(why, sizeof why, "%u file system%s walked incompletely (see its \"incomplete\")",
		         t.incomplete, t.incomplete > 1 ? "s" : "");
		json_array_append_new(st->why, json_string(why));
		src_worsen(st, SRC_INCOMPLETE);
	}
	if (!t.failed && !t.walked) {
		json_array_append_new(st->why, json_string("no file system on the device could be walked"));
		src_worsen(st, SRC_INCOMPLETE);
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

/* The result line's digest of a source's findings (class, path, interest,
 * detail), in the report's order (special interest first) while they fit
 * in RESULT_FINDINGS_BYTES: the line travels through SSM, whose
 * GetCommandInvocation shows only the first 24,000 characters of stdout.
 * The rest are counted in "findings_omitted"; report.json has them all. */
enum { RESULT_FINDINGS_BYTES = 12000 };

static void result_findings(json_t *r, const json_t *all)
{
	json_t *top = json_array();
	size_t used = 0, i, omitted = 0;
	json_t *f;
	json_array_foreach(all, i, f)
	{
		json_t *d = json_pack("{s:O,s:O,s:O,s:O}", "class", json_object_get(f, "class"), "path",
		                      json_object_get(f, "path"), "interest",
		                      json_object_get(f, "interest"), "detail",
		                      json_object_get(f, "detail"));
		char *t = d ? json_dumps(d, JSON_COMPACT) : NULL;
		size_t len = t ? strlen(t) + 1 : SIZE_MAX;
		free(t);
		if (!d || omitted || len > RESULT_FINDINGS_BYTES - used) {
			json_decref(d);
			omitted++;
			continue;
		}
		used += len;
		json_array_append_new(top, d);
	}
	jset(r, "findings", json_integer((json_int_t)json_array_size(all)));
	jset(r, "top_findings", top);
	jset(r, "findings_omitted", json_integer((json_int_t)omitted));
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
	json_t *outs = json_object();
	sg_err rc = write_outputs(st->dir, st->label, st->s->device, x->o->argv_text, &st->cur, outs,
	                          st->err, sizeof st->err);
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
	if (x->have_base)
		result_findings(r, json_object_get(st->evj, "findings"));
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
	make_label(s, st->label, sizeof st->label, x->labels);
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
		rc = src_outputs(x, st);
	sg_err arc = src_acquire_finish(x, st); /* also after a failed walk */
	progress_stop(prog);
	if (!rc)
		rc = arc;
	if (!rc)
		src_result(x, st, result_ev);
	if (rc) {
		src_worsen(st, SRC_FAILED);
		if (!st->err[0])
			snprintf(st->err, sizeof st->err, "%s", sg_strerror(rc));
		jset(st->evj, "error", json_string(st->err));
	}
	if (st->status == SRC_FAILED) {
		char w[ERRLEN + 100];
		snprintf(w, sizeof w, "%s: %s", st->label, st->err);
		json_array_append_new(warnings, json_string(w));
	}
	jset(st->evj, "status", json_string(src_status_name(st->status)));
	if (json_array_size(st->why))
		jset(st->evj, "incomplete", json_incref(st->why));
	if (st->status == SRC_INCOMPLETE)
		say("%s: INCOMPLETE examination", st->label);
	src_status status = st->status;
	json_decref(st->why);
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
		jset(report, "error", json_string(err));
	/* the log's head as the report is written: verify-log --report checks
	   that the log still holds it and, after it, the report's own hash */
	jset(report, "custody", json_pack("{s:s,s:I,s:s}", "log", x->clog, "entries_before_report",
	                                  (json_int_t)x->entries, "head_before_report", x->head));
	char *js = json_dumps(report, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fx_buf md = {0};
	sg_err rc = js ? fx_report_markdown(report, &md) : SG_ERR_NOMEM;
	if (rc)
		snprintf(err, errlen, "out of memory rendering the report");
	if (!rc)
		rc = write_text(o->out_dir, "report.json", js, strlen(js), rhex, err, errlen);
	if (!rc)
		rc = write_text(o->out_dir, "report.md", md.p, md.len, mhex, err, errlen);
	free(js);
	fx_buf_free(&md);
	if (rc)
		return -1;
	fx_custody_hash h[2] = {{"report_json_sha256", rhex}, {"report_md_sha256", mhex}};
	char subject[4200];
	snprintf(subject, sizeof subject, "%s%sreport %s/report.json", o->incident ? o->incident : "",
	         o->incident ? " " : "", o->out_dir);
	static const char *const action[] = {"examine-done", "examine-incomplete", "examine-failed"};
	if (custlog_append(x->clog, x->who, action[status], subject, h, 2, x->head, NULL, err,
	                   errlen)) {
		status = SRC_FAILED;
	}
	json_t *anchor = NULL;
	if (o->anchor.bucket && status != SRC_FAILED) {
		int ok = 0;
		json_t *rec = json_pack("{s:s,s:s?,s:s,s:s,s:s,s:s,s:s,s:s}", "format",
		                        "ssrfguard-custody-anchor", "incident", o->incident, "custody_log",
		                        x->clog, "custody_head", x->head, "report_json_sha256", rhex,
		                        "report_md_sha256", mhex, "examiner", x->who, "time", when);
		anchor = anchor_put(&o->anchor, o->incident, x->head, rec, &ok);
		json_decref(rec);
		if (!ok) { /* the examination is whole, its anchor is not: never "ok" */
			snprintf(err, errlen, "custody head not written to the evidence bucket: %s",
			         json_string_value(json_object_get(anchor, "error")));
			say("%s", err);
			if (status == SRC_COMPLETE)
				status = SRC_INCOMPLETE;
		}
	}
	json_t *res = json_object();
	char p[4200];
	jset(res, "status", json_string(result_name(status)));
	if (status == SRC_FAILED)
		jset(res, "error", json_string(err[0] ? err : "examination failed"));
	if (status == SRC_INCOMPLETE)
		jset(res, "error", json_string(err[0] ? err : "examination incomplete: the report "
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

int exam_run(const exam_opts *o)
{
	char err[ERRLEN] = "", when[40], me[300], clog_buf[4096], host[256] = "";
	exam_ctx x;
	memset(&x, 0, sizeof x);
	fx_list_init(&x.base, MAX_ENTRIES);
	json_t *report = json_object(), *evs = json_array(), *warnings = json_array();
	json_t *result_ev = json_array();
	x.labels = json_object();
	x.who = who_of(o, me, sizeof me);
	x.clog = o->custody_log;
	char *abs = NULL;
	int rc = 2;
	if (mount_ns_private(err, sizeof err)) {
		say("%s; XFS file systems cannot be mounted", err);
		json_array_append_new(warnings, json_string(err));
		err[0] = 0;
	}
	if (dir_is_empty_or_create(o->out_dir, err, sizeof err))
		goto fail;
	/* report the absolute location: the responder records it */
	abs = realpath(o->out_dir, NULL);
	exam_opts oc = *o;
	if (abs)
		oc.out_dir = abs;
	x.o = &oc;
	if (!x.clog) {
		snprintf(clog_buf, sizeof clog_buf, "%s/custody.log", oc.out_dir);
		x.clog = clog_buf;
	}
	if (o->baseline) {
		if (baseline_start(o->baseline, o->baseline_strip, &x.base, x.bhex, &x.bl, err,
		                   sizeof err))
			goto fail;
		x.have_base = 1;
	}
	custlog_now(when, sizeof when);
	gethostname(host, sizeof host - 1);
	jset(report, "format", json_string("ssrfguard-forensics-report"));
	jset(report, "version", json_integer(1));
	jset(report, "tool", json_string("ssrfguard " SSRFGUARD_VERSION));
	jset(report, "incident", jstr_or_null(o->incident));
	jset(report, "examiner", json_string(x.who));
	jset(report, "host", json_string(host));
	jset(report, "command", jstr_or_null(o->argv_text));
	jset(report, "started", json_string(when));
	src_status status = SRC_COMPLETE;
	size_t findings = 0;
	for (size_t i = 0; i < o->nsrc; i++) {
		src_status s = examine_source(&x, &o->src[i], evs, result_ev, warnings, &findings);
		if (s > status)
			status = s;
	}
	if (x.bres.warn[0])
		json_array_append_new(warnings, json_string(x.bres.warn));
	if (status == SRC_FAILED)
		summarize_failures(evs, err, sizeof err);
	jset(report, "evidence", json_incref(evs));
	jset(report, "warnings", json_incref(warnings));
	rc = finish(&x, report, result_ev, status, findings, err, sizeof err);
	if (rc < 0)
		goto fail;
	goto out;
fail:
	print_error(err[0] ? err : "examination failed");
	rc = 2;
out:
	fflush(stdout);
	json_decref(report);
	json_decref(evs);
	json_decref(warnings);
	json_decref(result_ev);
	json_decref(x.labels);
	baseline_free(x.bl);
	fx_list_free(&x.base);
	free(abs);
	return rc;
}

/* ---- baseline ---- */

int exam_baseline(const exam_opts *o)
{
	char err[ERRLEN] = "", me[300], hex[FX_SHA256_HEX], head[FX_SHA256_HEX];
	evid ev;
	memset(&ev, 0, sizeof ev);
	ev.fd = -1;
	fx_list cur;
	fx_list_init(&cur, MAX_ENTRIES);
	json_t *evj = json_object();
	walkdev_tally t;
	int status = 2;
	if (mount_ns_private(err, sizeof err)) {
		say("%s; XFS file systems cannot be mounted", err);
		err[0] = 0;
	}
	if (o->nsrc != 1) {
		snprintf(err, sizeof err, "baseline takes exactly one device");
		goto fail;
	}
	if (evid_open(o->src[0].device, &ev, err, sizeof err))
		goto fail;
	progress_counters pc = {0};
	progress *prog = NULL;
	progress_start(&pc, o->progress, &prog);
	sg_err wrc = walkdev_run(&ev, o->partition, o->workers, &pc, &cur, evj, &t, err, sizeof err);
	progress_stop(prog);
	if (wrc)
		goto fail;
	if (t.failed) {
		snprintf(err, sizeof err, "a file system could not be read completely");
		goto fail;
	}
	/* write next to the target, renamed into place when complete */
	char *dup = strdup(o->out_file);
	if (!dup)
		goto fail;
	char *slash = strrchr(dup, '/');
	const char *dir = ".", *name = dup;
	if (slash) {
		*slash = 0;
		dir = slash == dup ? "/" : dup;
		name = slash + 1;
	}
	fx_buf head_b = {0};
	sg_err rc = o->hashdeep_format ? fx_hashdeep_header(&head_b, o->argv_text)
	                               : fx_manifest_header(&head_b, o->src[0].volume_id, o->src[0].device);
	if (!rc)
		rc = write_list(dir, name, &cur, -1, &head_b,
		                o->hashdeep_format ? fx_hashdeep_line : fx_manifest_line, hex, err,
		                sizeof err);
	fx_buf_free(&head_b);
	free(dup);
	if (rc)
		goto fail;
	if (o->custody_log) {
		fx_custody_hash h[1] = {{"baseline_sha256", hex}};
		char subject[4608];
		snprintf(subject, sizeof subject, "baseline of %s to %s", o->src[0].device, o->out_file);
		if (custlog_append(o->custody_log, who_of(o, me, sizeof me), "baseline", subject, h, 1,
		                   head, NULL, err, sizeof err))
			goto fail;
	}
	/* a baseline with gaps is written (every later finding about the gaps
	   is a false alarm, never a miss) but not called ok */
	int incomplete = t.incomplete || !t.walked;
	json_t *res = json_object();
	jset(res, "status", json_string(incomplete ? "incomplete" : "ok"));
	jset(res, "baseline", json_string(o->out_file));
	jset(res, "sha256", json_string(hex));
	jset(res, "entries", json_integer((json_int_t)cur.n));
	jset(res, "filesystems", json_incref(json_object_get(evj, "filesystems")));
	char *line = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line)
		printf("%s\n", line);
	free(line);
	json_decref(res);
	status = incomplete ? 3 : 0;
	if (incomplete)
		fprintf(stderr, "ssrfguard forensics: baseline INCOMPLETE: %s\n",
		        t.walked ? "a file system had walk or hash errors, or no entries (see "
		                   "\"filesystems\")" : "no file system could be walked");
	goto out;
fail:
	print_error(err[0] ? err : "baseline failed");
out:
	fflush(stdout);
	evid_close(&ev);
	fx_list_free(&cur);
	json_decref(evj);
	return status;
}
