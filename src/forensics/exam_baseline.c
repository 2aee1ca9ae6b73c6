/* exam_baseline.c — write a baseline (see examine.h; reading one: baseline.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forensics/exam_int.h"
#include "forensics/manifest.h"
#include "forensics/walk.h"

/* Every file system of the one device into cur (evj: the walk's account of
 * each); -1 (err set) when the device cannot be read or a file system not
 * at all. */
static int baseline_walk(const exam_opts *o, evid *ev, fx_list *cur, json_t *evj,
                         walkdev_tally *t, char *err, size_t errlen)
{
	if (o->nsrc != 1) {
		snprintf(err, errlen, "baseline takes exactly one device");
		return -1;
	}
	if (evid_open(o->src[0].device, ev, err, errlen))
		return -1;
	progress_counters pc = {0};
	progress *prog = NULL;
	progress_start(&pc, o->progress, &prog);
	sg_err wrc = walkdev_run(ev, o->partition, o->workers, NULL, &pc, cur, evj, t, err, errlen);
	progress_stop(prog);
	if (wrc)
		return -1;
	if (t->failed) {
		snprintf(err, errlen, "a file system could not be read completely");
		return -1;
	}
	return 0;
}

/* The baseline file (manifest or hashdeep), written next to o->out_file and
 * renamed into place when complete; its SHA-256 into hex. */
static int baseline_write(const exam_opts *o, const fx_list *cur, char hex[FX_SHA256_HEX],
                          char *err, size_t errlen)
{
	char *dup = strdup(o->out_file);
	if (!dup) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char *slash = strrchr(dup, '/');
	const char *dir = ".", *name = dup;
	if (slash) {
		*slash = 0;
		dir = slash == dup ? "/" : dup;
		name = slash + 1;
	}
	sg_buf head = {0};
	sg_err rc = o->hashdeep_format
	                    ? fx_hashdeep_header(&head, o->argv_text)
	                    : fx_manifest_header(&head, o->src[0].volume_id, o->src[0].device);
	if (!rc)
		rc = exam_write_list(dir, name, cur, -1, &head,
		                     o->hashdeep_format ? fx_hashdeep_line : fx_manifest_line, NULL, hex,
		                     err, errlen);
	sg_buf_free(&head);
	free(dup);
	return rc ? -1 : 0;
}

/* The baseline's hash in the custody log, when there is one. */
static int baseline_record(const exam_opts *o, const char *hex, char *err, size_t errlen)
{
	if (!o->custody_log)
		return 0;
	char me[300], head[FX_SHA256_HEX], subject[4608];
	fx_custody_hash h[1] = {{"baseline_sha256", hex}};
	snprintf(subject, sizeof subject, "baseline of %s to %s", o->src[0].device, o->out_file);
	return custlog_append(o->custody_log, exam_who(o, me, sizeof me), "baseline", subject, h, 1,
	                      head, NULL, err, errlen) ? -1 : 0;
}

/* The result line; the exit status.  A baseline with gaps is written
 * (every later finding about the gaps is a false alarm, never a miss) but
 * not called ok. */
static int baseline_result_line(const exam_opts *o, const fx_list *cur, const json_t *evj,
                                const walkdev_tally *t, const char *hex)
{
	int incomplete = t->incomplete || !t->walked;
	json_t *res = json_object();
	jset(res, "status", json_string(incomplete ? "incomplete" : "ok"));
	jset(res, "baseline", json_string(o->out_file));
	jset(res, "sha256", json_string(hex));
	jset(res, "entries", json_integer((json_int_t)cur->n));
	jset(res, "filesystems", json_incref(json_object_get(evj, "filesystems")));
	char *line = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line)
		printf("%s\n", line);
	free(line);
	json_decref(res);
	if (incomplete)
		fprintf(stderr, "ssrfguard forensics: baseline INCOMPLETE: %s\n",
		        t->walked ? "a file system had walk or hash errors, or no entries (see "
		                    "\"filesystems\")" : "no file system could be walked");
	return incomplete ? 3 : 0;
}

int exam_baseline(const exam_opts *o)
{
	char err[ERRLEN] = "", hex[FX_SHA256_HEX];
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
	if (baseline_walk(o, &ev, &cur, evj, &t, err, sizeof err) ||
	    baseline_write(o, &cur, hex, err, sizeof err) || baseline_record(o, hex, err, sizeof err))
		exam_print_error(err[0] ? err : "baseline failed");
	else
		status = baseline_result_line(o, &cur, evj, &t, hex);
	fflush(stdout);
	evid_close(&ev);
	fx_list_free(&cur);
	json_decref(evj);
	return status;
}
