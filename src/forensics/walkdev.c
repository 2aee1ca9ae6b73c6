/* walkdev.c — walk every file system of one evidence device (see walkdev.h). */
#include "forensics/walkdev.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tsk/libtsk.h>

#include "common/escape.h"
#include "forensics/escape.h"
#include "forensics/fsprobe.h"
#include "forensics/part.h"
#include "forensics/sha256x2.h"
#include "forensics/walk.h"

#define ERRLEN 1024
#define PROBE_LEN (64u << 10)

void exam_say(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* the examiner's terminal: a piece of the evidence that reached the
	 * line unescaped is escaped here (common/escape.h) */
	sg_text_settle(line, sizeof line);
	fprintf(stderr, "forensics: %s\n", line);
}

int exam_jset(json_t *o, const char *k, json_t *v)
{
	if (v)
		return json_object_set_new(o, k, v) != 0;
	/* jansson refused the value (text that is not UTF-8, or out of
	   memory): the report says where something is missing */
	exam_say("report: the value of \"%s\" is lost (not UTF-8 text, or out of memory)", k);
	json_object_set_new(o, k, json_string("(lost: not UTF-8 text, or out of memory)"));
	return 1;
}

json_t *exam_jtext(const char *s)
{
	size_t n = strlen(s);
	if (sg_text_printable(s, n))
		return json_string(s);
	size_t cap = n < (SIZE_MAX - 1) / 4 ? 4 * n + 1 : 0;
	char *t = cap ? malloc(cap) : NULL;
	if (!t)
		return NULL;
	sg_text_clean(t, cap, s, n);
	json_t *j = json_string(t);
	free(t);
	return j;
}

#define say exam_say
#define jset exam_jset

/* ---- walking every file system of one device ---- */

static json_t *part_json(const fx_part_table *t)
{
	json_t *o = json_object(), *a = json_array();
	if (!o || !a) {
		json_decref(o);
		json_decref(a);
		return NULL;
	}
	jset(o, "scheme", json_string(fx_pt_scheme_name(t->scheme)));
	jset(o, "sector", json_integer(t->sector));
	if (t->warn[0])
		jset(o, "warning", json_string(t->warn));
	for (size_t i = 0; i < t->n; i++) {
		const fx_part *p = &t->v[i];
		json_t *pj = json_object();
		jset(pj, "number", json_integer(p->num));
		jset(pj, "start", json_integer((json_int_t)p->start));
		jset(pj, "length", json_integer((json_int_t)p->length));
		jset(pj, "type", json_string(p->type));
		if (p->type_name)
			jset(pj, "type_name", json_string(p->type_name));
		if (p->name[0])
			jset(pj, "name", json_string(p->name));
		json_array_append_new(a, pj);
	}
	jset(o, "partitions", a);
	return o;
}

typedef struct fs_target {
	int partition; /* 0: whole device */
	uint64_t offset, length;
} fs_target;

/* Why a walk that ran is not a complete examination: walk errors, files
 * that could not be hashed, nothing found.  An array, empty when complete. */
static json_t *incomplete_reasons(const walk_stats *st)
{
	json_t *a = json_array();
	char why[160];
	if (st->errors) {
		snprintf(why, sizeof why, "%" PRIu64 " walk errors: parts of the file system could "
		         "not be read (walk_warnings)", st->errors);
		json_array_append_new(a, json_string(why));
	}
	if (st->hash_errors) {
		snprintf(why, sizeof why, "%" PRIu64 " files could not be hashed (their \"note\" in "
		         "the manifest says why)", st->hash_errors);
		json_array_append_new(a, json_string(why));
	}
	if (!st->entries)
		json_array_append_new(a, json_string("the walk found no entries at all"));
	return a;
}

enum { DELETED_LISTED_MAX = 1000 };

/* The deleted entries the walk found with their metadata (what a freed
 * inode or MFT record still tells: type, size, times), at most
 * DELETED_LISTED_MAX, the rest counted in "deleted_omitted". */
static void deleted_json(json_t *fs, const fx_list *out, size_t from)
{
	json_t *a = json_array();
	size_t omitted = 0;
	for (size_t i = from; i < out->n; i++) {
		const fx_entry *e = &out->v[i];
		if (!e->deleted || !e->has_meta)
			continue;
		if (json_array_size(a) == DELETED_LISTED_MAX) {
			omitted++;
			continue;
		}
		char *path = fx_escape_dup(e->path, e->path_len);
		char t[3][FX_TIME_TEXT];
		fx_time_format(&e->mtime, t[0], sizeof t[0]);
		fx_time_format(&e->ctime, t[1], sizeof t[1]);
		fx_time_format(&e->btime, t[2], sizeof t[2]);
		json_array_append_new(a, json_pack("{s:s?,s:I,s:s,s:I,s:s,s:s,s:s}", "path", path,
		                                   "inode", (json_int_t)e->inode, "type",
		                                   fx_type_name(e->type), "size", (json_int_t)e->size,
		                                   "mtime", t[0], "ctime", t[1], "btime", t[2]));
		free(path);
	}
	jset(fs, "deleted_entries", a);
	jset(fs, "deleted_omitted", json_integer((json_int_t)omitted));
}

/* One file system's walk as it went. */
typedef struct fs_walk {
	fx_fsprobe_result pr;  /* what its first bytes say it is */
	walk_stats st;
	const char *method;    /* how it was walked: "none" when it was not */
	json_t *cannot;        /* what this way of walking cannot see */
	char err[ERRLEN];
	sg_err rc;
	int failed;
} fs_walk;

/* What the file system at t is, from its first PROBE_LEN bytes. */
static void probe_fs(const evid *ev, const fs_target *t, fs_walk *w)
{
	uint8_t *probe = calloc(1, PROBE_LEN);
	size_t plen = t->length < PROBE_LEN ? (size_t)t->length : PROBE_LEN;
	w->rc = probe ? evid_pread(ev, t->offset, probe, plen, w->err, sizeof w->err)
	              : SG_ERR_NOMEM;
	if (!w->rc)
		fx_fsprobe(probe, plen, &w->pr);
	free(probe);
}

/* Walk it the way its kind allows: XFS through a read-only mount, swap
 * and LVM not at all, anything else with libtsk. */
static void walk_by_kind(const evid *ev, const fs_target *t, const walk_opts *wo, fx_list *out,
                         fs_walk *w)
{
	const fx_fsprobe_result *pr = &w->pr;
	if (w->rc) {
		w->failed = 1;
	} else if (pr->kind == FX_FS_XFS) {
		w->method = "xfs-readonly-loop-mount";
		say("walking XFS at offset %" PRIu64 " through a read-only loop mount", t->offset);
		w->rc = walk_xfs(ev, t->offset, t->length, wo, out, &w->st, w->err, sizeof w->err);
		json_array_append_new(w->cannot, json_string(
			"deleted files: the read-only mount shows only named files (files unlinked "
			"while open are listed, as orphan inodes read raw from the AGIs' unlinked "
			"lists)"));
		json_array_append_new(w->cannot, json_string(
			"writes that live only in the unreplayed log (mounted norecovery), orphans "
			"put on an unlinked list only there included"));
		if (w->rc)
			w->failed = 1;
	} else if (pr->kind == FX_FS_SWAP || pr->kind == FX_FS_LVM) {
		w->method = "none";
		snprintf(w->err, sizeof w->err, "%s: not walked", pr->name);
		json_array_append_new(w->cannot, json_string("contents (not a file system)"));
	} else {
		w->method = "libtsk-raw";
		say("walking %s at offset %" PRIu64 " with libtsk (no mount)",
		    pr->name[0] ? pr->name : "?", t->offset);
		w->rc = walk_tsk(ev->fd, NULL, ev->size, t->offset, wo, out, &w->st, w->err,
		                 sizeof w->err);
		if (w->rc && pr->kind == FX_FS_UNKNOWN && t->partition && t->length < (16u << 20)) {
			/* a small partition with nothing on it (BIOS boot): not a failure */
			w->method = "none";
		} else if (w->rc) {
			w->failed = 1;
		} else {
			json_array_append_new(w->cannot, json_string(
				pr->kind == FX_FS_NTFS
				? "content of deleted files whose MFT record was reused (listed by name, "
				  "not hashed); the others' is hashed from clusters that are free and may "
				  "hold other data now"
				: "content of deleted files (listed by name and inode, not hashed; orphan "
				  "inodes are)"));
			if (pr->journal != FX_J_NONE)
				json_array_append_new(w->cannot, json_string(
					"writes that live only in the journal (libtsk does not replay it)"));
		}
	}
}

/* What a journal not clean means for the examination (the report's
 * "journal_note", and its "caveats" under the findings). */
static const char *dirty_note(fx_fs_kind kind)
{
	return kind == FX_FS_XFS
	       ? "the XFS log was not clean: files changed in the last seconds may be missing "
	         "(the log is not replayed: creations, writes and unlinks only it holds, and "
	         "files deleted while open that only it puts on an unlinked list, are not seen)"
	       : "the journal was not clean: files changed in the last seconds may be missing "
	         "(libtsk does not replay it: writes only it holds are not seen)";
}

/* What the walk found and how, into fs (its entries start at out[first]). */
static void put_counts(json_t *fs, fs_walk *w, const walk_opts *how, fx_list *out, size_t first)
{
	const fx_fsprobe_result *pr = &w->pr;
	const walk_stats *st = &w->st;
	fx_journal j = pr->kind == FX_FS_XFS ? st->journal : pr->journal;
	jset(fs, "type", json_string(pr->name[0] ? pr->name : st->fstype[0] ? st->fstype : "unknown"));
	if (st->fstype[0])
		jset(fs, "libtsk_type", json_string(st->fstype));
	if (pr->label[0])
		jset(fs, "label", json_string(pr->label));
	if (pr->features[0])
		jset(fs, "features", json_string(pr->features));
	jset(fs, "method", json_string(w->method));
	jset(fs, "journal", json_string(fx_journal_name(j)));
	if (j == FX_J_DIRTY)
		jset(fs, "journal_note", json_string(dirty_note(pr->kind)));
	if (st->log_pending)
		jset(fs, "journal_pending_bytes", json_integer((json_int_t)st->log_pending));
	jset(fs, "cannot_see", w->cannot);
	w->cannot = NULL;
	jset(fs, "entries", json_integer((json_int_t)st->entries));
	jset(fs, "files", json_integer((json_int_t)st->files));
	jset(fs, "dirs", json_integer((json_int_t)st->dirs));
	jset(fs, "symlinks", json_integer((json_int_t)st->links));
	jset(fs, "special", json_integer((json_int_t)st->specials));
	jset(fs, "deleted", json_integer((json_int_t)st->deleted));
	if (st->deleted_records)
		jset(fs, "deleted_mft_records", json_integer((json_int_t)st->deleted_records));
	deleted_json(fs, out, first);
	jset(fs, "files_hashed", json_integer((json_int_t)st->hashed));
	jset(fs, "hash_errors", json_integer((json_int_t)st->hash_errors));
	jset(fs, "bytes_hashed", json_integer((json_int_t)st->bytes_hashed));
	if (how->feed) {
		jset(fs, "files_hashed_from_acquisition", json_integer((json_int_t)st->hashed_fed));
		jset(fs, "bytes_hashed_from_acquisition", json_integer((json_int_t)st->bytes_fed));
	}
	jset(fs, "sha256_engine", json_string(sha2x_accelerated() ? "sha-ni, two files per core"
	                                                          : "openssl"));
	jset(fs, "walk_errors", json_integer((json_int_t)st->errors));
	if (st->warn[0])
		jset(fs, "walk_warnings", exam_jtext(st->warn));
	jset(fs, "seconds", json_real(st->seconds));
}

/* failed, not walked, incomplete (and why) or complete; counted in tally. */
static void put_status(json_t *fs, const fs_walk *w, walkdev_tally *tally)
{
	bool none = !strcmp(w->method, "none");
	if (w->err[0] && (w->rc || none))
		jset(fs, w->rc && !none ? "error" : "note", exam_jtext(w->err));
	if (w->failed) {
		tally->failed++;
		jset(fs, "status", json_string("failed"));
	} else if (none) {
		jset(fs, "status", json_string("not walked"));
	} else {
		json_t *why = incomplete_reasons(&w->st);
		tally->walked++;
		tally->entries += w->st.entries;
		tally->incomplete += json_array_size(why) != 0;
		jset(fs, "status", json_string(json_array_size(why) ? "incomplete" : "complete"));
		if (json_array_size(why))
			jset(fs, "incomplete", why);
		else
			json_decref(why);
	}
}

static json_t *walk_one(const evid *ev, const fs_target *t, int index, const char *prefix,
                        const walk_opts *how, fx_list *out, walkdev_tally *tally)
{
	fs_walk w;
	memset(&w, 0, sizeof w);
	w.method = "none";
	w.cannot = json_array();
	probe_fs(ev, t, &w);
	json_t *fs = json_object();
	jset(fs, "index", json_integer(index));
	jset(fs, "partition", t->partition ? json_integer(t->partition) : json_null());
	jset(fs, "offset", json_integer((json_int_t)t->offset));
	jset(fs, "length", json_integer((json_int_t)t->length));
	walk_opts wo = *how;
	wo.fs_index = index;
	wo.prefix = prefix;
	size_t first = out->n; /* this file system's entries start here */
	walk_by_kind(ev, t, &wo, out, &w);
	put_counts(fs, &w, how, out, first);
	put_status(fs, &w, tally);
	if (w.rc)
		say("file system %d: %s", index, w.err);
	else if (strcmp(w.method, "none"))
		say("file system %d: %" PRIu64 " entries, %" PRIu64 " files hashed (%" PRIu64
		    " bytes) in %.2f s", index, w.st.entries, w.st.hashed, w.st.bytes_hashed,
		    w.st.seconds);
	return fs;
}

/* What the findings may miss because of file system index's state: its
 * journal's note, also said as the examination goes. */
static void add_caveat(json_t *caveats, const json_t *fs, size_t index)
{
	const char *note = json_string_value(json_object_get(fs, "journal_note"));
	if (!note)
		return;
	char line[512];
	snprintf(line, sizeof line, "file system %zu: %s", index, note);
	say("%s", line);
	json_array_append_new(caveats, json_string(line));
}

static int cmp_entry(const void *x, const void *y)
{
	const fx_entry *a = x, *b = y;
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);
	if (c)
		return c;
	if (a->path_len != b->path_len)
		return a->path_len < b->path_len ? -1 : 1;
	return a->deleted - b->deleted;
}

sg_err walkdev_run(const evid *ev, int partition, unsigned workers, struct dfeed *feed,
                   progress_counters *pc, fx_list *out, json_t *evj, walkdev_tally *tally,
                   char *err, size_t errlen)
{
	walk_opts how = {.workers = workers, .progress = pc, .feed = feed};
	memset(tally, 0, sizeof *tally);
	fx_part_table *pt = calloc(1, sizeof *pt);
	if (!pt)
		return SG_ERR_NOMEM;
	evid_reader rd = {ev, ev->size, err, errlen};
	sg_err rc = fx_part_read(evid_read, &rd, ev->size, pt);
	if (rc == SG_ERR_CORRUPT) {
		say("partition table: %s; examining the whole device", pt->warn);
		char w[160];
		snprintf(w, sizeof w, "%s", pt->warn);
		memset(pt, 0, sizeof *pt);
		snprintf(pt->warn, sizeof pt->warn, "%s", w);
		rc = SG_OK;
	}
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "partition table: %s", sg_strerror(rc));
		free(pt);
		return rc;
	}
	jset(evj, "partition_table", part_json(pt));
	json_t *fss = json_array();
	fs_target targets[FX_PART_MAX];
	size_t nt = 0;
	if (pt->scheme == FX_PT_NONE) {
		if (partition) {
			snprintf(err, errlen, "--partition %d: the device has no partition table",
			         partition);
			json_decref(fss);
			free(pt);
			return SG_ERR_NOTFOUND;
		}
		targets[nt++] = (fs_target){0, 0, ev->size};
	} else {
		for (size_t i = 0; i < pt->n; i++)
			if (!partition || (int)pt->v[i].num == partition)
				targets[nt++] = (fs_target){(int)pt->v[i].num, pt->v[i].start, pt->v[i].length};
		if (!nt) {
			snprintf(err, errlen, "partition %d not found", partition);
			json_decref(fss);
			free(pt);
			return SG_ERR_NOTFOUND;
		}
	}
	json_t *caveats = json_array();
	for (size_t i = 0; i < nt; i++) {
		char prefix[16] = "";
		if (pt->scheme != FX_PT_NONE && !partition)
			snprintf(prefix, sizeof prefix, "p%d:", targets[i].partition);
		json_t *fs = walk_one(ev, &targets[i], (int)i, prefix, &how, out, tally);
		add_caveat(caveats, fs, i);
		json_array_append_new(fss, fs);
	}
	jset(evj, "filesystems", fss);
	jset(evj, "caveats", caveats);
	free(pt);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_entry);
	return SG_OK;
}
