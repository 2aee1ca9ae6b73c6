/*
 * examine.h — one examination: evidence in, report/manifest/bodyfile and
 * custody entries out.  Used by cli/cmd_forensics.c.
 *
 * exam_run() examines each source in order (see docs/forensics.md for
 * every output), prints the one-line JSON result on stdout and returns the
 * process exit status (0 done, 1 findings with fail_on_findings, 2 error —
 * a YARA rule that does not compile among them, before anything is read —,
 * 3 incomplete).
 * exam_baseline() walks one source and writes its manifest (JSON lines or
 * hashdeep) to o->out_file.  Both must run before any other thread exists
 * (XFS needs a private mount namespace, entered here).
 */
#ifndef SSRFGUARD_FORENSICS_EXAMINE_H
#define SSRFGUARD_FORENSICS_EXAMINE_H

#include <stdint.h>

#include <jansson.h>

#include "forensics/anchor.h"
#include "ssrfguard/error.h"

typedef struct exam_source {
	char *device;     /* path of the block device or image */
	char *volume_id;  /* "vol-…" or NULL */
	json_t *info;     /* extra facts for the report (evidence manifest or tags; its
	                     "incident_time", when present, dates the incident), or NULL */
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
	int hash_windows;            /* also a SHA-256 of each 1 MiB of the device (windows.txt) */
	int fail_on_findings;
	int progress;                /* -1: on stderr when it is a terminal; 0 never; 1 always */
	size_t timeline;
	anchor_opts anchor;          /* the evidence bucket for the custody head (anchor.h) */
	/* YARA (docs/forensics.md): scope 0 off, 1 changed, 2 all (fx_scan_scope) */
	int yara_scope;
	int yara_shipped;             /* compile the shipped ruleset (yara_shipped_dir) */
	const char *yara_shipped_dir; /* NULL: the installed or build tree's rules/yara */
	const char *const *yara_rules; /* user rule files or directories */
	size_t nyara_rules;
	uint64_t yara_max_file;       /* bytes of one file scanned at most */
	int yara_timeout;             /* seconds per file */
	/* the timeline around the incident */
	int64_t incident_time;        /* seconds since the epoch; INT64_MIN: from the tags */
	unsigned window_hours;        /* how far before it (0: no window) */
	size_t window_max;            /* events listed at most */
	exam_source *src;
	size_t nsrc;
} exam_opts;

int exam_run(const exam_opts *o);

int exam_baseline(const exam_opts *o);

#endif
