/* exam_yara.c — the YARA step of an examination, and the entries' marks
 * (see exam_int.h; what is scanned: scansel.h; the rules: yscan.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "forensics/escape.h"
#include "forensics/exam_int.h"
#include "forensics/fsread.h"
#include "forensics/part.h"
#include "forensics/scansel.h"

#ifndef SSRFGUARD_YARA_DIR
#define SSRFGUARD_YARA_DIR "/usr/local/share/ssrfguard/yara"
#endif

/* Files YARA could not scan to their end: the first PROBLEMS_LISTED in the
 * report's "problems", the first WHY_LISTED among the source's reasons for
 * being incomplete (the rest counted there). */
enum { PROBLEMS_LISTED = 50, WHY_LISTED = 5, WHY_PATH_BYTES = 120 };

/* ---- marks ---- */

exam_mark *exam_mark_add(exam_marks *m, size_t idx)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		exam_mark *v = realloc(m->v, cap * sizeof *v);
		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	exam_mark *k = &m->v[m->n++];
	*k = (exam_mark){idx, -1, NULL};
	return k;
}

static int cmp_mark(const void *a, const void *b)
{
	const exam_mark *x = a, *y = b;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void exam_marks_sort(exam_marks *m)
{
	if (m->n > 1)
		qsort(m->v, m->n, sizeof *m->v, cmp_mark);
}

exam_mark *exam_mark_find(const exam_marks *m, size_t idx)
{
	exam_mark key = {idx, -1, NULL};
	return m->n ? bsearch(&key, m->v, m->n, sizeof *m->v, cmp_mark) : NULL;
}

void exam_marks_free(exam_marks *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].yara);
	free(m->v);
	memset(m, 0, sizeof *m);
}

size_t exam_cur_index(const src_state *st, const fx_entry *e)
{
	if (e >= st->cur.v && e < st->cur.v + st->cur.n)
		return (size_t)(e - st->cur.v);
	return st->view_lo + (size_t)(e - st->view.v);
}

/* Every finding's class on its image entry (removed ones have none). */
static sg_err mark_findings(src_state *st)
{
	for (size_t i = 0; i < st->diff.n; i++) {
		const fx_finding *f = &st->diff.v[i];
		if (!f->cur)
			continue;
		exam_mark *k = exam_mark_add(&st->marks, exam_cur_index(st, f->cur));
		if (!k)
			return SG_ERR_NOMEM;
		k->cls = (int)f->cls;
	}
	exam_marks_sort(&st->marks);
	return SG_OK;
}

/* ---- rules ---- */

/* The shipped ruleset: the source tree's rules/yara when this binary is
 * the build tree's, else the installed copy. */
static const char *shipped_dir(const exam_opts *o)
{
	if (o->yara_shipped_dir)
		return o->yara_shipped_dir;
#if defined(SSRFGUARD_BUILD_ROOT) && defined(SSRFGUARD_SOURCE_ROOT)
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	size_t bl = strlen(SSRFGUARD_BUILD_ROOT);
	if (n > 0 && (size_t)n > bl) {
		exe[n] = 0;
		if (!memcmp(exe, SSRFGUARD_BUILD_ROOT, bl) && exe[bl] == '/')
			return SSRFGUARD_SOURCE_ROOT "/rules/yara";
	}
#endif
	return SSRFGUARD_YARA_DIR;
}

sg_err exam_yara_load(exam_ctx *x, char *err, size_t errlen)
{
	const exam_opts *o = x->o;
	x->yara = NULL;
	if (o->yara_scope == FX_SCAN_OFF)
		return SG_OK;
	const char **paths = calloc(o->nyara_rules + 1, sizeof *paths);
	if (!paths) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	size_t n = 0;
	if (o->yara_shipped)
		paths[n++] = shipped_dir(o);
	for (size_t i = 0; i < o->nyara_rules; i++)
		paths[n++] = o->yara_rules[i];
	if (!n) {
		free(paths);
		snprintf(err, errlen, "--yara-scope %s with no rules: give --yara-rules, or leave the "
		         "shipped ruleset on", fx_scan_scope_name(o->yara_scope));
		return SG_ERR_INVAL;
	}
	sg_err rc = yscan_load(paths, n, o->yara_timeout, &x->yara, err, errlen);
	if (rc == SG_ERR_NOTFOUND && o->yara_shipped && !o->yara_shipped_dir &&
	    access(paths[0], F_OK) != 0) {
		size_t l = strlen(err);
		snprintf(err + l, errlen - l, " (the shipped ruleset is not installed; "
		         "--no-yara-shipped runs without it)");
	}
	free(paths);
	if (!rc)
		say("yara: %zu rules from %zu paths", yscan_rule_count(x->yara), n);
	return rc;
}

/* ---- scanning one source ---- */

typedef struct target {
	size_t idx;
	const char *why;
} target;

typedef struct scan_run {
	exam_ctx *x;
	src_state *st;
	fsread *readers[FX_PART_MAX];
	int failed[FX_PART_MAX];     /* its reader could not be opened */
	json_t *matches, *problems;
	uint64_t scanned, bytes, truncated, unreadable, timeouts, too_many, nproblems;
	uint64_t orphans;            /* orphan inodes among the selected */
	uint64_t deleted;            /* deleted files (not orphans) among the selected */
} scan_run;

/* Why entry i of the image is scanned (static text), or NULL (scansel.h). */
static const char *why_scan(const exam_ctx *x, const src_state *st, size_t i)
{
	const fx_entry *e = &st->cur.v[i];
	const char *why = fx_scan_orphan(e);
	if (why)
		return why;
	if (x->o->yara_scope == FX_SCAN_ALL)
		return fx_scan_content(e) ? "all" : NULL;
	if (!x->have_base)
		return fx_scan_unbaselined(e);
	const exam_mark *m = exam_mark_find(&st->marks, i);
	fx_finding f = {.cls = m ? (fx_class)m->cls : FX_C__COUNT, .cur = e};
	return m && m->cls >= 0 && fx_scan_finding(&f) ? fx_class_name(f.cls) : NULL;
}

static sg_err choose(const exam_ctx *x, const src_state *st, target **out, size_t *n)
{
	target *v = NULL;
	size_t k = 0, cap = 0;
	for (size_t i = 0; i < st->cur.n; i++) {
		const char *why = why_scan(x, st, i);
		if (!why)
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 256;
			target *nv = realloc(v, cap * sizeof *nv);
			if (!nv) {
				free(v);
				return SG_ERR_NOMEM;
			}
			v = nv;
		}
		v[k++] = (target){i, why};
	}
	*out = v;
	*n = k;
	return SG_OK;
}

/* A mark for every target that has none, so that matches find theirs
 * (targets are unique; the marks before them are sorted). */
static sg_err mark_targets(src_state *st, const target *t, size_t nt)
{
	size_t sorted = st->marks.n;
	for (size_t i = 0; i < nt; i++) {
		exam_marks pre = {st->marks.v, sorted, sorted};
		if (!exam_mark_find(&pre, t[i].idx) && !exam_mark_add(&st->marks, t[i].idx))
			return SG_ERR_NOMEM;
	}
	exam_marks_sort(&st->marks);
	return SG_OK;
}

/* The path of e escaped, its first WHY_PATH_BYTES bytes at most (cut
 * before a UTF-8 character, "..." after it): a line, not a record. */
static void shown_path(const fx_entry *e, char *out, size_t len)
{
	size_t n = e->path_len < WHY_PATH_BYTES ? e->path_len : WHY_PATH_BYTES;
	while (n && n < e->path_len && ((unsigned char)e->path[n] & 0xc0) == 0x80)
		n--;
	char *p = fx_escape_dup(e->path, n);
	snprintf(out, len, "%s%s", p ? p : "?", n < e->path_len ? "..." : "");
	free(p);
}

/* A selected file that was not scanned to its end, and why: the source is
 * incomplete (what YARA found is true, not everything). */
static void problem(scan_run *r, const fx_entry *e, const char *why)
{
	if (json_array_size(r->problems) < PROBLEMS_LISTED) {
		char *p = fx_escape_dup(e->path, e->path_len);
		json_array_append_new(r->problems, json_pack("{s:s?,s:s}", "path", p, "why", why));
		free(p);
	}
	if (++r->nproblems <= WHY_LISTED) {
		char path[WHY_PATH_BYTES * 4 + 8], line[sizeof path + 300];
		shown_path(e, path, sizeof path);
		snprintf(line, sizeof line, "YARA did not scan %s to its end: %s", path, why);
		json_array_append_new(r->st->why, json_string(line));
	}
}

static fsread *reader_of(scan_run *r, int fs)
{
	if (fs < 0 || fs >= FX_PART_MAX || r->failed[fs])
		return NULL;
	if (r->readers[fs])
		return r->readers[fs];
	const json_t *fss = json_object_get(r->st->evj, "filesystems"), *fsj = NULL;
	size_t i;
	const json_t *f;
	json_array_foreach(fss, i, f) {
		if (json_integer_value(json_object_get(f, "index")) == fs)
			fsj = f;
	}
	char e[ERRLEN] = "";
	if (!fsj || fsread_open(&r->st->ev, fsj, &r->readers[fs], e, sizeof e)) {
		r->failed[fs] = 1;
		say("yara: file system %d cannot be read again: %s", fs, e[0] ? e : "not described");
		return NULL;
	}
	return r->readers[fs];
}

/* "["ns.rule",…]" for the manifest line. */
static char *rule_names(const json_t *rules)
{
	json_t *a = json_array();
	size_t i;
	const json_t *m;
	json_array_foreach(rules, i, m) {
		char n[300];
		snprintf(n, sizeof n, "%s.%s", json_string_value(json_object_get(m, "namespace")),
		         json_string_value(json_object_get(m, "rule")));
		json_array_append_new(a, json_string(n));
	}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static sg_err record_match(scan_run *r, const target *t, json_t *rules, uint64_t got)
{
	const fx_entry *e = &r->st->cur.v[t->idx];
	exam_mark *m = exam_mark_find(&r->st->marks, t->idx);
	char *p = fx_escape_dup(e->path, e->path_len), hex[FX_SHA256_HEX] = "";
	if (e->has_hash)
		sg_hex_encode(e->sha256, FX_SHA256_LEN, hex);
	/* a deleted file (an orphan too) is deleted in the image, a finding or
	   not (no baseline, or the baseline had it deleted already) */
	const char *cls = m && m->cls >= 0 ? fx_class_name((fx_class)m->cls)
	                  : e->deleted ? fx_class_name(FX_C_DELETED_IN_IMAGE) : NULL;
	json_t *o = json_pack("{s:s?,s:I,s:b,s:b,s:s?,s:s,s:I,s:s?,s:I,s:b,s:O}", "path", p,
	                      "inode", (json_int_t)e->inode, "deleted", e->deleted, "orphan",
	                      e->orphan, "class", cls, "selected",
	                      t->why, "size", (json_int_t)e->size, "sha256", hex[0] ? hex : NULL,
	                      "scanned_bytes", (json_int_t)got, "truncated", got < e->size,
	                      "rules", rules);
	free(p);
	if (!o || json_array_append_new(r->matches, o))
		return SG_ERR_NOMEM;
	if (!m)
		return SG_ERR_INVAL; /* every target has its mark (mark_targets) */
	free(m->yara);
	m->yara = rule_names(rules);
	return m->yara ? SG_OK : SG_ERR_NOMEM;
}

typedef struct file_read {
	fsread_fh *fh;
} file_read;

static int read_window(void *ctx, uint64_t off, uint8_t *buf, size_t len, const char **why)
{
	return fsread_pread(((file_read *)ctx)->fh, off, buf, len, why) ? -1 : 0;
}

/* What the scan of e left unscanned, as problems. */
static void scan_problems(scan_run *r, const fx_entry *e, const yscan_result *res)
{
	char why[200];
	if (res->cut) {
		r->truncated++;
		snprintf(why, sizeof why, "larger than --yara-max-file (%" PRIu64 " MiB): only its "
		         "first %" PRIu64 " bytes scanned", r->x->o->yara_max_file >> 20, res->scanned);
		problem(r, e, why);
	}
	if (res->timed_out) {
		r->timeouts++;
		snprintf(why, sizeof why, "the scan timed out after %d s (matches found before it are "
		         "listed)", r->x->o->yara_timeout);
		problem(r, e, why);
	}
	if (res->unreadable) {
		r->unreadable++;
		snprintf(why, sizeof why, "part of it could not be read (%s); the rest was scanned",
		         res->unreadable);
		problem(r, e, why);
	}
	if (res->too_many_matches) {
		r->too_many++;
		problem(r, e, "a string matched more often than libyara counts (1,000,000): rules "
		              "counting it may be wrong");
	}
}

static sg_err scan_one(scan_run *r, const target *t)
{
	const fx_entry *e = &r->st->cur.v[t->idx];
	r->orphans += e->orphan;
	r->deleted += e->deleted && !e->orphan;
	fsread *rd = reader_of(r, e->fs);
	file_read f = {NULL};
	const char *why = NULL;
	if (!rd || fsread_fopen(rd, e, &f.fh, &why)) {
		r->unreadable++;
		problem(r, e, !rd ? "its file system cannot be read again" : why ? why : "unreadable");
		return SG_OK;
	}
	char err[ERRLEN] = "";
	size_t skip = fx_part_prefix_len(e->path, e->path_len);
	yscan_input in = {e->path + skip, e->path_len - skip, e->size, r->x->o->yara_max_file,
	                  read_window, &f};
	yscan_result res;
	json_t *rules = yscan_scan(r->x->yara, &in, &res, err, sizeof err);
	fsread_fclose(f.fh);
	if (!rules) {
		snprintf(r->st->err, sizeof r->st->err, "yara: %s", err);
		return SG_ERR_NOMEM;
	}
	r->scanned++;
	r->bytes += res.scanned;
	scan_problems(r, e, &res);
	sg_err rc = json_array_size(rules) ? record_match(r, t, rules, res.scanned) : SG_OK;
	json_decref(rules);
	return rc;
}

/* The report's "yara" object of the source. */
static json_t *yara_json(const scan_run *r, size_t ntargets, double seconds)
{
	const exam_opts *o = r->x->o;
	int whole = !r->nproblems;
	json_t *y = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,"
	                      "s:O,s:O}",
	                      "scope", fx_scan_scope_name(o->yara_scope), "selection",
	                      o->yara_scope == FX_SCAN_ALL ? "every regular file, live or deleted "
	                                                     "with its data kept, and every "
	                                                     "orphan inode"
	                      : r->x->have_base ? "files new, changed or deleted since the "
	                                          "baseline (deleted: those whose data is kept), "
	                                          "and every orphan inode"
	                                        : "no baseline: persistence places, writable "
	                                          "places, scripts and executables (live, or "
	                                          "deleted with their data kept), and every "
	                                          "orphan inode",
	                      "status", whole ? "complete" : "incomplete",
	                      "selected", (json_int_t)ntargets, "orphans", (json_int_t)r->orphans,
	                      "deleted", (json_int_t)r->deleted,
	                      "scanned", (json_int_t)r->scanned,
	                      "bytes", (json_int_t)r->bytes, "max_file_bytes",
	                      (json_int_t)o->yara_max_file, "truncated", (json_int_t)r->truncated,
	                      "unreadable", (json_int_t)r->unreadable, "timeouts",
	                      (json_int_t)r->timeouts, "too_many_matches", (json_int_t)r->too_many,
	                      "incomplete_files", (json_int_t)r->nproblems,
	                      "timeout_seconds", (json_int_t)o->yara_timeout,
	                      "seconds", seconds, "matches", r->matches, "problems", r->problems);
	return y;
}

sg_err exam_yara_source(exam_ctx *x, src_state *st)
{
	if (x->have_base && mark_findings(st)) {
		snprintf(st->err, sizeof st->err, "out of memory");
		return SG_ERR_NOMEM;
	}
	if (!x->yara) {
		jset(st->evj, "yara", json_pack("{s:s}", "scope", "off"));
		return SG_OK;
	}
	double t0 = sg_mono_s();
	scan_run r;
	memset(&r, 0, sizeof r);
	r.x = x;
	r.st = st;
	r.matches = json_array();
	r.problems = json_array();
	target *t = NULL;
	size_t nt = 0;
	sg_err rc = choose(x, st, &t, &nt);
	if (!rc)
		rc = mark_targets(st, t, nt);
	for (size_t i = 0; !rc && i < nt; i++)
		rc = scan_one(&r, &t[i]);
	for (int fs = 0; fs < FX_PART_MAX; fs++)
		fsread_close(r.readers[fs]);
	free(t);
	exam_marks_sort(&st->marks);
	if (rc) {
		if (!st->err[0])
			snprintf(st->err, sizeof st->err, "yara: %s", sg_strerror(rc));
	} else {
		if (r.nproblems > WHY_LISTED) {
			char more[160];
			snprintf(more, sizeof more, "and %" PRIu64 " more files YARA did not scan to their "
			         "end (\"yara\".\"problems\")", r.nproblems - WHY_LISTED);
			json_array_append_new(st->why, json_string(more));
		}
		if (r.nproblems)
			exam_worsen(st, SRC_INCOMPLETE);
		jset(st->evj, "yara", yara_json(&r, nt, sg_mono_s() - t0));
		say("yara: %" PRIu64 " of %zu selected files scanned (scope %s; orphan inodes: %" PRIu64
		    ", deleted files: %" PRIu64 "), %zu matched, %.2f s", r.scanned, nt,
		    fx_scan_scope_name(x->o->yara_scope), r.orphans, r.deleted,
		    json_array_size(r.matches), sg_mono_s() - t0);
	}
	json_decref(r.matches);
	json_decref(r.problems);
	return rc;
}
