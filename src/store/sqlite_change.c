/* sqlite_change.c — the SQLite engine's changes of an incident after it
 * is recorded: the one transition function (store_transition: the
 * incident's state or one step's), claims and lease renewals, and which
 * incident holds an instance (store_hold).  Each is one transaction. */
#include "store/sqlite_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- the one transition function ---- */

/* The incident's row as a change sees it: its state (*state_ok 0 when the
 * stored text is no state), whether actor holds it, and its lease. */
static sg_err incident_row(sq_store *s, const store_change *c, store_state *state,
                           int *state_ok, int *owner_ok, int64_t *lease_until)
{
	sqlite3_stmt *st = sq_stmt(s, Q_GET_STATE);
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
	sqlite3_stmt *st = sq_stmt(s, Q_SET_STATE);
	sqlite3_bind_int64(st, 1, c->incident_id);
	sq_bind_text(st, 2, store_state_name(to));
	sq_bind_text(st, 3, c->reason);
	sqlite3_bind_int64(st, 4, at);
	if ((e = sq_run(st)) != SG_OK)
		return e;
	if (!store_state_holds(to)) {   /* failed, released, closed: the hold ends */
		st = sq_stmt(s, Q_UNHOLD);
		sqlite3_bind_int64(st, 1, c->incident_id);
		if ((e = sq_run(st)) != SG_OK)
			return e;
	}
	return sq_add_history(s, c->incident_id, "", store_state_name(from), store_state_name(to),
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
	sqlite3_stmt *st = sq_stmt(s, Q_STEP_GET);
	sqlite3_bind_int64(st, 1, c->incident_id);
	sq_bind_text(st, 2, c->step);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_map_rc(rc);
	if (c->from && strcmp(c->from, from))
		return SG_ERR_STATE;
	st = sq_stmt(s, Q_STEP_PUT);
	sqlite3_bind_int64(st, 1, c->incident_id);
	sq_bind_text(st, 2, c->step);
	sq_bind_text(st, 3, c->to);
	sqlite3_bind_int(st, 4, c->bump_attempts ? 1 : 0);
	if (c->data)
		sq_bind_text(st, 5, c->data);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, at);
	if ((e = sq_run(st)) != SG_OK)
		return e;
	return sq_add_history(s, c->incident_id, c->step, from, c->to, c->reason, c->actor, at);
}

sg_err sq_transition(store *base, const store_change *c, int64_t at)
{
	sq_store *s = (sq_store *)base;
	sg_err e = sq_begin(s);
	if (e != SG_OK)
		return e;
	e = c->step ? change_step(s, c, at) : change_incident(s, c, at);
	return sq_finish(s, e);
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
sg_err sq_claim_in_tx(sq_store *s, int64_t want, const char *owner, int64_t lease_ms,
                      int64_t at, int64_t *incident_id)
{
	char reason[256];
	int64_t id = 0;
	sqlite3_stmt *st = sq_stmt(s, want ? Q_CLAIM_ONE : Q_CLAIMABLE);
	sqlite3_bind_int64(st, 1, want ? want : at);
	char from[32], prev[128];
	sg_err e = claimable(st, want != 0, owner, at, &id, from, prev);
	if (e != SG_OK)
		return e;
	store_reason_claimed(from, prev, owner, reason, sizeof reason);
	st = sq_stmt(s, Q_CLAIM);
	sqlite3_bind_int64(st, 1, id);
	sq_bind_text(st, 2, owner);
	sq_bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, at + lease_ms);
	if ((e = sq_run(st)) == SG_OK)
		e = sq_add_history(s, id, "", from, "containing", reason, owner, at);
	if (e == SG_OK)
		*incident_id = id;
	return e;
}

sg_err sq_claim(store *base, int64_t want, const char *owner, int64_t lease_ms,
                int64_t *incident_id)
{
	sq_store *s = (sq_store *)base;
	int64_t id = 0;
	sg_err e = sq_begin(s);
	if (e != SG_OK)
		return e;
	e = sq_claim_in_tx(s, want, owner, lease_ms, sg_wall_ms(), &id);
	if ((e = sq_finish(s, e)) == SG_OK)
		*incident_id = id;
	return e;
}

sg_err sq_renew(store *base, int64_t incident_id, const char *owner, int64_t lease_ms)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = sq_stmt(s, Q_RENEW);
	sqlite3_bind_int64(st, 1, incident_id);
	sq_bind_text(st, 2, owner);
	sqlite3_bind_int64(st, 3, sg_wall_ms() + lease_ms);
	sg_err e = sq_run(st);
	if (e == SG_OK && sqlite3_changes(s->db) != 1)
		e = SG_ERR_BUSY;
	return e;
}

/* ---- which incident holds an instance ---- */

/* Inside the hold's transaction: incident id must be containing under
 * owner's lease; its instance -> instance. */
static sg_err hold_of(sq_store *s, int64_t id, const char *owner, char instance[128])
{
	sqlite3_stmt *st = sq_stmt(s, Q_HOLD_OF);
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
	sqlite3_stmt *st = sq_stmt(s, Q_HOLDER);
	sq_bind_text(st, 1, instance);
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
	st = sq_stmt(s, Q_HOLD);
	sq_bind_text(st, 1, instance);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_int64(st, 3, sg_wall_ms());
	if ((e = sq_run(st)) == SG_OK)
		*holder = id;
	return e;
}

sg_err sq_hold(store *base, int64_t incident_id, const char *owner, int64_t *holder)
{
	sq_store *s = (sq_store *)base;
	int64_t who = 0;
	sg_err e = sq_begin(s);
	if (e != SG_OK)
		return e;
	e = hold_in_tx(s, incident_id, owner, &who);
	if ((e = sq_finish(s, e)) == SG_OK)
		*holder = who;
	return e;
}
