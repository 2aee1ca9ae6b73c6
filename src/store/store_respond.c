/* store_respond.c — the responder's extra store operation: claim one given
 * incident (respond --instance, incidents retry).  Same rules and history
 * as store_claim, for a chosen id.  Added by the respond area; uses only
 * the schema and the handle layout of store_int.h. */
#include "store/store_int.h"
#include "store/store_respond.h"

#include <stdio.h>
#include <string.h>
#include <time.h>


static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sg_err step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SG_OK : store_map_rc(rc);
}

sg_err store_claim_id(store *s, int64_t id, const char *owner, int64_t lease_ms)
{
	if (!s || !owner || !owner[0] || lease_ms <= 0 || id <= 0)
		return SG_ERR_INVAL;
	sqlite3_stmt *st = NULL;
	char from[32] = "", prev[128] = "", reason[256];
	int64_t until = 0, at = now_ms();
	sg_err e = store_map_rc(sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	if (e != SG_OK)
		return e;
	int rc = sqlite3_prepare_v2(s->db,
	                            "SELECT state, lease_owner, lease_until_ms FROM incidents WHERE id = ?1",
	                            -1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = store_map_rc(rc);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? SG_ERR_NOTFOUND : store_map_rc(rc);
		sqlite3_finalize(st);
		goto fail;
	}
	snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 1));
	until = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (!strcmp(from, "containing")) {
		if (strcmp(prev, owner) != 0 && until >= at) {
			e = SG_ERR_BUSY;
			goto fail;
		}
		snprintf(reason, sizeof reason, "lease of %s expired; taken over by %s", prev, owner);
	} else if (!strcmp(from, "open")) {
		snprintf(reason, sizeof reason, "claimed by %s", owner);
	} else {
		e = SG_ERR_STATE;
		goto fail;
	}
	rc = sqlite3_prepare_v2(s->db,
	                        "UPDATE incidents SET state = 'containing', state_reason = ?3, "
	                        "state_ms = ?4, updated_ms = ?4, lease_owner = ?2, lease_until_ms = ?5 "
	                        "WHERE id = ?1",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = store_map_rc(rc);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, at + lease_ms);
	if ((e = step_done(st)) != SG_OK)
		goto fail;
	rc = sqlite3_prepare_v2(s->db,
	                        "INSERT INTO history (incident_id, step, from_s, to_s, reason, actor, at_ms) "
	                        "VALUES (?1, '', ?2, 'containing', ?3, ?4, ?5)",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = store_map_rc(rc);
		goto fail;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, at);
	if ((e = step_done(st)) != SG_OK)
		goto fail;
	return store_map_rc(sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL));
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return e;
}
