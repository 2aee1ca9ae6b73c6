/* test_contend.c — a responder and a detector writing one incident at the
 * same time: the responder journals its steps (each a transaction that
 * checks the incident item) and renews its lease, the detector records
 * attempts that join the incident (a transaction that counts them on the
 * incident item).  Twice: a detector about 10 ms apart, and a storm, each
 * attempt recorded as soon as the last one is (serve's group commit under
 * an attack commits batch after batch).  Every call must succeed and every
 * attempt be counted once.
 *
 * On DynamoDB with transactions in flight (test store-contend-dynamodb,
 * emulator timing ddb_transaction_seconds): a write to an item a
 * transaction holds is refused with TransactionConflictException, and a
 * transaction touching it is cancelled for TransactionConflict (developer
 * guide, "Transaction conflict handling in DynamoDB"); neither means "lost
 * the lease" or "not recorded".  With every transaction in flight 50 ms
 * (store-contend-dynamodb-storm) the storm's joins hold the incident item
 * most of the time: the responder gets in only by the turns of
 * src/store/dynamo_tx.c (before them, it failed 5 runs of 5 with "resource
 * busy").  SQLite by default. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static char dir[] = "/tmp/sg-contend-XXXXXX";
static char path[256];
static char table[64];

enum { STEPS = 40, ATTEMPTS = 60 };

static store *open_store(void)
{
	store *s = NULL;
	char err[512];
	const char *e = getenv("STORE_TEST_ENGINE");
	store_opts o = {.state_table = e && !strcmp(e, "dynamodb") ? table : NULL,
	                .sync = STORE_SYNC_NORMAL};
	CHECKF(store_open(path, &o, &s, err, sizeof err) == SG_OK, "%s", err);
	return s;
}

/* the attack's source (one incident per case) and the detector's pause */
static const char *client;
static useconds_t detector_pause_us;

static store_attempt_in attempt(void)
{
	store_attempt_in a = {.client = client, .category = "metadata", .rule = "r",
	                      .instance_id = "i-contend", .contain = 1};
	return a;
}

/* The responder: journal STEPS step changes, renewing the lease after each. */
static int responder(int64_t id)
{
	store *s = open_store();
	int bad = 0;
	for (int i = 0; i < STEPS && s; i++) {
		char name[16];
		snprintf(name, sizeof name, "step%d", i % 6);
		store_change c = {.incident_id = id, .step = name, .to = i % 2 ? "done" : "running",
		                  .reason = "test", .actor = "r1", .bump_attempts = 1};
		sg_err e = store_transition(s, &c);
		sg_err r = store_renew(s, id, "r1", 60000);
		usleep(10000);   /* a step's AWS calls */
		if (e || r) {
			fprintf(stderr, "responder: step %d: %s, renew: %s (%s)\n", i, sg_strerror(e),
			        sg_strerror(r), store_errmsg(s));
			bad++;
		}
	}
	store_close(s);
	return s && !bad ? 0 : 1;
}

/* The detector: record ATTEMPTS attempts joining the incident. */
static int detector(int64_t id)
{
	store *s = open_store();
	int bad = 0;
	for (int i = 0; i < ATTEMPTS && s; i++) {
		store_attempt_in a = attempt();
		store_record_out o;
		sg_err e = store_record(s, &a, &o);
		usleep(detector_pause_us);   /* the next blocked request */
		if (e || o.incident_id != id) {
			fprintf(stderr, "detector: attempt %d: %s, INC-%lld (%s)\n", i, sg_strerror(e),
			        (long long)o.incident_id, store_errmsg(s));
			bad++;
		}
	}
	store_close(s);
	return s && !bad ? 0 : 1;
}

static void contend(void)
{
	store *s = open_store();
	store_attempt_in a = attempt();
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	int64_t id = o.incident_id, got = 0;
	CHECK_INT(store_claim(s, id, "r1", 60000, &got), SG_OK);
	store_close(s);

	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		if (kids[k] == 0)
			_exit(k ? detector(id) : responder(id));
	}
	for (int k = 0; k < 2; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s failed", k ? "the detector" : "the responder");
	}
	s = open_store();
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_INT(inc.attempts, 1 + ATTEMPTS);
	CHECK_INT(inc.state, STORE_CONTAINING);
	CHECK_STR(inc.lease_owner, "r1");
	store_incident_free(&inc);
	store_step *steps = NULL;
	size_t n = 0;
	CHECK_INT(store_steps(s, id, &steps, &n), SG_OK);
	int64_t tries = 0;
	for (size_t i = 0; i < n; i++)
		tries += steps[i].attempts;
	CHECK_INT(tries, STEPS);
	store_steps_free(steps, n);
	store_close(s);
}

TEST(responder_and_detector_on_one_incident)
{
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/db.sqlite", dir);
	snprintf(table, sizeof table, "ssrfguard-contend-%d", (int)getpid());
	client = "10.7.0.1";
	detector_pause_us = 10000;
	contend();
}

TEST(responder_under_a_detector_storm)
{
	client = "10.7.0.2";
	detector_pause_us = 0;
	contend();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

TEST_MAIN(responder_and_detector_on_one_incident, responder_under_a_detector_storm)
