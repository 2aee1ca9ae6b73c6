/* dynamo_change.c — the one transition function of the DynamoDB engine
 * (store_transition): an incident's state (change_incident) or one journal
 * step (change_step), each a transaction with its history item, decided on
 * what a strongly consistent read showed just before and written only if
 * that still holds; a lost race is read and decided again (DD_ROUNDS).
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <string.h>

#define DD_DATA_MAX 350000           /* a step's data, below the 400 KB item limit */

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
		rc = dd_responder_tx(s, &t, key, c->incident_id, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
		last = rc;
	}
	return dd_rounds_spent(s, last, c->incident_id);
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
		rc = dd_responder_tx(s, &t, key, c->incident_id, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
		last = rc;
	}
	return dd_rounds_spent(s, last, c->incident_id);
}

sg_err dd_transition(store *base, const store_change *c, int64_t at)
{
	dd_store *s = (dd_store *)base;
	return c->step ? change_step(s, c, at) : change_incident(s, c, at);
}
