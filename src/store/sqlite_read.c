/* sqlite_read.c — the SQLite engine's read side: incidents, attempts,
 * steps, history. */
#include "store/sqlite_int.h"

#include <stdlib.h>
#include <string.h>

#define map_rc store_map_rc
static sqlite3 *db_of(store *s) { return ((sq_store *)s)->db; }

/* Copy column i; "" for NULL.  Sets *bad on allocation failure. */
static char *col(sqlite3_stmt *st, int i, int *bad)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	char *p = malloc(n + 1);
	if (!p) {
		*bad = 1;
		return NULL;
	}
	if (n)
		memcpy(p, t, n);
	p[n] = '\0';
	return p;
}

/*
 * Run a query whose rows fill records of size `size` through `fill`; grows
 * a malloc'd array.  On error frees via `clear` what was filled.
 */
typedef int (*fill_fn)(sqlite3_stmt *st, void *rec);
typedef void (*clear_fn)(void *rec);

static sg_err collect(sqlite3_stmt *st, size_t size, size_t limit, fill_fn fill,
                      clear_fn clear, void **out, size_t *n)
{
	char *arr = NULL;
	size_t cap = 0, cnt = 0;
	sg_err e = SG_OK;
	int rc;

	while (cnt < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			if (ncap > limit)
				ncap = limit;
			char *p = realloc(arr, ncap * size);
			if (!p) {
				e = SG_ERR_NOMEM;
				goto fail;
			}
			arr = p;
			cap = ncap;
		}
		memset(arr + cnt * size, 0, size);
		if (fill(st, arr + cnt * size)) {
			clear(arr + cnt * size);
			e = SG_ERR_NOMEM;
			goto fail;
		}
		cnt++;
	}
	if (cnt < limit && rc != SQLITE_DONE) {
		e = map_rc(rc);
		goto fail;
	}
	sqlite3_finalize(st);
	*out = arr;
	*n = cnt;
	return SG_OK;
fail:
	for (size_t i = 0; i < cnt; i++)
		clear(arr + i * size);
	free(arr);
	sqlite3_finalize(st);
	return e;
}

static sg_err prep(store *s, const char *sql, sqlite3_stmt **st)
{
	return map_rc(sqlite3_prepare_v2(db_of(s), sql, -1, st, NULL));
}

/* ---- incidents ---- */

#define INC_COLS "id, state, state_reason, source, category, rule, dest, instance_id, " \
                 "region, az, contain, attempts, opened_ms, updated_ms, state_ms, "     \
                 "lease_owner, lease_until_ms, observe"

static int fill_inc(sqlite3_stmt *st, void *rec)
{
	store_incident *r = rec;
	int bad = 0;
	r->id = sqlite3_column_int64(st, 0);
	if (store_state_parse((const char *)sqlite3_column_text(st, 1), &r->state) != SG_OK)
		r->state = STORE_STATE__COUNT;
	r->state_reason = col(st, 2, &bad);
	r->source = col(st, 3, &bad);
	r->category = col(st, 4, &bad);
	r->rule = col(st, 5, &bad);
	r->dest = col(st, 6, &bad);
	r->instance_id = col(st, 7, &bad);
	r->region = col(st, 8, &bad);
	r->az = col(st, 9, &bad);
	r->contain = sqlite3_column_int(st, 10);
	r->attempts = sqlite3_column_int64(st, 11);
	r->opened_ms = sqlite3_column_int64(st, 12);
	r->updated_ms = sqlite3_column_int64(st, 13);
	r->state_ms = sqlite3_column_int64(st, 14);
	r->lease_owner = col(st, 15, &bad);
	r->lease_until_ms = sqlite3_column_int64(st, 16);
	r->observe = sqlite3_column_int(st, 17);
	return bad;
}

static void clear_inc(void *rec) { store_incident_free(rec); }

/* The statement's first row into *out (size bytes), or SG_ERR_NOTFOUND. */
static sg_err collect_one(sqlite3_stmt *st, size_t size, fill_fn fill, clear_fn clear, void *out)
{
	void *arr = NULL;
	size_t n = 0;
	sg_err e = collect(st, size, 1, fill, clear, &arr, &n);
	if (e == SG_OK && n == 0)
		e = SG_ERR_NOTFOUND;
	if (e == SG_OK)
		memcpy(out, arr, size);
	free(arr);
	return e;
}

sg_err sq_get(store *s, int64_t id, store_incident *out)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT " INC_COLS " FROM incidents WHERE id = ?1", &st);
	if (e != SG_OK)
		return e;
	sqlite3_bind_int64(st, 1, id);
	return collect_one(st, sizeof *out, fill_inc, clear_inc, out);
}

sg_err sq_list(store *s, int state, int64_t before, size_t limit, store_incident **out,
               size_t *n)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, state < 0
		? "SELECT " INC_COLS " FROM incidents WHERE id < ?2 ORDER BY id DESC"
		: "SELECT " INC_COLS " FROM incidents WHERE state = ?1 AND id < ?2 ORDER BY id DESC",
		&st);
	if (e != SG_OK)
		return e;
	if (state >= 0)
		sqlite3_bind_text(st, 1, store_state_name((store_state)state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	return collect(st, sizeof **out, limit, fill_inc, clear_inc, (void **)out, n);
}

/* ---- attempts ---- */

static int fill_att(sqlite3_stmt *st, void *rec)
{
	store_attempt *r = rec;
	int bad = 0;
	r->id = sqlite3_column_int64(st, 0);
	r->incident_id = sqlite3_column_int64(st, 1);
	r->at_ms = sqlite3_column_int64(st, 2);
	r->client = col(st, 3, &bad);
	r->request = col(st, 4, &bad);
	r->headers = col(st, 5, &bad);
	r->url = col(st, 6, &bad);
	r->dest = col(st, 7, &bad);
	r->category = col(st, 8, &bad);
	r->rule = col(st, 9, &bad);
	r->reason = col(st, 10, &bad);
	r->hop = sqlite3_column_int(st, 11);
	r->addrs = col(st, 12, &bad);
	r->instance_id = col(st, 13, &bad);
	r->region = col(st, 14, &bad);
	r->az = col(st, 15, &bad);
	r->contain = sqlite3_column_int(st, 16);
	return bad;
}

static void clear_att(void *rec) { store_attempt_clear(rec); }

sg_err sq_attempts(store *s, int64_t incident_id, size_t limit, store_attempt **out,
                   size_t *n)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT id, incident_id, at_ms, client, request, headers, url, dest, "
	                   "category, rule, reason, hop, addrs, instance_id, region, az, contain "
	                   "FROM attempts WHERE incident_id = ?1 ORDER BY id", &st);
	if (e != SG_OK)
		return e;
	sqlite3_bind_int64(st, 1, incident_id);
	return collect(st, sizeof **out, limit, fill_att, clear_att, (void **)out, n);
}

/* ---- steps ---- */

static int fill_step(sqlite3_stmt *st, void *rec)
{
	store_step *r = rec;
	int bad = 0;
	r->incident_id = sqlite3_column_int64(st, 0);
	r->name = col(st, 1, &bad);
	r->status = col(st, 2, &bad);
	r->attempts = sqlite3_column_int64(st, 3);
	r->data = col(st, 4, &bad);
	r->updated_ms = sqlite3_column_int64(st, 5);
	return bad;
}

static void clear_step(void *rec) { store_step_free(rec); }

#define STEP_COLS "incident_id, name, status, attempts, data, updated_ms"

sg_err sq_steps(store *s, int64_t incident_id, store_step **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT " STEP_COLS " FROM steps WHERE incident_id = ?1 ORDER BY name",
	                &st);
	if (e != SG_OK)
		return e;
	sqlite3_bind_int64(st, 1, incident_id);
	return collect(st, sizeof **out, 100000, fill_step, clear_step, (void **)out, n);
}

sg_err sq_step_get(store *s, int64_t incident_id, const char *name, store_step *out)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT " STEP_COLS " FROM steps WHERE incident_id = ?1 AND name = ?2",
	                &st);
	if (e != SG_OK)
		return e;
	sqlite3_bind_int64(st, 1, incident_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return collect_one(st, sizeof *out, fill_step, clear_step, out);
}

/* ---- history ---- */

static int fill_hist(sqlite3_stmt *st, void *rec)
{
	store_history *r = rec;
	int bad = 0;
	r->id = sqlite3_column_int64(st, 0);
	r->incident_id = sqlite3_column_int64(st, 1);
	r->step = col(st, 2, &bad);
	r->from = col(st, 3, &bad);
	r->to = col(st, 4, &bad);
	r->reason = col(st, 5, &bad);
	r->actor = col(st, 6, &bad);
	r->at_ms = sqlite3_column_int64(st, 7);
	return bad;
}

static void clear_hist(void *rec) { store_history_clear(rec); }

sg_err sq_history(store *s, int64_t incident_id, store_history **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT id, incident_id, step, from_s, to_s, reason, actor, at_ms "
	                   "FROM history WHERE incident_id = ?1 ORDER BY id", &st);
	if (e != SG_OK)
		return e;
	sqlite3_bind_int64(st, 1, incident_id);
	return collect(st, sizeof **out, 1000000, fill_hist, clear_hist, (void **)out, n);
}

sg_err sq_ping(store *s)
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT max(id) FROM incidents", &st);   /* the rowid's last page */
	if (e != SG_OK)
		return e;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SG_OK : map_rc(rc);
}

sg_err sq_count_states(store *s, int64_t counts[STORE_STATE__COUNT])
{
	sqlite3_stmt *st = NULL;
	sg_err e = prep(s, "SELECT state, count(*) FROM incidents GROUP BY state", &st);
	if (e != SG_OK)
		return e;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_state k;
		if (store_state_parse((const char *)sqlite3_column_text(st, 0), &k) == SG_OK)
			counts[k] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SG_OK : map_rc(rc);
}
