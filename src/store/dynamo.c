/* dynamo.c — the DynamoDB engine of the incident store: one table shared by
 * a fleet (docs/fleet.md, "Shared state").  Every change is a conditional
 * write; several items that change together are one TransactWriteItems with
 * a ClientRequestToken.  A condition that fails because another writer got
 * there first is re-read and decided again (at most DD_ROUNDS times), so the
 * outcome is the one store.h promises for SQLite's serialised transactions.
 *
 * This file opens the engine (the table made and waited for, its identity,
 * its holder items) and lists its operations.  The rest, by purpose:
 *   dynamo_tx.c      transactions, conflicts with writers in flight, turns
 *   dynamo_record.c  one attempt recorded (and claimed at once)
 *   dynamo_batch.c   serve's group commit, in chunks of one transaction
 *   dynamo_settle.c  what an unanswered chunk left unsettled, settled later
 *   dynamo_spool.c   the unsettled chunks in a local file, for the next start
 *   dynamo_lease.c   claims, the claim search, lease renewal
 *   dynamo_change.c  state and journal-step transitions
 *   dynamo_hold.c    which incident holds an instance
 *   dynamo_ident.c   the store's identity
 *   dynamo_read.c    reads and item helpers
 */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/msg.h"

#define DD_TABLE_WAIT_MS 120000      /* CreateTable until ACTIVE */

bool dd_claimable(const char *state, bool observe)
{
	return !observe && (!strcmp(state, "open") || !strcmp(state, "containing"));
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
	dd_unsettled_free(s);   /* the spool keeps them for the next start */
	dd_spool_close(s);
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
	.settle = dd_settle,
	.unsettled = dd_unsettled_count,
	.spool_note = dd_spool_note,
	.unsettled_each = dd_unsettled_each,
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
	SG_MSG_BEGIN(err, errlen);
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
	s->spool_lock = -1;
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
	if (!rc && !o->readonly && o->spool)
		rc = dd_spool_open(s, o->spool, err, errlen);
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
