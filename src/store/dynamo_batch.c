/* dynamo_batch.c — serve's group commit on the DynamoDB engine
 * (store_record_many): the batch in chunks, each chunk ONE TransactWriteItems,
 * so each chunk is recorded whole or not at all.
 *
 * A transaction takes at most 100 actions and 4 MB of items, and no two of
 * its actions may touch one item (API reference, TransactWriteItems).  So a
 * chunk's attempts that join one incident are one Update of it (attempts +=
 * k), and a chunk ends before the next attempt could break either limit.
 * Counting is an ADD, so several detectors recording one attacker at once
 * each add their own (it used to be a compare-and-set on the count read
 * just before, which they lost to one another round after round); the
 * attempt items' keys are "att#" + a sequence number reserved for them
 * (dd_reserve_seqs), kept for the chunk's next rounds.  The Update still
 * checks the state read (still active; still logged when the chunk
 * escalates it): a chunk that loses a race with another writer is read and
 * planned again (DD_ROUNDS times).
 *
 * Each chunk is a transaction on the incident items it joins, so during an
 * attack serve's chunks follow one another on one incident item, and a
 * responder's transactions on it (its step changes check the lease there)
 * are cancelled whenever they meet one (TransactionConflict), and the
 * other way round.  The side that lost takes the next turn on the item
 * (dd_take_turn) and the other waits it out (dd_await_turn, before the
 * pointer is read): the attempts are answered later, never dropped, and the
 * responder gets in.
 *
 * Chunks run in order and stop at the first failure: on error the chunks
 * before it are recorded (their out[] entries filled), the attempts from the
 * failing chunk on are not (their out[] entries zero).  Each transaction
 * has a ClientRequestToken of its own (dd_tx_run), so a chunk resent after
 * a lost answer is not applied twice; one never answered is kept, with its
 * token, for store_settle (dynamo_settle.c).
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TX_ACTIONS_MAX 100                       /* API reference, TransactWriteItems */
#define TX_BYTES_MAX (4u * 1024u * 1024u - 64u * 1024u)  /* 4 MB, less a margin */
#define GROUP_ACTIONS 4    /* an incident's own actions: item, pointer, two history items */
#define GROUP_BYTES 4096   /* bound of those items beyond the opening attempt's strings */
#define ATTEMPT_OVERHEAD 512 /* bound of an attempt item beyond its strings */
#define JOIN_BUSY_MS 10000   /* a chunk cancelled by transactions in flight: tried again
                                this long (several detectors on one attacker's incident) */

/* Numbers reserved for a chunk's attempts joining incident id by key, kept
 * while the chunk is planned again. */
typedef struct numbers {
	const char *key;
	int64_t id, first;
} numbers;

/* One join key of the chunk: the incident its attempts join or open. */
typedef struct group {
	const char *key;
	int64_t id;
	bool fresh;                  /* opened by this chunk */
	int64_t stale;               /* fresh: the inactive incident the pointer names (0: none) */
	int64_t seen, added;         /* attempts counted before the chunk, and by it */
	int64_t first_seq;           /* joined: the first number reserved for its attempts */
	char state[16], seen_state[16];
	bool observe, escalated;
	const store_attempt_in *first; /* the attempt that opens (fresh) */
	int64_t opened_at, escalated_at, last_at;
	char esc_reason[256];
} group;

static size_t len0(const char *v)
{
	return v ? strlen(v) : 0;
}

/* An upper bound of attempt a's item size. */
static size_t attempt_bytes(const store_attempt_in *a)
{
	size_t n = ATTEMPT_OVERHEAD + len0(a->client) + len0(a->request) + len0(a->headers) +
	           len0(a->url) + len0(a->dest) + len0(a->category) + len0(a->rule) +
	           len0(a->reason) + len0(a->addrs) + len0(a->instance_id) + len0(a->region) +
	           len0(a->az);
	return n > AWS_DDB_ITEM_MAX ? AWS_DDB_ITEM_MAX : n;
}

/* The end of the chunk that starts at lo: as many attempts as surely fit
 * one transaction (at least one). */
static size_t chunk_end(const store_attempt_in *a, const char *const *keys, size_t lo, size_t n)
{
	size_t actions = 0, bytes = 0, hi = lo;
	for (; hi < n; hi++) {
		bool new_key = true;
		for (size_t j = lo; j < hi && new_key; j++)
			new_key = strcmp(keys[j], keys[hi]) != 0;
		size_t more = 1 + (new_key ? GROUP_ACTIONS : 0);
		size_t grow = attempt_bytes(&a[hi]) * (new_key ? 2 : 1) + (new_key ? GROUP_BYTES : 0);
		if (hi > lo && (actions + more > TX_ACTIONS_MAX || bytes + grow > TX_BYTES_MAX))
			break;
		actions += more;
		bytes += grow;
	}
	return hi;
}

/* Read what key's incident is now: an active one to join, or none (a new
 * id to open, remembering a stale pointer). */
static sg_err read_group(dd_store *s, group *g)
{
	json_t *ptr = NULL, *inc = NULL;
	sg_err rc = dd_await_turn(s, g->key, DD_TURN_JOINS, &ptr);
	if (rc && rc != SG_ERR_NOTFOUND)
		return rc;
	if (!rc) {
		char sk[24];
		g->stale = aws_ddb_num(ptr, "incident");
		json_decref(ptr);
		dd_id_text(g->stale, sk);
		rc = dd_get_item(s, DD_INCIDENTS, sk, &inc);
		if (rc && rc != SG_ERR_NOTFOUND)
			return rc;
		store_state st;
		if (!rc && !store_state_parse(aws_ddb_str(inc, "state"), &st) && st != STORE_RELEASED &&
		    st != STORE_CLOSED) {
			g->id = g->stale;
			g->stale = 0;
			g->seen = aws_ddb_num(inc, "attempts");
			snprintf(g->state, sizeof g->state, "%s", store_state_name(st));
			snprintf(g->seen_state, sizeof g->seen_state, "%s", g->state);
			g->observe = aws_ddb_num(inc, "observe") != 0;
		}
		json_decref(inc);
		if (g->id)
			return SG_OK;
	}
	g->fresh = true;
	return dd_next_id(s, &g->id);
}

json_t *dd_attempt_item(dd_store *s, const store_attempt_in *a, int64_t id, int64_t seq,
                            int64_t at, int *bad)
{
	char pk[32], sk[32];
	if (s->detail_max && seq > s->detail_max)
		return NULL;
	dd_partition(id, pk);
	snprintf(sk, sizeof sk, "att#%020lld", (long long)seq);
	json_t *item = json_pack(
		"{s:{s:s},s:{s:s},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		"pk", "S", pk, "sk", "S", sk, "incident", dd_n(id), "at_ms", dd_n(at), "client",
		dd_s(a->client), "request", dd_s(a->request), "headers",
		dd_s(a->headers && *a->headers ? a->headers : "{}"), "url", dd_s(a->url), "dest",
		dd_s(a->dest), "category", dd_s(a->category), "rule", dd_s(a->rule), "reason",
		dd_s(a->reason), "hop", dd_n(a->hop), "addrs",
		dd_s(a->addrs && *a->addrs ? a->addrs : "[]"), "instance_id", dd_s(a->instance_id),
		"region", dd_s(a->region), "az", dd_s(a->az), "contain", dd_n(a->contain ? 1 : 0));
	if (!item)
		*bad = 1;
	else if (aws_ddb_item_size(item) > AWS_DDB_ITEM_MAX) {
		json_decref(item);
		item = NULL;
	}
	return item;
}

/* Count attempt a in its group g (and escalate it), its item into t. */
static void plan_attempt(dd_store *s, dd_tx *t, group *g, const store_attempt_in *a,
                         store_record_out *o)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : sg_wall_ms();
	memset(o, 0, sizeof *o);
	o->incident_id = g->id;
	g->added++;
	g->last_at = at;
	if (g->fresh && g->added == 1) {
		g->first = a;
		g->opened_at = at;
		g->observe = a->observe != 0;
		snprintf(g->state, sizeof g->state, "%s", a->contain ? "open" : "logged");
		o->opened = 1;
	} else if (a->contain && !strcmp(g->state, "logged")) {
		snprintf(g->state, sizeof g->state, "open");
		g->escalated = true;
		g->escalated_at = at;
		store_reason_escalated(a, g->esc_reason, sizeof g->esc_reason);
		o->escalated = 1;
	}
	int64_t seq = g->fresh ? g->added : g->first_seq + g->added - 1;
	json_t *item = dd_attempt_item(s, a, g->id, seq, at, &t->bad);
	if (item) {
		dd_tx_add(t, "Put", item, NULL, "attribute_not_exists(pk)", NULL, NULL);
		o->attempt_id = seq;
	} else {
		o->aggregated = 1;
	}
}

/* A new incident: its item (as the chunk leaves it), its pointer, history. */
static void plan_open(dd_tx *t, const group *g)
{
	char reason[256];
	store_reason_opened(g->first, reason, sizeof reason);
	const char *opened = g->first->contain ? "open" : "logged";
	json_t *item = dd_incident_item(g->id, g->first, g->key, opened, reason, g->opened_at, "", 0);
	int bad = !item || json_object_set_new(item, "attempts", dd_n(g->added)) ||
	          json_object_set_new(item, "updated_ms", dd_n(g->last_at));
	if (item && g->escalated)
		bad |= json_object_set_new(item, "state", dd_s("open")) ||
		       json_object_set_new(item, "contain", dd_n(1)) ||
		       json_object_set_new(item, "state_ms", dd_n(g->escalated_at)) ||
		       json_object_set_new(item, "state_reason", dd_s(g->esc_reason)) ||
		       (dd_claimable("open", g->observe) &&
		        json_object_set_new(item, DD_CLAIM_ATTR, dd_s("1")));
	t->bad |= bad;
	dd_tx_add(t, "Put", item, NULL, "attribute_not_exists(pk)", NULL, NULL);
	json_t *ptr = json_pack("{s:{s:s},s:{s:s},s:o}", "pk", "S", DD_ACTIVE, "sk", "S", g->key,
	                        "incident", dd_n(g->id));
	if (g->stale)
		dd_tx_add(t, "Put", ptr, NULL, "attribute_not_exists(pk) OR incident = :old", NULL,
		          json_pack("{s:o}", ":old", dd_n(g->stale)));
	else
		dd_tx_add(t, "Put", ptr, NULL, "attribute_not_exists(pk)", NULL, NULL);
	dd_tx_history(t, g->id, "", "", opened, reason, "serve", g->opened_at, 0);
}

/* A joined incident: one Update for all the chunk's attempts, adding
 * their count, on the state read (still active, or still logged when the
 * chunk escalates it). */
static void plan_join(dd_tx *t, const group *g)
{
	char sk[24];
	dd_id_text(g->id, sk);
	json_t *values = json_pack("{s:o,s:o}", ":k", dd_n(g->added), ":at", dd_n(g->last_at));
	bool cl = g->escalated && dd_claimable("open", g->observe);
	if (values && g->escalated)
		t->bad |= json_object_set_new(values, ":was", dd_s(g->seen_state)) ||
		          json_object_set_new(values, ":open", dd_s("open")) ||
		          json_object_set_new(values, ":one", dd_n(1)) ||
		          json_object_set_new(values, ":eat", dd_n(g->escalated_at)) ||
		          json_object_set_new(values, ":r", dd_s(g->esc_reason)) ||
		          (cl && json_object_set_new(values, ":cl", dd_s("1")));
	else if (values)
		t->bad |= dd_add_active_states(values);
	const char *update =
		!g->escalated ? "ADD attempts :k SET updated_ms = :at"
		: cl ? "ADD attempts :k SET updated_ms = :at, #s = :open, contain = :one, "
		       "state_ms = :eat, state_reason = :r, " DD_CLAIM_ATTR " = :cl"
		     : "ADD attempts :k SET updated_ms = :at, #s = :open, contain = :one, "
		       "state_ms = :eat, state_reason = :r";
	dd_tx_add(t, "Update", dd_key(DD_INCIDENTS, sk), update,
	          g->escalated ? "#s = :was" : ACTIVE_STATES, json_pack("{s:s}", "#s", "state"),
	          values);
}

/* g's first reserved number for its k attempts of this chunk: the one kept
 * from an earlier round of the chunk (same key, same incident), else a new
 * reservation, kept in ns. */
static sg_err number_group(dd_store *s, group *g, int64_t k, numbers *ns, size_t *nn,
                           size_t cap)
{
	for (size_t i = 0; i < *nn; i++)
		if (ns[i].id == g->id && !strcmp(ns[i].key, g->key)) {
			g->first_seq = ns[i].first;
			return SG_OK;
		}
	sg_err rc = dd_reserve_seqs(s, g->id, g->seen, k, &g->first_seq);
	if (!rc && *nn < cap)
		ns[(*nn)++] = (numbers){g->key, g->id, g->first_seq};
	return rc;
}

static group *group_of(group *gs, size_t *ng, const char *key)
{
	for (size_t i = 0; i < *ng; i++)
		if (!strcmp(gs[i].key, key))
			return &gs[i];
	memset(&gs[*ng], 0, sizeof gs[*ng]);
	gs[*ng].key = key;
	return &gs[(*ng)++];
}

/* Read, plan and run attempts lo..hi as one transaction (ns, nn: the
 * numbers reserved in the chunk's earlier rounds, room for cap). */
static sg_err record_chunk(dd_store *s, const store_attempt_in *a, const char *const *keys,
                           size_t lo, size_t hi, store_record_out *out, group *gs,
                           numbers *ns, size_t *nn, size_t cap)
{
	size_t ng = 0;
	sg_err rc = SG_OK;
	s->unanswered = false;   /* set by this chunk's transaction only */
	for (size_t i = lo; i < hi && !rc; i++) {
		group *g = group_of(gs, &ng, keys[i]);
		if (!g->id)
			rc = read_group(s, g);
	}
	for (size_t k = 0; k < ng && !rc; k++) {
		int64_t many = 0;
		for (size_t i = lo; i < hi; i++)
			many += !strcmp(keys[i], gs[k].key);
		if (!gs[k].fresh)
			rc = number_group(s, &gs[k], many, ns, nn, cap);
	}
	if (rc)
		return rc;
	dd_tx t = {0};
	for (size_t i = lo; i < hi; i++)
		plan_attempt(s, &t, group_of(gs, &ng, keys[i]), &a[i], &out[i]);
	for (size_t k = 0; k < ng; k++) {
		const group *g = &gs[k];
		if (g->fresh)
			plan_open(&t, g);
		else
			plan_join(&t, g);
		if (g->escalated)
			dd_tx_history(&t, g->id, "", "logged", "open", g->esc_reason, "serve",
			              g->escalated_at, 1);
	}
	if (!t.bad && (t.n > TX_ACTIONS_MAX || t.bytes > TX_BYTES_MAX)) {
		json_decref(t.acts);   /* chunk_end's bounds are wrong: never send it */
		snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: a chunk of %zu actions, %zu bytes "
		         "is over one transaction's limits", s->table, t.n, t.bytes);
		return SG_ERR_RANGE;
	}
	int failed;
	int64_t sent = sg_wall_ms();
	t.keep = true;
	rc = dd_tx_run(s, &t, &failed);
	if (s->unanswered)   /* store_settle says later what became of it */
		s->kept = !dd_keep_unsettled(s, &t, sent, a + lo, keys + lo, out + lo, hi - lo);
	for (size_t k = 0; rc == SG_ERR_BUSY && k < ng; k++)
		if (!gs[k].fresh)
			dd_take_turn(s, gs[k].key, gs[k].id, DD_TURN_JOINS);
	return rc;
}

sg_err dd_record_many(store *base, const store_attempt_in *a, const char *const *keys, size_t n,
                      store_record_out *out)
{
	dd_store *s = (dd_store *)base;
	store_record_out *o = out ? out : calloc(n, sizeof *o);
	size_t most = n < TX_ACTIONS_MAX ? n : TX_ACTIONS_MAX;
	group *gs = calloc(most, sizeof *gs);
	/* numbers are reserved again only for an incident another round found */
	numbers *ns = calloc(most * DD_ROUNDS, sizeof *ns);
	sg_err rc = o && gs && ns ? SG_OK : SG_ERR_NOMEM;
	size_t lo = 0, chunks = 0;
	s->unanswered = false;
	while (!rc && lo < n) {
		size_t hi = chunk_end(a, keys, lo, n), nn = 0;
		/* STATE: another writer changed an incident (DD_ROUNDS times at
		 * most); BUSY: cancelled by a transaction in flight on one of its
		 * items, nothing written — as long as JOIN_BUSY_MS allows */
		int64_t since = sg_wall_ms();
		for (int changed = 0;;) {
			rc = record_chunk(s, a, keys, lo, hi, o, gs, ns, &nn, most * DD_ROUNDS);
			if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
				break;
			if (rc == SG_ERR_STATE ? ++changed >= DD_ROUNDS
			                       : sg_wall_ms() - since >= JOIN_BUSY_MS)
				break;
		}
		if (rc == SG_ERR_STATE || rc == SG_ERR_BUSY) {
			snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: the incidents of a batch kept "
			         "changing", s->table);
			rc = SG_ERR_BUSY;
		}
		if (!rc) {
			lo = hi;
			chunks++;
		}
	}
	if (rc && (lo || s->unanswered)) {
		char why[sizeof s->msg], next[160] = "";
		snprintf(why, sizeof why, "%s", s->msg);
		if (s->unanswered)
			snprintf(next, sizeof next, "; the next %zu unanswered (their transaction may "
			         "have taken effect, at most once)", chunk_end(a, keys, lo, n) - lo);
		snprintf(s->msg, sizeof s->msg, "%zu of %zu attempts recorded (%zu transactions)%s, "
		         "the rest not: %.800s", lo, n, chunks, next, why);
	}
	if (rc && o) {
		/* the unanswered chunk's plan says where its attempts would be */
		for (size_t i = lo, hi = chunk_end(a, keys, lo, n); i < n; i++) {
			int64_t maybe = s->unanswered && i < hi ? o[i].incident_id : 0;
			memset(&o[i], 0, sizeof o[i]);
			o[i].unsettled = s->unanswered && i < hi;
			o[i].kept = o[i].unsettled && s->kept;
			o[i].maybe_incident_id = maybe;
		}
	}
	if (o != out)
		free(o);
	free(gs);
	free(ns);
	return rc;
}
