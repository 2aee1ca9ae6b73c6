/*
 * yscan.h — YARA rules over file contents (libyara).
 *
 * yscan_load() compiles the rule files of each path in order: a directory
 * gives its *.yar and *.yara files (by name, not recursive; hidden files
 * skipped), a file itself.  Each file is read once (at most YSCAN_RULEFILE_MAX
 * bytes), hashed, and compiled in a namespace named after it, so the report
 * can say exactly which rules ran ("rule_files": path, sha256, rules).
 * `include` is refused: a rules directory is the unit of a ruleset.
 *
 * A file that fails to compile is SG_ERR_PARSE with err
 * "yara rules FILE:LINE: MESSAGE" (the first error libyara reported; the
 * count of the others follows).  LINE is the error's: libyara notices an
 * undefined, unreferenced or duplicated name, or a type error, a token
 * after it (often at the rule's closing brace); such a line is found again
 * from the name the message quotes, or the end of the condition, and
 * " (noticed at line N)" follows the message (yscan_error_line).  A path that is neither a readable file
 * nor a directory is SG_ERR_NOTFOUND / SG_ERR_IO; a directory without
 * rules is SG_ERR_NOTFOUND.  Nothing is left allocated on error.
 *
 * Every rule may use the external variables
 *   filename   the file's last path component (raw bytes)
 *   filepath   its path in the image, partition prefix set aside
 *   extension  what follows the last '.' of filename, lower-case ("" none)
 *
 * yscan_scan() scans one file, all of it: its first in->limit bytes (all
 * in->size when the limit is not smaller) are read through in->read in
 * windows of YSCAN_WINDOW bytes, each overlapping the one before it by
 * YSCAN_OVERLAP bytes, and handed to libyara as the memory blocks of one
 * scan (yr_scanner_scan_mem_blocks): `filesize` is in->size, offsets are
 * the file's, a match libyara finds in two windows counts once, and as no
 * string match of libyara is longer than YR_RE_SCAN_LIMIT (4 KiB), every
 * match lies whole in some window.  A rule's condition may read a window
 * again (uint32(OFFSET)…).  Memory: one window, whatever the file's size.
 * It returns the matching rules as a JSON array (new reference; empty when
 * none):
 *   [{"rule","namespace","tags":[...],"meta":{"description":…,…},
 *     "strings":[{"id":"$a","offset":N,"length":N,"data":"escaped bytes"}]}]
 * At most YSCAN_SHOW_MATCHES matches per rule are listed, each with at most
 * YSCAN_SHOW_BYTES bytes of data, escaped (escape.h): the data came from
 * the attacker.  *res says whether the file was scanned to its end: what
 * was not (the limit, the per-scan timeout, a window that could not be
 * read, a string that matched more often than libyara keeps) is set there;
 * the matches found anyway are returned.  NULL: OOM or a libyara error
 * (err says which).
 *
 * yscan_mem() is yscan_scan() over a buffer: the whole of it.
 *
 * One yscan is used by one thread at a time.  yscan_free(NULL) is a no-op.
 */
#ifndef SSRFGUARD_FORENSICS_YSCAN_H
#define SSRFGUARD_FORENSICS_YSCAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ssrfguard/error.h"

#define YSCAN_RULEFILE_MAX (16u << 20)
#define YSCAN_RULEFILES_MAX 1000
#define YSCAN_SHOW_MATCHES 8
#define YSCAN_SHOW_BYTES 96
#define YSCAN_WINDOW (16u << 20)
#define YSCAN_OVERLAP (64u << 10)

typedef struct yscan yscan;

sg_err yscan_load(const char *const *paths, size_t npaths, int timeout_s, yscan **out,
                  char *err, size_t errlen);

size_t yscan_rule_count(const yscan *y);

/* The line of an error libyara reported at line noticed with message msg
 * in rule text text (NUL-terminated): see above; noticed when no better
 * line is found.  Pure; for the loader and its fuzz target. */
int yscan_error_line(const char *text, int noticed, const char *msg);

/* {"rule_files":[{"path","sha256","rules"}],"rules":N} (new reference). */
json_t *yscan_describe(const yscan *y);

/* Reads len bytes at off of the file into buf: 0, or -1 with *why set
 * (a short static reason). */
typedef int (*yscan_read_fn)(void *ctx, uint64_t off, uint8_t *buf, size_t len, const char **why);

typedef struct yscan_input {
	const char *path;      /* in the image, for the externals (raw bytes) */
	size_t path_len;
	uint64_t size;         /* the file's size: YARA's filesize */
	uint64_t limit;        /* scan its first limit bytes at most */
	yscan_read_fn read;
	void *ctx;
} yscan_input;

typedef struct yscan_result {
	uint64_t scanned;      /* bytes from the start handed to libyara */
	int cut;               /* the limit stopped it before the end */
	int timed_out;         /* libyara stopped at the timeout */
	const char *unreadable; /* why a window could not be read, or NULL */
	int too_many_matches;  /* a string matched more often than libyara keeps
	                          (YR_MAX_STRING_MATCHES): its later ones uncounted */
} yscan_result;

/* 1 when res says the file was scanned to its end with nothing lost. */
int yscan_whole(const yscan_result *res);

json_t *yscan_scan(yscan *y, const yscan_input *in, yscan_result *res, char *err, size_t errlen);
json_t *yscan_mem(yscan *y, const uint8_t *buf, size_t len, const char *path, size_t path_len,
                  yscan_result *res, char *err, size_t errlen);

void yscan_free(yscan *y);

#endif
