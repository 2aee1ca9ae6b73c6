/*
 * custody.h — the chain-of-custody log: JSON lines, each carrying the
 * SHA-256 of the previous line.
 *
 * Entry: {"seq":N,"time":"…Z","who":"…","action":"…","subject":"…",
 *         "hashes":{"name":"hex",…},"prev":"hex"} and a '\n'.  seq starts
 * at 1; prev is the SHA-256 of the previous line's exact bytes (without
 * its '\n'), 64 zeros for the first.  An entry's own hash is the SHA-256
 * of its line; the log's head is the last entry's hash.
 *
 * Pure: the caller supplies the time and does the file I/O and locking
 * (src/forensics/custody_log.c).
 */
#ifndef SSRFGUARD_FX_CUSTODY_H
#define SSRFGUARD_FX_CUSTODY_H

#include "forensics/fx.h"

#define FX_CUSTODY_MAX_HASHES 16

typedef struct fx_custody_hash {
	const char *name;
	const char *hex; /* any text; normally 64 hex digits */
} fx_custody_hash;

typedef struct fx_custody_state {
	uint64_t entries;            /* number of valid entries */
	uint8_t head[FX_SHA256_LEN]; /* hash of the last entry (zeros if none) */
	uint64_t bad_line;           /* first bad line (1-based), 0 if none */
	char msg[160];               /* what is wrong, "" if nothing */
} fx_custody_state;

/*
 * Check a whole log (len bytes).  SG_OK: every line is well formed and
 * chained; st holds the count and head.  SG_ERR_CORRUPT: the chain is
 * broken (edited, inserted, removed or reordered lines; a torn last line);
 * SG_ERR_PARSE: a line is not a custody entry.  st->bad_line and st->msg
 * say where and what.  An empty log is valid (0 entries).
 */
sg_err fx_custody_verify(const char *text, size_t len, fx_custody_state *st);

/* What a record kept outside the log says of it: an examination's report
 * (its "custody" object: the head and entry count just before the report
 * was logged), or the anchor object in the evidence bucket (the head it
 * anchors); and the hash name under which a later entry logs that record. */
typedef struct fx_custody_anchor {
	uint64_t entries;
	char head[FX_SHA256_HEX];
	char report_sha256[FX_SHA256_HEX]; /* of the record file itself */
	const char *logged_as;             /* NULL: "report_json_sha256" */
	/* what the entry that logs it must say ("": not checked) */
	char action[32];                   /* e.g. "examine-done" */
	char who[256];                     /* the examiner */
	char not_before[40];               /* its time is this or later (same format) */
} fx_custody_anchor;

/*
 * After fx_custody_verify() accepted text: is entry a->entries the one
 * whose hash is a->head, and does a later entry record the file
 * (hashes.<logged_as> == a->report_sha256) with the action, examiner and
 * time the record implies?  SG_ERR_CORRUPT (msg says which) when not: lines
 * were replaced or removed after the record was written, the entry that
 * logs it was edited, or the record was replaced.
 */
sg_err fx_custody_check_anchor(const char *text, size_t len, const fx_custody_anchor *a,
                               char *msg, size_t msglen);

/*
 * Append the next entry after st (as returned by fx_custody_verify) to out,
 * with its '\n'; the new head goes to new_head (may be NULL).  Strings may
 * be NULL (written as "").  At most FX_CUSTODY_MAX_HASHES hashes.
 */
sg_err fx_custody_entry(sg_buf *out, const fx_custody_state *st, const char *time,
                        const char *who, const char *action, const char *subject,
                        const fx_custody_hash *hashes, size_t nhashes,
                        uint8_t new_head[FX_SHA256_LEN]);

#endif
