/* dynamo.c — the DynamoDB engine of the incident store: one table shared by
 * a fleet (docs/fleet.md, "Shared state").  Every change is a conditional
 * write; several items that change together are one TransactWriteItems with
 * a ClientRequestToken.  A condition that fails because another writer got
 * there first is re-read and decided again (at most DD_ROUNDS times), so the
 * outcome is the one store.h promises for SQLite's serialised transactions.
 */
#include "store/dynamo_int.h"

#include "aws/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DD_DATA_MAX 350000           /* a step's data, below the 400 KB item limit */
#define DD_TABLE_WAIT_MS 120000      /* CreateTable until ACTIVE */
#define DD_RESENDS 2                 /* an unanswered transaction sent again (0.5 s, 1 s later) */
#define DD_INDEX_LAG_MS 1100         /* a write reaches a global secondary index (emulator: 1 s;
                                        AWS: "within a fraction of a second" normally) */
/* The sparse global secondary index of the claim search: an incident item
 * carries claimable = "1" exactly while a daemon may claim it (open, or
 * containing under a lease that may run out, and not observe-only), so the
 * search reads those and not the table's history. */
#define DD_CLAIM_INDEX "claimable"

bool dd_claimable(const char *state, bool observe)
{
	return !observe && (!strcmp(state, "open") || !strcmp(state, "containing"));
}

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
		r = (unsigned)store_now_ms();
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
static sg_err dd_update_item(dd_store *s, const json_t *key, const char *update,
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
	int64_t now = store_now_ms();
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
		                       : aws_ddb_num(ptr, "turn_until_ms") - store_now_ms();
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
static sg_err responder_tx(dd_store *s, dd_tx *t, const char *key, int64_t id, int *failed)
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
static sg_err rounds_spent(dd_store *s, sg_err last, int64_t id)
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

/* The ClientRequestToken of a transaction: derived from what it writes
 * (table and actions), so a resend of the same transaction within AWS's
 * 10 minutes (API reference, TransactWriteItems) is a no-op, whoever
 * resends it.  Every transaction this engine builds differs from every
 * other (a history item's key, a new id, or a compare-and-set on a count
 * that only grows), so no two changes share a token. */
static sg_err tx_token(const char *table, const json_t *acts, char token[37])
{
	char *body = json_dumps(acts, JSON_COMPACT | JSON_SORT_KEYS);
	if (!body)
		return SG_ERR_NOMEM;
	char hex[65], *all = NULL;
	size_t n = strlen(table) + 1 + strlen(body) + 1;
	all = malloc(n);
	if (all) {
		snprintf(all, n, "%s\n%s", table, body);
		aws_sha256_hex(all, strlen(all), hex);
		snprintf(token, 37, "%.36s", hex);
	}
	free(all);
	free(body);
	return all ? SG_OK : SG_ERR_NOMEM;
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
	char token[37];
	*failed = -1;
	aws_error_clear(&e);
	sg_err rc = t->bad ? SG_ERR_NOMEM : tx_token(s->table, t->acts, token);
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
	json_decref(t->acts);
	t->acts = NULL;
	t->n = 0;
	t->bytes = 0;
	s->conflicts = rc == SG_ERR_BUSY ? s->conflicts + 1 : 0;
	if (rc == SG_ERR_BUSY)   /* cancelled by a transaction in flight: let it finish */
		dd_sleep_ms(conflict_pause_ms(s->conflicts));
	return rc == SG_ERR_STATE || rc == SG_ERR_BUSY ? rc : dd_fail(s, rc, "TransactWriteItems", &e);
}

/* ---- recording ---- */

json_t *dd_incident_item(int64_t id, const store_attempt_in *a, const char *key,
                             const char *state, const char *reason, int64_t at,
                             const char *owner, int64_t until)
{
	char sk[24];
	dd_id_text(id, sk);
	json_t *item = json_pack("{s:{s:s},s:{s:s},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	                         "s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	                         "pk", "S", DD_INCIDENTS, "sk", "S", sk, "id", dd_n(id), "state",
	                         dd_s(state), "state_reason", dd_s(reason), "state_ms", dd_n(at),
	                         "source", dd_s(a->client), "join_key", dd_s(key), "category",
	                         dd_s(a->category), "rule", dd_s(a->rule), "dest", dd_s(a->dest),
	                         "instance_id", dd_s(a->instance_id), "region", dd_s(a->region),
	                         "az", dd_s(a->az), "contain", dd_n(a->contain ? 1 : 0), "observe",
	                         dd_n(a->observe ? 1 : 0), "attempts", dd_n(1), "opened_ms",
	                         dd_n(at), "updated_ms", dd_n(at), "lease_owner", dd_s(owner),
	                         "lease_until_ms", dd_n(until));
	if (item && owner[0] && json_object_set_new(item, "lease_by", dd_s(owner))) {
		json_decref(item);   /* the lease marked as this version's (dynamo_hold.c) */
		item = NULL;
	}
	if (item && dd_claimable(state, a->observe) &&
	    json_object_set_new(item, DD_CLAIM_ATTR, dd_s("1"))) {
		json_decref(item);
		item = NULL;
	}
	return item;
}

/* A new incident id from the counter item. */
sg_err dd_next_id(dd_store *s, int64_t *id)
{
	struct aws_error e;
	json_t *key = dd_key("meta", "counter"), *attrs = NULL;
	struct aws_ddb_expr x = {.values = json_pack("{s:o}", ":one", dd_n(1))};
	sg_err rc = key && x.values ? dd_update_item(s, key, "ADD next_id :one", &x, &attrs, &e)
	                            : SG_ERR_NOMEM;
	*id = rc ? 0 : aws_ddb_num(attrs, "next_id");
	if (!rc && *id <= 0)
		rc = SG_ERR_PROTOCOL;
	json_decref(key);
	json_decref(x.values);
	json_decref(attrs);
	return dd_fail(s, rc, "UpdateItem", &e);
}

/* Open a new incident for key, with its pointer and history, in one
 * transaction; claimed at once for owner when owner is not NULL (and the
 * attempt asks for containment).  SG_ERR_STATE: another writer opened the
 * key's incident first (join it instead). */
static sg_err open_incident(dd_store *s, const store_attempt_in *a, const char *key, int64_t at,
                            const char *owner, int64_t lease_ms, store_record_out *o,
                            sg_err *claimed)
{
	char reason[256], claim_reason[256];
	int64_t id;
	sg_err rc = dd_next_id(s, &id);
	if (rc)
		return rc;
	const char *state = a->contain ? "open" : "logged";
	bool claim = owner && a->contain;
	store_reason_opened(a, reason, sizeof reason);
	store_reason_claimed("open", "", claim ? owner : "", claim_reason, sizeof claim_reason);
	dd_tx t = {0};
	dd_tx_add(&t, "Put", dd_incident_item(id, a, key, claim ? "containing" : state,
	                                claim ? claim_reason : reason, at, claim ? owner : "",
	                                claim ? at + lease_ms : 0),
	       NULL, "attribute_not_exists(pk)", NULL, NULL);
	dd_tx_add(&t, "Put", json_pack("{s:{s:s},s:{s:s},s:o}", "pk", "S", DD_ACTIVE, "sk", "S", key,
	                            "incident", dd_n(id)),
	       NULL, "attribute_not_exists(pk)", NULL, NULL);
	dd_tx_history(&t, id, "", "", state, reason, "serve", at, 0);
	if (claim)
		dd_tx_history(&t, id, "", "open", "containing", claim_reason, owner, at, 1);
	int failed;
	rc = dd_tx_run(s, &t, &failed);
	if (rc == SG_ERR_STATE && failed != 1)
		rc = SG_ERR_CORRUPT;  /* the counter handed out an id in use */
	if (rc)
		return rc;
	if (owner)
		*claimed = claim ? SG_OK : SG_ERR_STATE;  /* a logged incident is not claimable */
	o->opened = 1;
	o->incident_id = id;
	return SG_OK;
}

/* Join incident id: count the attempt (its sequence number -> *seq); a
 * containment attempt escalates a logged incident.  SG_ERR_STATE: the
 * incident is no longer active (its pointer is stale). */
static sg_err join_incident(dd_store *s, int64_t id, const store_attempt_in *a, int64_t at,
                            store_record_out *o, int64_t *seq)
{
	struct aws_error e;
	char sk[24], reason[256];
	dd_id_text(id, sk);
	json_t *key = dd_key(DD_INCIDENTS, sk), *attrs = NULL;
	json_t *names = json_pack("{s:s}", "#s", "state");
	json_t *values = json_pack("{s:o,s:o}", ":one", dd_n(1), ":at", dd_n(at));
	sg_err rc = SG_ERR_NOMEM;
	if (key && names && values && !dd_add_active_states(values)) {
		struct aws_ddb_expr x = {.condition = ACTIVE_STATES, .names = names, .values = values};
		rc = dd_update_item(s, key, "ADD attempts :one SET updated_ms = :at", &x, &attrs, &e);
	}
	json_decref(key);
	json_decref(names);
	json_decref(values);
	if (rc) {
		json_decref(attrs);
		return rc == SG_ERR_STATE ? rc : dd_fail(s, rc, "UpdateItem", &e);
	}
	*seq = aws_ddb_num(attrs, "attempts");
	bool logged = !strcmp(aws_ddb_str(attrs, "state"), "logged");
	bool claimable = dd_claimable("open", aws_ddb_num(attrs, "observe") != 0);
	json_decref(attrs);
	o->incident_id = id;
	if (!a->contain || !logged)
		return SG_OK;
	store_reason_escalated(a, reason, sizeof reason);
	dd_tx t = {0};
	json_t *esc = json_pack("{s:o,s:o,s:o,s:o,s:o}", ":open", dd_s("open"), ":one", dd_n(1),
	                        ":at", dd_n(at), ":r", dd_s(reason), ":logged", dd_s("logged"));
	if (esc && claimable && json_object_set_new(esc, ":cl", dd_s("1"))) {
		json_decref(esc);
		esc = NULL;
	}
	dd_tx_add(&t, "Update", dd_key(DD_INCIDENTS, sk),
	       claimable ? "SET #s = :open, contain = :one, state_ms = :at, state_reason = :r, "
	                   "updated_ms = :at, " DD_CLAIM_ATTR " = :cl"
	                 : "SET #s = :open, contain = :one, state_ms = :at, state_reason = :r, "
	                   "updated_ms = :at",
	       "#s = :logged", json_pack("{s:s}", "#s", "state"), esc);
	dd_tx_history(&t, id, "", "logged", "open", reason, "serve", at, 0);
	int failed;
	rc = dd_tx_run(s, &t, &failed);
	if (rc == SG_OK)
		o->escalated = 1;
	return rc == SG_ERR_STATE ? SG_OK : rc;  /* STATE: another writer escalated it */
}

/* Drop a pointer that names an incident no longer active. */
static void drop_stale_pointer(dd_store *s, const char *key, int64_t id)
{
	struct aws_error e;
	json_t *k = dd_key(DD_ACTIVE, key);
	struct aws_ddb_expr x = {.condition = "incident = :id",
	                         .values = json_pack("{s:o}", ":id", dd_n(id))};
	if (k && x.values)
		aws_ddb_delete(s->aws, s->table, k, &x, &e);
	json_decref(k);
	json_decref(x.values);
}

static sg_err put_attempt(dd_store *s, const store_attempt_in *a, int64_t id, int64_t seq,
                          int64_t at, store_record_out *o)
{
	struct aws_error e;
	int bad = 0;
	json_t *item = dd_attempt_item(s, a, id, seq, at, &bad);
	if (!item) {   /* counted only */
		o->aggregated = !bad;
		return bad ? SG_ERR_NOMEM : SG_OK;
	}
	sg_err rc = aws_ddb_put(s->aws, s->table, item, NULL, &e);
	json_decref(item);
	if (!rc)
		o->attempt_id = seq;
	return dd_fail(s, rc, "PutItem", &e);
}

static sg_err claim_id(dd_store *s, int64_t want, const char *owner, int64_t lease_ms);

/* Record one attempt; with owner, claim its incident (the claim's result
 * in *claimed). */
static sg_err record_one(dd_store *s, const store_attempt_in *a, const char *key,
                         const char *owner, int64_t lease_ms, store_record_out *o,
                         sg_err *claimed)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : store_now_ms(), seq = 0;
	memset(o, 0, sizeof *o);
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *ptr = NULL;
		sg_err rc = dd_get_item(s, DD_ACTIVE, key, &ptr);
		if (rc == SG_ERR_NOTFOUND) {
			rc = open_incident(s, a, key, at, owner, lease_ms, o, claimed);
			if (rc == SG_ERR_STATE || rc == SG_ERR_BUSY)
				continue;   /* another writer opened it: join */
			return rc ? rc : put_attempt(s, a, o->incident_id, 1, at, o);
		}
		if (rc)
			return rc;
		int64_t id = aws_ddb_num(ptr, "incident");
		json_decref(ptr);
		rc = join_incident(s, id, a, at, o, &seq);
		if (rc == SG_ERR_STATE) {
			drop_stale_pointer(s, key, id);
			continue;
		}
		if (rc)
			return rc;
		if (owner)
			*claimed = claim_id(s, id, owner, lease_ms);
		return put_attempt(s, a, id, seq, at, o);
	}
	snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: the incident of %.200s kept changing",
	         s->table, key);
	return SG_ERR_BUSY;
}

static sg_err dd_record_claim(store *base, const store_attempt_in *a, const char *key,
                              const char *owner, int64_t lease_ms, store_record_out *out)
{
	sg_err claimed = SG_OK;
	sg_err rc = record_one((dd_store *)base, a, key, owner, lease_ms, out, &claimed);
	return rc ? rc : claimed;
}

/* ---- claims ---- */

/* Claim incident want for owner: a compare-and-set on the state and lease
 * read just before.  searched: found by the claim search, whose answer may
 * be stale, so it is claimed only if the consistent read says the search
 * would pick it now (open, or a lease run out; never observe-only): a
 * responder's own live lease is not taken again. */
static sg_err claim_as(dd_store *s, int64_t want, const char *owner, int64_t lease_ms,
                       bool searched)
{
	char sk[24], reason[256];
	dd_id_text(want, sk);
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *it = NULL;
		sg_err rc = dd_get_item(s, DD_INCIDENTS, sk, &it);
		if (rc)
			return rc;
		char from[32], prev[128], key[300];
		snprintf(from, sizeof from, "%s", aws_ddb_str(it, "state"));
		snprintf(prev, sizeof prev, "%s", aws_ddb_str(it, "lease_owner"));
		snprintf(key, sizeof key, "%s", aws_ddb_str(it, "join_key"));
		int64_t until = aws_ddb_num(it, "lease_until_ms"), at = store_now_ms();
		bool observe = aws_ddb_num(it, "observe") != 0;
		json_decref(it);
		if (searched && (observe || !(!strcmp(from, "open") ||
		                              (!strcmp(from, "containing") && until < at))))
			return SG_ERR_STATE;
		if ((rc = store_claimable(from, prev, until, owner, at)))
			return rc;
		store_reason_claimed(from, prev, owner, reason, sizeof reason);
		dd_tx t = {0};
		dd_tx_add(&t, "Update", dd_key(DD_INCIDENTS, sk),
		       "SET #s = :c, state_reason = :r, state_ms = :at, updated_ms = :at, "
		       "lease_owner = :o, lease_by = :o, lease_until_ms = :u",
		       "#s = :from AND lease_owner = :prev AND lease_until_ms = :pu",
		       json_pack("{s:s}", "#s", "state"),
		       json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", ":c", dd_s("containing"), ":r",
		                 dd_s(reason), ":at", dd_n(at), ":o", dd_s(owner), ":u",
		                 dd_n(at + lease_ms), ":from", dd_s(from), ":prev", dd_s(prev), ":pu",
		                 dd_n(until)));
		dd_tx_history(&t, want, "", from, "containing", reason, owner, at, 0);
		int failed;
		rc = responder_tx(s, &t, key, want, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
	}
	return SG_ERR_BUSY;
}

static sg_err claim_id(dd_store *s, int64_t want, const char *owner, int64_t lease_ms)
{
	return claim_as(s, want, owner, lease_ms, false);
}

typedef struct candidates {
	int64_t id[16];
	size_t n;
	int64_t tried[128];  /* lost to another claimer, or stale in the index */
	size_t ntried;
} candidates;

static sg_err add_candidate(void *ctx, const json_t *item)
{
	candidates *c = ctx;
	int64_t id = aws_ddb_num(item, "id");
	for (size_t i = 0; i < c->ntried; i++)
		if (c->tried[i] == id)
			return SG_OK;
	if (c->n == sizeof c->id / sizeof c->id[0])
		return SG_ERR__COUNT;  /* enough: stop the query */
	c->id[c->n++] = id;
	return SG_OK;
}

/* Up to 16 claimable incidents not tried yet, oldest first -> c. */
static sg_err find_candidates(dd_store *s, candidates *c)
{
	struct aws_error e;
	struct aws_ddb_expr f = {
		.condition = s->claim_index
		                     ? "#s = :open OR (#s = :c AND lease_until_ms < :now)"
		                     : "observe = :zero AND (#s = :open OR (#s = :c AND "
		                       "lease_until_ms < :now))",
		.names = json_pack("{s:s}", "#s", "state"),
		.values = json_pack("{s:o,s:o,s:o}", ":open", dd_s("open"), ":c", dd_s("containing"),
		                    ":now", dd_n(store_now_ms()))};
	if (f.values && !s->claim_index && json_object_set_new(f.values, ":zero", dd_n(0))) {
		json_decref(f.values);
		f.values = NULL;
	}
	c->n = 0;
	sg_err rc = !f.names || !f.values ? SG_ERR_NOMEM
	            : s->claim_index
	                    ? aws_ddb_query_index(s->aws, s->table, DD_CLAIM_INDEX, DD_CLAIM_ATTR, "1",
	                                          &f, 0, add_candidate, c, &e)
	                    : aws_ddb_query(s->aws, s->table, DD_INCIDENTS, NULL, true, &f, 0,
	                                    add_candidate, c, &e);
	json_decref(f.names);
	json_decref(f.values);
	return rc && rc != SG_ERR__COUNT ? dd_fail(s, rc, "Query", &e) : SG_OK;
}

static sg_err dd_claim(store *base, int64_t want, const char *owner, int64_t lease_ms,
                       int64_t *incident_id)
{
	dd_store *s = (dd_store *)base;
	if (want) {
		sg_err rc = claim_id(s, want, owner, lease_ms);
		if (!rc)
			*incident_id = want;
		return rc;
	}
	/* The oldest claimable first; one another claimer wins is skipped.
	 * With the claim index only the claimable incidents are read.  The
	 * index is eventually consistent ("Queries on global secondary indexes
	 * support eventual consistency only": DynamoDB developer guide, "Using
	 * Global Secondary Indexes"): a candidate may be claimed already (the
	 * consistent re-read in claim_id skips it, and the next search leaves
	 * it out), and an incident opened a moment ago may be missing, so a
	 * search that finds nothing looks once more after the index's usual
	 * propagation delay.  Without the index (a table made before it, or
	 * while it backfills) every incident is read, strongly consistent. */
	candidates c = {0};
	bool looked_again = false;
	for (int round = 0; round < 8; round++) {
		sg_err rc = find_candidates(s, &c);
		if (rc)
			return rc;
		if (!c.n && s->claim_index && !looked_again) {
			looked_again = true;
			dd_sleep_ms(DD_INDEX_LAG_MS);
			continue;
		}
		if (!c.n)
			return SG_ERR_NOTFOUND;
		for (size_t i = 0; i < c.n; i++) {
			rc = claim_as(s, c.id[i], owner, lease_ms, true);
			if (!rc) {
				*incident_id = c.id[i];
				return SG_OK;
			}
			if (rc != SG_ERR_BUSY && rc != SG_ERR_STATE && rc != SG_ERR_NOTFOUND)
				return rc;
			if (c.ntried < sizeof c.tried / sizeof c.tried[0])
				c.tried[c.ntried++] = c.id[i];
		}
	}
	return SG_ERR_NOTFOUND;
}

static sg_err dd_renew(store *base, int64_t id, const char *owner, int64_t lease_ms)
{
	dd_store *s = (dd_store *)base;
	struct aws_error e = {0};
	char sk[24];
	dd_id_text(id, sk);
	json_t *key = dd_key(DD_INCIDENTS, sk);
	struct aws_ddb_expr x = {
		.condition = "#s = :c AND lease_owner = :o",
		.names = json_pack("{s:s}", "#s", "state"),
		.values = json_pack("{s:o,s:o,s:o}", ":c", dd_s("containing"), ":o", dd_s(owner), ":u",
		                    dd_n(store_now_ms() + lease_ms))};
	sg_err rc = key && x.names && x.values
	                    ? dd_update_item(s, key, "SET lease_until_ms = :u", &x, NULL, &e)
	                    : SG_ERR_NOMEM;
	json_decref(key);
	json_decref(x.names);
	json_decref(x.values);
	return rc == SG_ERR_STATE ? SG_ERR_BUSY : dd_fail(s, rc, "UpdateItem", &e);
}

/* ---- the one transition function ---- */

static sg_err change_incident(dd_store *s, const store_change *c, int64_t at)
{
	char sk[24];
	dd_id_text(c->incident_id, sk);
	sg_err last = SG_ERR_STATE;
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *it = NULL;
		sg_err rc = dd_get_item(s, DD_INCIDENTS, sk, &it);
		if (rc)
			return rc;
		store_state from, to;
		char lease_owner[128], key[300], instance[128];
		snprintf(lease_owner, sizeof lease_owner, "%s", aws_ddb_str(it, "lease_owner"));
		snprintf(key, sizeof key, "%s", aws_ddb_str(it, "join_key"));
		snprintf(instance, sizeof instance, "%s", aws_ddb_str(it, "instance_id"));
		int64_t until = aws_ddb_num(it, "lease_until_ms");
		bool observe = aws_ddb_num(it, "observe") != 0;
		rc = store_state_parse(aws_ddb_str(it, "state"), &from) ? SG_ERR_CORRUPT : SG_OK;
		json_decref(it);
		if (rc || (rc = store_check_move(c, from, lease_owner, until, at, &to)))
			return rc;
		/* in the claim index exactly while claimable */
		bool claimable = dd_claimable(store_state_name(to), observe);
		json_t *values = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", ":to",
		                           dd_s(store_state_name(to)), ":r", dd_s(c->reason), ":at",
		                           dd_n(at), ":none", dd_s(""), ":zero", dd_n(0), ":from",
		                           dd_s(store_state_name(from)), ":lo", dd_s(lease_owner));
		if (values && claimable && json_object_set_new(values, ":cl", dd_s("1"))) {
			json_decref(values);
			values = NULL;
		}
		dd_tx t = {0};
		dd_tx_add(&t, "Update", dd_key(DD_INCIDENTS, sk),
		       claimable ? "SET #s = :to, state_reason = :r, state_ms = :at, updated_ms = :at, "
		                   "lease_owner = :none, lease_until_ms = :zero, " DD_CLAIM_ATTR " = :cl"
		                 : "SET #s = :to, state_reason = :r, state_ms = :at, updated_ms = :at, "
		                   "lease_owner = :none, lease_until_ms = :zero REMOVE " DD_CLAIM_ATTR,
		       "#s = :from AND lease_owner = :lo", json_pack("{s:s}", "#s", "state"), values);
		dd_tx_history(&t, c->incident_id, "", store_state_name(from), store_state_name(to),
		           c->reason, c->actor, at, 0);
		if ((to == STORE_RELEASED || to == STORE_CLOSED) && key[0])
			dd_tx_add(&t, "Delete", dd_key(DD_ACTIVE, key), NULL,
			       "attribute_not_exists(pk) OR incident = :id", NULL,
			       json_pack("{s:o}", ":id", dd_n(c->incident_id)));
		if (!store_state_holds(to) && (rc = dd_unhold(s, &t, c->incident_id, instance))) {
			json_decref(t.acts);
			return rc;
		}
		int failed;
		rc = responder_tx(s, &t, key, c->incident_id, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
		last = rc;
	}
	return rounds_spent(s, last, c->incident_id);
}

static sg_err change_step(dd_store *s, const store_change *c, int64_t at)
{
	char pk[32], ik[24], sk[80];
	dd_partition(c->incident_id, pk);
	dd_id_text(c->incident_id, ik);
	snprintf(sk, sizeof sk, "step#%s", c->step);
	if (c->data && strlen(c->data) > DD_DATA_MAX) {
		snprintf(s->msg, sizeof s->msg, "step %s: data of %zu bytes is over the %d the "
		         "table takes", c->step, strlen(c->data), DD_DATA_MAX);
		return SG_ERR_RANGE;
	}
	sg_err last = SG_ERR_STATE;
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *it = NULL;
		sg_err rc = dd_get_item(s, DD_INCIDENTS, ik, &it);
		if (rc)
			return rc;
		bool busy = !c->force && !strcmp(aws_ddb_str(it, "state"), "containing") &&
		            strcmp(aws_ddb_str(it, "lease_owner"), c->actor);
		char key[300];
		snprintf(key, sizeof key, "%s", aws_ddb_str(it, "join_key"));
		json_decref(it);
		if (busy)
			return SG_ERR_BUSY;
		char from[32] = "";
		rc = dd_get_item(s, pk, sk, &it);
		if (rc && rc != SG_ERR_NOTFOUND)
			return rc;
		if (!rc)
			snprintf(from, sizeof from, "%s", aws_ddb_str(it, "status"));
		json_decref(it);
		if (c->from && strcmp(c->from, from))
			return SG_ERR_STATE;
		dd_tx t = {0};
		json_t *values = json_pack("{s:o,s:o,s:o,s:o,s:o}", ":to", dd_s(c->to), ":at", dd_n(at),
		                           ":id", dd_n(c->incident_id), ":bump",
		                           dd_n(c->bump_attempts ? 1 : 0), ":d",
		                           dd_s(c->data ? c->data : ""));
		if (from[0] && values)
			json_object_set_new(values, ":seen", dd_s(from));
		dd_tx_add(&t, "Update", dd_key(pk, sk),
		       c->data ? "SET #st = :to, updated_ms = :at, incident = :id, #d = :d "
		                 "ADD attempts :bump"
		               : "SET #st = :to, updated_ms = :at, incident = :id, "
		                 "#d = if_not_exists(#d, :d) ADD attempts :bump",
		       from[0] ? "#st = :seen" : "attribute_not_exists(pk)",
		       json_pack("{s:s,s:s}", "#st", "status", "#d", "data"), values);
		if (c->force)   /* evidence that is no playbook step: the incident need only exist */
			dd_tx_add(&t, "ConditionCheck", dd_key(DD_INCIDENTS, ik), NULL, "attribute_exists(pk)",
			       NULL, NULL);
		else
			dd_tx_add(&t, "ConditionCheck", dd_key(DD_INCIDENTS, ik), NULL,
			       "attribute_exists(pk) AND (#s <> :c OR lease_owner = :actor)",
			       json_pack("{s:s}", "#s", "state"),
			       json_pack("{s:o,s:o}", ":c", dd_s("containing"), ":actor", dd_s(c->actor)));
		dd_tx_history(&t, c->incident_id, c->step, from, c->to, c->reason, c->actor, at, 0);
		int failed;
		rc = responder_tx(s, &t, key, c->incident_id, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
		last = rc;
	}
	return rounds_spent(s, last, c->incident_id);
}

static sg_err dd_transition(store *base, const store_change *c, int64_t at)
{
	dd_store *s = (dd_store *)base;
	return c->step ? change_step(s, c, at) : change_incident(s, c, at);
}

/* ---- open ---- */

static sg_err dd_size(store *base, int64_t *bytes)
{
	(void)base;
	*bytes = 0;
	return SG_ERR_UNSUPPORTED;  /* DynamoDB has no byte cap to watch */
}

static const char *dd_errmsg(const store *base)
{
	const dd_store *s = (const dd_store *)base;
	return s->msg[0] ? s->msg : "no error";
}

static void dd_close(store *base)
{
	dd_store *s = (dd_store *)base;
	if (!s)
		return;
	aws_client_free(s->aws);
	free(s);
}

static const struct store_engine dynamo_engine = {
	.close = dd_close,
	.errmsg = dd_errmsg,
	.size = dd_size,
	.record_many = dd_record_many,
	.record_claim = dd_record_claim,
	.transition = dd_transition,
	.claim = dd_claim,
	.renew = dd_renew,
	.hold = dd_hold,
	.holds_ready = dd_holds_ready,
	.get = dd_get,
	.list = dd_list,
	.attempts = dd_attempts,
	.steps = dd_steps,
	.step_get = dd_step_get,
	.history = dd_history,
	.count_states = dd_count_states,
	.ping = dd_ping,
};

/* DynamoDB table names: 3-255 of [A-Za-z0-9_.-] (API reference, CreateTable). */
static bool table_name_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 3 || n > 255)
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The table exists and is ACTIVE, created first when absent (unless
 * readonly), waiting for ACTIVE. */
static sg_err ensure_table(dd_store *s, bool readonly, char *err, size_t errlen)
{
	struct aws_error e;
	char status[32] = "";
	sg_err rc = aws_ddb_describe_table(s->aws, s->table, status, &e);
	static const char *const claim_include[] = {"id", "state", "lease_until_ms"};
	static const struct aws_ddb_gsi claim_gsi = {DD_CLAIM_INDEX, DD_CLAIM_ATTR, "sk",
	                                             claim_include, 3};
	if (rc == SG_ERR_NOTFOUND && !readonly) {
		rc = aws_ddb_create_table(s->aws, s->table, &claim_gsi, &e);
		if (rc == SG_ERR_AUTH) {
			snprintf(err, errlen, "DynamoDB table %s does not exist and this role may not "
			         "create it (dynamodb:CreateTable denied: %.200s); create it as "
			         "docs/fleet.md says, or allow dynamodb:CreateTable", s->table, e.message);
			return rc;
		}
		if (rc && rc != SG_ERR_EXISTS)
			goto fail;
		rc = SG_OK;
		status[0] = '\0';
	}
	for (int waited = 0; !rc && strcmp(status, "ACTIVE") && strcmp(status, "UPDATING");
	     waited += 250) {
		if (waited >= DD_TABLE_WAIT_MS) {
			snprintf(err, errlen, "DynamoDB table %s: still %s after %d s", s->table,
			         status, DD_TABLE_WAIT_MS / 1000);
			return SG_ERR_TIMEOUT;
		}
		if (status[0])
			dd_sleep_ms(250);
		rc = aws_ddb_describe_table(s->aws, s->table, status, &e);
	}
	if (!rc) {
		char ix[32];
		rc = aws_ddb_index_status(s->aws, s->table, DD_CLAIM_INDEX, ix, &e);
		s->claim_index = !rc && !strcmp(ix, "ACTIVE");
	}
	if (!rc)
		return SG_OK;
fail:
	if (rc == SG_ERR_AUTH)
		snprintf(err, errlen, "DynamoDB table %s: access denied (the role needs "
		         "dynamodb:DescribeTable, GetItem, PutItem, UpdateItem, DeleteItem, Query, "
		         "ConditionCheckItem on it): %.200s", s->table, e.message);
	else if (rc == SG_ERR_NOTFOUND)
		snprintf(err, errlen, "DynamoDB table %s does not exist", s->table);
	else
		snprintf(err, errlen, "DynamoDB table %s: %s%s%.100s%s%.200s", s->table,
		         sg_strerror(rc), e.code[0] ? " (" : "", e.code, e.code[0] ? ") " : "",
		         e.message);
	return rc;
}

sg_err store_dynamo_open(const store_opts *o, store **out, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	if (!table_name_ok(o->state_table)) {
		snprintf(err, errlen, "state table %.300s: a DynamoDB table name is 3-255 of "
		         "A-Z a-z 0-9 _ . -", o->state_table);
		return SG_ERR_INVAL;
	}
	dd_store *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	s->base.eng = &dynamo_engine;
	s->detail_max = o->detail_max > 0 ? o->detail_max : 0;
	snprintf(s->table, sizeof s->table, "%s", o->state_table);
	struct aws_client_opts co = {.region = o->region, .profile = o->profile,
	                             .endpoint_url = o->endpoint_url, .ca_bundle = o->ca_bundle};
	struct aws_error e;
	aws_error_clear(&e);
	sg_err rc = aws_client_new(&co, &s->aws, &e);
	if (rc)
		snprintf(err, errlen, "state table %s: AWS client: %.200s", s->table, e.message);
	else
		rc = ensure_table(s, o->readonly != 0, err, errlen);
	if (!rc)
		rc = dd_identity(s, o->readonly != 0, err, errlen);
	if (!rc && !o->readonly) {
		rc = dd_backfill_holders(s);
		if (rc == SG_ERR_BUSY && s->upgrade_waits)
			rc = SG_OK;   /* detectors and operators go on; holds wait (store_hold) */
		else if (rc)
			snprintf(err, errlen, "state table %s: giving the incidents of an older "
			         "ssrfguard their instance holders: %s", s->table, s->msg);
	}
	if (rc) {
		dd_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return SG_OK;
}
