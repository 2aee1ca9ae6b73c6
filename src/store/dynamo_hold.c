/* dynamo_hold.c — which incident holds an instance, on the DynamoDB engine
 * (store_hold; docs/fleet.md, "Which incident holds an instance").
 *
 * One item per instance, pk "instance#ID", sk "holder", attribute
 * `incident`: the incident whose responder may run the playbook on it.
 * Taking it is one TransactWriteItems of three actions, each conditional on
 * what a strongly consistent read just showed: the taker's incident is
 * still "containing" under its lease; the holder item is absent or still
 * names the incident read; that incident (if any) is still in the state
 * read, one that no longer holds (failed, released, closed) or gone.  So of
 * two responders racing for one instance exactly one transaction commits
 * (TransactWriteItems is serializable against every other write to its
 * items: developer guide, "Amazon DynamoDB Transactions: How it works",
 * isolation levels), and the loser reads the winner.  The hold ends in the
 * transaction that moves its incident to failed, released or closed
 * (dd_unhold, from dynamo_change.c's change_incident).
 *
 * A global secondary index on instance_id cannot decide this: its reads are
 * eventually consistent only ("Queries on global secondary indexes support
 * eventual consistency only": developer guide, "Using Global Secondary
 * Indexes in DynamoDB"), so two responders could both read "nobody" and both
 * go on; a conditional write on one key cannot be fooled that way.
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <string.h>

#include "common/escape.h"

#define DD_HOLDER_SK "holder"

static void holder_pk(const char *instance, char pk[160])
{
	snprintf(pk, 160, "instance#%.140s", instance);
}

/* The holder item's key for instance. */
static json_t *holder_key(const char *instance)
{
	char pk[160];
	holder_pk(instance, pk);
	return dd_key(pk, DD_HOLDER_SK);
}

/* The holder item naming incident id (NULL on allocation failure). */
static json_t *holder_item(const char *instance, int64_t id)
{
	json_t *item = holder_key(instance);
	if (item && (json_object_set_new(item, "incident", dd_n(id)) ||
	             json_object_set_new(item, "instance_id", dd_s(instance)) ||
	             json_object_set_new(item, "at_ms", dd_n(sg_wall_ms())))) {
		json_decref(item);
		item = NULL;
	}
	return item;
}

static sg_err get_holder(dd_store *s, const char *instance, json_t **item)
{
	char pk[160];
	holder_pk(instance, pk);
	return dd_get_item(s, pk, DD_HOLDER_SK, item);
}

/* The incident id's state word into state ("" when it is gone). */
static sg_err incident_state(dd_store *s, int64_t id, char state[32])
{
	char sk[24];
	json_t *it = NULL;
	dd_id_text(id, sk);
	sg_err rc = dd_get_item(s, DD_INCIDENTS, sk, &it);
	snprintf(state, 32, "%s", rc ? "" : aws_ddb_str(it, "state"));
	json_decref(it);
	return rc == SG_ERR_NOTFOUND ? SG_OK : rc;
}

static bool state_holds(const char *state)
{
	store_state st;
	return store_state_parse(state, &st) == SG_OK && store_state_holds(st);
}

/* Take the instance for id from prev (0: nobody) whose incident was read in
 * prev_state ("": gone).  SG_ERR_STATE / SG_ERR_BUSY: something changed. */
static sg_err take(dd_store *s, int64_t id, const char *owner, const char *instance,
                   int64_t prev, const char *prev_state)
{
	char sk[24], psk[24];
	dd_id_text(id, sk);
	dd_tx t = {0};
	dd_tx_add(&t, "ConditionCheck", dd_key(DD_INCIDENTS, sk), NULL,
	          "#s = :c AND lease_owner = :o", json_pack("{s:s}", "#s", "state"),
	          json_pack("{s:o,s:o}", ":c", dd_s("containing"), ":o", dd_s(owner)));
	json_t *item = holder_item(instance, id);
	if (!prev) {
		dd_tx_add(&t, "Put", item, NULL, "attribute_not_exists(pk)", NULL, NULL);
	} else {
		dd_tx_add(&t, "Put", item, NULL, "incident = :h", NULL,
		          json_pack("{s:o}", ":h", dd_n(prev)));
		dd_id_text(prev, psk);
		if (prev_state[0])
			dd_tx_add(&t, "ConditionCheck", dd_key(DD_INCIDENTS, psk), NULL, "#s = :hs",
			          json_pack("{s:s}", "#s", "state"),
			          json_pack("{s:o}", ":hs", dd_s(prev_state)));
		else
			dd_tx_add(&t, "ConditionCheck", dd_key(DD_INCIDENTS, psk), NULL,
			          "attribute_not_exists(pk)", NULL, NULL);
	}
	int failed;
	return dd_tx_run(s, &t, &failed);
}

sg_err dd_hold(store *base, int64_t id, const char *owner, int64_t *holder)
{
	dd_store *s = (dd_store *)base;
	char sk[24];
	dd_id_text(id, sk);
	sg_err ready = dd_holds_ready(base);
	if (ready)
		return ready;   /* never a hold on a half-upgraded table */
	for (int round = 0; round < DD_ROUNDS; round++) {
		json_t *it = NULL;
		sg_err rc = dd_get_item(s, DD_INCIDENTS, sk, &it);
		if (rc)
			return rc;
		char instance[128];
		bool mine = !strcmp(aws_ddb_str(it, "state"), "containing") &&
		            !strcmp(aws_ddb_str(it, "lease_owner"), owner);
		snprintf(instance, sizeof instance, "%s", aws_ddb_str(it, "instance_id"));
		json_decref(it);
		if (!mine)
			return SG_ERR_STATE;
		if (!instance[0])
			return SG_ERR_INVAL;
		rc = get_holder(s, instance, &it);
		if (rc && rc != SG_ERR_NOTFOUND)
			return rc;
		int64_t prev = rc ? 0 : aws_ddb_num(it, "incident");
		json_decref(it);
		char prev_state[32] = "";
		if (prev == id) {
			*holder = id;
			return SG_OK;
		}
		if (prev && (rc = incident_state(s, prev, prev_state)))
			return rc;
		if (prev && state_holds(prev_state)) {
			*holder = prev;
			return SG_OK;
		}
		rc = take(s, id, owner, instance, prev, prev_state);
		if (!rc)
			*holder = id;
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
	}
	snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: the holder of INC-%lld's instance kept "
	         "changing", s->table, (long long)id);
	return SG_ERR_BUSY;
}

sg_err dd_unhold(dd_store *s, dd_tx *t, int64_t id, const char *instance)
{
	if (!instance[0])
		return SG_OK;
	json_t *it = NULL;
	sg_err rc = get_holder(s, instance, &it);
	bool mine = !rc && aws_ddb_num(it, "incident") == id;
	json_decref(it);
	if (rc && rc != SG_ERR_NOTFOUND)
		return rc;
	if (mine)   /* conditional: a take-over in between fails the transaction, read again */
		dd_tx_add(t, "Delete", holder_key(instance), NULL, "incident = :id", NULL,
		          json_pack("{s:o}", ":id", dd_n(id)));
	return SG_OK;
}

/* ---- the upgrade of a table written before holders ---- */

/* Responders of an older ssrfguard write no holder items, and an old binary
 * cannot be changed to check for the upgrade.  What a new one can see: the
 * leases they hold.  Every claim of this version marks its lease (lease_by =
 * the owner, in the claim's own write); an older claimer sets lease_owner
 * and leaves lease_by alone.  So a live lease whose lease_by is not its
 * owner was taken by an older responder, now at work on the table. */
bool dd_lease_is_old(const json_t *item, int64_t now)
{
	return !strcmp(aws_ddb_str(item, "state"), "containing") &&
	       aws_ddb_num(item, "lease_until_ms") > now &&
	       strcmp(aws_ddb_str(item, "lease_by"), aws_ddb_str(item, "lease_owner")) != 0;
}

typedef struct old_leases {
	int64_t now;
	size_t n;
	char names[480];  /* the first few, for the message */
} old_leases;

static sg_err note_old_lease(void *ctx, const json_t *item)
{
	old_leases *o = ctx;
	if (!dd_lease_is_old(item, o->now))
		return SG_OK;
	size_t used = strlen(o->names);
	if (o->n++ < 4 && used < sizeof o->names - 1) {
		char owner[96];
		int64_t left = (aws_ddb_num(item, "lease_until_ms") - o->now + 999) / 1000;
		sg_text_clean(owner, sizeof owner, aws_ddb_str(item, "lease_owner"),
		              strlen(aws_ddb_str(item, "lease_owner")));
		snprintf(o->names + used, sizeof o->names - used, "%sINC-%lld (owner %s, lease %lld s more)",
		         used ? ", " : "", (long long)aws_ddb_num(item, "id"), owner, (long long)left);
	}
	return SG_OK;
}

/* SG_ERR_BUSY, s->msg naming them, when older responders hold live leases. */
static sg_err refuse_if_old_leases(dd_store *s)
{
	struct aws_error e;
	old_leases o = {.now = sg_wall_ms()};
	struct aws_ddb_expr f = {.condition = "#s = :c AND lease_until_ms > :now",
	                         .names = json_pack("{s:s}", "#s", "state"),
	                         .values = json_pack("{s:o,s:o}", ":c", dd_s("containing"), ":now",
	                                             dd_n(o.now))};
	aws_error_clear(&e);
	sg_err rc = f.names && f.values ? aws_ddb_query(s->aws, s->table, DD_INCIDENTS, NULL, true, &f,
	                                                0, note_old_lease, &o, &e)
	                                : SG_ERR_NOMEM;
	json_decref(f.names);
	json_decref(f.values);
	if (rc)
		return dd_fail(s, rc, "Query", &e);
	if (!o.n)
		return SG_OK;
	snprintf(s->msg, sizeof s->msg, "state table %.100s waits for its upgrade to holder items: "
	         "responders of an older ssrfguard hold %zu live lease%s (%.480s%s); stop every "
	         "older responder (respond; serve with respond = on), or wait until those leases "
	         "end, then run this again (docs/fleet.md, \"Upgrading a table written before "
	         "holders\")", s->table, o.n, o.n == 1 ? "" : "s", o.names, o.n > 4 ? ", ..." : "");
	return SG_ERR_BUSY;
}

typedef struct backfill {
	dd_store *s;
	sg_err err;   /* a put's failure (store_errmsg has it) */
} backfill;

static sg_err backfill_one(void *ctx, const json_t *item)
{
	backfill *b = ctx;
	dd_store *s = b->s;
	struct aws_error e;
	const char *instance = aws_ddb_str(item, "instance_id");
	if (!instance[0])
		return SG_OK;
	json_t *h = holder_item(instance, aws_ddb_num(item, "id"));
	struct aws_ddb_expr x = {.condition = "attribute_not_exists(pk)"};
	sg_err rc = h ? aws_ddb_put(s->aws, s->table, h, &x, &e) : SG_ERR_NOMEM;
	json_decref(h);
	/* STATE: an older incident (or a responder of this version) holds it */
	if (rc && rc != SG_ERR_STATE)
		b->err = dd_fail(s, rc, "PutItem", &e);
	return b->err;
}

static sg_err give_holders(dd_store *s)
{
	struct aws_error e;
	struct aws_ddb_expr f = {
		.condition = "(#s = :c OR #s = :d) AND observe = :zero",
		.names = json_pack("{s:s}", "#s", "state"),
		.values = json_pack("{s:o,s:o,s:o}", ":c", dd_s("containing"), ":d", dd_s("contained"),
		                    ":zero", dd_n(0))};
	/* oldest first: of two old incidents holding one instance, the first */
	backfill b = {s, SG_OK};
	aws_error_clear(&e);
	sg_err rc = f.names && f.values ? aws_ddb_query(s->aws, s->table, DD_INCIDENTS, NULL, true,
	                                                &f, 0, backfill_one, &b, &e)
	                                : SG_ERR_NOMEM;
	json_decref(f.names);
	json_decref(f.values);
	if (b.err || rc)
		return b.err ? b.err : dd_fail(s, rc, "Query", &e);
	json_t *mark = dd_key("meta", DD_HOLDER_SK "s");
	if (mark && json_object_set_new(mark, "at_ms", dd_n(sg_wall_ms()))) {
		json_decref(mark);
		mark = NULL;
	}
	rc = mark ? aws_ddb_put(s->aws, s->table, mark, NULL, &e) : SG_ERR_NOMEM;
	json_decref(mark);
	return dd_fail(s, rc, "PutItem", &e);
}

sg_err dd_backfill_holders(dd_store *s)
{
	json_t *done = NULL;
	sg_err rc = dd_get_item(s, "meta", DD_HOLDER_SK "s", &done);
	json_decref(done);
	if (rc == SG_OK)
		s->holders_ready = true;
	if (rc != SG_ERR_NOTFOUND)
		return rc;
	s->upgrade_waits = false;
	if ((rc = refuse_if_old_leases(s)) == SG_ERR_BUSY)
		s->upgrade_waits = true;
	if (rc || (rc = give_holders(s)))
		return rc;
	s->holders_ready = true;
	return SG_OK;
}

sg_err dd_holds_ready(store *base)
{
	dd_store *s = (dd_store *)base;
	return s->holders_ready ? SG_OK : dd_backfill_holders(s);
}
