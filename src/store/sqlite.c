/* sqlite.c — the SQLite (WAL) engine of the incident store: one file on
 * one host; see store.h. */
#include "store/sqlite_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sql_text[Q__COUNT] = {
	[Q_FIND_ACTIVE] = "SELECT id, state, attempts FROM incidents WHERE join_key = ?1 AND "
	                  "state NOT IN ('released','closed') ORDER BY id DESC LIMIT 1",
	[Q_JOIN] = "UPDATE incidents SET attempts = attempts + ?3, "
	           "updated_ms = max(updated_ms, ?2) WHERE id = ?1",
	[Q_ESCALATE] = "UPDATE incidents SET state = 'open', contain = 1, state_ms = ?2, "
	               "state_reason = ?3, updated_ms = ?2 WHERE id = ?1",
	[Q_NEW_INC] = "INSERT INTO incidents (state, state_reason, state_ms, source, category, "
	              "rule, dest, instance_id, region, az, contain, attempts, opened_ms, "
	              "updated_ms, join_key, observe) "
	              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1, ?3, ?3, ?12, ?13)",
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
	[Q_CLAIMABLE] = "SELECT id, state, lease_owner FROM incidents WHERE observe = 0 AND "
	                "(state = 'open' OR (state = 'containing' AND lease_until_ms < ?1)) "
	                "ORDER BY id LIMIT 1",
	[Q_CLAIM_ONE] = "SELECT id, state, lease_owner, lease_until_ms FROM incidents WHERE id = ?1",
	[Q_CLAIM] = "UPDATE incidents SET state = 'containing', state_reason = ?3, state_ms = ?4, "
	            "updated_ms = ?4, lease_owner = ?2, lease_by = ?2, lease_until_ms = ?5 "
	            "WHERE id = ?1",
	[Q_RENEW] = "UPDATE incidents SET lease_until_ms = ?3 WHERE id = ?1 AND "
	            "state = 'containing' AND lease_owner = ?2",
	[Q_HOLD_OF] = "SELECT state, lease_owner, instance_id FROM incidents WHERE id = ?1",
	[Q_HOLDER] = "SELECT h.incident_id, coalesce(i.state, '') FROM holders h "
	             "LEFT JOIN incidents i ON i.id = h.incident_id WHERE h.instance_id = ?1",
	[Q_HOLD] = "INSERT INTO holders (instance_id, incident_id, at_ms) VALUES (?1, ?2, ?3) "
	           "ON CONFLICT (instance_id) DO UPDATE SET incident_id = ?2, at_ms = ?3",
	[Q_UNHOLD] = "DELETE FROM holders WHERE incident_id = ?1",
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

/* Version 2: incidents join by a key (source or instance) and may be
 * observe-only. */
static const char schema_v2[] =
	"ALTER TABLE incidents ADD COLUMN join_key TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE incidents ADD COLUMN observe INTEGER NOT NULL DEFAULT 0;"
	"UPDATE incidents SET join_key = 'source:' || source;"
	"DROP INDEX incidents_active;"
	"CREATE INDEX incidents_active ON incidents (join_key, id)"
	" WHERE state NOT IN ('released','closed');"
	"PRAGMA user_version = 2;";

/* Version 3: which incident holds an instance (store_hold), one row per
 * instance; the incidents that held one under version 2 (containing or
 * contained, the oldest first) get theirs. */
static const char schema_v3[] =
	"CREATE TABLE holders (instance_id TEXT PRIMARY KEY, incident_id INTEGER NOT NULL,"
	" at_ms INTEGER NOT NULL);"
	"CREATE INDEX holders_incident ON holders (incident_id);"
	"INSERT OR IGNORE INTO holders (instance_id, incident_id, at_ms)"
	" SELECT instance_id, id, state_ms FROM incidents WHERE state IN ('containing','contained')"
	" AND observe = 0 AND instance_id <> '' ORDER BY id;"
	"PRAGMA user_version = 3;";

/* A read-only open reads version 2 as well: only store_hold uses holders. */
#define SCHEMA_READABLE 2

/* Version 4: the store's identity (store.h), drawn once (an identity
 * already there is kept, whatever the version says); incidents before
 * first_keyed were opened before it existed.  %s: the new identity (hex
 * digits, no quoting needed). */
static const char schema_v4[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO meta VALUES ('store_id', '%s'), ('first_keyed', CAST(1 + COALESCE("
	" (SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0) AS TEXT));"
	"PRAGMA user_version = 4;";

/* Version 5: a claim must be this version's.  Every claim of schema 5
 * marks its lease (lease_by = the owner, in the same UPDATE that sets
 * lease_owner); a responder of an older ssrfguard that still has the
 * database open (one opened before the migration: a new open of a newer
 * schema is refused) claims with its own UPDATE, which sets lease_owner
 * alone, and the trigger refuses it, with the message it logs (an owner
 * that claims again its own lease run out included).  Leases taken before
 * the migration keep working until they end: a renewal does not set the
 * owner, and a state change only clears it (never to containing). */
static const char schema_v5_column[] =
	"ALTER TABLE incidents ADD COLUMN lease_by TEXT NOT NULL DEFAULT '';";
static const char schema_v5[] =
	"CREATE TRIGGER IF NOT EXISTS claim_needs_schema_5 BEFORE UPDATE OF lease_owner ON incidents"
	" WHEN NEW.lease_owner <> '' AND NEW.lease_by IS NOT NEW.lease_owner"
	" BEGIN SELECT RAISE(ABORT, '" STORE_OLDER_CLAIM_REFUSED "'); END;"
	"PRAGMA user_version = 5;";

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

static const char *sq_errmsg(const store *base)
{
	const sq_store *s = (const sq_store *)base;
	return s->db ? sqlite3_errmsg(s->db) : "no store";
}

static void sq_close(store *base)
{
	sq_store *s = (sq_store *)base;
	if (!s)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s);
}

static sg_err exec(sq_store *s, const char *sql)
{
	return store_map_rc(sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

static sg_err pragma_int(sq_store *s, const char *sql, int64_t *out)
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

static sg_err sq_size_of(sq_store *s, int64_t *bytes)
{
	int64_t pages = 0, size = 0, free_pages = 0;
	sg_err e = pragma_int(s, "PRAGMA page_count", &pages);
	if (e == SG_OK)
		e = pragma_int(s, "PRAGMA page_size", &size);
	if (e == SG_OK)
		e = pragma_int(s, "PRAGMA freelist_count", &free_pages);
	if (e == SG_OK)
		*bytes = (pages - free_pages) * size;
	return e;
}

static sg_err sq_size(store *s, int64_t *bytes) { return sq_size_of((sq_store *)s, bytes); }

static const struct store_engine sqlite_engine;

/* The identity and first_keyed from meta (schema 4); a read-only handle
 * of an older store has none (store.h). */
static sg_err read_identity(sq_store *s, int64_t ver)
{
	s->base.first_keyed = INT64_MAX;
	if (ver < 4)
		return SG_OK;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT key, value FROM meta", -1, &st, NULL);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		if (k && v && !strcmp(k, "store_id") && strlen(v) == STORE_ID_LEN &&
		    strspn(v, "0123456789abcdef") == STORE_ID_LEN)
			memcpy(s->base.identity, v, STORE_ID_LEN + 1);
		else if (k && v && !strcmp(k, "first_keyed"))
			s->base.first_keyed = strtoll(v, NULL, 10);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return store_map_rc(rc);
	return s->base.identity[0] && s->base.first_keyed > 0 ? SG_OK : SG_ERR_CORRUPT;
}

/* Create (version 0) or migrate the schema under an exclusive lock; a
 * racing opener re-reads the version inside it. */
static sg_err migrate(sq_store *s, int64_t ver)
{
	sg_err e = exec(s, "BEGIN EXCLUSIVE");
	if (e != SG_OK)
		return e;
	if ((e = pragma_int(s, "PRAGMA user_version", &ver)) == SG_OK && ver == 0)
		e = exec(s, schema_v1);
	if (e == SG_OK && ver < 2)
		e = exec(s, schema_v2);
	if (e == SG_OK && ver < 3)
		e = exec(s, schema_v3);
	if (e == SG_OK && ver < 4) {
		char id[STORE_ID_LEN + 1], sql[sizeof schema_v4 + STORE_ID_LEN];
		if ((e = store_new_identity(id)) == SG_OK) {
			snprintf(sql, sizeof sql, schema_v4, id);
			e = exec(s, sql);
		}
	}
	if (e == SG_OK && ver < 5) {
		int64_t has = 0; /* kept whatever the version says, as the identity is */
		e = pragma_int(s, "SELECT count(*) FROM pragma_table_info('incidents') "
		                  "WHERE name = 'lease_by'", &has);
		if (e == SG_OK && !has)
			e = exec(s, schema_v5_column);
		if (e == SG_OK)
			e = exec(s, schema_v5);
	}
	if (e == SG_OK)
		e = exec(s, "COMMIT");
	if (e != SG_OK)
		exec(s, "ROLLBACK");
	return e;
}

sg_err store_sqlite_open(const char *path, const store_opts *opts, store **out,
                         char *err, size_t errlen)
{
	store_opts o = *opts;
	sq_store *s = NULL;
	sg_err e = SG_ERR_NOMEM;
	const char *what = "out of memory";
	int64_t ver = 0;

	s = calloc(1, sizeof *s);
	if (!s)
		goto fail;
	s->base.eng = &sqlite_engine;
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
		if (ver < STORE_SCHEMA_VERSION && (e = migrate(s, ver)) != SG_OK) {
			what = sqlite3_errmsg(s->db);
			goto fail;
		}
		ver = STORE_SCHEMA_VERSION;
	} else if (ver == 0) {
		e = SG_ERR_NOTFOUND;
		what = "no incident store there (empty database)";
		goto fail;
	} else if (ver < SCHEMA_READABLE) {
		e = SG_ERR_UNSUPPORTED;
		what = "written by an older ssrfguard (schema 1): open it read-write once "
		       "(`ssrfguard serve` or `ssrfguard respond` migrate it)";
		goto fail;
	}
	/* a damaged store still opens (serve then reports it failing and
	 * fails closed); without its identity no incident is run (store.h) */
	if (read_identity(s, ver) != SG_OK)
		s->base.identity[0] = '\0';
	for (int i = 0; i < Q__COUNT; i++) {
		if (ver < 3 && (i == Q_HOLDER || i == Q_HOLD || i == Q_UNHOLD))
			continue;   /* read-only on schema 2: never writes (a NULL statement fails) */
		rc = sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &s->q[i], NULL);
		if (rc != SQLITE_OK) {
			e = store_map_rc(rc);
			what = sqlite3_errmsg(s->db);
			goto fail;
		}
	}
	*out = &s->base;
	return SG_OK;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what);
	sq_close(s ? &s->base : NULL);
	return e;
}

/* ---- statement helpers ---- */

static sqlite3_stmt *q(sq_store *s, int which)
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

static sg_err begin(sq_store *s) { return run(q(s, Q_BEGIN)); }

static sg_err finish(sq_store *s, sg_err e)
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

static sg_err history(sq_store *s, int64_t id, const char *step, const char *from,
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
	const char *key;
	int64_t id;
	int logged;
	int64_t pend, pend_at;
	int64_t seen;    /* the incident's attempts before this one */
	int full;        /* the store reached max_bytes (checked per batch) */
} rec_cursor;

static sg_err flush_join(sq_store *s, rec_cursor *c)
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

static sg_err record_one(sq_store *s, const store_attempt_in *a, const char *key,
                         store_record_out *o, rec_cursor *c)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : sg_wall_ms();
	int64_t id = 0;
	char reason[256];
	sg_err e;
	int rc, logged = 0;
	sqlite3_stmt *st;

	memset(o, 0, sizeof *o);
	if (c->id && !strcmp(c->key, key)) {
		id = c->id;
		logged = c->logged;
		c->seen++;
		rc = SQLITE_ROW;
	} else {
		if ((e = flush_join(s, c)) != SG_OK)
			return e;
		c->id = 0;
		st = q(s, Q_FIND_ACTIVE);
		bt(st, 1, key);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			id = sqlite3_column_int64(st, 0);
			logged = !strcmp((const char *)sqlite3_column_text(st, 1), "logged");
			c->seen = sqlite3_column_int64(st, 2);
		}
		sqlite3_reset(st);
	}
	if (rc == SQLITE_ROW) {
		c->key = key;
		c->id = id;
		c->logged = logged;
		c->pend++;
		if (at > c->pend_at)
			c->pend_at = at;
		if (a->contain && logged) {
			store_reason_escalated(a, reason, sizeof reason);
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
		store_reason_opened(a, reason, sizeof reason);
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
		bt(st, 12, key);
		sqlite3_bind_int(st, 13, a->observe ? 1 : 0);
		if ((e = run(st)) != SG_OK)
			return e;
		id = sqlite3_last_insert_rowid(s->db);
		if ((e = history(s, id, "", "", state, reason, "serve", at)) != SG_OK)
			return e;
		o->opened = 1;
		c->key = key;
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

static sg_err sq_record_many(store *base, const store_attempt_in *a, const char *const *keys,
                             size_t n, store_record_out *out)
{
	sq_store *s = (sq_store *)base;
	rec_cursor cur = {0};
	int64_t size = 0;
	if (s->max_bytes && sq_size_of(s, &size) == SG_OK && size >= s->max_bytes)
		cur.full = 1;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	for (size_t i = 0; i < n && e == SG_OK; i++) {
		store_record_out tmp;
		e = record_one(s, &a[i], keys[i], out ? &out[i] : &tmp, &cur);
	}
	if (e == SG_OK)
		e = flush_join(s, &cur);
	e = finish(s, e);
	if (e != SG_OK && out)   /* rolled back: none is recorded */
		memset(out, 0, n * sizeof *out);
	return e;
}

static sg_err claim_in_tx(sq_store *s, int64_t want, const char *owner, int64_t lease_ms,
                          int64_t at, int64_t *incident_id);

static sg_err sq_record_claim(store *base, const store_attempt_in *a, const char *key,
                              const char *owner, int64_t lease_ms, store_record_out *out)
{
	sq_store *s = (sq_store *)base;
	rec_cursor cur = {0};
	int64_t id = 0;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	e = record_one(s, a, key, out, &cur);
	if (e == SG_OK)
		e = flush_join(s, &cur);
	if (e != SG_OK)
		return finish(s, e);
	/* the attempt stays recorded whatever the claim says */
	sg_err claimed = claim_in_tx(s, out->incident_id, owner, lease_ms, sg_wall_ms(), &id);
	if (claimed != SG_OK && claimed != SG_ERR_BUSY && claimed != SG_ERR_STATE)
		return finish(s, claimed);
	e = finish(s, SG_OK);
	return e != SG_OK ? e : claimed;
}

/* ---- the one transition function ---- */

/* The incident's row as a change sees it: its state (*state_ok 0 when the
 * stored text is no state), whether actor holds it, and its lease. */
static sg_err incident_row(sq_store *s, const store_change *c, store_state *state,
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

static sg_err change_incident(sq_store *s, const store_change *c, int64_t at)
{
	store_state to, from;
	sg_err e;

	int state_ok, owner_ok;
	int64_t lease_until;
	if ((e = incident_row(s, c, &from, &state_ok, &owner_ok, &lease_until)) != SG_OK)
		return e;
	if (!state_ok)
		return SG_ERR_CORRUPT;
	if ((e = store_check_move(c, from, owner_ok ? c->actor : "", lease_until, at, &to)) != SG_OK)
		return e;
	sqlite3_stmt *st = q(s, Q_SET_STATE);
	sqlite3_bind_int64(st, 1, c->incident_id);
	bt(st, 2, store_state_name(to));
	bt(st, 3, c->reason);
	sqlite3_bind_int64(st, 4, at);
	if ((e = run(st)) != SG_OK)
		return e;
	if (!store_state_holds(to)) {   /* failed, released, closed: the hold ends */
		st = q(s, Q_UNHOLD);
		sqlite3_bind_int64(st, 1, c->incident_id);
		if ((e = run(st)) != SG_OK)
			return e;
	}
	return history(s, c->incident_id, "", store_state_name(from), store_state_name(to),
	               c->reason, c->actor, at);
}

static sg_err change_step(sq_store *s, const store_change *c, int64_t at)
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

static sg_err sq_transition(store *base, const store_change *c, int64_t at)
{
	sq_store *s = (sq_store *)base;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
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
	return store_claimable(from, prev, until, owner, at);
}

/* The claim inside an open transaction. */
static sg_err claim_in_tx(sq_store *s, int64_t want, const char *owner, int64_t lease_ms,
                          int64_t at, int64_t *incident_id)
{
	char reason[256];
	int64_t id = 0;
	sqlite3_stmt *st = q(s, want ? Q_CLAIM_ONE : Q_CLAIMABLE);
	sqlite3_bind_int64(st, 1, want ? want : at);
	char from[32], prev[128];
	sg_err e = claimable(st, want != 0, owner, at, &id, from, prev);
	if (e != SG_OK)
		return e;
	store_reason_claimed(from, prev, owner, reason, sizeof reason);
	st = q(s, Q_CLAIM);
	sqlite3_bind_int64(st, 1, id);
	bt(st, 2, owner);
	bt(st, 3, reason);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, at + lease_ms);
	if ((e = run(st)) == SG_OK)
		e = history(s, id, "", from, "containing", reason, owner, at);
	if (e == SG_OK)
		*incident_id = id;
	return e;
}

static sg_err sq_claim(store *base, int64_t want, const char *owner, int64_t lease_ms,
                       int64_t *incident_id)
{
	sq_store *s = (sq_store *)base;
	int64_t id = 0;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	e = claim_in_tx(s, want, owner, lease_ms, sg_wall_ms(), &id);
	if ((e = finish(s, e)) == SG_OK)
		*incident_id = id;
	return e;
}

static sg_err sq_renew(store *base, int64_t incident_id, const char *owner, int64_t lease_ms)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = q(s, Q_RENEW);
	sqlite3_bind_int64(st, 1, incident_id);
	bt(st, 2, owner);
	sqlite3_bind_int64(st, 3, sg_wall_ms() + lease_ms);
	sg_err e = run(st);
	if (e == SG_OK && sqlite3_changes(s->db) != 1)
		e = SG_ERR_BUSY;
	return e;
}

/* ---- which incident holds an instance ---- */

/* Inside the hold's transaction: incident id must be containing under
 * owner's lease; its instance -> instance. */
static sg_err hold_of(sq_store *s, int64_t id, const char *owner, char instance[128])
{
	sqlite3_stmt *st = q(s, Q_HOLD_OF);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? SG_ERR_NOTFOUND : store_map_rc(rc);
	}
	bool held = !strcmp((const char *)sqlite3_column_text(st, 0), "containing") &&
	            !strcmp((const char *)sqlite3_column_text(st, 1), owner);
	snprintf(instance, 128, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return !held ? SG_ERR_STATE : !instance[0] ? SG_ERR_INVAL : SG_OK;
}

static sg_err hold_in_tx(sq_store *s, int64_t id, const char *owner, int64_t *holder)
{
	char instance[128];
	sg_err e = hold_of(s, id, owner, instance);
	if (e != SG_OK)
		return e;
	sqlite3_stmt *st = q(s, Q_HOLDER);
	bt(st, 1, instance);
	int rc = sqlite3_step(st);
	int64_t other = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	store_state other_state;
	bool holds = rc == SQLITE_ROW && other != id &&
	             store_state_parse((const char *)sqlite3_column_text(st, 1), &other_state) == SG_OK &&
	             store_state_holds(other_state);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_map_rc(rc);
	if (holds) {
		*holder = other;
		return SG_OK;
	}
	st = q(s, Q_HOLD);
	bt(st, 1, instance);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, sg_wall_ms());
	if ((e = run(st)) == SG_OK)
		*holder = id;
	return e;
}

static sg_err sq_hold(store *base, int64_t incident_id, const char *owner, int64_t *holder)
{
	sq_store *s = (sq_store *)base;
	int64_t who = 0;
	sg_err e = begin(s);
	if (e != SG_OK)
		return e;
	e = hold_in_tx(s, incident_id, owner, &who);
	if ((e = finish(s, e)) == SG_OK)
		*holder = who;
	return e;
}

static const struct store_engine sqlite_engine = {
	.close = sq_close,
	.errmsg = sq_errmsg,
	.size = sq_size,
	.record_many = sq_record_many,
	.record_claim = sq_record_claim,
	.transition = sq_transition,
	.claim = sq_claim,
	.renew = sq_renew,
	.hold = sq_hold,
	.get = sq_get,
	.list = sq_list,
	.attempts = sq_attempts,
	.steps = sq_steps,
	.step_get = sq_step_get,
	.history = sq_history,
	.count_states = sq_count_states,
	.ping = sq_ping,
};
