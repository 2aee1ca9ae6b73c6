/* sqlite_record.c — the SQLite engine's recording of blocked attempts
 * (store_record_many, store_record_claim): each attempt joins the active
 * incident of its key or opens one, and is kept as a row of its own until
 * the store or its incident is full (then only counted).  A batch is one
 * transaction. */
#include "store/sqlite_int.h"

#include <stdbool.h>
#include <string.h>

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
	sqlite3_stmt *st = sq_stmt(s, Q_JOIN);
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_int64(st, 2, c->pend_at);
	sqlite3_bind_int64(st, 3, c->pend);
	c->pend = 0;
	return sq_run(st);
}

/* The active incident of key (*found): the cursor's when the batch's last
 * attempt had the same key, else the store's, once the cursor's pending
 * joins are written.  A found one becomes the cursor's. */
static sg_err find_active(sq_store *s, const char *key, rec_cursor *c, bool *found)
{
	*found = false;
	if (c->id && !strcmp(c->key, key)) {
		c->seen++;
		*found = true;
		return SG_OK;
	}
	sg_err e = flush_join(s, c);
	if (e != SG_OK)
		return e;
	c->id = 0;
	sqlite3_stmt *st = sq_stmt(s, Q_FIND_ACTIVE);
	sq_bind_text(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->key = key;
		c->id = sqlite3_column_int64(st, 0);
		c->logged = !strcmp((const char *)sqlite3_column_text(st, 1), "logged");
		c->seen = sqlite3_column_int64(st, 2);
		*found = true;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SG_OK : store_map_rc(rc);
}

/* The attempt joins the cursor's incident: counted in the cursor (written
 * by flush_join); an attempt that contains escalates a logged incident to
 * open. */
static sg_err join_incident(sq_store *s, const store_attempt_in *a, int64_t at,
                            store_record_out *o, rec_cursor *c)
{
	char reason[256];
	sg_err e;
	c->pend++;
	if (at > c->pend_at)
		c->pend_at = at;
	if (!a->contain || !c->logged)
		return SG_OK;
	store_reason_escalated(a, reason, sizeof reason);
	sqlite3_stmt *st = sq_stmt(s, Q_ESCALATE);
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, reason);
	if ((e = sq_run(st)) != SG_OK ||
	    (e = sq_add_history(s, c->id, "", "logged", "open", reason, "serve", at)) != SG_OK)
		return e;
	o->escalated = 1;
	c->logged = 0;
	return SG_OK;
}

/* A new incident for the attempt (open when it contains, else logged),
 * which becomes the cursor's. */
static sg_err open_incident(sq_store *s, const store_attempt_in *a, const char *key, int64_t at,
                            store_record_out *o, rec_cursor *c)
{
	const char *state = a->contain ? "open" : "logged";
	char reason[256];
	sg_err e;
	store_reason_opened(a, reason, sizeof reason);
	sqlite3_stmt *st = sq_stmt(s, Q_NEW_INC);
	sq_bind_text(st, 1, state);
	sq_bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, at);
	sq_bind_text(st, 4, a->client);
	sq_bind_text(st, 5, a->category);
	sq_bind_text(st, 6, a->rule);
	sq_bind_text(st, 7, a->dest);
	sq_bind_text(st, 8, a->instance_id);
	sq_bind_text(st, 9, a->region);
	sq_bind_text(st, 10, a->az);
	sqlite3_bind_int(st, 11, a->contain ? 1 : 0);
	sq_bind_text(st, 12, key);
	sqlite3_bind_int(st, 13, a->observe ? 1 : 0);
	if ((e = sq_run(st)) != SG_OK)
		return e;
	int64_t id = sqlite3_last_insert_rowid(s->db);
	if ((e = sq_add_history(s, id, "", "", state, reason, "serve", at)) != SG_OK)
		return e;
	o->opened = 1;
	c->key = key;
	c->id = id;
	c->logged = !a->contain;
	c->pend = 0;
	c->pend_at = at;
	c->seen = 0;
	return SG_OK;
}

/* The attempt's own row, under incident id. */
static sg_err add_attempt_row(sq_store *s, const store_attempt_in *a, int64_t id, int64_t at,
                              store_record_out *o)
{
	sqlite3_stmt *st = sq_stmt(s, Q_NEW_ATT);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, at);
	sq_bind_text(st, 3, a->client);
	sq_bind_text(st, 4, a->request);
	sq_bind_text(st, 5, a->headers && *a->headers ? a->headers : "{}");
	sq_bind_text(st, 6, a->url);
	sq_bind_text(st, 7, a->dest);
	sq_bind_text(st, 8, a->category);
	sq_bind_text(st, 9, a->rule);
	sq_bind_text(st, 10, a->reason);
	sqlite3_bind_int(st, 11, a->hop);
	sq_bind_text(st, 12, a->addrs && *a->addrs ? a->addrs : "[]");
	sq_bind_text(st, 13, a->instance_id);
	sq_bind_text(st, 14, a->region);
	sq_bind_text(st, 15, a->az);
	sqlite3_bind_int(st, 16, a->contain ? 1 : 0);
	sg_err e = sq_run(st);
	if (e == SG_OK)
		o->attempt_id = sqlite3_last_insert_rowid(s->db);
	return e;
}

/* One attempt inside the batch's transaction: it joins the active incident
 * of its key or opens one, and gets a row of its own unless the store is
 * full or its incident has detail_max rows (then it is only counted). */
static sg_err record_one(sq_store *s, const store_attempt_in *a, const char *key,
                         store_record_out *o, rec_cursor *c)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : sg_wall_ms();
	bool found;
	memset(o, 0, sizeof *o);
	sg_err e = find_active(s, key, c, &found);
	if (e == SG_OK)
		e = found ? join_incident(s, a, at, o, c) : open_incident(s, a, key, at, o, c);
	if (e != SG_OK)
		return e;
	o->incident_id = c->id;
	if (c->full || (s->detail_max && c->seen >= s->detail_max)) {
		o->aggregated = 1; /* counted above (join or new incident) */
		return SG_OK;
	}
	return add_attempt_row(s, a, c->id, at, o);
}

sg_err sq_record_many(store *base, const store_attempt_in *a, const char *const *keys,
                      size_t n, store_record_out *out)
{
	sq_store *s = (sq_store *)base;
	rec_cursor cur = {0};
	int64_t size = 0;
	if (s->max_bytes && sq_size_of(s, &size) == SG_OK && size >= s->max_bytes)
		cur.full = 1;
	sg_err e = sq_begin(s);
	if (e != SG_OK)
		return e;
	for (size_t i = 0; i < n && e == SG_OK; i++) {
		store_record_out tmp;
		e = record_one(s, &a[i], keys[i], out ? &out[i] : &tmp, &cur);
	}
	if (e == SG_OK)
		e = flush_join(s, &cur);
	e = sq_finish(s, e);
	if (e != SG_OK && out)   /* rolled back: none is recorded */
		memset(out, 0, n * sizeof *out);
	return e;
}

sg_err sq_record_claim(store *base, const store_attempt_in *a, const char *key,
                       const char *owner, int64_t lease_ms, store_record_out *out)
{
	sq_store *s = (sq_store *)base;
	rec_cursor cur = {0};
	int64_t id = 0;
	sg_err e = sq_begin(s);
	if (e != SG_OK)
		return e;
	e = record_one(s, a, key, out, &cur);
	if (e == SG_OK)
		e = flush_join(s, &cur);
	if (e != SG_OK)
		return sq_finish(s, e);
	/* the attempt stays recorded whatever the claim says */
	sg_err claimed = sq_claim_in_tx(s, out->incident_id, owner, lease_ms, sg_wall_ms(), &id);
	if (claimed != SG_OK && claimed != SG_ERR_BUSY && claimed != SG_ERR_STATE)
		return sq_finish(s, claimed);
	e = sq_finish(s, SG_OK);
	return e != SG_OK ? e : claimed;
}
