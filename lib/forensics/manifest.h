/*
 * manifest.h — the manifest as JSON lines, and hashdeep known-file lists.
 *
 * Manifest: a header object {"format":"ssrfguard-forensics-manifest",
 * "version":1, ...} then one object per entry (docs/forensics.md).  Paths
 * and targets are escaped (escape.h); times are "SEC.NSEC" strings.
 *
 * hashdeep: "%%%% HASHDEEP-1.0", "%%%% size,sha256,filename", "##" comment
 * lines, then "SIZE,SHA256,FILENAME" lines.  We write filenames as "." +
 * escaped path so `hashdeep -l -r .` run from the root of a mounted copy
 * names files the same way.  The reader accepts any column set that holds
 * size, sha256 and filename (filename last, as hashdeep writes it), strips
 * one leading "." or a caller-given prefix, and unescapes names we wrote.
 *
 * Parsers take (text, len) of untrusted input and enforce FX_LINE_MAX per
 * line and the list's max entries; on error err (errlen > 0) names the line.
 */
#ifndef SSRFGUARD_FX_MANIFEST_H
#define SSRFGUARD_FX_MANIFEST_H

#include "forensics/fx.h"

#define FX_LINE_MAX (1u << 20)

/* Append one entry's JSON line (with '\n'). */
sg_err fx_manifest_line(sg_buf *out, const fx_entry *e);
/* The same with extra (",\"key\":value…", well-formed JSON members the
 * caller made; NULL for none) before the closing brace: what the
 * examination adds to an entry (its YARA matches).  The parser ignores
 * members it does not know. */
sg_err fx_manifest_line_extra(sg_buf *out, const fx_entry *e, const char *extra);

/* Append the header line; label and source are free text (may be NULL). */
sg_err fx_manifest_header(sg_buf *out, const char *label, const char *source);

/* Parse a whole manifest into out (an initialised list). */
sg_err fx_manifest_parse(const char *text, size_t len, fx_list *out,
                         char *err, size_t errlen);

/* Append the hashdeep header; invocation (may be NULL) goes in a ## line. */
sg_err fx_hashdeep_header(sg_buf *out, const char *invocation);
/* Append a line for e (only regular files with a hash; others: no-op):
 * "size,sha256,./path" with the path's bytes raw, as hashdeep writes them
 * (so `hashdeep -a -k` audits a mounted copy with it), without the "pN:"
 * partition prefix. */
sg_err fx_hashdeep_line(sg_buf *out, const fx_entry *e);

typedef struct fx_hashdeep_info {
	size_t joined;  /* records whose file name held a newline, put back together */
	size_t skipped; /* lines that were neither a record nor the rest of one */
	size_t first_skipped; /* the line number of the first of them */
	int escaped;    /* names were escaped (lists of ssrfguard before 0.2) */
} fx_hashdeep_info;

/*
 * Parse a hashdeep list into out: regular files with size and sha256,
 * has_meta = 0.  File names are raw bytes, as hashdeep writes them, except
 * in lists older versions of this tool wrote escaped (their header says
 * so).  A name holding a newline spans two lines (hashdeep writes it raw):
 * a line that is not a record continues the record before it (counted in
 * info->joined); other unreadable lines are counted and skipped, as
 * hashdeep's own audit does, never an error.  strip (may be NULL) is removed from the front of each
 * filename when present; then a leading "./" becomes "/", and a name not
 * starting with '/' gets one.
 */
sg_err fx_hashdeep_parse(const char *text, size_t len, const char *strip,
                         fx_list *out, fx_hashdeep_info *info, char *err, size_t errlen);

/* Is this text (its first bytes) a hashdeep list rather than a manifest? */
int fx_hashdeep_detect(const char *text, size_t len);

/*
 * Append the TSK 3 bodyfile line for e:
 * MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime
 * MD5 is "0"; name is escaped, " -> target" for links, " (deleted)" for
 * deleted names; times are whole seconds (0 when unknown).
 */
sg_err fx_bodyfile_line(sg_buf *out, const fx_entry *e);

/* "-rwxr-xr-x"-style mode string as fls writes it ("r/rrwxr-xr-x"). */
void fx_mode_string(const fx_entry *e, char out[16]);

#endif
