/* dynamo_record.c — one attempt recorded on the DynamoDB engine
 * (store_record_claim): it joins the active incident of its join key (the
 * `active` pointer names it) or opens a new one, in one transaction with
 * its pointer and first history item; a pointer that names an incident no
 * longer active is dropped and the attempt decided again.  Also the pieces
 * serve's batch (dynamo_batch.c) shares: a new incident's item and id,
 * and the attempts' sequence numbers (dd_reserve_seqs).
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <string.h>

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

/* The sequence numbers of k attempts joining incident id (the sort keys of
 * their items): the item inc#N / seq hands them out, k at a time, with one
 * UpdateItem "SET #n = if_not_exists(#n, :base) + :k" (developer guide,
 * "Using update expressions in DynamoDB": value ::= operand '+' operand,
 * operand ::= path | if_not_exists(path, value)), so detectors joining at
 * once get numbers of their own while their counts are ADDed to the
 * incident.  base: the incident's count read before; the only attempt
 * items numbered without a reservation (an incident's opening attempts,
 * an older version's) are numbered at most the count.  A reservation whose
 * transaction then fails leaves a gap: numbers name, never count. */
sg_err dd_reserve_seqs(dd_store *s, int64_t id, int64_t base, int64_t k, int64_t *first)
{
	struct aws_error e;
	char pk[32];
	dd_partition(id, pk);
	json_t *key = dd_key(pk, DD_SEQ_SK), *attrs = NULL;
	struct aws_ddb_expr x = {.names = json_pack("{s:s}", "#n", "next"),
	                         .values = json_pack("{s:o,s:o}", ":base", dd_n(base > 0 ? base : 0),
	                                             ":k", dd_n(k))};
	sg_err rc = key && x.names && x.values
	                    ? dd_update_item(s, key, "SET #n = if_not_exists(#n, :base) + :k", &x,
	                                     &attrs, &e)
	                    : SG_ERR_NOMEM;
	int64_t last = rc ? 0 : aws_ddb_num(attrs, "next");
	if (!rc && last < k)
		rc = SG_ERR_PROTOCOL;
	*first = rc ? 0 : last - k + 1;
	json_decref(key);
	json_decref(x.names);
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

/* Join incident id: count the attempt (its sequence number -> *seq, 0 when
 * none could be reserved: counted without its own item); a
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
	int64_t count = aws_ddb_num(attrs, "attempts");
	if (dd_reserve_seqs(s, id, count - 1, 1, seq))
		*seq = 0;   /* counted without its own item (put_attempt) */
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
	json_t *item = seq > 0 ? dd_attempt_item(s, a, id, seq, at, &bad) : NULL;
	if (!item) {   /* counted only (no number, over detail_max, or too large) */
		o->aggregated = !bad;
		return bad ? SG_ERR_NOMEM : SG_OK;
	}
	sg_err rc = aws_ddb_put(s->aws, s->table, item, NULL, &e);
	json_decref(item);
	if (!rc)
		o->attempt_id = seq;
	return dd_fail(s, rc, "PutItem", &e);
}

/* Record one attempt; with owner, claim its incident (the claim's result
 * in *claimed). */
static sg_err record_one(dd_store *s, const store_attempt_in *a, const char *key,
                         const char *owner, int64_t lease_ms, store_record_out *o,
                         sg_err *claimed)
{
	int64_t at = a->at_ms > 0 ? a->at_ms : sg_wall_ms(), seq = 0;
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
			*claimed = dd_claim_id(s, id, owner, lease_ms);
		return put_attempt(s, a, id, seq, at, o);
	}
	snprintf(s->msg, sizeof s->msg, "DynamoDB on %s: the incident of %.200s kept changing",
	         s->table, key);
	return SG_ERR_BUSY;
}

sg_err dd_record_claim(store *base, const store_attempt_in *a, const char *key,
                              const char *owner, int64_t lease_ms, store_record_out *out)
{
	sg_err claimed = SG_OK;
	sg_err rc = record_one((dd_store *)base, a, key, owner, lease_ms, out, &claimed);
	return rc ? rc : claimed;
}
