/* sqlite.c — the SQLite (WAL) engine of the incident store: one file on
 * one host; see store.h.  Here: the schema and its migrations, opening and
 * closing, the statement helpers the other files use, and the engine's
 * table; recording is in sqlite_record.c, the changes after it in
 * sqlite_change.c, the reads in sqlite_read.c (sqlite_int.h). */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

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

sg_err sq_size_of(sq_store *s, int64_t *bytes)
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

sqlite3_stmt *sq_stmt(sq_store *s, int which)
{
	sqlite3_stmt *st = s->q[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, nz(v), -1, SQLITE_STATIC);
}

sg_err sq_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SG_OK : store_map_rc(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

sg_err sq_begin(sq_store *s) { return sq_run(sq_stmt(s, Q_BEGIN)); }

sg_err sq_finish(sq_store *s, sg_err e)
{
	if (e == SG_OK) {
		e = sq_run(sq_stmt(s, Q_COMMIT));
		if (e == SG_OK)
			return SG_OK;
	}
	if (!sqlite3_get_autocommit(s->db))
		sq_run(sq_stmt(s, Q_ROLLBACK));
	return e;
}

sg_err sq_add_history(sq_store *s, int64_t id, const char *step, const char *from,
                      const char *to, const char *reason, const char *actor, int64_t at)
{
	sqlite3_stmt *st = sq_stmt(s, Q_HIST);
	sqlite3_bind_int64(st, 1, id);
	sq_bind_text(st, 2, step);
	sq_bind_text(st, 3, from);
	sq_bind_text(st, 4, to);
	sq_bind_text(st, 5, reason);
	sq_bind_text(st, 6, actor);
	sqlite3_bind_int64(st, 7, at);
	return sq_run(st);
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
