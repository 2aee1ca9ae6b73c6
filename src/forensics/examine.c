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
#include "forensics/custlog.h"
#include "forensics/diff.h"
#include "forensics/escape.h"
#include "forensics/evidence.h"
#include "forensics/fsprobe.h"
#include "forensics/manifest.h"
#include "forensics/outfile.h"
#include "forensics/part.h"
#include "forensics/report.h"
#include "forensics/sha256x2.h"
#include "forensics/walk.h"

#ifndef SSRFGUARD_VERSION
#define SSRFGUARD_VERSION "0.1.0"
#endif

#define ERRLEN 1024
#define MAX_ENTRIES (50u * 1000 * 1000)
#define BASELINE_MAX ((size_t)4 << 30)
#define PROBE_LEN (64u << 10)
#define FLUSH_AT (4u << 20)

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("forensics: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int jset(json_t *o, const char *k, json_t *v)
{
	return !v || json_object_set_new(o, k, v);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ---- evidence reading through the partition parser ---- */

typedef struct rd_ctx {
	const evid *ev;
	char *err;
	size_t errlen;
} rd_ctx;

static sg_err rd_evid(void *ctx, uint64_t off, void *buf, size_t len)
{
	rd_ctx *c = ctx;
	if (off > c->ev->size || len > c->ev->size - off)
		return SG_ERR_RANGE;
	return evid_pread(c->ev, off, buf, len, c->err, c->errlen);
}

/* ---- baseline ---- */

static sg_err load_baseline(const char *path, const char *strip, fx_list *out, int *content_only,
                            char hex[FX_SHA256_HEX], const char **format, char *err, size_t errlen)
{
	fx_buf text = {0};
	sg_err rc = SG_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "baseline %s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	char chunk[1 << 16];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "baseline %s: %s", path, strerror(errno));
			rc = SG_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		if (text.len + (size_t)n > BASELINE_MAX) {
			snprintf(err, errlen, "baseline %s: too large", path);
			rc = SG_ERR_RANGE;
			break;
		}
		if ((rc = fx_buf_add(&text, chunk, (size_t)n)))
			break;
	}
	close(fd);
	if (!rc) {
		uint8_t md[FX_SHA256_LEN];
		fx_sha256(text.p ? text.p : "", text.len, md);
		sg_hex_encode(md, FX_SHA256_LEN, hex);
		char perr[256];
		if (fx_hashdeep_detect(text.p ? text.p : "", text.len)) {
			*content_only = 1;
			*format = "hashdeep";
			rc = fx_hashdeep_parse(text.p, text.len, strip, out, perr, sizeof perr);
		} else {
			*content_only = 0;
			*format = "manifest";
			rc = fx_manifest_parse(text.p ? text.p : "", text.len, out, perr, sizeof perr);
		}
		if (rc)
			snprintf(err, errlen, "baseline %s: %s", path, perr);
	}
	fx_buf_free(&text);
	return rc;
}

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

static json_t *walk_one(const evid *ev, const fs_target *t, int index, const char *prefix,
                        unsigned workers, fx_list *out, int *failed)
{
	json_t *fs = json_object();
	char err[ERRLEN] = "";
	walk_stats st;
	memset(&st, 0, sizeof st);
	uint8_t *probe = calloc(1, PROBE_LEN);
	fx_fsprobe_result pr;
	memset(&pr, 0, sizeof pr);
	size_t plen = t->length < PROBE_LEN ? (size_t)t->length : PROBE_LEN;
	sg_err rc = probe ? evid_pread(ev, t->offset, probe, plen, err, sizeof err) : SG_ERR_NOMEM;
	if (!rc)
		fx_fsprobe(probe, plen, &pr);
	free(probe);
	jset(fs, "index", json_integer(index));
	jset(fs, "partition", t->partition ? json_integer(t->partition) : json_null());
	jset(fs, "offset", json_integer((json_int_t)t->offset));
	jset(fs, "length", json_integer((json_int_t)t->length));
	walk_opts wo = {index, prefix, workers, 0};
	const char *method = "none";
	json_t *cannot = json_array();
	if (rc) {
		*failed = 1;
	} else if (pr.kind == FX_FS_XFS) {
		method = "xfs-readonly-loop-mount";
		say("walking XFS at offset %" PRIu64 " through a read-only loop mount", t->offset);
		rc = walk_xfs(ev->fd, t->offset, t->length, &wo, out, &st, err, sizeof err);
		json_array_append_new(cannot, json_string(
			"deleted files (the kernel shows only live directory entries)"));
		json_array_append_new(cannot, json_string(
			"writes that live only in the unreplayed log (mounted norecovery)"));
		if (rc)
			*failed = 1;
	} else if (pr.kind == FX_FS_SWAP || pr.kind == FX_FS_LVM) {
		method = "none";
		snprintf(err, sizeof err, "%s: not walked", pr.name);
		json_array_append_new(cannot, json_string("contents (not a file system)"));
	} else {
		method = "libtsk-raw";
		say("walking %s at offset %" PRIu64 " with libtsk (no mount)", pr.name[0] ? pr.name : "?",
		    t->offset);
		rc = walk_tsk(ev->fd, NULL, ev->size, t->offset, &wo, out, &st, err, sizeof err);
		if (rc && pr.kind == FX_FS_UNKNOWN && t->partition && t->length < (16u << 20)) {
			/* a small partition with nothing on it (BIOS boot): not a failure */
			method = "none";
		} else if (rc) {
			*failed = 1;
		} else {
			json_array_append_new(cannot, json_string(
				"content of deleted files (listed by name and inode, not hashed)"));
			if (pr.journal != FX_J_NONE)
				json_array_append_new(cannot, json_string(
					"writes that live only in the journal (libtsk does not replay it)"));
		}
	}
	fx_journal j = pr.kind == FX_FS_XFS ? st.journal : pr.journal;
	jset(fs, "type", json_string(pr.name[0] ? pr.name : st.fstype[0] ? st.fstype : "unknown"));
	if (st.fstype[0])
		jset(fs, "libtsk_type", json_string(st.fstype));
	if (pr.label[0])
		jset(fs, "label", json_string(pr.label));
	if (pr.features[0])
		jset(fs, "features", json_string(pr.features));
	jset(fs, "method", json_string(method));
	jset(fs, "journal", json_string(fx_journal_name(j)));
	if (j == FX_J_DIRTY)
		jset(fs, "journal_note", json_string(
			"the journal holds writes not yet applied: the attacker's last changes may "
			"be only there (the snapshot is crash-consistent)"));
	jset(fs, "cannot_see", cannot);
	jset(fs, "entries", json_integer((json_int_t)st.entries));
	jset(fs, "files", json_integer((json_int_t)st.files));
	jset(fs, "dirs", json_integer((json_int_t)st.dirs));
	jset(fs, "symlinks", json_integer((json_int_t)st.links));
	jset(fs, "special", json_integer((json_int_t)st.specials));
	jset(fs, "deleted", json_integer((json_int_t)st.deleted));
	jset(fs, "files_hashed", json_integer((json_int_t)st.hashed));
	jset(fs, "hash_errors", json_integer((json_int_t)st.hash_errors));
	jset(fs, "bytes_hashed", json_integer((json_int_t)st.bytes_hashed));
	jset(fs, "sha256_engine", json_string(sha2x_accelerated() ? "sha-ni, two files per core"
	                                                          : "openssl"));
	jset(fs, "walk_errors", json_integer((json_int_t)st.errors));
	if (st.warn[0])
		jset(fs, "walk_warnings", json_string(st.warn));
	jset(fs, "seconds", json_real(st.seconds));
	if (err[0] && (rc || !strcmp(method, "none")))
		jset(fs, rc && strcmp(method, "none") ? "error" : "note", json_string(err));
	if (rc)
		say("file system %d: %s", index, err);
	else if (strcmp(method, "none"))
		say("file system %d: %" PRIu64 " entries, %" PRIu64 " files hashed (%" PRIu64
		    " bytes) in %.2f s", index, st.entries, st.hashed, st.bytes_hashed, st.seconds);
	return fs;
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

/* Walk every file system of ev (or just o->partition) into out. */
static sg_err walk_device(const evid *ev, const exam_opts *o, fx_list *out, json_t *evj,
                          int *failed, char *err, size_t errlen)
{
	fx_part_table *pt = calloc(1, sizeof *pt);
	if (!pt)
		return SG_ERR_NOMEM;
	rd_ctx rc_ = {ev, err, errlen};
	sg_err rc = fx_part_read(rd_evid, &rc_, ev->size, pt);
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
		if (o->partition) {
			snprintf(err, errlen, "--partition %d: the device has no partition table",
			         o->partition);
			json_decref(fss);
			free(pt);
			return SG_ERR_NOTFOUND;
		}
		targets[nt++] = (fs_target){0, 0, ev->size};
	} else {
		for (size_t i = 0; i < pt->n; i++)
			if (!o->partition || (int)pt->v[i].num == o->partition)
				targets[nt++] = (fs_target){(int)pt->v[i].num, pt->v[i].start, pt->v[i].length};
		if (!nt) {
			snprintf(err, errlen, "partition %d not found", o->partition);
			json_decref(fss);
			free(pt);
			return SG_ERR_NOTFOUND;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		char prefix[16] = "";
		if (pt->scheme != FX_PT_NONE && !o->partition)
			snprintf(prefix, sizeof prefix, "p%d:", targets[i].partition);
		json_array_append_new(fss, walk_one(ev, &targets[i], (int)i, prefix, o->workers, out,
		                                    failed));
	}
	jset(evj, "filesystems", fss);
	free(pt);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_entry);
	return SG_OK;
}

/* ---- outputs ---- */

typedef sg_err (*line_fn)(fx_buf *out, const fx_entry *e);

static sg_err write_list(const char *dir, const char *name, const fx_list *l, fx_buf *head,
                         line_fn fn, char hex[FX_SHA256_HEX], char *err, size_t errlen)
{
	outf f;
	fx_buf b = {0};
	sg_err rc = outf_open(&f, dir, name, err, errlen);
	if (rc)
		return rc;
	if (head && head->len)
		rc = fx_buf_add(&b, head->p, head->len);
	for (size_t i = 0; i < l->n && !rc; i++) {
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

static sg_err write_outputs(const char *dir, const char *label, const char *source,
                            const char *argv_text, const fx_list *l, json_t *outs, char *err,
                            size_t errlen)
{
	char hex[FX_SHA256_HEX];
	fx_buf head = {0};
	sg_err rc = fx_manifest_header(&head, label, source);
	if (!rc)
		rc = write_list(dir, "manifest.jsonl", l, &head, fx_manifest_line, hex, err, errlen);
	if (!rc)
		jset(outs, "manifest", out_json(dir, "manifest.jsonl", hex));
	fx_buf_reset(&head);
	if (!rc)
		rc = fx_hashdeep_header(&head, argv_text);
	if (!rc)
		rc = write_list(dir, "manifest.hashdeep", l, &head, fx_hashdeep_line, hex, err, errlen);
	if (!rc)
		jset(outs, "hashdeep", out_json(dir, "manifest.hashdeep", hex));
	if (!rc)
		rc = write_list(dir, "bodyfile", l, NULL, fx_bodyfile_line, hex, err, errlen);
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
	char try[96];
	snprintf(try, sizeof try, "%s", buf);
	for (int k = 2; json_object_get(used, try) && k < 1000; k++)
		snprintf(try, sizeof try, "%s-%d", buf, k);
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

/* ---- examine ---- */

int exam_run(const exam_opts *o)
{
	char err[ERRLEN] = "", when[40], me[300], clog_buf[4096];
	json_t *report = json_object(), *evs = json_array(), *warnings = json_array();
	json_t *result_ev = json_array(), *labels = json_object();
	fx_list base;
	fx_list_init(&base, MAX_ENTRIES);
	int have_base = 0, content_only = 0, status = 0, any_findings = 0;
	const char *bformat = NULL;
	char bhex[FX_SHA256_HEX] = "", head[FX_SHA256_HEX] = "";
	size_t total_findings = 0;
	const char *who = who_of(o, me, sizeof me);
	const char *clog = o->custody_log;
	char *abs = NULL;

	if (mount_ns_private(err, sizeof err)) {
		say("%s; XFS file systems cannot be mounted", err);
		json_array_append_new(warnings, json_string(err));
		err[0] = 0;
	}
	if (dir_is_empty_or_create(o->out_dir, err, sizeof err)) {
		status = 2;
		goto done;
	}
	/* report the absolute location: the responder records it */
	abs = realpath(o->out_dir, NULL);
	exam_opts oc = *o;
	if (abs)
		oc.out_dir = abs;
	o = &oc;
	if (!clog) {
		snprintf(clog_buf, sizeof clog_buf, "%s/custody.log", o->out_dir);
		clog = clog_buf;
	}
	if (o->baseline) {
		if (load_baseline(o->baseline, o->baseline_strip, &base, &content_only, bhex, &bformat,
		                  err, sizeof err)) {
			status = 2;
			goto done;
		}
		have_base = 1;
		say("baseline %s: %s, %zu entries", o->baseline, bformat, base.n);
	}
	custlog_now(when, sizeof when);
	jset(report, "format", json_string("ssrfguard-forensics-report"));
	jset(report, "version", json_integer(1));
	jset(report, "tool", json_string("ssrfguard " SSRFGUARD_VERSION));
	jset(report, "incident", jstr_or_null(o->incident));
	jset(report, "examiner", json_string(who));
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	jset(report, "host", json_string(host));
	jset(report, "command", jstr_or_null(o->argv_text));
	jset(report, "started", json_string(when));

	for (size_t si = 0; si < o->nsrc; si++) {
		const exam_source *s = &o->src[si];
		char label[96], dir[4096], subject[4608];
		make_label(s, label, sizeof label, labels);
		snprintf(dir, sizeof dir, "%s/%s", o->out_dir, label);
		snprintf(subject, sizeof subject, "%s%s%s (%s)", o->incident ? o->incident : "",
		         o->incident ? " " : "", label, s->device);
		json_t *evj = json_object();
		json_array_append_new(evs, evj);
		jset(evj, "label", json_string(label));
		jset(evj, "device", json_string(s->device));
		jset(evj, "volume_id", jstr_or_null(s->volume_id));
		if (s->info)
			jset(evj, "source", json_incref(s->info));
		evid ev;
		fx_list cur;
		fx_list_init(&cur, MAX_ENTRIES);
		fx_diff diff;
		memset(&diff, 0, sizeof diff);
		int failed = 0;
		char devhex[FX_SHA256_HEX] = "";
		say("examining %s (%s)", s->device, label);
		if (evid_open(s->device, &ev, err, sizeof err)) {
			jset(evj, "error", json_string(err));
			status = 2;
			goto next;
		}
		jset(evj, "size", json_integer((json_int_t)ev.size));
		jset(evj, "kind", json_string(ev.is_blockdev ? "block device" : "image file"));
		jset(evj, "locked", json_true());
		{
			fx_custody_hash h[1] = {{"baseline_sha256", bhex}};
			if (custlog_append(clog, who, "examine-start", subject, h, have_base ? 1 : 0, head,
			                   err, sizeof err)) {
				jset(evj, "error", json_string(err));
				status = 2;
				goto next;
			}
		}
		if (dir_is_empty_or_create(dir, err, sizeof err)) {
			jset(evj, "error", json_string(err));
			status = 2;
			goto next;
		}
		if (!o->no_device_hash) {
			outf wf;
			acq_result ar;
			char whex[FX_SHA256_HEX];
			say("acquisition hash of %" PRIu64 " bytes", ev.size);
			sg_err rc = outf_open(&wf, dir, "windows.txt", err, sizeof err);
			if (!rc)
				rc = acq_hash(&ev, 1u << 20, &wf, &ar, err, sizeof err);
			if (!rc)
				rc = outf_commit(&wf, whex, err, sizeof err);
			if (rc) {
				outf_abort(&wf);
				jset(evj, "error", json_string(err));
				status = 2;
				goto next;
			}
			sg_hex_encode(ar.sha256, FX_SHA256_LEN, devhex);
			jset(evj, "sha256", json_string(devhex));
			jset(evj, "window_size", json_integer(1 << 20));
			jset(evj, "windows", json_integer((json_int_t)ar.windows));
			jset(evj, "windows_file", out_json(dir, "windows.txt", whex));
			jset(evj, "acquisition_seconds", json_real(ar.seconds));
			say("acquisition sha256 %s (%.2f s, %.0f MB/s)", devhex, ar.seconds,
			    ar.seconds > 0 ? (double)ev.size / ar.seconds / 1e6 : 0.0);
			fx_custody_hash h[2] = {{"device_sha256", devhex}, {"windows_sha256", whex}};
			if (custlog_append(clog, who, "acquired", subject, h, 2, head, err, sizeof err)) {
				jset(evj, "error", json_string(err));
				status = 2;
				goto next;
			}
		}
		if (walk_device(&ev, o, &cur, evj, &failed, err, sizeof err)) {
			jset(evj, "error", json_string(err));
			status = 2;
			goto next;
		}
		if (failed) {
			snprintf(err, sizeof err, "%s: a file system could not be read completely "
			         "(see the report)", label);
			jset(evj, "error", json_string(err));
			status = 2;
		}
		if (have_base) {
			if (fx_diff_run(&base, &cur, content_only, &diff)) {
				snprintf(err, sizeof err, "out of memory comparing with the baseline");
				status = 2;
				goto next;
			}
			json_t *bj = json_object();
			jset(bj, "path", json_string(o->baseline));
			jset(bj, "sha256", json_string(bhex));
			jset(bj, "format", json_string(bformat));
			jset(bj, "entries", json_integer((json_int_t)base.n));
			jset(evj, "baseline", bj);
			jset(evj, "summary", fx_summary_json(&diff));
			jset(evj, "findings", fx_findings_json(&diff, 0));
			total_findings += diff.n;
			if (diff.n)
				any_findings = 1;
			say("%zu findings (%zu of special interest)", diff.n, diff.interesting);
		}
		jset(evj, "timeline", fx_timeline_json(&cur, o->timeline));
		{
			json_t *outs = json_object();
			char e2[ERRLEN] = "";
			if (write_outputs(dir, label, s->device, o->argv_text, &cur, outs, e2, sizeof e2)) {
				snprintf(err, sizeof err, "%s", e2);
				json_decref(outs);
				status = 2;
				goto next;
			}
			jset(evj, "outputs", outs);
			json_t *r = json_object();
			jset(r, "label", json_string(label));
			jset(r, "device", json_string(s->device));
			jset(r, "device_sha256", devhex[0] ? json_string(devhex) : json_null());
			jset(r, "manifest", json_incref(json_object_get(json_object_get(outs, "manifest"), "path")));
			jset(r, "manifest_sha256",
			     json_incref(json_object_get(json_object_get(outs, "manifest"), "sha256")));
			json_array_append_new(result_ev, r);
		}
	next:
		if (status == 2 && err[0])
			json_array_append_new(warnings, json_string(err));
		fx_diff_free(&diff);
		fx_list_free(&cur);
		evid_close(&ev);
		if (status == 2 && json_object_get(evj, "error") == NULL && err[0])
			jset(evj, "error", json_string(err));
	}

	custlog_now(when, sizeof when);
	jset(report, "finished", json_string(when));
	jset(report, "evidence", json_incref(evs));
	jset(report, "warnings", json_incref(warnings));
	{
		char *js = json_dumps(report, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fx_buf md = {0};
		char rhex[FX_SHA256_HEX], mhex[FX_SHA256_HEX], e2[ERRLEN] = "";
		int ok = js && fx_report_markdown(report, &md) == SG_OK;
		if (!ok) {
			snprintf(err, sizeof err, "out of memory rendering the report");
			status = 2;
		} else if (write_text(o->out_dir, "report.json", js, strlen(js), rhex, e2, sizeof e2) ||
		           write_text(o->out_dir, "report.md", md.p, md.len, mhex, e2, sizeof e2)) {
			snprintf(err, sizeof err, "%s", e2);
			status = 2;
		} else {
			fx_custody_hash h[2] = {{"report_json_sha256", rhex}, {"report_md_sha256", mhex}};
			char subject[512];
			snprintf(subject, sizeof subject, "%s%sreport %s/report.json",
			         o->incident ? o->incident : "", o->incident ? " " : "", o->out_dir);
			if (custlog_append(clog, who, status ? "examine-failed" : "examine-done", subject, h,
			                   2, head, e2, sizeof e2)) {
				snprintf(err, sizeof err, "%s", e2);
				status = 2;
			}
			json_t *res = json_object();
			char p[4096];
			jset(res, "status", json_string(status ? "error" : "ok"));
			if (status)
				jset(res, "error", json_string(err[0] ? err : "examination incomplete"));
			jset(res, "incident", jstr_or_null(o->incident));
			snprintf(p, sizeof p, "%s/report.json", o->out_dir);
			jset(res, "report", json_string(p));
			jset(res, "report_sha256", json_string(rhex));
			snprintf(p, sizeof p, "%s/report.md", o->out_dir);
			jset(res, "report_md", json_string(p));
			jset(res, "report_md_sha256", json_string(mhex));
			jset(res, "evidence", json_incref(result_ev));
			jset(res, "findings", json_integer((json_int_t)total_findings));
			jset(res, "custody_log", json_string(clog));
			jset(res, "custody_head", json_string(head));
			char *line = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (line)
				printf("%s\n", line);
			free(line);
			json_decref(res);
			if (status)
				fprintf(stderr, "ssrfguard forensics: %s\n", err[0] ? err : "examination incomplete");
			free(js);
			fx_buf_free(&md);
			goto out;
		}
		free(js);
		fx_buf_free(&md);
	}
done:
	print_error(err[0] ? err : "examination failed");
	status = 2;
out:
	fflush(stdout);
	json_decref(report);
	json_decref(evs);
	json_decref(warnings);
	json_decref(result_ev);
	json_decref(labels);
	fx_list_free(&base);
	free(abs);
	if (status == 0 && any_findings && o->fail_on_findings)
		status = 1;
	return status;
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
	int failed = 0, status = 2;
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
	if (walk_device(&ev, o, &cur, evj, &failed, err, sizeof err))
		goto fail;
	if (failed) {
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
		rc = write_list(dir, name, &cur, &head_b,
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
		                   head, err, sizeof err))
			goto fail;
	}
	json_t *res = json_object();
	jset(res, "status", json_string("ok"));
	jset(res, "baseline", json_string(o->out_file));
	jset(res, "sha256", json_string(hex));
	jset(res, "entries", json_integer((json_int_t)cur.n));
	jset(res, "filesystems", json_incref(json_object_get(evj, "filesystems")));
	char *line = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line)
		printf("%s\n", line);
	free(line);
	json_decref(res);
	status = 0;
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
