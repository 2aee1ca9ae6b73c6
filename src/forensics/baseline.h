/*
 * baseline.h — read the baseline an examination is compared with, its
 * parsing beside the acquisition.
 *
 * baseline_start() reads the whole file (at most 4 GiB) and takes its
 * SHA-256 at once, so a missing or unreadable baseline stops the
 * examination before any evidence is touched and the custody log's
 * "examine-start" can name the baseline's hash; the parsing (a manifest
 * of JSON lines, or a hashdeep list, told apart by its first bytes) goes
 * on on a thread of its own, beside the device hash and the walk, which
 * do not need it, into entries, which the caller leaves alone until
 * baseline_wait() has joined that thread and returned the parse error or
 * SG_OK (content_only: a hashdeep list, which has no metadata; warn, set
 * on success too, says what the examiner must know about a partly
 * unreadable hashdeep list).  baseline_free() also works on a baseline
 * never waited for (it joins the thread).
 */
#ifndef SSRFGUARD_FORENSICS_BASELINE_H
#define SSRFGUARD_FORENSICS_BASELINE_H

#include "forensics/fx.h"

typedef struct baseline baseline;

typedef struct baseline_result {
	int content_only;
	const char *format;  /* "manifest" or "hashdeep" */
	char warn[1024];     /* "" when nothing to say */
} baseline_result;

/* strip: prefix to strip from hashdeep names, or NULL (path and strip
 * must outlive the baseline).  hex: the file's SHA-256. */
sg_err baseline_start(const char *path, const char *strip, fx_list *entries,
                      char hex[FX_SHA256_HEX], baseline **out, char *err, size_t errlen);
sg_err baseline_wait(baseline *b, baseline_result *res, char *err, size_t errlen);
void baseline_free(baseline *b); /* NULL-safe */

#endif
