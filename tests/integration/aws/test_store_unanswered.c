/* test_store_unanswered.c — serve's group commit on DynamoDB when a chunk's
 * transaction took effect but its answer was lost more often than the
 * client resends (AWS_MAX_ATTEMPTS, 3): what store_record_many reports must
 * be what the table holds — every attempt counted once, each reported
 * recorded exactly when it is.  DynamoDB applies a resend with the same
 * ClientRequestToken at most once within 10 minutes (API reference,
 * TransactWriteItems), so the store resends the same transaction until it
 * gets an answer.  Against the emulator (drop_after faults). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "store/store.h"
#include "test.h"
#include "storetest.h"

#define BATCH 150

/* How many of out say "recorded", and the incident's count of them. */
static void agrees(store *s, const store_record_out *o, size_t n, int64_t id)
{
	size_t said = 0;
	for (size_t i = 0; i < n; i++)
		said += o[i].incident_id != 0;
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECKF(inc.attempts == (int64_t)said, "the table counts %lld attempts, the call said %zu "
	       "were recorded (%s)", (long long)inc.attempts, said, store_errmsg(s));
	store_incident_free(&inc);
}

/* The second chunk's transaction takes effect four times over (the first
 * time and each resend with the same token being no-ops after it), and the
 * first four answers are lost: the client's three tries, then the store's
 * first resend. */
TEST(second_chunk_answer_lost_four_times)
{
	store *s = fresh_store("unanswered");
	static store_attempt_in a[BATCH];
	static store_record_out o[BATCH];
	metadata_batch(a, BATCH, "10.0.0.7");
	emu_fault("{\"kind\": \"drop_after\", \"service\": \"dynamodb\", \"action\": "
	          "\"TransactWriteItems\", \"skip\": 1, \"count\": 4}");
	sg_err rc = store_record_many(s, a, BATCH, o);
	emu_clear_faults();
	CHECKF(rc == SG_OK, "%s: %s", sg_strerror(rc), store_errmsg(s));
	CHECK(o[0].incident_id != 0);
	agrees(s, o, BATCH, o[0].incident_id);
	store_close(s);
}

/* No answer at all for the second chunk (it took effect): the call fails,
 * and says which attempts are recorded — including the unanswered chunk's,
 * once a later resend of it is answered. */
TEST(second_chunk_never_answered)
{
	store *s = fresh_store("unanswered");
	static store_attempt_in a[BATCH];
	static store_record_out o[BATCH];
	metadata_batch(a, BATCH, "10.0.0.8");
	emu_fault("{\"kind\": \"drop_after\", \"service\": \"dynamodb\", \"action\": "
	          "\"TransactWriteItems\", \"skip\": 1, \"count\": 1000}");
	sg_err rc = store_record_many(s, a, BATCH, o);
	emu_clear_faults();
	CHECK(rc != SG_OK);
	CHECKF(strstr(store_errmsg(s), "unanswered") != NULL, "%s", store_errmsg(s));
	CHECK(o[0].incident_id != 0);
	/* what the call reported as recorded is a prefix of the batch: the
	 * unanswered chunk is not in it, and the table holds it (taken effect)
	 * — reported as unknown, not as "not recorded" */
	size_t said = 0;
	while (said < BATCH && o[said].incident_id)
		said++;
	store_incident inc;
	CHECK_INT(store_get(s, o[0].incident_id, &inc), SG_OK);
	CHECKF(inc.attempts >= (int64_t)said, "%lld < %zu", (long long)inc.attempts, said);
	store_incident_free(&inc);
	/* each unsettled attempt names the one incident it can be in: this
	 * source's (it took effect there) */
	CHECK(said < BATCH && o[said].unsettled);
	for (size_t i = said; i < BATCH && o[i].unsettled; i++)
		CHECKF(o[i].maybe_incident_id == o[0].incident_id, "attempt %zu: maybe %lld, not %lld",
		       i, (long long)o[i].maybe_incident_id, (long long)o[0].incident_id);
	store_close(s);
}

/* The one chunk opening a new incident is never answered (it took
 * effect): nothing is reported recorded, and every attempt names the id
 * allocated for the incident — the one the table now holds them in. */
TEST(new_incident_never_answered)
{
	store *s = fresh_store("unanswered");
	store_attempt_in a[5];
	store_record_out o[5];
	metadata_batch(a, 5, "10.0.0.9");
	emu_fault("{\"kind\": \"drop_after\", \"service\": \"dynamodb\", \"action\": "
	          "\"TransactWriteItems\", \"count\": 1000}");
	sg_err rc = store_record_many(s, a, 5, o);
	emu_clear_faults();
	CHECK(rc != SG_OK);
	for (size_t i = 0; i < 5; i++)
		CHECKF(o[i].unsettled && !o[i].incident_id && o[i].maybe_incident_id &&
		       o[i].maybe_incident_id == o[0].maybe_incident_id, "attempt %zu", i);
	store_incident inc;
	CHECK_INT(store_get(s, o[0].maybe_incident_id, &inc), SG_OK);
	CHECK_INT(inc.attempts, 5);
	store_incident_free(&inc);
	store_close(s);
}

/* Every TransactWriteItems of the next call unanswered: "drop_after" (it
 * takes effect) or "drop" (it does not). */
static void unanswered(const char *kind)
{
	char rule[160];
	snprintf(rule, sizeof rule, "{\"kind\": \"%s\", \"service\": \"dynamodb\", \"action\": "
	         "\"TransactWriteItems\", \"count\": 1000}", kind);
	emu_fault(rule);
}

/* Settle everything kept: n outcomes, each how, in incident id (0: any). */
static void settles(store *s, size_t n, store_settled_how how, int64_t id)
{
	store_settled out[16];
	size_t got = 0;
	CHECK_INT(store_settle(s, out, 16, &got), SG_OK);
	CHECKF(got == n, "%zu settled, want %zu (%s)", got, n, store_errmsg(s));
	for (size_t i = 0; i < got; i++) {
		CHECKF(out[i].how == how, "attempt %zu settled as %d, want %d", i, (int)out[i].how,
		       (int)how);
		CHECKF(!id || out[i].incident_id == id, "attempt %zu: in INC-%lld, want %lld", i,
		       (long long)out[i].incident_id, (long long)id);
	}
	CHECK_INT(store_unsettled(s), 0);
	CHECK_INT(store_settle(s, out, 16, &got), SG_OK);   /* nothing twice */
	CHECK_INT(got, 0);
}

static int64_t counted(store *s, int64_t id)
{
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	int64_t n = inc.attempts;
	store_incident_free(&inc);
	store_attempt *rows = NULL;
	size_t k = 0;
	CHECK_INT(store_attempts(s, id, 0, &rows, &k), SG_OK);
	CHECKF((int64_t)k == n, "%zu attempt items, %lld counted", k, (long long)n);
	store_attempts_free(rows, k);
	return n;
}

/* A new incident's transaction took effect unanswered: settling finds it
 * recorded (the resend with its token is a no-op), counted once. */
TEST(settled_when_it_had_taken_effect)
{
	store *s = fresh_store("unanswered");
	store_attempt_in a[5];
	store_record_out o[5];
	metadata_batch(a, 5, "10.0.1.1");
	unanswered("drop_after");
	CHECK(store_record_many(s, a, 5, o) != SG_OK);
	CHECK_INT(store_unsettled(s), 5);
	store_settled out[16];
	size_t got = 9;
	CHECK_INT(store_settle(s, out, 16, &got), SG_OK);   /* still no answer: kept */
	CHECK_INT(got, 0);
	emu_clear_faults();
	CHECK_INT(store_unsettled(s), 5);
	settles(s, 5, STORE_SETTLED_RECORDED, o[0].maybe_incident_id);
	CHECK_INT(counted(s, o[0].maybe_incident_id), 5);
	store_close(s);
}

/* Joining attempts whose transaction never reached the table: settling
 * sends it now, and they are counted once. */
TEST(settled_when_it_had_not_taken_effect)
{
	store *s = fresh_store("unanswered");
	store_attempt_in a[4];
	store_record_out o[4];
	metadata_batch(a, 4, "10.0.1.2");
	CHECK_INT(store_record(s, a, o), SG_OK);
	unanswered("drop");
	CHECK(store_record_many(s, a + 1, 3, o + 1) != SG_OK);
	emu_clear_faults();
	CHECK_INT(counted(s, o[0].incident_id), 1);
	settles(s, 3, STORE_SETTLED_RECORDED, o[0].incident_id);
	CHECK_INT(counted(s, o[0].incident_id), 4);
	store_close(s);
}

/* A new incident's transaction never reached the table, and the source's
 * next attempt opened another meanwhile: the resend is cancelled (its
 * pointer exists now), so the attempts are recorded anew, joining it —
 * every attempt counted once. */
TEST(recorded_anew_when_the_world_moved_on)
{
	store *s = fresh_store("unanswered");
	store_attempt_in a[4];
	store_record_out o[4];
	metadata_batch(a, 4, "10.0.1.3");
	unanswered("drop");
	CHECK(store_record_many(s, a, 3, o) != SG_OK);
	emu_clear_faults();
	CHECK_INT(store_record(s, a + 3, o + 3), SG_OK);
	CHECK(o[3].incident_id != o[0].maybe_incident_id);
	settles(s, 3, STORE_SETTLED_RERECORDED, o[3].incident_id);
	CHECK_INT(counted(s, o[3].incident_id), 4);
	store_incident inc;
	CHECK_INT(store_get(s, o[0].maybe_incident_id, &inc), SG_ERR_NOTFOUND);
	store_close(s);
}

TEST_MAIN(second_chunk_answer_lost_four_times, second_chunk_never_answered,
          new_incident_never_answered, settled_when_it_had_taken_effect,
          settled_when_it_had_not_taken_effect, recorded_anew_when_the_world_moved_on)
