/*
 * examine.h — one examination: evidence in, report/manifest/bodyfile and
 * custody entries out.  Used by cli/cmd_forensics.c.
 *
 * exam_run() examines each source in order (see docs/forensics.md for
 * every output), prints the one-line JSON result on stdout and returns the
 * process exit status (0 done, 1 findings with fail_on_findings, 2 error).
 * exam_baseline() walks one source and writes its manifest (JSON lines or
 * hashdeep) to o->out_file.  Both must run before any other thread exists
 * (XFS needs a private mount namespace, entered here).
 */
#ifndef SSRFGUARD_FORENSICS_EXAMINE_H
#define SSRFGUARD_FORENSICS_EXAMINE_H

#include <jansson.h>

#include "forensics/anchor.h"
#include "ssrfguard/error.h"

typedef struct exam_source {
	char *device;     /* path of the block device or image */
	char *volume_id;  /* "vol-…" or NULL */
	json_t *info;     /* extra facts for the report (evidence manifest), or NULL */
} exam_source;

typedef struct exam_opts {
	const char *incident;
	const char *baseline;        /* file, or NULL */
	const char *baseline_strip;  /* prefix to strip from hashdeep names */
	const char *out_dir;         /* examine */
	const char *out_file;        /* baseline */
	int hashdeep_format;         /* baseline: write hashdeep instead of JSON lines */
	const char *custody_log;     /* NULL: out_dir/custody.log (examine) or none (baseline) */
	const char *examiner;        /* NULL: user@host */
	const char *argv_text;       /* the command line, for the record */
	int partition;               /* 0: every file system; N: only partition N */
	unsigned workers;
	int no_device_hash;
	int fail_on_findings;
	int progress;                /* -1: on stderr when it is a terminal; 0 never; 1 always */
	size_t timeline;
	anchor_opts anchor;          /* the evidence bucket for the custody head (anchor.h) */
	exam_source *src;
	size_t nsrc;
} exam_opts;

int exam_run(const exam_opts *o);
int exam_baseline(const exam_opts *o);

#endif
