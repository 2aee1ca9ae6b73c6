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
	sg_err wrc = walkdev_run(&ev, o->partition, o->workers, NULL, &pc, &cur, evj, &t, err,
	                         sizeof err);
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
	sg_buf head_b = {0};
	sg_err rc = o->hashdeep_format ? fx_hashdeep_header(&head_b, o->argv_text)
	                               : fx_manifest_header(&head_b, o->src[0].volume_id, o->src[0].device);
	if (!rc)
		rc = exam_write_list(dir, name, &cur, -1, &head_b,
		                o->hashdeep_format ? fx_hashdeep_line : fx_manifest_line, NULL, hex, err,
		                sizeof err);
	sg_buf_free(&head_b);
	free(dup);
	if (rc)
		goto fail;
	if (o->custody_log) {
		fx_custody_hash h[1] = {{"baseline_sha256", hex}};
		char subject[4608];
		snprintf(subject, sizeof subject, "baseline of %s to %s", o->src[0].device, o->out_file);
		if (custlog_append(o->custody_log, exam_who(o, me, sizeof me), "baseline", subject, h, 1,
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
	exam_print_error(err[0] ? err : "baseline failed");
out:
	fflush(stdout);
	evid_close(&ev);
	fx_list_free(&cur);
	json_decref(evj);
	return status;
}
