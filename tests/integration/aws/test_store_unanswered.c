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

TEST_MAIN(second_chunk_answer_lost_four_times, second_chunk_never_answered,
          new_incident_never_answered)
