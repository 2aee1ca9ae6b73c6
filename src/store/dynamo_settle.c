/* dynamo_settle.c — what an unanswered transaction of serve's batch left
 * unsettled, settled later (store_settle) on the DynamoDB engine.
 *
 * A chunk whose TransactWriteItems got no answer after every resend may
 * have taken effect, at most once (dynamo_batch.c).  The handle keeps it:
 * its actions, its ClientRequestToken, when it was first sent, and copies
 * of its attempts.  DynamoDB honours a token for 10 minutes after the first
 * request that uses it completes, and "multiple identical calls have the
 * same effect as one single call" (API reference, TransactWriteItems,
 * ClientRequestToken).  So each later store_settle sends the same
 * transaction with the same token again:
 *
 *   - success: it is recorded, once (it had taken effect and this is a
 *     no-op, or it takes effect now);
 *   - cancelled on a condition: it had not taken effect (one that had
 *     would be answered success), and the world moved on (the incident it
 *     would open was opened by a later attempt, or the one it joins was
 *     released): its attempts are recorded anew, as a new batch;
 *   - no answer, a conflict, throttling, any other error: kept for the next
 *     call (and the call stops there: the table is likely still out of
 *     reach), until 9 minutes after it was first sent (a minute short of
 *     the token's 10, which start when the first request completed, so
 *     later).  After that window a resend with the token would be a new
 *     request (maybe twice), so it is never resent as it was: its first
 *     attempt item, whose key (inc#N / att#SEQ, the number reserved for
 *     it) nothing else writes, is read back, strongly consistent
 *     (read_back): present, the transaction took effect (all or nothing),
 *     recorded; absent, it never did and no send of it is still on its
 *     way, so it is sent again under a new token (its Puts still refuse a
 *     key that exists) and settled as above; the read failing for 5
 *     minutes, or a chunk with no attempt item (only counted): unknown.
 *
 * At most DD_UNSETTLED_MAX attempts are kept; beyond, an unanswered chunk stays
 * unsettled for good, as the caller was told.  The oldest is tried first.
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTLE_WINDOW_MS (9 * 60 * 1000)
#define READBACK_MS (5 * 60 * 1000)   /* reading back failing this long: unknown */

static char *dup_or_null(const char *v, int *bad)
{
	if (!v)
		return NULL;
	size_t n = strlen(v) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, v, n);
	else
		*bad = 1;
	return d;
}

static void copy_attempt(store_attempt_in *d, const store_attempt_in *a, int64_t at, int *bad)
{
	*d = *a;
	d->at_ms = a->at_ms > 0 ? a->at_ms : at;   /* the moment it was blocked, kept */
#define COPY(f) d->f = dup_or_null(a->f, bad);
	DD_ATTEMPT_STRINGS(COPY)
#undef COPY
}

static void free_attempt(store_attempt_in *d)
{
#define FREE(f) free((char *)d->f);
	DD_ATTEMPT_STRINGS(FREE)
#undef FREE
}

dd_unsettled *dd_unsettled_new(size_t n)
{
	dd_unsettled *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->a = calloc(n ? n : 1, sizeof *u->a);
	u->keys = calloc(n ? n : 1, sizeof *u->keys);
	u->plan = calloc(n ? n : 1, sizeof *u->plan);
	if (!u->a || !u->keys || !u->plan) {
		dd_unsettled_drop(u);
		return NULL;
	}
	return u;
}

void dd_unsettled_drop(dd_unsettled *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free_attempt(&u->a[i]);
		free(u->keys[i]);
	}
	free(u->a);
	free(u->keys);
	free(u->plan);
	json_decref(u->acts);
	free(u);
}

void dd_unsettled_append(dd_store *s, dd_unsettled *u)
{
	dd_unsettled **end = &s->pending;   /* oldest first */
	while (*end)
		end = &(*end)->next;
	*end = u;
	s->pending_attempts += u->n;
}

sg_err dd_keep_unsettled(dd_store *s, dd_tx *t, int64_t sent_ms, const store_attempt_in *a,
                         const char *const *keys, const store_record_out *plan, size_t n)
{
	dd_unsettled *u = s->pending_attempts + n > DD_UNSETTLED_MAX ? NULL : dd_unsettled_new(n);
	if (!u) {   /* a long outage: bounded memory */
		json_decref(t->acts);
		t->acts = NULL;
		return s->pending_attempts + n > DD_UNSETTLED_MAX ? SG_ERR_RANGE : SG_ERR_NOMEM;
	}
	u->acts = t->acts;
	t->acts = NULL;
	snprintf(u->token, sizeof u->token, "%s", t->token);
	u->sent_ms = sent_ms;
	int bad = 0;
	for (size_t i = 0; !bad && i < n; i++, u->n = i) {
		copy_attempt(&u->a[i], &a[i], sent_ms, &bad);
		u->keys[i] = dup_or_null(keys[i], &bad);
		u->plan[i] = plan[i];
	}
	if (bad) {
		dd_unsettled_drop(u);
		return SG_ERR_NOMEM;
	}
	dd_unsettled_append(s, u);
	dd_spool_add(s, u);   /* on disk before the caller hears of it */
	return SG_OK;
}

/* Fill u's n outcomes (how, and where from res when not NULL, else from
 * the plan) into out. */
static void report(const dd_unsettled *u, store_settled_how how, const store_record_out *res,
                   store_settled *out)
{
	for (size_t i = 0; i < u->n; i++) {
		const store_record_out *o = res ? &res[i] : &u->plan[i];
		store_settled *r = &out[i];
		memset(r, 0, sizeof *r);
		r->how = how;
		r->incident_id = o->incident_id ? o->incident_id : o->maybe_incident_id;
		if (how == STORE_SETTLED_NOT_RECORDED)
			r->incident_id = 0;
		if (how != STORE_SETTLED_UNKNOWN && how != STORE_SETTLED_NOT_RECORDED) {
			r->opened = o->opened;
			r->escalated = o->escalated;
		}
		r->contain = u->a[i].contain;
		r->at_ms = u->a[i].at_ms;
		snprintf(r->client, sizeof r->client, "%s", u->a[i].client);
		snprintf(r->url, sizeof r->url, "%s", u->a[i].url ? u->a[i].url : "");
	}
}

/* u's attempts recorded anew, as a new batch (its transaction had not
 * taken effect); their outcomes into out, how many returned.  An attempt
 * the new batch leaves unanswered is kept anew (by dd_record_many) and
 * reported by a later call, not here. */
static size_t record_anew(dd_store *s, const dd_unsettled *u, store_settled *out)
{
	store_record_out *res = calloc(u->n, sizeof *res);
	if (!res) {
		report(u, STORE_SETTLED_NOT_RECORDED, NULL, out);
		return u->n;
	}
	dd_record_many(&s->base, u->a, (const char *const *)u->keys, u->n, res);
	size_t k = 0;
	for (size_t i = 0; i < u->n; i++) {
		if (res[i].unsettled)
			continue;   /* kept again by dd_record_many: a later call says */
		dd_unsettled one = *u;
		one.n = 1;
		one.a = &u->a[i];
		report(&one, res[i].incident_id ? STORE_SETTLED_RERECORDED : STORE_SETTLED_NOT_RECORDED,
		       &res[i], &out[k++]);
	}
	free(res);
	return k;
}

/* The key of u's first attempt item (the Put of an "att#" sort key, on
 * the number reserved for it) into pk, sk; false when the chunk writes
 * none (its attempts only counted: detail_max). */
static bool attempt_key(const dd_unsettled *u, const char **pk, const char **sk)
{
	size_t i;
	const json_t *act;
	json_array_foreach(u->acts, i, act) {
		const json_t *item = json_object_get(json_object_get(act, "Put"), "Item");
		*pk = json_string_value(json_object_get(json_object_get(item, "pk"), "S"));
		*sk = json_string_value(json_object_get(json_object_get(item, "sk"), "S"));
		if (*pk && *sk && !strncmp(*sk, "att#", 4))
			return true;
	}
	return false;
}

/* What settle_one did with u. */
typedef enum settle_step {
	SETTLED,   /* outcomes reported */
	WAITS,     /* no answer: kept, and the rest wait for the next call */
	RENEWED,   /* read back absent: kept under a new token, resent next call */
} settle_step;

/* u past its token's window: its attempt item read back (strongly
 * consistent; attempt items are never deleted, and its transaction was all
 * or nothing).  Present: it took effect, RECORDED.  Absent: it never did,
 * and every send of it ended minutes ago, so it is sent again as a new
 * request: a new token, the window from now, the spool rewritten (the next
 * call sends it; its Put of the reserved key still refuses an item that
 * exists, attribute_not_exists).  The read failing: kept, for READBACK_MS
 * after its first failure; then UNKNOWN, as is a chunk with no attempt
 * item to read. */
static settle_step read_back(dd_store *s, dd_unsettled *u, store_settled *out, size_t *k)
{
	const char *pk, *sk;
	json_t *item = NULL;
	sg_err rc = attempt_key(u, &pk, &sk) ? dd_get_item(s, pk, sk, &item) : SG_ERR_UNSUPPORTED;
	json_decref(item);
	if (rc == SG_OK || rc == SG_ERR_UNSUPPORTED ||
	    (rc != SG_ERR_NOTFOUND && u->unread_ms && sg_wall_ms() - u->unread_ms >= READBACK_MS)) {
		report(u, rc == SG_OK ? STORE_SETTLED_RECORDED : STORE_SETTLED_UNKNOWN, NULL, out);
		*k = u->n;
		return SETTLED;
	}
	if (rc != SG_ERR_NOTFOUND) {
		if (!u->unread_ms)
			u->unread_ms = sg_wall_ms();
		return WAITS;
	}
	if (aws_client_token(u->token) != SG_OK)
		return WAITS;
	u->sent_ms = sg_wall_ms();
	u->unread_ms = 0;
	return RENEWED;
}

/* Try to settle u: outcomes into out (room for u->n), how many -> *k. */
static settle_step settle_one(dd_store *s, dd_unsettled *u, store_settled *out, size_t *k)
{
	struct aws_error e;
	int failed;
	*k = 0;
	if (sg_wall_ms() - u->sent_ms >= SETTLE_WINDOW_MS)
		return read_back(s, u, out, k);
	aws_error_clear(&e);
	sg_err rc = aws_ddb_transact(s->aws, s->table, u->acts, u->token, &failed, &e);
	if (rc == SG_OK) {
		report(u, STORE_SETTLED_RECORDED, NULL, out);
		*k = u->n;
		return SETTLED;
	}
	if (rc != SG_ERR_STATE) {
		dd_fail(s, rc, "TransactWriteItems (settling)", &e);
		return WAITS;
	}
	*k = record_anew(s, u, out);
	return SETTLED;
}

sg_err dd_settle(store *base, store_settled *out, size_t max, size_t *n)
{
	dd_store *s = (dd_store *)base;
	/* detached first: record_anew may keep new ones on s->pending */
	dd_unsettled *todo = s->pending, *kept = NULL, **end = &kept;
	s->pending = NULL;
	bool stalled = false;   /* one still unanswered: the rest wait for the next call */
	bool changed = false;   /* the spool is rewritten */
	while (todo) {
		dd_unsettled *u = todo;
		todo = u->next;
		u->next = NULL;
		size_t k = 0;
		settle_step step = WAITS;
		if (!stalled && max - *n >= u->n) {
			step = settle_one(s, u, out + *n, &k);
			stalled = step == WAITS;
		}
		if (step == SETTLED) {
			*n += k;
			s->pending_attempts -= u->n;
			dd_unsettled_drop(u);
		} else {   /* kept, in its place */
			*end = u;
			end = &u->next;
		}
		changed |= step != WAITS;
	}
	*end = s->pending;   /* any kept anew come after */
	s->pending = kept;
	if (changed)   /* a renewed token is on disk before it is sent */
		dd_spool_sync(s);
	return SG_OK;
}

size_t dd_unsettled_count(const store *base)
{
	return ((const dd_store *)base)->pending_attempts;
}

void dd_unsettled_each(const store *base,
                       void (*fn)(void *ctx, const store_attempt_in *a, int64_t maybe,
                                  int64_t sent_ms),
                       void *ctx)
{
	for (const dd_unsettled *u = ((const dd_store *)base)->pending; u; u = u->next)
		for (size_t i = 0; i < u->n; i++)
			fn(ctx, &u->a[i], u->plan[i].incident_id, u->sent_ms);
}

void dd_unsettled_free(dd_store *s)
{
	while (s->pending) {
		dd_unsettled *u = s->pending;
		s->pending = u->next;
		dd_unsettled_drop(u);
	}
	s->pending_attempts = 0;
}
