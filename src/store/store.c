/* store.c — the SQLite (WAL) incident store; see store.h. */
#include "store/store_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sql_text[Q__COUNT] = {
	[Q_FIND_ACTIVE] = "SELECT id, state, attempts FROM incidents WHERE source = ?1 AND "
	                  "state NOT IN ('released','closed') ORDER BY id DESC LIMIT 1",
	[Q_FIND_ACTIVE_INSTANCE] = "SELECT id, state, attempts FROM incidents WHERE instance_id = ?1 "
	                           "AND state NOT IN ('released','closed') ORDER BY id DESC LIMIT 1",
	[Q_JOIN] = "UPDATE incidents SET attempts = attempts + ?3, "
	           "updated_ms = max(updated_ms, ?2) WHERE id = ?1",
	[Q_ESCALATE] = "UPDATE incidents SET state = 'open', contain = 1, state_ms = ?2, "
	               "state_reason = ?3, updated_ms = ?2 WHERE id = ?1",
	[Q_NEW_INC] = "INSERT INTO incidents (state, state_reason, state_ms, source, category, "
	              "rule, dest, instance_id, region, az, contain, attempts, opened_ms, "
	              "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?3, ?3)",
	[Q_NEW_ATT] = "INSERT INTO attempts (incident_id, at_ms, client, request, headers, url, "
	              "dest, category, rule, reason, hop, addrs, instance_id, region, az, contain) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[Q_HIST] = "INSERT INTO history (incident_id, step, from_s, to_s, reason, actor, at_ms) "
	           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_GET_STATE] = "SELECT state, lease_owner, lease_until_ms FROM incidents WHERE id = ?1",
	[Q_SET_STATE] = "UPDATE incidents SET state = ?2, state_reason = ?3, state_ms = ?4, "
	                "updated_ms = ?4, lease_owner = CASE WHEN ?2 = 'containing' THEN "
	                "lease_owner ELSE '' END, lease_until_ms = CASE WHEN ?2 = 'containing' "
	                "THEN lease_until_ms ELSE 0 END WHERE id = ?1",
	[Q_STEP_GET] = "SELECT status, attempts, data, updated_ms FROM steps "
	               "WHERE incident_id = ?1 AND name = ?2",
	[Q_STEP_PUT] = "INSERT INTO steps (incident_id, name, status, attempts, data, updated_ms) "
	               "VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), ?6) "
	               "ON CONFLICT (incident_id, name) DO UPDATE SET status = ?3, "
	               "attempts = attempts + ?4, data = coalesce(?5, data), updated_ms = ?6",
	[Q_CLAIMABLE] = "SELECT id, state, lease_owner FROM incidents WHERE state = 'open' OR "
	                "(state = 'containing' AND lease_until_ms < ?1) ORDER BY id LIMIT 1",
	[Q_CLAIM_ONE] = "SELECT id, state, lease_owner, lease_until_ms FROM incidents WHERE id = ?1",
	[Q_CLAIM] = "UPDATE incidents SET state = 'containing', state_reason = ?3, state_ms = ?4, "
	            "updated_ms = ?4, lease_owner = ?2, lease_until_ms = ?5 WHERE id = ?1",
	[Q_RENEW] = "UPDATE incidents SET lease_until_ms = ?3 WHERE id = ?1 AND "
	            "state = 'containing' AND lease_owner = ?2",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
};

static const char schema_v1[] =
	"CREATE TABLE incidents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" state TEXT NOT NULL, state_reason TEXT NOT NULL DEFAULT '',"
	" state_ms INTEGER NOT NULL, source TEXT NOT NULL,"
	" category TEXT NOT NULL DEFAULT '', rule TEXT NOT NULL DEFAULT '',"
	" dest TEXT NOT NULL DEFAULT '', instance_id TEXT NOT NULL DEFAULT '',"
	" region TEXT NOT NULL DEFAULT '', az TEXT NOT NULL DEFAULT '',"
	" contain INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	" opened_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
	" lease_owner TEXT NOT NULL DEFAULT '', lease_until_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX incidents_active ON incidents (source, id)"
	" WHERE state NOT IN ('released','closed');"
	"CREATE INDEX incidents_state ON incidents (state, id);"
	"CREATE TABLE attempts ("
	" id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents (id),"
	" at_ms INTEGER NOT NULL, client TEXT NOT NULL, request TEXT NOT NULL,"
	" headers TEXT NOT NULL, url TEXT NOT NULL, dest TEXT NOT NULL,"
	" category TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL,"
	" hop INTEGER NOT NULL, addrs TEXT NOT NULL, instance_id TEXT NOT NULL,"
	" region TEXT NOT NULL, az TEXT NOT NULL, contain INTEGER NOT NULL);"
	"CREATE INDEX attempts_incident ON attempts (incident_id, id);"
	"CREATE TABLE steps ("
	" incident_id INTEGER NOT NULL REFERENCES incidents (id), name TEXT NOT NULL,"
	" status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" data TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL,"
	" PRIMARY KEY (incident_id, name)) WITHOUT ROWID;"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents (id),"
	" step TEXT NOT NULL DEFAULT '', from_s TEXT NOT NULL, to_s TEXT NOT NULL,"
	" reason TEXT NOT NULL, actor TEXT NOT NULL, at_ms INTEGER NOT NULL);"
	"CREATE INDEX history_incident ON history (incident_id, id);"
	"PRAGMA user_version = 1;";

static const char *const state_names[STORE_STATE__COUNT] = {
	"logged", "open", "containing", "contained", "failed", "released", "closed",
};

/* allowed[from] is a bit set of the states it may move to. */
#define B(x) (1u << (x))
static const unsigned allowed_moves[STORE_STATE__COUNT] = {
	[STORE_LOGGED] = B(STORE_OPEN) | B(STORE_CLOSED),
	[STORE_OPEN] = B(STORE_CONTAINING) | B(STORE_CLOSED),
	[STORE_CONTAINING] = B(STORE_CONTAINED) | B(STORE_FAILED) | B(STORE_OPEN) |
	                     B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_CONTAINED] = B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_FAILED] = B(STORE_OPEN) | B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_RELEASED] = B(STORE_CLOSED),
	[STORE_CLOSED] = 0,
};

const char *store_state_name(store_state st)
{
	return (unsigned)st < STORE_STATE__COUNT ? state_names[st] : "?";
}

sg_err store_state_parse(const char *name, store_state *out)
{
	if (!name || !out)
		return SG_ERR_INVAL;
	for (int i = 0; i < STORE_STATE__COUNT; i++)
		if (!strcmp(name, state_names[i])) {
			*out = (store_state)i;
			return SG_OK;
		}
	return SG_ERR_PARSE;
}

int store_state_allowed(store_state from, store_state to)
{
	if ((unsigned)from >= STORE_STATE__COUNT || (unsigned)to >= STORE_STATE__COUNT)
		return 0;
	return (allowed_moves[from] & B(to)) != 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sg_err store_map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return SG_OK;
	case SQLITE_BUSY: case SQLITE_LOCKED: return SG_ERR_BUSY;
	case SQLITE_NOMEM: return SG_ERR_NOMEM;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: return SG_ERR_CORRUPT;
	case SQLITE_READONLY: case SQLITE_CANTOPEN: case SQLITE_PERM: return SG_ERR_IO;
	default: return SG_ERR_IO;
	}
}

static const char *nz(const char *s) { return s ? s : ""; }

const char *store_errmsg(const store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no store";
}

void store_close(store *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s);
}

static sg_err exec(store *s, const char *sql)
{
	return store_map_rc(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

static sg_err pragma_int(store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return store_map_rc(rc);
}

sg_err store_size(store *s, int64_t *bytes)
{
	int64_t pages = 0, size = 0, free_pages = 0;
	if (!s || !bytes)
		return SG_ERR_INVAL;
	sg_err e = pragma_int(s, "PRAGMA page_count", &pages);
	if (e == SG_OK)
		e = pragma_int(s, "PRAGMA page_size", &size);
	if (e == SG_OK)
		e = pragma_int(s, "PRAGMA freelist_count", &free_pages);
	if (e == SG_OK)
		*bytes = (pages - free_pages) * size;
	return e;
}

sg_err store_open(const char *path, const store_opts *opts, store **out,
                  char *err, size_t errlen)
{
	store_opts o = {0};
	store *s = NULL;
	sg_err e = SG_ERR_INVAL;
	const char *what = "bad arguments";
	int64_t ver = 0;

	if (err && errlen)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (!path || !out)
		goto fail;
	if (opts)
		o = *opts;
	if (o.busy_ms <= 0)
		o.busy_ms = STORE_BUSY_MS;
	e = SG_ERR_NOMEM;
	what = "out of memory";
	s = calloc(1, sizeof *s);
	if (!s)
		goto fail;
	s->detail_max = o.detail_max > 0 ? o.detail_max : 0;
	s->max_bytes = o.max_bytes > 0 ? o.max_bytes : 0;
	int flags = (o.readonly ? SQLITE_OPEN_READONLY
	                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
	            SQLITE_OPEN_NOMUTEX;
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		e = store_map_rc(rc);
		what = s->db ? sqlite3_errmsg(s->db) : "cannot open";
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_timeout(s->db, o.busy_ms);
	what = "cannot configure the database";
	if ((e = pragma_int(s, "PRAGMA user_version", &ver)) != SG_OK) {
		what = sqlite3_errmsg(s->db);
		goto fail;
	}
	if (ver > STORE_SCHEMA_VERSION) {
		e = SG_ERR_UNSUPPORTED;
		what = "database written by a newer ssrfguard (schema version too high)";
		goto fail;
	}
	if (!o.readonly) {
		if ((e = exec(s, "PRAGMA journal_mode = WAL")) != SG_OK ||
		    (e = exec(s, o.sync == STORE_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
		                                              : "PRAGMA synchronous = FULL")) != SG_OK ||
		    (e = exec(s, "PRAGMA foreign_keys = ON")) != SG_OK) {
			what = sqlite3_errmsg(s->db);
			goto fail;
		}
		if (ver == 0) {
			/* Create under an exclusive lock; a racing opener re-reads. */
			if ((e = exec(s, "BEGIN EXCLUSIVE")) != SG_OK) {
				what = sqlite3_errmsg(s->db);
				goto fail;
			}
			if ((e = pragma_int(s, "PRAGMA user_version", &ver)) == SG_OK && ver == 0)
				e = exec(s, schema_v1);
			if (e != SG_OK) {
				what = sqlite3_errmsg(s->db);
				exec(s, "ROLLBACK");
				goto fail;
			}
			if ((e = exec(s, "COMMIT")) != SG_OK) {
				what = sqlite3_errmsg(s->db);
				exec(s, "ROLLBACK");
				goto fail;
			}
		}
	} else if (ver == 0) {
		e = SG_ERR_NOTFOUND;
		what = "no incident store there (empty database)";
		goto fail;
	}
	for (int i = 0; i < Q__COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &s->q[i], NULL);
		if (rc != SQLITE_OK) {
			e = store_map_rc(rc);
			what = sqlite3_errmsg(s->db);
			goto fail;
		}
	}
	*out = s;
	return SG_OK;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path ? path : "(null)", what);
	store_close(s);
	return e;
}

/* ---- statement helpers ---- */

static sqlite3_stmt *q(store *s, int which)
{
	sqlite3_stmt *st = s->q[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void bt(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, nz(v), -1, SQLITE_STATIC);
}

static sg_err run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SG_OK : store_map_rc(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

static sg_err begin(store *s) { return run(q(s, Q_BEGIN)); }

static sg_err finish(store *s, sg_err e)
{
	if (e == SG_OK) {
		e = run(q(s, Q_COMMIT));
		if (e == SG_OK)
			return SG_OK;
	}
	if (!sqlite3_get_autocommit(s->db))
		run(q(s, Q_ROLLBACK));
	return e;
}

static sg_err history(store *s, int64_t id, const char *step, const char *from,
                      const char *to, const char *reason, const char *actor, int64_t at)
{
	sqlite3_stmt *st = q(s, Q_HIST);
	sqlite3_bind_int64(st, 1, id);
	bt(st, 2, step);
	bt(st, 3, from);
	bt(st, 4, to);
	bt(st, 5, reason);
	bt(st, 6, actor);
	sqlite3_bind_int64(st, 7, at);
	return run(st);
}

/* ---- recording ---- */

/*
 * Within one batch, consecutive attempts of one source join the same
 * incident: the cursor remembers it and counts the joins, written once by
 * flush_join() (a burst from one source costs one INSERT per attempt).
 */
typedef struct rec_cursor {
	const char *src;
	int64_t id;
	int logged;
	int64_t pend, pend_at;
	int64_t seen;    /* the incident's attempts before this one */
	int full;        /* the store reached max_bytes (checked per batch) */
	int by_instance; /* id was found by instance, not by src: not reusable by src */
} rec_cursor;

static sg_err flush_join(store *s, rec_cursor *c)
{
	if (c->pend == 0)
		return SG_OK;
	sqlite3_stmt *st = q(s, Q_JOIN);
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_int64(st, 2, c->pend_at);
	sqlite3_bind_int64(st, 3, c->pend);
	c->pend = 0;
	return run(st);
}

static sg_err record_one(store *s, const store_attempt_in *a, store_record_out *o,
                         rec_cursor *c)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : now_ms();
	int64_t id = 0;
	char reason[256];
	sg_err e;
	int rc, logged = 0;
	sqlite3_stmt *st;

	memset(o, 0, sizeof *o);
	if (c->id && !a->join_instance && !c->by_instance && !strcmp(c->src, a->client)) {
		id = c->id;
		logged = c->logged;
		c->seen++;
		rc = SQLITE_ROW;
	} else {
		if ((e = flush_join(s, c)) != SG_OK)
			return e;
		c->id = 0;
		st = q(s, a->join_instance ? Q_FIND_ACTIVE_INSTANCE : Q_FIND_ACTIVE);
		bt(st, 1, a->join_instance ? a->instance_id : a->client);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			logged = !strcmp((const char *)sqlite3_column_text(st, 1), "logged");
			c->seen = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
	}
	c->by_instance = a->join_instance;
	if (rc == SQLITE_ROW) {
		c->src = a->client;
		c->id = id;
		c->logged = logged;
		c->pend++;
		if (at > c->pend_at)
			c->pend_at = at;
		if (a->contain && logged) {
			snprintf(reason, sizeof reason,
			         "an attempt of a containment severity joined (%s, %s)",
			         nz(a->category), nz(a->rule));
			st = q(s, Q_ESCALATE);
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_int64(st, 2, at);
			bt(st, 3, reason);
			if ((e = run(st)) != SG_OK ||
			    (e = history(s, id, "", "logged", "open", reason, "serve", at)) != SG_OK)
				return e;
			o->escalated = 1;
			c->logged = 0;
		}
	} else if (rc == SQLITE_DONE) {
		const char *state = a->contain ? "open" : "logged";
		snprintf(reason, sizeof reason, "blocked %s attempt (%s)",
		         nz(a->category), nz(a->rule));
		st = q(s, Q_NEW_INC);
		bt(st, 1, state);
		bt(st, 2, reason);
		sqlite3_bind_int64(st, 3, at);
		bt(st, 4, a->client);
		bt(st, 5, a->category);
		bt(st, 6, a->rule);
		bt(st, 7, a->dest);
		bt(st, 8, a->instance_id);
		bt(st, 9, a->region);
		bt(st, 10, a->az);
		sqlite3_bind_int(st, 11, a->contain ? 1 : 0);
		if ((e = run(st)) != SG_OK)
			return e;
		id = sqlite3_last_insert_rowid(s->db);
		if ((e = history(s, id, "", "", state, reason, "serve", at)) != SG_OK)
			return e;
		o->opened = 1;
		c->src = a->client;
		c->id = id;
		c->logged = !a->contain;
		c->pend = 0;
		c->pend_at = at;
		c->seen = 0;
	} else {
		return store_map_rc(rc);
	}
	o->incident_id = id;
	if (c->full || (s->detail_max && c->seen >= s->detail_max)) {
		o->aggregated = 1; /* counted above (join or new incident) */
		return SG_OK;
	}
	st = q(s, Q_NEW_ATT);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	bt(st, 3, a->client);
	bt(st, 4, a->request);
	bt(st, 5, a->headers && *a->headers ? a->headers : "{}");
	bt(st, 6, a->url);
	bt(st, 7, a->dest);
	bt(st, 8, a->category);
	bt(st, 9, a->rule);
	bt(st, 10, a->reason);
	sqlite3_bind_int(st, 11, a->hop);
	bt(st, 12, a->addrs && *a->addrs ? a->addrs : "[]");
	bt(st, 13, a->instance_id);
	bt(st, 14, a->region);
	bt(st, 15, a->az);
	sqlite3_bind_int(st, 16, a->contain ? 1 : 0);
	if ((e = run(st)) != SG_OK)
		return e;
	o->attempt_id = sqlite3_last_insert_rowid(s->db);
	return SG_OK;
}

sg_err store_record_many(store *s, const store_attempt_in *a, size_t n,
                         store_record_out *out)
{
	if (!s || (!a && n))
		return SG_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (!a[i].client || !a[i].client[0] || a[i].hop < 0 ||
		    (a[i].join_instance && (!a[i].instance_id || !a[i].instance_id[0])))
			return SG_ERR_INVAL;
	if (n == 0)
		return SG_OK;
	rec_cursor cur = {0};
	int64_t size = 0;
	if (s->max_bytes && store_size(s, &size) == SG_OK && size >= s->max_bytes)
		cur.full = 1;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	for (size_t i = 0; i < n && e == SG_OK; i++) {
		store_record_out tmp;
		e = record_one(s, &a[i], out ? &out[i] : &tmp, &cur);
	}
	if (e == SG_OK)
		e = flush_join(s, &cur);
	e = finish(s, e);
	if (e != SG_OK && out)
		memset(out, 0, n * sizeof *out);
	return e;
}

sg_err store_record(store *s, const store_attempt_in *a, store_record_out *out)
{
	return store_record_many(s, a, a ? 1 : 0, out);
}

/* ---- the one transition function ---- */

static int word_ok(const char *w, size_t max, const char *extra)
{
	size_t n = w ? strlen(w) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (!((c >= 'a' && c <= 'z') || c == '_' || (extra && strchr(extra, c))))
			return 0;
	}
	return 1;
}

/* The incident's row as a change sees it: its state (*state_ok 0 when the
 * stored text is no state), whether actor holds it, and its lease. */
static sg_err incident_row(store *s, const store_change *c, store_state *state,
                           int *state_ok, int *owner_ok, int64_t *lease_until)
{
	sqlite3_stmt *st = q(s, Q_GET_STATE);
	sqlite3_bind_int64(st, 1, c->incident_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? SG_ERR_NOTFOUND : store_map_rc(rc);
	}
	*state_ok = store_state_parse((const char *)sqlite3_column_text(st, 0), state) == SG_OK;
	*owner_ok = !strcmp((const char *)sqlite3_column_text(st, 1), c->actor);
	*lease_until = sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	return SG_OK;
}

static sg_err change_incident(store *s, const store_change *c, int64_t at)
{
	store_state to, from;
	sg_err e;

	if (store_state_parse(c->to, &to) != SG_OK || to == STORE_CONTAINING)
		return SG_ERR_INVAL;
	int state_ok, owner_ok;
	int64_t lease_until;
	if ((e = incident_row(s, c, &from, &state_ok, &owner_ok, &lease_until)) != SG_OK)
		return e;
	if (!state_ok)
		return SG_ERR_CORRUPT;
	if (c->from && strcmp(c->from, store_state_name(from)))
		return SG_ERR_STATE;
	if (from != to && !store_state_allowed(from, to))
		return SG_ERR_STATE;
	if (from == STORE_CONTAINING && !owner_ok && !c->force && lease_until >= at)
		return SG_ERR_BUSY;
	sqlite3_stmt *st = q(s, Q_SET_STATE);
	sqlite3_bind_int64(st, 1, c->incident_id);
	bt(st, 2, store_state_name(to));
	bt(st, 3, c->reason);
	sqlite3_bind_int64(st, 4, at);
	if ((e = run(st)) != SG_OK)
		return e;
	return history(s, c->incident_id, "", store_state_name(from), store_state_name(to),
	               c->reason, c->actor, at);
}

static sg_err change_step(store *s, const store_change *c, int64_t at)
{
	sg_err e;
	store_state state;
	int state_ok, owner_ok;
	int64_t lease_until;
	if ((e = incident_row(s, c, &state, &state_ok, &owner_ok, &lease_until)) != SG_OK)
		return e;
	if (state_ok && state == STORE_CONTAINING && !owner_ok && !c->force)
		return SG_ERR_BUSY;

	char from[32] = "";
	sqlite3_stmt *st = q(s, Q_STEP_GET);
	sqlite3_bind_int64(st, 1, c->incident_id);
	bt(st, 2, c->step);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_map_rc(rc);
	if (c->from && strcmp(c->from, from))
		return SG_ERR_STATE;
	st = q(s, Q_STEP_PUT);
	sqlite3_bind_int64(st, 1, c->incident_id);
	bt(st, 2, c->step);
	bt(st, 3, c->to);
	sqlite3_bind_int(st, 4, c->bump_attempts ? 1 : 0);
	if (c->data)
		bt(st, 5, c->data);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, at);
	if ((e = run(st)) != SG_OK)
		return e;
	return history(s, c->incident_id, c->step, from, c->to, c->reason, c->actor, at);
}

sg_err store_transition(store *s, const store_change *c)
{
	if (!s || !c || c->incident_id <= 0 || !c->to || !c->reason || !c->reason[0] ||
	    !c->actor || !c->actor[0])
		return SG_ERR_INVAL;
	if (c->step && (!word_ok(c->step, 63, "0123456789.-") || !word_ok(c->to, 31, NULL)))
		return SG_ERR_INVAL;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	int64_t at = now_ms();
	e = c->step ? change_step(s, c, at) : change_incident(s, c, at);
	return finish(s, e);
}

/* ---- claiming ---- */

/* Inside the claim's transaction: may owner claim the incident the
 * query's row describes (id, state, lease owner, lease end)? */
static sg_err claimable(sqlite3_stmt *st, bool chosen, const char *owner, int64_t at,
                        int64_t *id, char from[32], char prev[128])
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? SG_ERR_NOTFOUND : store_map_rc(rc);
	}
	*id = sqlite3_column_int64(st, 0);
	snprintf(from, 32, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(prev, 128, "%s", (const char *)sqlite3_column_text(st, 2));
	int64_t until = chosen ? sqlite3_column_int64(st, 3) : 0;
	sqlite3_reset(st);
	if (!chosen)
		return SG_OK; /* the query picked a claimable one */
	if (!strcmp(from, "containing"))
		return strcmp(prev, owner) && until >= at ? SG_ERR_BUSY : SG_OK;
	return strcmp(from, "open") ? SG_ERR_STATE : SG_OK;
}

sg_err store_claim(store *s, int64_t want, const char *owner, int64_t lease_ms,
                   int64_t *incident_id)
{
	char reason[256];
	if (!s || want < 0 || !owner || !owner[0] || lease_ms <= 0 || !incident_id)
		return SG_ERR_INVAL;
	*incident_id = 0;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	int64_t at = now_ms(), id = 0;
	sqlite3_stmt *st = q(s, want ? Q_CLAIM_ONE : Q_CLAIMABLE);
	sqlite3_bind_int64(st, 1, want ? want : at);
	char from[32], prev[128];
	if ((e = claimable(st, want != 0, owner, at, &id, from, prev)))
		return finish(s, e);
	if (!strcmp(from, "containing"))
		snprintf(reason, sizeof reason, "lease of %s expired; taken over by %s", prev, owner);
	else
		snprintf(reason, sizeof reason, "claimed by %s", owner);
	st = q(s, Q_CLAIM);
	sqlite3_bind_int64(st, 1, id);
	bt(st, 2, owner);
	bt(st, 3, reason);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, at + lease_ms);
	if ((e = run(st)) == SG_OK)
		e = history(s, id, "", from, "containing", reason, owner, at);
	if ((e = finish(s, e)) == SG_OK)
		*incident_id = id;
	return e;
}

sg_err store_renew(store *s, int64_t incident_id, const char *owner, int64_t lease_ms)
{
	if (!s || !owner || !owner[0] || lease_ms <= 0 || incident_id <= 0)
		return SG_ERR_INVAL;
	sqlite3_stmt *st = q(s, Q_RENEW);
	sqlite3_bind_int64(st, 1, incident_id);
	bt(st, 2, owner);
	sqlite3_bind_int64(st, 3, now_ms() + lease_ms);
	sg_err e = run(st);
	if (e == SG_OK && sqlite3_changes(s->db) != 1)
		e = SG_ERR_BUSY;
	return e;
}
