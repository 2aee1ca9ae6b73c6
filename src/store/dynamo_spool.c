/* dynamo_spool.c — the unsettled chunks of a DynamoDB store handle, kept in
 * a local file (store_opts.spool) so that a process that stops, or is
 * killed, with attempts whose transaction was never answered leaves them to
 * its next start instead of losing them.
 *
 * The file:
 *   ssrfguard-unsettled 1
 *   {"table":T,"token":K,"sent_ms":N,"acts":[...],"attempts":[...]}
 *   ...
 * one line per kept chunk: its TransactItems exactly as sent, its
 * ClientRequestToken, when it was first sent (wall clock), and each
 * attempt (its strings, hop, contain, observe, at_ms, join key and what the
 * plan said).  A chunk is appended and fdatasync'd the moment it is kept
 * (dd_keep_unsettled), before its caller hears it is unsettled; when
 * store_settle settles some, the file is rewritten (a temporary file,
 * fsync, rename, the directory fsync'd) to what is still kept, and removed
 * when nothing is.  A lock file beside it (PATH.lock, flock) keeps a second
 * process from sharing it: that one runs without a spool, and says so.
 *
 * Read back at open, each chunk is settled by store_settle as if this
 * handle had kept it: resent with its token within 9 minutes of its first
 * sending (DynamoDB honours the token for 10: API reference,
 * TransactWriteItems); after, its attempt item read back and, when absent,
 * sent again under a new token, which is in the file before it is sent
 * (dynamo_settle.c).  The file is read bounded (dd_spool_parse): a
 * version this ssrfguard does not know, a chunk of another table or a
 * malformed line fails the open, naming the file and line, so that nothing
 * in it is dropped unseen; only a last line cut short (a crash while it was
 * appended, before its caller was told anything) is left out, and said.
 */
#include "store/dynamo_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/jsonload.h"

#define SPOOL_VERSION_LINE "ssrfguard-unsettled 1\n"
#define SPOOL_MAGIC "ssrfguard-unsettled "
#define TOKEN_LEN 36

/* ---- writing ---- */

static json_t *attempt_json(const store_attempt_in *a, const char *key,
                            const store_record_out *p)
{
	json_t *o = json_pack("{s:I,s:i,s:b,s:b,s:s,s:{s:I,s:I,s:b,s:b,s:b}}", "at_ms",
	                      (json_int_t)a->at_ms, "hop", a->hop, "contain", a->contain != 0,
	                      "observe", a->observe != 0, "key", key, "plan", "incident_id",
	                      (json_int_t)p->incident_id, "attempt_id", (json_int_t)p->attempt_id,
	                      "opened", p->opened != 0, "escalated", p->escalated != 0,
	                      "aggregated", p->aggregated != 0);
	int bad = !o;
#define PUT(f) bad |= o && a->f && json_object_set_new(o, #f, json_string(a->f));
	DD_ATTEMPT_STRINGS(PUT)
#undef PUT
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* One chunk as its spool line (malloc'd, ending in "\n"; NULL: no memory). */
static char *chunk_line(const dd_store *s, const dd_unsettled *u)
{
	json_t *atts = json_array();
	for (size_t i = 0; atts && i < u->n; i++)
		if (json_array_append_new(atts, attempt_json(&u->a[i], u->keys[i], &u->plan[i]))) {
			json_decref(atts);
			atts = NULL;
		}
	json_t *o = atts ? json_pack("{s:s,s:s,s:I,s:O,s:o}", "table", s->table, "token", u->token,
	                             "sent_ms", (json_int_t)u->sent_ms, "acts", u->acts,
	                             "attempts", atts)
	                 : NULL;
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	size_t n = text ? strlen(text) : 0;
	char *line = text ? realloc(text, n + 2) : NULL;
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + n, "\n", 2);
	return line;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path (a new or renamed entry in it). */
static int sync_dir(const char *path)
{
	char dir[sizeof ((dd_store *)0)->spool];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 || fsync(fd) ? -1 : 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

static void spool_failed(dd_store *s, const char *what)
{
	snprintf(s->spool_why, sizeof s->spool_why, "spool %.300s: %s: %s", s->spool, what,
	         strerror(errno));
	s->spool_bad = true;
}

void dd_spool_add(dd_store *s, const dd_unsettled *u)
{
	if (!s->spool[0])
		return;
	char *line = chunk_line(s, u);
	int fd = line ? open(s->spool, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	struct stat st;
	int fresh = fd >= 0 && !fstat(fd, &st) && st.st_size == 0;
	if (!line)
		errno = ENOMEM;
	if (fd < 0 || (fresh && write_all(fd, SPOOL_VERSION_LINE, strlen(SPOOL_VERSION_LINE))) ||
	    write_all(fd, line, strlen(line)) || fdatasync(fd) || (fresh && sync_dir(s->spool)))
		spool_failed(s, "cannot append an unsettled transaction");
	if (fd >= 0)
		close(fd);
	free(line);
}

void dd_spool_sync(dd_store *s)
{
	if (!s->spool[0])
		return;
	s->spool_bad = false;   /* written whole again below: good unless this fails */
	if (!s->pending) {
		if ((unlink(s->spool) && errno != ENOENT) || sync_dir(s->spool))
			spool_failed(s, "cannot remove it");
		return;
	}
	char tmp[sizeof s->spool + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", s->spool);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int bad = fd < 0 || write_all(fd, SPOOL_VERSION_LINE, strlen(SPOOL_VERSION_LINE));
	for (const dd_unsettled *u = s->pending; !bad && u; u = u->next) {
		char *line = chunk_line(s, u);
		bad = !line || write_all(fd, line, strlen(line));
		free(line);
	}
	bad = bad || fsync(fd);
	if (fd >= 0)
		close(fd);
	if (bad || rename(tmp, s->spool) || sync_dir(s->spool)) {
		spool_failed(s, "cannot rewrite it");
		unlink(tmp);
	}
}

/* ---- reading ---- */

static sg_err fail(char *msg, size_t msglen, sg_err rc, size_t line, const char *why)
{
	snprintf(msg, msglen, "line %zu: %s", line, why);
	return rc;
}

/* One attempt of a chunk from its JSON into u's i-th place. */
static bool attempt_from(const json_t *o, dd_unsettled *u, size_t i)
{
	store_attempt_in *a = &u->a[i];
	const json_t *p = json_object_get(o, "plan"), *key = json_object_get(o, "key");
	if (!json_is_object(o) || !json_is_object(p) || !json_is_string(key) ||
	    !json_is_integer(json_object_get(o, "at_ms")) ||
	    !json_is_integer(json_object_get(p, "incident_id")))
		return false;
	bool ok = true;
#define GET(f)                                                                                \
	{                                                                                         \
		const json_t *v = json_object_get(o, #f);                                             \
		ok &= !v || json_is_string(v);                                                        \
		a->f = json_is_string(v) ? strdup(json_string_value(v)) : NULL;                       \
		ok &= !v || a->f != NULL;                                                             \
	}
	DD_ATTEMPT_STRINGS(GET)
#undef GET
	u->keys[i] = strdup(json_string_value(key));
	a->at_ms = json_integer_value(json_object_get(o, "at_ms"));
	json_int_t hop = json_integer_value(json_object_get(o, "hop"));
	a->hop = hop >= 0 && hop < 1000 ? (int)hop : 0;
	a->contain = json_is_true(json_object_get(o, "contain"));
	a->observe = json_is_true(json_object_get(o, "observe"));
	store_record_out *r = &u->plan[i];
	r->incident_id = json_integer_value(json_object_get(p, "incident_id"));
	r->attempt_id = json_integer_value(json_object_get(p, "attempt_id"));
	r->opened = json_is_true(json_object_get(p, "opened"));
	r->escalated = json_is_true(json_object_get(p, "escalated"));
	r->aggregated = json_is_true(json_object_get(p, "aggregated"));
	return ok && u->keys[i] && a->client && a->client[0] && r->incident_id > 0 &&
	       strlen(u->keys[i]) <= 255;
}

/* One line's chunk, checked; NULL with why set. */
static dd_unsettled *chunk_from(const json_t *o, const char *table, const char **why)
{
	const json_t *atts = json_object_get(o, "attempts"), *acts = json_object_get(o, "acts");
	const char *tok = json_string_value(json_object_get(o, "token"));
	const char *tab = json_string_value(json_object_get(o, "table"));
	*why = "not a chunk (table, token, sent_ms, acts, attempts)";
	if (!tab || !tok || strlen(tok) != TOKEN_LEN || !json_is_array(acts) ||
	    json_array_size(acts) == 0 || json_array_size(acts) > 100 || !json_is_array(atts) ||
	    json_array_size(atts) == 0 || json_array_size(atts) > 100 ||
	    !json_is_integer(json_object_get(o, "sent_ms")))
		return NULL;
	if (strcmp(tab, table)) {
		*why = "a transaction on another table (this store's table was renamed?)";
		return NULL;
	}
	dd_unsettled *u = dd_unsettled_new(json_array_size(atts));
	*why = "out of memory";
	if (!u)
		return NULL;
	snprintf(u->token, sizeof u->token, "%s", tok);
	u->sent_ms = json_integer_value(json_object_get(o, "sent_ms"));
	u->acts = json_deep_copy(acts);
	bool ok = u->acts != NULL;
	for (size_t i = 0; ok && i < json_array_size(atts); i++, u->n = i)
		ok = attempt_from(json_array_get(atts, i), u, i);
	if (!ok) {   /* u->n counts the half-read one too: its strings are freed */
		dd_unsettled_drop(u);
		*why = "a malformed attempt";
		return NULL;
	}
	return u;
}

sg_err dd_spool_parse(const char *text, size_t len, const char *table,
                      sg_err (*each)(void *ctx, dd_unsettled *u), void *ctx, char *msg,
                      size_t msglen)
{
	size_t magic = strlen(SPOOL_MAGIC), total = 0, line = 1;
	if (len > DD_SPOOL_MAX)
		return fail(msg, msglen, SG_ERR_RANGE, 0, "larger than the spool may be");
	if (len < magic || memcmp(text, SPOOL_MAGIC, magic))
		return fail(msg, msglen, SG_ERR_PARSE, 1, "not an ssrfguard spool (no version line)");
	const char *nl = memchr(text, '\n', len);
	if (!nl || (size_t)(nl - text) != strlen(SPOOL_VERSION_LINE) - 1 ||
	    memcmp(text, SPOOL_VERSION_LINE, strlen(SPOOL_VERSION_LINE)))
		return fail(msg, msglen, SG_ERR_UNSUPPORTED, 1, "a spool version this ssrfguard "
		            "does not know");
	for (const char *p = nl + 1, *end = text + len; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)   /* cut by a crash in its append, before its caller heard of it */
			return fail(msg, msglen, SG_OK, line, "cut short by a crash while it was "
			            "written (before anyone was told of it): left out");
		if ((size_t)(nl - p) > DD_SPOOL_LINE_MAX)
			return fail(msg, msglen, SG_ERR_RANGE, line, "longer than a chunk may be");
		json_t *o = NULL;
		char why[160];
		if (sg_json_load_bounded(p, (size_t)(nl - p), DD_SPOOL_LINE_MAX, 0, "chunk", &o, why,
		                         sizeof why))
			return fail(msg, msglen, SG_ERR_PARSE, line, why);
		const char *bad = NULL;
		dd_unsettled *u = chunk_from(o, table, &bad);
		json_decref(o);
		if (!u)
			return fail(msg, msglen, SG_ERR_PARSE, line, bad);
		if ((total += u->n) > DD_UNSETTLED_MAX) {
			dd_unsettled_drop(u);
			return fail(msg, msglen, SG_ERR_RANGE, line, "more attempts than are ever kept");
		}
		sg_err rc = each(ctx, u);
		if (rc)
			return rc;
	}
	if (msglen)
		msg[0] = '\0';
	return SG_OK;
}

/* ---- open, close ---- */

static sg_err keep_read(void *ctx, dd_unsettled *u)
{
	dd_unsettled_append(ctx, u);
	return SG_OK;
}

/* The whole file at path into *text (NULL, *len 0 when there is none). */
static sg_err read_file(const char *path, char **text, size_t *len)
{
	*text = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? SG_OK : SG_ERR_IO;
	struct stat st;
	sg_err rc = fstat(fd, &st) ? SG_ERR_IO
	            : st.st_size > (off_t)DD_SPOOL_MAX ? SG_ERR_RANGE : SG_OK;
	size_t n = rc ? 0 : (size_t)st.st_size, got = 0;
	char *buf = rc ? NULL : malloc(n + 1);
	if (!rc && !buf)
		rc = SG_ERR_NOMEM;
	while (!rc && got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			rc = SG_ERR_IO;
		else
			got += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return SG_OK;
}

sg_err dd_spool_open(dd_store *s, const char *path, char *err, size_t errlen)
{
	char lock[sizeof s->spool + 8];
	if (strlen(path) + 1 > sizeof s->spool) {
		snprintf(err, errlen, "spool %.200s: path too long", path);
		return SG_ERR_INVAL;
	}
	snprintf(lock, sizeof lock, "%s.lock", path);
	s->spool_lock = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->spool_lock < 0) {   /* no place for one: settled while this process runs only */
		snprintf(s->spool_why, sizeof s->spool_why, "no spool (%.300s: %s)", lock,
		         strerror(errno));
		return SG_OK;
	}
	if (flock(s->spool_lock, LOCK_EX | LOCK_NB)) {   /* another process of this role */
		snprintf(s->spool_why, sizeof s->spool_why, "no spool (%.300s: %s: give each process "
		         "its own --store path)", lock,
		         errno == EWOULDBLOCK ? "held by another process" : strerror(errno));
		dd_spool_close(s);
		return SG_OK;
	}
	snprintf(s->spool, sizeof s->spool, "%s", path);
	char *text, why[200];
	size_t len;
	sg_err rc = read_file(path, &text, &len);
	if (rc) {
		snprintf(err, errlen, "spool %.300s: %s", path, sg_strerror(rc));
		return rc;
	}
	why[0] = '\0';
	rc = text ? dd_spool_parse(text, len, s->table, keep_read, s, why, sizeof why) : SG_OK;
	free(text);
	if (!rc && why[0]) {   /* a cut last line: the file rewritten without it */
		snprintf(s->spool_why, sizeof s->spool_why, "spool %.300s: %s", path, why);
		dd_spool_sync(s);
	}
	if (rc)
		snprintf(err, errlen, "spool %.300s: %s; nothing in it was settled: move it aside to "
		         "start without it (and read it: each line is an attempt's evidence)", path,
		         why);
	return rc;
}

const char *dd_spool_note(const store *base, int *kept)
{
	const dd_store *s = (const dd_store *)base;
	*kept = s->spool[0] && !s->spool_bad;
	return s->spool[0] || s->spool_why[0] ? s->spool_why : "no spool file was given";
}

void dd_spool_close(dd_store *s)
{
	if (s->spool_lock >= 0)
		close(s->spool_lock);   /* the lock with it */
	s->spool_lock = -1;
}
