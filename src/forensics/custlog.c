/* custlog.c — custody log file I/O under flock (see custlog.h). */
#include "forensics/custlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/jsonload.h"

#define CUSTLOG_MAX (256u << 20)
#define RECORD_DEPTH_MAX 64u /* a report's nesting, with room to spare */

void custlog_whoami(char *buf, size_t len)
{
	char host[256] = "?";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = 0;
	struct passwd pw, *res = NULL;
	char pwbuf[1024];
	const char *user = "?";
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
		user = res->pw_name;
	snprintf(buf, len, "%s@%s", user, host);
}

void custlog_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         ts.tv_nsec / 1000000);
}

static sg_err read_all(int fd, const char *path, sg_buf *b, char *err, size_t errlen)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return SG_ERR_IO;
		}
		if (n == 0)
			return SG_OK;
		if (b->len + (size_t)n > CUSTLOG_MAX) {
			snprintf(err, errlen, "%s: larger than %u MiB", path, CUSTLOG_MAX >> 20);
			return SG_ERR_RANGE;
		}
		sg_err e = sg_buf_append(b, chunk, (size_t)n);
		if (e)
			return e;
	}
}

sg_err custlog_append(const char *path, const char *who, const char *action,
                      const char *subject, const fx_custody_hash *hashes, size_t n,
                      char head[FX_SHA256_HEX], uint64_t *entries, char *err, size_t errlen)
{
	sg_buf text = {0}, line = {0};
	fx_custody_state st;
	char me[300], now[40];
	uint8_t newhead[FX_SHA256_LEN];
	sg_err rc;
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "custody log %s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	if (flock(fd, LOCK_EX) != 0) {
		snprintf(err, errlen, "custody log %s: flock: %s", path, strerror(errno));
		rc = SG_ERR_IO;
		goto done;
	}
	if ((rc = read_all(fd, path, &text, err, errlen)))
		goto done;
	rc = fx_custody_verify(text.p ? text.p : "", text.len, &st);
	if (rc) {
		snprintf(err, errlen, "custody log %s is broken (%s); refusing to append", path,
		         st.msg);
		rc = SG_ERR_CORRUPT;
		goto done;
	}
	if (!who) {
		custlog_whoami(me, sizeof me);
		who = me;
	}
	custlog_now(now, sizeof now);
	if ((rc = fx_custody_entry(&line, &st, now, who, action, subject, hashes, n, newhead))) {
		snprintf(err, errlen, "custody entry: %s", sg_strerror(rc));
		goto done;
	}
	size_t off = 0;
	while (off < line.len) {
		ssize_t w = write(fd, line.p + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			snprintf(err, errlen, "custody log %s: %s%s", path, strerror(e),
			         e == ENOSPC ? " (disk full)" : "");
			/* take back a partial line so the chain stays verifiable */
			if (off && ftruncate(fd, (off_t)text.len) != 0)
				(void)0;
			rc = SG_ERR_IO;
			goto done;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0) {
		snprintf(err, errlen, "custody log %s: fsync: %s", path, strerror(errno));
		rc = SG_ERR_IO;
		goto done;
	}
	sg_hex_encode(newhead, FX_SHA256_LEN, head);
	if (entries)
		*entries = st.entries + 1;
	rc = SG_OK;
done:
	close(fd);
	sg_buf_free(&text);
	sg_buf_free(&line);
	return rc;
}

sg_err custlog_verify(const char *path, const fx_custody_anchor *anchor, fx_custody_state *st,
                      char *err, size_t errlen)
{
	sg_buf text = {0};
	memset(st, 0, sizeof *st);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	sg_err rc = SG_OK;
	if (flock(fd, LOCK_SH) != 0) {
		snprintf(err, errlen, "%s: flock: %s", path, strerror(errno));
		rc = SG_ERR_IO;
	}
	if (!rc)
		rc = read_all(fd, path, &text, err, errlen);
	close(fd);
	if (!rc) {
		rc = fx_custody_verify(text.p ? text.p : "", text.len, st);
		if (rc)
			snprintf(err, errlen, "%s: %s", path, st->msg);
		if (!rc && anchor) {
			char msg[200];
			rc = fx_custody_check_anchor(text.p ? text.p : "", text.len, anchor, msg, sizeof msg);
			if (rc)
				snprintf(err, errlen, "%s: %s", path, msg);
		}
	}
	sg_buf_free(&text);
	return rc;
}

/* What the entry that logs the record must say: examine.c logs a report
 * as examine-done/-incomplete/-failed (its status) and an anchor object as
 * custody-anchored, by the record's examiner, after the record's time. */
static void logged_by(const json_t *r, int anchor, fx_custody_anchor *a)
{
	const char *st = json_string_value(json_object_get(r, "status"));
	const char *action = anchor ? "custody-anchored"
	                     : !st ? "" : !strcmp(st, "complete") ? "examine-done"
	                     : !strcmp(st, "incomplete") ? "examine-incomplete"
	                     : !strcmp(st, "failed") ? "examine-failed" : "";
	const char *who = json_string_value(json_object_get(r, "examiner"));
	const char *when = json_string_value(json_object_get(r, anchor ? "time" : "finished"));
	snprintf(a->action, sizeof a->action, "%s", action);
	snprintf(a->who, sizeof a->who, "%s", who && strlen(who) < sizeof a->who ? who : "");
	snprintf(a->not_before, sizeof a->not_before, "%s",
	         when && strlen(when) < sizeof a->not_before ? when : "");
}

sg_err custlog_anchor_from_file(const char *path, fx_custody_anchor *a, char *err,
                                size_t errlen)
{
	memset(a, 0, sizeof *a);
	sg_buf text = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	sg_err rc = read_all(fd, path, &text, err, errlen);
	close(fd);
	uint8_t md[FX_SHA256_LEN];
	if (!rc && !(rc = fx_sha256(text.p ? text.p : "", text.len, md)))
		sg_hex_encode(md, FX_SHA256_LEN, a->report_sha256);
	json_t *r = NULL;
	char why[160];
	if (!rc && sg_json_load_bounded(text.p, text.len, CUSTLOG_MAX, RECORD_DEPTH_MAX, "record",
	                                &r, why, sizeof why)) {
		/* a duplicate key too: the record may not name two heads */
		snprintf(err, errlen, "%s: %s", path, why);
		rc = SG_ERR_PARSE;
	}
	const char *format = json_string_value(json_object_get(r, "format"));
	int anchor = format && !strcmp(format, "ssrfguard-custody-anchor");
	json_t *c = anchor ? r : json_object_get(r, "custody");
	const char *head = json_string_value(
		json_object_get(c, anchor ? "custody_head" : "head_before_report"));
	json_t *n = json_object_get(c, anchor ? "custody_entries" : "entries_before_report");
	if (!rc && (!head || strlen(head) != FX_SHA256_HEX - 1 || !json_is_integer(n) ||
	            json_integer_value(n) < 1)) {
		snprintf(err, errlen, "%s: neither a report nor an anchor that records the custody "
		         "log's head", path);
		rc = SG_ERR_PARSE;
	}
	a->logged_as = anchor ? "anchor_sha256" : "report_json_sha256";
	if (!rc)
		logged_by(r, anchor, a);
	if (!rc) {
		memcpy(a->head, head, FX_SHA256_HEX);
		a->entries = (uint64_t)json_integer_value(n);
	}
	json_decref(r);
	sg_buf_free(&text);
	return rc;
}
