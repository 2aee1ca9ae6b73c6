/*
 * exam_int.h — the parts of one examination (examine.h), shared by the
 * files that carry it out.  Internal to src/forensics.
 *
 *   examine.c        the run: each source opened, acquired, walked,
 *                    compared, scanned, written; the report and the result
 *   exam_baseline.c  reading a baseline (manifest or hashdeep); `baseline`
 *   exam_out.c       output files: manifests, hashdeep lists, bodyfile,
 *                    the output directory and its labels
 *   exam_yara.c      the YARA step over the files scansel.h chooses
 *   exam_when.c      the incident time and the timeline around it
 *   exam_result.c    the one-line JSON result and its digests
 *
 * Strings in err buffers are sentences for the examiner; every function
 * taking err (errlen > 0) sets it when it fails.
 */
#ifndef SSRFGUARD_FORENSICS_EXAM_INT_H
#define SSRFGUARD_FORENSICS_EXAM_INT_H

#include <jansson.h>

#include "forensics/acquire.h"
#include "forensics/custlog.h"
#include "forensics/diff.h"
#include "forensics/evidence.h"
#include "forensics/examine.h"
#include "forensics/fx.h"
#include "forensics/outfile.h"
#include "forensics/progress.h"
#include "forensics/baseline.h"
#include "forensics/walkdev.h"
#include "forensics/yscan.h"

/* The examination's shorthands (walkdev.h). */
#define say exam_say
#define jset exam_jset

#define ERRLEN 1024
#define MAX_ENTRIES (50u * 1000 * 1000)

/* What the sources of one examination share. */
typedef struct exam_ctx {
	const exam_opts *o;
	const char *who, *clog;
	fx_list base;                 /* parsed beside the first acquisition */
	baseline *bl;                 /* until then (baseline.h) */
	sg_err base_rc;
	char base_err[ERRLEN];
	baseline_result bres;
	int have_base;
	char bhex[FX_SHA256_HEX];
	json_t *labels;               /* labels in use */
	char head[FX_SHA256_HEX];     /* the custody log's head after our last append */
	uint64_t entries;             /* and its number of entries then */
	yscan *yara;                  /* compiled rules, or NULL (--yara-scope off) */
	int64_t incident_sec;         /* the incident time, or INT64_MIN when unknown */
	const char *incident_from;    /* where it came from: "option", "tags", … */
} exam_ctx;

/* Worst first: a source's status never improves. */
typedef enum src_status { SRC_COMPLETE = 0, SRC_INCOMPLETE, SRC_FAILED } src_status;

/*
 * What the report says of one entry of a source's walk beyond its own
 * facts: the class of its finding and the YARA rules it matched.  Sorted by
 * idx (the entry's index in src_state.cur).
 */
typedef struct exam_mark {
	size_t idx;
	int cls;        /* fx_class of its finding, or -1 */
	char *yara;     /* JSON array text of "namespace.rule" names, or NULL */
} exam_mark;

typedef struct exam_marks {
	exam_mark *v;
	size_t n, cap;
} exam_marks;

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
	dfeed *feed;         /* its buffers, for the file hashes (dfeed.h), or NULL */
	progress_counters pc;
	outf wf;             /* its windows.txt (--hash-windows) */
	char err[ERRLEN];
	json_t *evj;         /* its object in the report (owned by the report) */
	json_t *why;         /* why it is incomplete */
	src_status status;
	exam_marks marks;
	size_t view_lo;      /* view.v[i] is cur.v[view_lo + i] */
} src_state;

/* The source's status becomes s unless it is already worse. */
static inline void exam_worsen(src_state *st, src_status s)
{
	if (s > st->status)
		st->status = s;
}

/* ---- exam_out.c ---- */

typedef sg_err (*line_fn)(sg_buf *out, const fx_entry *e);

/* Write fn's lines for the entries of l (only those of file system
 * only_fs when >= 0) to dir/name, head first.  marks (NULL: none; fn must
 * then be fx_manifest_line): an entry whose mark has YARA matches gets its
 * manifest line with "yara":[…]. */
sg_err exam_write_list(const char *dir, const char *name, const fx_list *l, int only_fs,
                       sg_buf *head, line_fn fn, const exam_marks *marks,
                       char hex[FX_SHA256_HEX], char *err, size_t errlen);
/* manifest.jsonl (with each entry's "yara" from marks), manifest.hashdeep,
 * per-partition lists, bodyfile into dir; their paths and hashes in outs. */
sg_err exam_write_outputs(const char *dir, const char *label, const char *source,
                          const char *argv_text, const fx_list *l, const exam_marks *marks,
                          json_t *outs, char *err, size_t errlen);
sg_err exam_write_text(const char *dir, const char *name, const char *p, size_t len,
                       char hex[FX_SHA256_HEX], char *err, size_t errlen);
/* {"path": dir/name, "sha256": hex} */
json_t *exam_out_json(const char *dir, const char *name, const char *hex);
/* A file-name-safe label for source s, unique among used (recorded there). */
void exam_make_label(const exam_source *s, char *buf, size_t len, json_t *used);
/* 0: dir exists now and holds nothing but a custody.log; -1 (err set). */
int exam_dir_ready(const char *dir, char *err, size_t errlen);

/* ---- marks (exam_yara.c) ---- */

/* A new mark for entry idx (cls -1, no yara), NULL on OOM; the marks
 * are unsorted until exam_marks_sort().  At most one mark per idx. */
exam_mark *exam_mark_add(exam_marks *m, size_t idx);
void exam_marks_sort(exam_marks *m);
/* The mark of idx in sorted marks, or NULL. */
exam_mark *exam_mark_find(const exam_marks *m, size_t idx);
void exam_marks_free(exam_marks *m);
/* The index in st->cur of an entry of st->cur or st->view. */
size_t exam_cur_index(const src_state *st, const fx_entry *e);

/* ---- exam_yara.c ---- */

/* Compile the rules exam_opts names (the shipped set unless turned off,
 * then each --yara-rules path); SG_OK with x->yara NULL when the scope is
 * off.  A rule that does not compile: SG_ERR_PARSE, err names file and line. */
sg_err exam_yara_load(exam_ctx *x, char *err, size_t errlen);
/* Mark every finding (cls), then scan the files scansel.h chooses, each
 * to its end; the report's "yara" object of the source, and the marks of
 * what matched.  A selected file not scanned to its end (cut at
 * --yara-max-file, timed out, unreadable) makes the source incomplete,
 * with the file and the reason among st->why. */
sg_err exam_yara_source(exam_ctx *x, src_state *st);

/* ---- exam_when.c ---- */

/* The incident time: --incident-time, else the responder's tag on the
 * evidence (exam_source.info "incident_time"); x->incident_sec. */
void exam_when_init(exam_ctx *x);
/* sec as "YYYY-MM-DDTHH:MM:SSZ" in buf; returns buf. */
const char *exam_iso(int64_t sec, char *buf, size_t len);
/* The report's "incident_window" of the source: what changed in the
 * window before the incident, newest first, findings and YARA marked. */
void exam_when_source(exam_ctx *x, src_state *st);

/* ---- exam_result.c ---- */

/* The result line's digest of a source's report object (findings, YARA
 * matches, persistence places) into r; nsrc sources share the budget. */
void exam_result_source(json_t *r, const json_t *evj, size_t nsrc);
/* The source's reasons for being incomplete (why, strings) into r's
 * "incomplete" while they fit the result line's budget for them (shared
 * by nsrc sources), "incomplete_omitted" counting the rest. */
void exam_result_incomplete(json_t *r, const json_t *why, size_t nsrc);
/* {"status":"error","error":msg} on stdout, and msg on stderr. */
void exam_print_error(const char *msg);
/* --examiner, else user@host in buf. */
const char *exam_who(const exam_opts *o, char *buf, size_t len);

#endif
