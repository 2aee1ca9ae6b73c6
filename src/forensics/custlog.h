/*
 * custlog.h — the chain-of-custody log file (format: lib/forensics/custody.h).
 *
 * custlog_append() opens (creating 0600) path, takes flock(LOCK_EX),
 * verifies the whole existing chain — a broken log is never appended to
 * (SG_ERR_CORRUPT) — appends one entry stamped with the current UTC time,
 * fsyncs, and returns the new head (hex) in head and the number of
 * entries in *entries (may be NULL).  who NULL means
 * "USER@HOST".  custlog_verify() reads path under flock(LOCK_SH).
 */
#ifndef SSRFGUARD_FORENSICS_CUSTLOG_H
#define SSRFGUARD_FORENSICS_CUSTLOG_H

#include "forensics/custody.h"

sg_err custlog_append(const char *path, const char *who, const char *action,
                      const char *subject, const fx_custody_hash *hashes, size_t n,
                      char head[FX_SHA256_HEX], uint64_t *entries, char *err, size_t errlen);

/* anchor (may be NULL): also check it (fx_custody_check_anchor). */
sg_err custlog_verify(const char *path, const fx_custody_anchor *anchor, fx_custody_state *st,
                      char *err, size_t errlen);

/* The anchor a record kept outside the log holds, and the record's own
 * hash: an examination's report.json ("custody": head and entries before
 * the report, logged as report_json_sha256) or the anchor object from the
 * evidence bucket (anchor.h: custody_head and custody_entries, logged as
 * anchor_sha256). */
sg_err custlog_anchor_from_file(const char *path, fx_custody_anchor *a, char *err,
                                size_t errlen);

/* "user@host" of this process, into buf. */
void custlog_whoami(char *buf, size_t len);

/* Now as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void custlog_now(char *buf, size_t len);

#endif
