/* test_hold.c — which incident holds an instance (store_hold): one holder
 * at a time, kept while open/containing/contained, ended by failed,
 * released and closed; only the lease owner takes it; racing processes
 * agree on one holder; found behind more incidents than a list reads; a
 * SQLite store of schema 2 gets its holders when migrated.
 *
 * SQLite by default; DynamoDB when STORE_TEST_ENGINE=dynamodb (test
 * store-hold-dynamodb, against the emulator), one fresh table per test. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"
#include "test.h"

static char dir[] = "/tmp/sg-hold-XXXXXX";
static char path[256];
static char table[64];
static int nth;
static int dynamo;

static store *reopen(void)
{
	store *s = NULL;
	char err[512];
	store_opts o = {.state_table = dynamo ? table : NULL, .sync = STORE_SYNC_NORMAL};
	CHECKF(store_open(path, &o, &s, err, sizeof err) == SG_OK, "%s", err);
	return s;
}

static store *fresh(void)
{
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nth);
	snprintf(table, sizeof table, "ssrfguard-hold-%d-%d", (int)getpid(), nth);
	nth++;
	return reopen();
}

/* A new incident from client about instance, claimed by owner: its id. */
static int64_t claimed(store *s, const char *client, const char *instance, const char *owner)
{
	store_attempt_in a = {.client = client, .category = "metadata", .rule = "r",
	                      .instance_id = instance, .contain = 1};
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	int64_t got = 0;
	CHECK_INT(store_claim(s, o.incident_id, owner, 60000, &got), SG_OK);
	return got;
}

static void move(store *s, int64_t id, const char *to, const char *actor)
{
	store_change c = {.incident_id = id, .to = to, .reason = "test", .actor = actor};
	CHECK_INT(store_transition(s, &c), SG_OK);
}

static int64_t holder_of(store *s, int64_t id, const char *owner)
{
	int64_t h = -1;
	CHECK_INT(store_hold(s, id, owner, &h), SG_OK);
	return h;
}

TEST(one_holder_and_its_end)
{
	store *s = fresh();
	int64_t a = claimed(s, "10.1.0.1", "i-h", "r1");
	int64_t b = claimed(s, "10.1.0.2", "i-h", "r2");
	CHECK_INT(holder_of(s, a, "r1"), a);
	CHECK_INT(holder_of(s, a, "r1"), a);   /* again: still a */
	CHECK_INT(holder_of(s, b, "r2"), a);
	int64_t h = -1;
	CHECK_INT(store_hold(s, b, "r1", &h), SG_ERR_STATE);   /* not b's lease owner */
	CHECK_INT(h, 0);
	move(s, a, "contained", "r1");
	CHECK_INT(holder_of(s, b, "r2"), a);   /* contained keeps it */
	move(s, a, "released", "operator:t");
	CHECK_INT(holder_of(s, b, "r2"), b);   /* released ended it */
	move(s, b, "open", "r2");              /* given back: kept for the resume */
	int64_t c = claimed(s, "10.1.0.3", "i-h", "r3");
	CHECK_INT(holder_of(s, c, "r3"), b);
	int64_t got = 0;
	CHECK_INT(store_claim(s, b, "r2", 60000, &got), SG_OK);
	move(s, b, "failed", "r2");            /* failed ends it */
	CHECK_INT(holder_of(s, c, "r3"), c);
	move(s, c, "closed", "r3");
	CHECK_INT(store_claim(s, b, "r2", 60000, &got), SG_ERR_STATE);  /* failed: retry first */
	move(s, b, "open", "operator:t");
	CHECK_INT(store_claim(s, b, "r2", 60000, &got), SG_OK);
	CHECK_INT(holder_of(s, b, "r2"), b);   /* closed ended c's */
	int64_t other = claimed(s, "10.1.0.4", "i-other", "r4");
	CHECK_INT(holder_of(s, other, "r4"), other);   /* per instance */
	int64_t none = claimed(s, "10.1.0.5", "", "r5");
	CHECK_INT(store_hold(s, none, "r5", &h), SG_ERR_INVAL);
	CHECK_INT(store_hold(s, 999999, "r5", &h), SG_ERR_NOTFOUND);
	store_close(s);
}

/* More incidents than store_list's 1000: the holder is found by its key. */
TEST(behind_many_incidents)
{
	store *s = fresh();
	int64_t first = claimed(s, "10.2.0.1", "i-many", "r1");
	CHECK_INT(holder_of(s, first, "r1"), first);
	move(s, first, "contained", "r1");
	int many = dynamo ? 30 : 1100;   /* DynamoDB: respond-hold seeds 1000 */
	for (int i = 0; i < many; i++) {
		char ip[32], inst[32];
		snprintf(ip, sizeof ip, "10.3.%d.%d", i / 250, i % 250);
		snprintf(inst, sizeof inst, "i-other-%d", i);
		int64_t id = claimed(s, ip, inst, "bulk");
		move(s, id, "contained", "bulk");
	}
	int64_t late = claimed(s, "10.2.0.2", "i-many", "r2");
	CHECK_INT(holder_of(s, late, "r2"), first);
	store_close(s);
}

/* K processes, each the lease owner of its own incident about one
 * instance, take it at the same moment: exactly one holds it, and every
 * one of them is told the same holder. */
TEST(racing_processes_agree)
{
	enum { K = 6 };
	store *s = fresh();
	int64_t ids[K];
	for (int k = 0; k < K; k++) {
		char ip[32], owner[16];
		snprintf(ip, sizeof ip, "10.4.0.%d", k + 1);
		snprintf(owner, sizeof owner, "p%d", k);
		ids[k] = claimed(s, ip, "i-race", owner);
	}
	store_close(s);
	int go[2], told[2];
	CHECK(pipe(go) == 0 && pipe(told) == 0);
	pid_t kids[K];
	for (int k = 0; k < K; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			char owner[16], c;
			snprintf(owner, sizeof owner, "p%d", k);
			close(go[1]);
			store *mine = reopen();
			if (read(go[0], &c, 1) != 0)   /* the parent closes it: all start */
				_exit(3);
			int64_t h = 0;
			sg_err e = store_hold(mine, ids[k], owner, &h);
			store_close(mine);
			if (e || write(told[1], &h, sizeof h) != sizeof h)
				_exit(4);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]);
	close(told[1]);
	int64_t seen[K];
	for (int k = 0; k < K; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		CHECK(read(told[0], &seen[k], sizeof seen[k]) == sizeof seen[k]);
	}
	close(told[0]);
	int winners = 0;
	for (int k = 0; k < K; k++) {
		CHECKF(seen[k] == seen[0], "process %d told INC-%lld, process 0 INC-%lld", k,
		       (long long)seen[k], (long long)seen[0]);
		winners += seen[k] == ids[k];
	}
	CHECK_INT(winners, 1);
}

/* SQLite: a store of schema 2 (no holders) gets the holder of each
 * incident then containing or contained when it is migrated. */
TEST(migrated_store_keeps_old_holders)
{
	if (dynamo)
		return;
	store *s = fresh();
	int64_t old = claimed(s, "10.5.0.1", "i-mig", "r1");
	move(s, old, "contained", "r1");
	int64_t late = claimed(s, "10.5.0.2", "i-mig", "r2");
	store_close(s);
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE holders; PRAGMA user_version = 2;", NULL, NULL, NULL),
	          SQLITE_OK);
	sqlite3_close(db);
	store *ro = NULL;
	char err[256];
	store_opts o = {.readonly = 1};
	CHECKF(store_open(path, &o, &ro, err, sizeof err) == SG_OK, "schema 2 read-only: %s", err);
	store_close(ro);
	s = reopen();
	CHECK_INT(holder_of(s, late, "r2"), old);
	store_close(s);
}

TEST(setup)
{
	const char *e = getenv("STORE_TEST_ENGINE");
	dynamo = e && !strcmp(e, "dynamodb");
	CHECK(mkdtemp(dir) != NULL);
}

TEST(cleanup)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

TEST_MAIN(setup, one_holder_and_its_end, behind_many_incidents, racing_processes_agree,
          migrated_store_keeps_old_holders, cleanup)
