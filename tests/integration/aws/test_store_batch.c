/* test_store_batch.c — serve's group commit (store_record_many) on the
 * DynamoDB engine, against the emulator: a batch larger than one
 * transaction is recorded in chunks; a failure in the second chunk leaves
 * exactly the first recorded, says so, and the rest recorded again counts
 * nothing twice; a transaction whose answer was lost and that is resent
 * (same ClientRequestToken) is applied once. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "store/store.h"
#include "test.h"
#include "storetest.h"

#define BATCH 150

/* The incident's count and its attempt items, which must agree with want. */
static void check_incident(store *s, int64_t id, int64_t want)
{
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_INT(inc.attempts, want);
	store_incident_free(&inc);
	store_attempt *arr = NULL;
	size_t n = 0;
	CHECK_INT(store_attempts(s, id, 1000, &arr, &n), SG_OK);
	CHECK_INT(n, (size_t)want);
	/* each its own number, in order: no double (a chunk that failed leaves
	 * a gap in the numbers, never in the count) */
	for (size_t i = 0; i < n; i++)
		CHECKF(arr[i].id > (i ? arr[i - 1].id : 0), "attempt %zu: number %lld after %lld", i,
		       (long long)arr[i].id, (long long)(i ? arr[i - 1].id : 0));
	store_attempts_free(arr, n);
}

TEST(over_one_transaction)
{
	store *s = fresh_store("batch");
	static store_attempt_in a[BATCH + 10];
	static store_record_out o[BATCH + 10];
	metadata_batch(a, BATCH, "10.0.0.1");
	metadata_batch(a + BATCH, 10, "10.0.0.2");
	a[BATCH + 3].contain = 0;
	CHECK_INT(store_record_many(s, a, BATCH + 10, o), SG_OK);
	for (size_t i = 0; i < BATCH + 10; i++)
		CHECK(o[i].incident_id != 0 && o[i].attempt_id != 0);
	CHECK_INT(o[0].opened, 1);
	CHECK_INT(o[BATCH].opened, 1);
	CHECK(o[BATCH - 1].incident_id == o[0].incident_id);
	CHECK(o[BATCH].incident_id != o[0].incident_id);
	check_incident(s, o[0].incident_id, BATCH);
	check_incident(s, o[BATCH].incident_id, 10);
	store_history *h = NULL;
	size_t nh = 0;
	CHECK_INT(store_history_list(s, o[0].incident_id, &h, &nh), SG_OK);
	CHECK_INT(nh, 1);   /* opened once, whatever the chunks */
	store_history_free(h, nh);
	store_close(s);
}

TEST(second_chunk_fails)
{
	store *s = fresh_store("batch");
	static store_attempt_in a[BATCH];
	static store_record_out o[BATCH];
	metadata_batch(a, BATCH, "10.0.0.3");
	emu_fault("{\"kind\": \"error\", \"service\": \"dynamodb\", \"action\": "
	          "\"TransactWriteItems\", \"skip\": 1, \"count\": 1, "
	          "\"code\": \"AccessDeniedException\", \"status\": 400}");
	CHECK(store_record_many(s, a, BATCH, o) != SG_OK);
	emu_clear_faults();
	size_t landed = 0;
	while (landed < BATCH && o[landed].incident_id)
		landed++;
	CHECKF(landed > 0 && landed < BATCH, "%zu recorded", landed);
	for (size_t i = landed; i < BATCH; i++)
		CHECK_INT(o[i].incident_id, 0);   /* a prefix, then nothing */
	char want[64];
	snprintf(want, sizeof want, "%zu of %d attempts recorded", landed, BATCH);
	CHECKF(strstr(store_errmsg(s), want) != NULL, "%s", store_errmsg(s));
	int64_t id = o[0].incident_id;
	check_incident(s, id, (int64_t)landed);
	/* the caller records again what was not recorded: nothing twice */
	CHECK_INT(store_record_many(s, a + landed, BATCH - landed, o + landed), SG_OK);
	CHECK_INT(o[landed].incident_id, id);
	check_incident(s, id, BATCH);
	store_close(s);
}

TEST(lost_answer_resent_once)
{
	store *s = fresh_store("batch");
	store_attempt_in a[10];
	store_record_out o[10];
	metadata_batch(a, 10, "10.0.0.4");
	CHECK_INT(store_record(s, a, o), SG_OK);
	/* the next transaction takes effect and its answer is lost; the client
	 * resends it with the same ClientRequestToken: a no-op */
	emu_fault("{\"kind\": \"drop_after\", \"service\": \"dynamodb\", \"action\": "
	          "\"TransactWriteItems\", \"count\": 1}");
	CHECK_INT(store_record_many(s, a + 1, 9, o + 1), SG_OK);
	json_t *f = emu("GET", "/faults", NULL);
	json_t *rules = json_is_array(f) ? f : json_object_get(f, "faults");
	CHECK(json_array_size(rules) == 1 &&
	      json_integer_value(json_object_get(json_array_get(rules, 0), "hits")) == 1);
	json_decref(f);
	emu_clear_faults();
	check_incident(s, o[0].incident_id, 10);
	store_close(s);
}

TEST_MAIN(over_one_transaction, second_chunk_fails, lost_answer_resent_once)
