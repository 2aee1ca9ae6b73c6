/* dynamo_tx.c — how the DynamoDB engine writes when others write too.
 *
 * Several items that change together are one TransactWriteItems
 * (dd_tx_add, dd_tx_history, dd_tx_run) with a ClientRequestToken of its
 * own, so a resend after a lost answer is applied once.  A
 * transaction cancelled because another is in flight on one of its items
 * (TransactionConflict) is paused for a random, growing while before the
 * caller reads and decides again; a single-item update refused the same
 * way is sent again after the same pauses (dd_update_item).
 *
 * On a busy incident item the responder and the attempts joining it take
 * turns (dd_take_turn, dd_await_turn, dd_responder_tx): the side that lost
 * goes next.  The table's layout is docs/fleet.md's "Shared state".
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DD_RESENDS 2                 /* an unanswered transaction sent again (0.5 s, 1 s later) */

void dd_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* After the n-th transaction in a row cancelled for TransactionConflict,
 * before reading again: 5 ms plus up to 20 * 2^(n-1) ms (at most 640),
 * random, so that writers that collided on a busy item do not collide again
 * in step (full jitter, as the SDKs' retries). */
static long conflict_pause_ms(unsigned n)
{
	unsigned r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned)sg_wall_ms();
	unsigned span = 20u << (n > 6 ? 5 : n - 1);
	return 5 + (long)(r % span);
}

/*
 * One UpdateItem.  A write to an item a transaction in flight holds is
 * refused with TransactionConflictException ("Transaction conflict
 * handling in DynamoDB"); the client resends it as it does throttling, and
 * when it is still refused (a detector joining attempts all through an
 * attack, a responder's step changes) it is sent again here after the
 * transactions' growing pauses, at most DD_ROUNDS tries.  Still refused
 * then: SG_ERR_THROTTLED, never SG_ERR_BUSY, which callers read as
 * "another writer has it" (a lease lost, an incident that kept changing).
 */
sg_err dd_update_item(dd_store *s, const json_t *key, const char *update,
                             const struct aws_ddb_expr *x, json_t **attrs, struct aws_error *e)
{
	for (unsigned n = 1;; n++) {
		sg_err rc = aws_ddb_update(s->aws, s->table, key, update, x, attrs, e);
		if (rc != SG_ERR_BUSY)
			return rc;
		if (n == DD_ROUNDS)
			return SG_ERR_THROTTLED;
		dd_sleep_ms(conflict_pause_ms(n));
	}
}

void dd_take_turn(dd_store *s, const char *key, int64_t id, const char *who)
{
	struct aws_error e;
	int64_t now = sg_wall_ms();
	json_t *k = key[0] ? dd_key(DD_ACTIVE, key) : NULL;
	struct aws_ddb_expr x = {
		.condition = "incident = :id AND (attribute_not_exists(#u) OR #u < :now OR #t = :who)",
		.names = json_pack("{s:s,s:s}", "#t", "turn", "#u", "turn_until_ms"),
		.values = json_pack("{s:o,s:o,s:o,s:o}", ":id", dd_n(id), ":who", dd_s(who), ":now",
		                    dd_n(now), ":until", dd_n(now + DD_TURN_MS))};
	if (k && x.names && x.values)
		aws_ddb_update(s->aws, s->table, k, "SET #t = :who, #u = :until", &x, NULL, &e);
	json_decref(k);
	json_decref(x.names);
	json_decref(x.values);
}

sg_err dd_await_turn(dd_store *s, const char *key, const char *who, json_t **out)
{
	for (bool waited = false;; waited = true) {
		json_t *ptr = NULL;
		sg_err rc = dd_get_item(s, DD_ACTIVE, key, &ptr);
		int64_t wait = rc || !strcmp(aws_ddb_str(ptr, "turn"), who)
		                       ? 0
		                       : aws_ddb_num(ptr, "turn_until_ms") - sg_wall_ms();
		if (wait <= 0 || waited) {
			if (out)
				*out = ptr;
			else
				json_decref(ptr);
			return rc;
		}
		json_decref(ptr);
		dd_sleep_ms(wait < DD_TURN_MS ? (long)wait : DD_TURN_MS);
	}
}

/* A responder's transaction t on incident id (join key key, "" for none),
 * in turns with the attempts joining it: their turn waited out first, and
 * the next turn taken when one of theirs in flight cancelled it. */
sg_err dd_responder_tx(dd_store *s, dd_tx *t, const char *key, int64_t id, int *failed)
{
	if (key[0])
		dd_await_turn(s, key, DD_TURN_RESPONDER, NULL);
	sg_err rc = dd_tx_run(s, t, failed);
	if (rc == SG_ERR_BUSY && key[0])
		dd_take_turn(s, key, id, DD_TURN_RESPONDER);
	return rc;
}

/* The end of a responder's DD_ROUNDS rounds on incident id, the last lost
 * with last: cancelled by a transaction in flight (SG_ERR_BUSY of
 * dd_tx_run) is SG_ERR_THROTTLED, never SG_ERR_BUSY, which the responder
 * reads as "another responder has it" and stops its playbook. */
sg_err dd_rounds_spent(dd_store *s, sg_err last, int64_t id)
{
	if (last != SG_ERR_BUSY)
		return SG_ERR_BUSY;
	snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: incident %lld: its %d rounds spent, the "
	         "last cancelled by another transaction in flight (TransactionConflict)",
	         s->table, (long long)id, DD_ROUNDS);
	return SG_ERR_THROTTLED;
}

/* ---- expression placeholders ---- */

/* values with the active states' placeholders added (for ACTIVE_STATES) */
int dd_add_active_states(json_t *values)
{
	static const char *const names[] = {"logged", "open", "containing", "contained", "failed"};
	int bad = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char k[24];
		snprintf(k, sizeof k, ":s_%s", names[i]);
		bad |= json_object_set_new(values, k, dd_s(names[i]));
	}
	return bad;
}

/* ---- transactions ---- */

/* Add one action: kind "Put" (member "Item"), "Update", "Delete" or
 * "ConditionCheck" (member "Key").  member, names and values are stolen. */
void dd_tx_add(dd_tx *t, const char *kind, json_t *member, const char *update, const char *cond,
                   json_t *names, json_t *values)
{
	json_t *op = json_object();
	if (!t->acts)
		t->acts = json_array();
	int bad = !op || !t->acts || !member;
	if (!bad) {
		bad |= json_object_set(op, strcmp(kind, "Put") ? "Key" : "Item", member);
		if (update)
			bad |= json_object_set_new(op, "UpdateExpression", json_string(update));
		if (cond)
			bad |= json_object_set_new(op, "ConditionExpression", json_string(cond));
		if (names && json_object_size(names))
			bad |= json_object_set(op, "ExpressionAttributeNames", names);
		if (values && json_object_size(values))
			bad |= json_object_set(op, "ExpressionAttributeValues", values);
		bad |= json_array_append_new(t->acts, json_pack("{s:O}", kind, op));
		t->n++;
		if (!strcmp(kind, "Put"))
			t->bytes += aws_ddb_item_size(member);
	}
	json_decref(op);
	json_decref(member);
	json_decref(names);
	json_decref(values);
	t->bad |= bad;
}

/* One history item (seq orders the items of one transaction). */
void dd_tx_history(dd_tx *t, int64_t id, const char *step, const char *from, const char *to,
                       const char *reason, const char *actor, int64_t at, int seq)
{
	char pk[32], sk[80], tok[37] = "";
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	dd_partition(id, pk);
	aws_client_token(tok);
	/* ordered by the change's time, then the writing moment (us), then its
	 * place in the transaction */
	snprintf(sk, sizeof sk, "hist#%013lld#%016lld#%d#%.8s", (long long)at,
	         (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000, seq, tok);
	json_t *item = json_pack("{s:{s:s},s:{s:s},s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "pk", "S", pk,
	                         "sk", "S", sk, "incident", dd_n(id), "step", dd_s(step), "from",
	                         dd_s(from), "to", dd_s(to), "reason", dd_s(reason), "actor",
	                         dd_s(actor), "at_ms", dd_n(at));
	dd_tx_add(t, "Put", item, NULL, NULL, NULL, NULL);
}

/* An error after which the transaction may have taken effect: no answer
 * came (the client's own resends spent) or the server failed. */
static bool unanswered(sg_err rc, const struct aws_error *e)
{
	return rc == SG_ERR_NETWORK || rc == SG_ERR_TIMEOUT ||
	       (rc == SG_ERR_REMOTE && e->http_status >= 500);
}

sg_err dd_tx_run(dd_store *s, dd_tx *t, int *failed)
{
	struct aws_error e;
	char *token = t->token;
	*failed = -1;
	aws_error_clear(&e);
	/* A fresh ClientRequestToken for this transaction, the same on each
	 * resend of it.  Never one derived from its actions: two detectors
	 * counting the same attempts at the same moment build the same actions,
	 * and DynamoDB answers the second "successfully without making any
	 * changes" (API reference, TransactWriteItems) — its attempts lost. */
	sg_err rc = t->bad ? SG_ERR_NOMEM : aws_client_token(token);
	if (!rc)
		rc = aws_ddb_transact(s->aws, s->table, t->acts, token, failed, &e);
	/* Unanswered: the same actions with the same token again, after a
	 * pause.  A resend of a transaction that took effect "returns
	 * successfully without making any changes" within 10 minutes (API
	 * reference, TransactWriteItems, ClientRequestToken), so any answer
	 * settles whether it did. */
	for (int k = 0; !t->bad && k < DD_RESENDS && unanswered(rc, &e); k++) {
		dd_sleep_ms(500L << k);
		aws_error_clear(&e);
		rc = aws_ddb_transact(s->aws, s->table, t->acts, token, failed, &e);
	}
	s->unanswered = unanswered(rc, &e);
	if (!(t->keep && s->unanswered)) {   /* kept: the caller settles it later */
		json_decref(t->acts);
		t->acts = NULL;
	}
	t->n = 0;
	t->bytes = 0;
	s->conflicts = rc == SG_ERR_BUSY ? s->conflicts + 1 : 0;
	if (rc == SG_ERR_BUSY)   /* cancelled by a transaction in flight: let it finish */
		dd_sleep_ms(conflict_pause_ms(s->conflicts));
	return rc == SG_ERR_STATE || rc == SG_ERR_BUSY ? rc : dd_fail(s, rc, "TransactWriteItems", &e);
}
