/* dynamo_lease.c — claims and leases on the DynamoDB engine (store_claim,
 * store_renew).  A claim is a compare-and-set on the state and lease read
 * just before, strongly consistent; the search for claimable work reads the
 * sparse index DD_CLAIM_INDEX (eventually consistent: each candidate is
 * read again before it is claimed, and a search that finds nothing looks
 * once more after the index's usual delay), or every incident on a table
 * made before the index.
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <string.h>

#define DD_INDEX_LAG_MS 1100         /* a write reaches a global secondary index (emulator: 1 s;
                                        AWS: "within a fraction of a second" normally) */


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
		int64_t until = aws_ddb_num(it, "lease_until_ms"), at = sg_wall_ms();
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
		rc = dd_responder_tx(s, &t, key, want, &failed);
		if (rc != SG_ERR_STATE && rc != SG_ERR_BUSY)
			return rc;
	}
	return SG_ERR_BUSY;
}

sg_err dd_claim_id(dd_store *s, int64_t want, const char *owner, int64_t lease_ms)
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
		                    ":now", dd_n(sg_wall_ms()))};
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

sg_err dd_claim(store *base, int64_t want, const char *owner, int64_t lease_ms,
                       int64_t *incident_id)
{
	dd_store *s = (dd_store *)base;
	if (want) {
		sg_err rc = dd_claim_id(s, want, owner, lease_ms);
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

sg_err dd_renew(store *base, int64_t id, const char *owner, int64_t lease_ms)
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
		                    dd_n(sg_wall_ms() + lease_ms))};
	sg_err rc = key && x.names && x.values
	                    ? dd_update_item(s, key, "SET lease_until_ms = :u", &x, NULL, &e)
	                    : SG_ERR_NOMEM;
	json_decref(key);
	json_decref(x.names);
	json_decref(x.values);
	return rc == SG_ERR_STATE ? SG_ERR_BUSY : dd_fail(s, rc, "UpdateItem", &e);
}
