/* test_store.c — the incident store: recording and joining, the one
 * transition function and its table, claims and lease take-over, the step
 * journal, durability across reopen, concurrent claimers, atomic
 * open-and-claim and observe-only incidents.
 *
 * The same tests run on both engines: SQLite by default; DynamoDB when
 * STORE_TEST_ENGINE=dynamodb (test store-dynamodb, against the emulator
 * started by tests/integration/aws/with_emulator.py), one fresh table per
 * test.  What only one engine has (SQLite's files, schema versions) is
 * tested on that one. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "aws/dynamodb.h"
#include "store/store.h"
#include "test.h"

static char dir[] = "/tmp/sg-store-XXXXXX";
static char path[256];
static char table[64];
static int nth;
static int dynamo;

/* The options that open the current store (the current table on DynamoDB). */
static store_opts where(int readonly)
{
	store_opts o = {.readonly = readonly, .state_table = dynamo ? table : NULL};
	return o;
}

static store *reopen(void)
{
	store *s = NULL;
	char err[512];
	store_opts o = where(0);
	CHECKF(store_open(path, &o, &s, err, sizeof err) == SG_OK, "%s", err);
	return s;
}

static store *fresh(void)
{
	snprintf(path, sizeof path, "%s/db%d.sqlite", dir, nth);
	snprintf(table, sizeof table, "ssrfguard-test-%d-%d", (int)getpid(), nth);
	nth++;
	return reopen();
}

static store_attempt_in att(const char *client, int contain)
{
	store_attempt_in a = {
		.client = client, .request = "GET /go?url=x HTTP/1.1",
		.url = "http://169.254.169.254/", .dest = "169.254.169.254:80",
		.category = contain ? "metadata" : "loopback", .rule = "metadata:aws-imds",
		.reason = "r", .addrs = "[\"169.254.169.254\"]", .instance_id = "i-1",
		.region = "us-east-1", .az = "us-east-1a", .contain = contain,
	};
	return a;
}

TEST(record_and_join)
{
	store *s = fresh();
	store_attempt_in a = att("10.0.0.1", 1);
	store_record_out o1, o2, o3;
	CHECK_INT(store_record(s, &a, &o1), SG_OK);
	CHECK_INT(o1.opened, 1);
	CHECK_INT(store_record(s, &a, &o2), SG_OK);
	CHECK_INT(o2.opened, 0);
	CHECK_INT(o2.incident_id, o1.incident_id);
	a.client = "10.0.0.2";
	CHECK_INT(store_record(s, &a, &o3), SG_OK);
	CHECK(o3.incident_id != o1.incident_id);

	store_incident inc;
	CHECK_INT(store_get(s, o1.incident_id, &inc), SG_OK);
	CHECK_INT(inc.attempts, 2);
	CHECK_INT(inc.state, STORE_OPEN);
	CHECK_STR(inc.source, "10.0.0.1");
	CHECK_STR(inc.az, "us-east-1a");
	store_incident_free(&inc);

	store_attempt *arr;
	size_t n;
	CHECK_INT(store_attempts(s, o1.incident_id, 0, &arr, &n), SG_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(arr[1].url, "http://169.254.169.254/");
		CHECK_STR(arr[0].headers, "{}");
	}
	store_attempts_free(arr, n);

	/* A closed incident is not joined. */
	store_change c = {.incident_id = o1.incident_id, .to = "closed", .reason = "done",
	                  .actor = "operator:t"};
	CHECK_INT(store_transition(s, &c), SG_OK);
	a.client = "10.0.0.1";
	CHECK_INT(store_record(s, &a, &o2), SG_OK);
	CHECK_INT(o2.opened, 1);
	CHECK(o2.incident_id != o1.incident_id);

	/* Missing client is a caller error and records nothing. */
	a.client = NULL;
	CHECK_INT(store_record(s, &a, &o2), SG_ERR_INVAL);
	store_close(s);
}

TEST(logged_then_escalated)
{
	store *s = fresh();
	store_attempt_in a = att("10.0.0.9", 0);
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	store_incident inc;
	CHECK_INT(store_get(s, o.incident_id, &inc), SG_OK);
	CHECK_INT(inc.state, STORE_LOGGED);
	store_incident_free(&inc);
	int64_t id;
	CHECK_INT(store_claim(s, 0, "r1", 1000, &id), SG_ERR_NOTFOUND);
	a.contain = 1;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	CHECK_INT(o.escalated, 1);
	CHECK_INT(store_claim(s, 0, "r1", 1000, &id), SG_OK);
	CHECK_INT(id, o.incident_id);
	store_history *h;
	size_t n;
	CHECK_INT(store_history_list(s, id, &h, &n), SG_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(h[0].to, "logged");
		CHECK_STR(h[1].from, "logged");
		CHECK_STR(h[1].to, "open");
		CHECK_STR(h[2].to, "containing");
		CHECK_STR(h[2].actor, "r1");
	}
	store_history_free(h, n);
	store_close(s);
}

TEST(transition_table)
{
	static const struct { store_state from, to; int ok; } rows[] = {
		{STORE_LOGGED, STORE_OPEN, 1},        {STORE_LOGGED, STORE_CONTAINED, 0},
		{STORE_OPEN, STORE_CONTAINING, 1},    {STORE_OPEN, STORE_CONTAINED, 0},
		{STORE_CONTAINING, STORE_CONTAINED, 1}, {STORE_CONTAINING, STORE_FAILED, 1},
		{STORE_FAILED, STORE_OPEN, 1},        {STORE_CONTAINED, STORE_OPEN, 0},
		{STORE_RELEASED, STORE_CLOSED, 1},    {STORE_CLOSED, STORE_OPEN, 0},
		{STORE_CLOSED, STORE_RELEASED, 0},    {STORE_STATE__COUNT, STORE_OPEN, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(store_state_allowed(rows[i].from, rows[i].to) == rows[i].ok, "row %zu", i);
	for (int i = 0; i < STORE_STATE__COUNT; i++) {
		store_state st;
		CHECK_INT(store_state_parse(store_state_name((store_state)i), &st), SG_OK);
		CHECK_INT(st, i);
	}
	store_state st;
	CHECK_INT(store_state_parse("Open", &st), SG_ERR_PARSE);
}

TEST(claim_lease_and_steps)
{
	store *s = fresh();
	store_attempt_in a = att("10.1.1.1", 1);
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	int64_t id = 0, id2 = 0;
	CHECK_INT(store_claim(s, 0, "r1", 60000, &id), SG_OK);
	CHECK_INT(id, o.incident_id);
	CHECK_INT(store_claim(s, 0, "r2", 60000, &id2), SG_ERR_NOTFOUND);

	/* Only the lease owner moves it or writes steps. */
	store_change c = {.incident_id = id, .to = "contained", .reason = "x", .actor = "r2"};
	CHECK_INT(store_transition(s, &c), SG_ERR_BUSY);
	store_change st = {.incident_id = id, .step = "protect", .to = "running",
	                   .from = "", .reason = "start", .actor = "r1", .bump_attempts = 1,
	                   .data = "{\"try\":1}"};
	CHECK_INT(store_transition(s, &st), SG_OK);
	CHECK_INT(store_transition(s, &st), SG_ERR_STATE); /* CAS: no longer "" */
	st.actor = "r2";
	st.from = NULL;
	CHECK_INT(store_transition(s, &st), SG_ERR_BUSY);
	/* evidence that is no playbook step is kept despite the lease (force) */
	store_change ev = {.incident_id = id, .step = "finding", .to = "kept", .reason = "finding",
	                   .actor = "queue", .data = "{\"type\":\"x\"}"};
	CHECK_INT(store_transition(s, &ev), SG_ERR_BUSY);
	ev.force = 1;
	CHECK_INT(store_transition(s, &ev), SG_OK);
	st.actor = "r1";
	st.to = "done";
	st.data = NULL;
	st.bump_attempts = 0;
	CHECK_INT(store_transition(s, &st), SG_OK);
	store_step step;
	CHECK_INT(store_step_get(s, id, "protect", &step), SG_OK);
	CHECK_STR(step.status, "done");
	CHECK_STR(step.data, "{\"try\":1}");
	CHECK_INT(step.attempts, 1);
	store_step_free(&step);
	CHECK_INT(store_step_get(s, id, "nope", &step), SG_ERR_NOTFOUND);
	st.step = "Bad Name";
	CHECK_INT(store_transition(s, &st), SG_ERR_INVAL);

	/* Entering containing is claim's job; a forbidden move is refused. */
	c.actor = "r1";
	c.to = "containing";
	CHECK_INT(store_transition(s, &c), SG_ERR_INVAL);
	c.to = "logged";
	CHECK_INT(store_transition(s, &c), SG_ERR_STATE);

	/* Lease expiry: a second responder takes over. */
	CHECK_INT(store_renew(s, id, "r1", 1), SG_OK);
	CHECK_INT(store_renew(s, id, "r2", 1), SG_ERR_BUSY);
	usleep(20000);
	/* a chosen incident: held by r1's live lease, then by its own owner */
	CHECK_INT(store_renew(s, id, "r1", 60000), SG_OK);
	CHECK_INT(store_claim(s, id, "r2", 60000, &id2), SG_ERR_BUSY);
	CHECK_INT(store_claim(s, id, "r1", 60000, &id2), SG_OK);
	CHECK_INT(id2, id);
	CHECK_INT(store_claim(s, id + 1000, "r1", 60000, &id2), SG_ERR_NOTFOUND);
	CHECK_INT(store_renew(s, id, "r1", 1), SG_OK);
	usleep(20000);
	CHECK_INT(store_claim(s, 0, "r2", 60000, &id2), SG_OK);
	CHECK_INT(id2, id);
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_STR(inc.lease_owner, "r2");
	CHECK(strstr(inc.state_reason, "taken over by r2") != NULL);
	store_incident_free(&inc);
	c.to = "contained";
	c.actor = "r1"; /* the old owner has lost it */
	CHECK_INT(store_transition(s, &c), SG_ERR_BUSY);
	c.actor = "r2";
	c.from = "containing";
	CHECK_INT(store_transition(s, &c), SG_OK);
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_INT(inc.state, STORE_CONTAINED);
	CHECK_STR(inc.lease_owner, "");
	store_incident_free(&inc);

	int64_t counts[STORE_STATE__COUNT];
	CHECK_INT(store_count_states(s, counts), SG_OK);
	CHECK_INT(counts[STORE_CONTAINED], 1);
	CHECK_INT(store_ping(s), SG_OK);   /* the health probe's one small read */
	CHECK_INT(store_ping(NULL), SG_ERR_INVAL);
	store_close(s);
}

TEST(reopen_and_many)
{
	store *s = fresh();
	store_attempt_in a[3] = {att("1.1.1.1", 1), att("2.2.2.2", 0), att("1.1.1.1", 1)};
	store_record_out o[3];
	CHECK_INT(store_record_many(s, a, 3, o), SG_OK);
	CHECK_INT(o[2].incident_id, o[0].incident_id);
	a[1].client = "";
	CHECK_INT(store_record_many(s, a, 3, o), SG_ERR_INVAL); /* all or nothing */
	store_close(s);

	char err[256];
	store_opts ro = where(1);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof err), SG_OK);
	store_incident *arr;
	size_t n;
	CHECK_INT(store_list(s, -1, 0, 0, &arr, &n), SG_OK);
	CHECK_INT(n, 2);
	if (n == 2)
		CHECK_INT(arr[1].attempts, 2);
	store_incidents_free(arr, n);
	CHECK_INT(store_list(s, STORE_LOGGED, 0, 0, &arr, &n), SG_OK);
	CHECK_INT(n, 1);
	store_incidents_free(arr, n);
	store_close(s);
	if (dynamo)
		return;

	/* A newer schema is refused, a non-database is corrupt. */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version=99'", path);
	CHECK_INT(system(cmd), 0);
	CHECK_INT(store_open(path, NULL, &s, err, sizeof err), SG_ERR_UNSUPPORTED);
	CHECK(s == NULL);
	snprintf(cmd, sizeof cmd, "%s/junk", dir);
	FILE *f = fopen(cmd, "w");
	fputs("this is not a database, not at all, definitely not one", f);
	fclose(f);
	CHECK_INT(store_open(cmd, NULL, &s, err, sizeof err), SG_ERR_CORRUPT);
}

/* Every store has an identity of its own, drawn once and kept across
 * opens (read-only ones too); the incidents opened under it carry it in
 * their AWS key (playbook/incname.h). */
/* More incidents than a page: the list pages by id through every one,
 * newest first, none twice, none skipped; a state's pages too; the count
 * agrees (issue: a list read at most 1000 and said nothing). */
static int64_t walked, walk_last, walk_bad;

static sg_err walk_one(void *ctx, const store_incident *inc)
{
	(void)ctx;
	if (walk_last && inc->id >= walk_last)
		walk_bad++;
	walk_last = inc->id;
	walked++;
	return SG_OK;
}

TEST(list_pages_past_one_page)
{
	enum { MANY = STORE_PAGE + 150 };
	store *s = fresh();
	static store_attempt_in a[MANY];
	static char ips[MANY][24];
	for (int i = 0; i < MANY; i++) {
		snprintf(ips[i], sizeof ips[i], "10.%d.%d.%d", i / 65536, i / 256 % 256, i % 256);
		a[i] = att(ips[i], i % 3 != 0);   /* every third one logged */
	}
	for (int i = 0; i < MANY; i += 500)
		CHECK_INT(store_record_many(s, a + i, MANY - i < 500 ? (size_t)(MANY - i) : 500, NULL),
		          SG_OK);
	store_incident *arr;
	size_t n;
	CHECK_INT(store_list(s, -1, 0, 0, &arr, &n), SG_OK);
	CHECK_INT(n, STORE_PAGE);
	int64_t newest = n ? arr[0].id : 0, last = n ? arr[n - 1].id : 0;
	store_incidents_free(arr, n);
	CHECK_INT(store_list(s, -1, last, 0, &arr, &n), SG_OK);
	CHECK_INT(n, MANY - STORE_PAGE);
	CHECK(n && arr[0].id == last - 1);
	store_incidents_free(arr, n);
	CHECK_INT(store_list(s, -1, newest, 7, &arr, &n), SG_OK);
	CHECK(n == 7 && arr[0].id == newest - 1 && arr[6].id == newest - 7);
	store_incidents_free(arr, n);
	walked = walk_last = walk_bad = 0;
	CHECK_INT(store_each_incident(s, -1, walk_one, NULL), SG_OK);
	CHECK_INT(walked, MANY);
	CHECK_INT(walk_bad, 0);
	walked = walk_last = walk_bad = 0;
	CHECK_INT(store_each_incident(s, STORE_LOGGED, walk_one, NULL), SG_OK);
	CHECK_INT(walked, (MANY + 2) / 3);
	CHECK_INT(walk_bad, 0);
	int64_t total = 0, logged = 0;
	CHECK_INT(store_count(s, -1, &total), SG_OK);
	CHECK_INT(store_count(s, STORE_LOGGED, &logged), SG_OK);
	CHECK_INT(total, MANY);
	CHECK_INT(logged, (MANY + 2) / 3);
	store_close(s);
}

TEST(identity_kept_and_own)
{
	store *s = fresh();
	char first[STORE_ID_LEN + 1];
	snprintf(first, sizeof first, "%s", store_identity(s));
	CHECK_INT(strlen(first), STORE_ID_LEN);
	CHECK_INT(strspn(first, "0123456789abcdef"), STORE_ID_LEN);
	store_attempt_in a = att("7.7.7.7", 1);
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	CHECK_STR(store_key_identity(s, o.incident_id), first);
	store_close(s);
	s = reopen();
	CHECK_STR(store_identity(s), first);
	store_close(s);
	char err[256];
	store_opts ro = where(1);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof err), SG_OK);
	CHECK_STR(store_identity(s), first);
	CHECK_STR(store_key_identity(s, o.incident_id), first);
	store_close(s);
	store *other = fresh();
	CHECK(strlen(store_identity(other)) == STORE_ID_LEN && strcmp(store_identity(other), first));
	store_close(other);
}

/* A state table made before store identities: its first read-write open
 * writes one; the incidents it already held keep the key INC-N.  (The
 * SQLite side: migrates_schema_1.) */
TEST(identity_comes_to_an_older_table)
{
	if (!dynamo)
		return;
	store *s = fresh();
	store_attempt_in a[2] = {att("8.8.8.1", 1), att("8.8.8.2", 1)};
	store_record_out o[2];
	CHECK_INT(store_record_many(s, a, 2, o), SG_OK);
	store_close(s);
	/* what an older version left: the counter at 2, no identity item */
	struct aws_client *c = NULL;
	struct aws_client_opts co = {0};
	struct aws_error e;
	CHECK_INT(aws_client_new(&co, &c, &e), SG_OK);
	json_t *key = json_pack("{s:{s:s},s:{s:s}}", "pk", "S", "meta", "sk", "S", "identity");
	CHECK_INT(aws_ddb_delete(c, table, key, NULL, &e), SG_OK);
	json_decref(key);
	aws_client_free(c);
	char err[256];
	store_opts ro = where(1);
	CHECK_INT(store_open(path, &ro, &s, err, sizeof err), SG_OK);
	CHECK_STR(store_identity(s), ""); /* a reader writes nothing */
	CHECK_STR(store_key_identity(s, o[1].incident_id), "");
	store_close(s);
	s = reopen();
	CHECK_INT(strlen(store_identity(s)), STORE_ID_LEN);
	CHECK_STR(store_key_identity(s, o[0].incident_id), "");
	CHECK_STR(store_key_identity(s, o[1].incident_id), "");
	store_attempt_in b = att("8.8.8.3", 1);
	store_record_out ob;
	CHECK_INT(store_record(s, &b, &ob), SG_OK);
	CHECK_STR(store_key_identity(s, ob.incident_id), store_identity(s));
	store_close(s);
}

TEST(concurrent_claimers)
{
	store *s = fresh();
	enum { N = 40 };
	for (int i = 0; i < N; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.9.0.%d", i);
		store_attempt_in a = att(ip, 1);
		CHECK_INT(store_record(s, &a, NULL), SG_OK);
	}
	store_close(s);
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			store *c = NULL;
			char err[256], owner[16];
			snprintf(owner, sizeof owner, "k%d", k);
			store_opts o = where(0);
			if (store_open(path, &o, &c, err, sizeof err))
				_exit(3);
			int64_t id;
			sg_err e;
			while ((e = store_claim(c, 0, owner, 60000, &id)) == SG_OK || e == SG_ERR_BUSY)
				;
			store_close(c);
			_exit(e == SG_ERR_NOTFOUND ? 0 : 4);
		}
	}
	for (int k = 0; k < 3; k++) {
		int st;
		waitpid(kids[k], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	s = reopen();
	int64_t counts[STORE_STATE__COUNT];
	CHECK_INT(store_count_states(s, counts), SG_OK);
	CHECK_INT(counts[STORE_CONTAINING], N);
	/* each incident claimed exactly once: one open->containing row each */
	int claims = 0;
	for (int id = 1; id <= N; id++) {
		store_history *h;
		size_t n;
		if (store_history_list(s, id, &h, &n) == SG_OK) {
			for (size_t i = 0; i < n; i++)
				claims += !strcmp(h[i].to, "containing");
			store_history_free(h, n);
		}
	}
	CHECK_INT(claims, N);
	store_close(s);
}

/* respond --observe --instance: the incident is opened already claimed (no
 * daemon can take it in between), marked observe-only (no daemon takes it
 * when the lease runs out), and joined by instance. */
TEST(open_and_claim_atomic)
{
	store *s = fresh();
	store_attempt_in a = att("operator:i-9", 1);
	a.join = "instance:i-9";
	a.observe = 1;
	store_record_out o;
	CHECK_INT(store_record_claim(s, &a, "observer", 60000, &o), SG_OK);
	CHECK_INT(o.opened, 1);
	int64_t id = o.incident_id, got = 0;
	store_incident inc;
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_INT(inc.state, STORE_CONTAINING);
	CHECK_STR(inc.lease_owner, "observer");
	CHECK_INT(inc.observe, 1);
	store_incident_free(&inc);
	CHECK_INT(store_claim(s, 0, "daemon", 60000, &got), SG_ERR_NOTFOUND);
	/* the observe run dies: its lease runs out, and still no daemon acts */
	CHECK_INT(store_renew(s, id, "observer", 1), SG_OK);
	usleep(20000);
	CHECK_INT(store_claim(s, 0, "daemon", 60000, &got), SG_ERR_NOTFOUND);
	/* two detectors' deliveries about the instance join its incident */
	store_attempt_in b = att("detector:web-1/5", 1), c = att("detector:web-2/9", 1);
	b.join = c.join = "instance:i-9";
	CHECK_INT(store_record(s, &b, &o), SG_OK);
	CHECK_INT(o.incident_id, id);
	CHECK_INT(o.opened, 0);
	CHECK_INT(store_record(s, &c, &o), SG_OK);
	CHECK_INT(o.incident_id, id);
	/* naming it claims it (respond --instance again, or incidents retry) */
	CHECK_INT(store_claim(s, id, "operator", 60000, &got), SG_OK);
	CHECK_INT(got, id);
	/* a second open-and-claim joins, and is told who holds it */
	a.observe = 0;
	CHECK_INT(store_record_claim(s, &a, "another", 60000, &o), SG_ERR_BUSY);
	CHECK_INT(o.incident_id, id);
	CHECK_INT(store_get(s, id, &inc), SG_OK);
	CHECK_INT(inc.attempts, 4);
	CHECK_STR(inc.lease_owner, "operator");
	store_incident_free(&inc);
	/* released: the instance's next attempt opens a new incident */
	store_change done = {.incident_id = id, .to = "released", .reason = "r", .actor = "operator"};
	CHECK_INT(store_transition(s, &done), SG_OK);
	CHECK_INT(store_record(s, &b, &o), SG_OK);
	CHECK(o.incident_id != id);
	CHECK_INT(o.opened, 1);
	/* an open daemon-claimable one is claimed by the daemon */
	CHECK_INT(store_claim(s, 0, "daemon", 60000, &got), SG_OK);
	CHECK_INT(got, o.incident_id);
	store_close(s);
}

/* A store written by the previous release (schema 1: incidents joined by
 * source), with one open incident of 10.5.5.5. */
static const char schema_v1_fixture[] =
	"CREATE TABLE incidents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" state TEXT NOT NULL, state_reason TEXT NOT NULL DEFAULT '',"
	" state_ms INTEGER NOT NULL, source TEXT NOT NULL,"
	" category TEXT NOT NULL DEFAULT '', rule TEXT NOT NULL DEFAULT '',"
	" dest TEXT NOT NULL DEFAULT '', instance_id TEXT NOT NULL DEFAULT '',"
	" region TEXT NOT NULL DEFAULT '', az TEXT NOT NULL DEFAULT '',"
	" contain INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	" opened_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
	" lease_owner TEXT NOT NULL DEFAULT '', lease_until_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX incidents_active ON incidents (source, id)"
	" WHERE state NOT IN ('released','closed');"
	"CREATE INDEX incidents_state ON incidents (state, id);"
	"CREATE TABLE attempts ("
	" id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents (id),"
	" at_ms INTEGER NOT NULL, client TEXT NOT NULL, request TEXT NOT NULL,"
	" headers TEXT NOT NULL, url TEXT NOT NULL, dest TEXT NOT NULL,"
	" category TEXT NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL,"
	" hop INTEGER NOT NULL, addrs TEXT NOT NULL, instance_id TEXT NOT NULL,"
	" region TEXT NOT NULL, az TEXT NOT NULL, contain INTEGER NOT NULL);"
	"CREATE INDEX attempts_incident ON attempts (incident_id, id);"
	"CREATE TABLE steps ("
	" incident_id INTEGER NOT NULL REFERENCES incidents (id), name TEXT NOT NULL,"
	" status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" data TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL,"
	" PRIMARY KEY (incident_id, name)) WITHOUT ROWID;"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY, incident_id INTEGER NOT NULL REFERENCES incidents (id),"
	" step TEXT NOT NULL DEFAULT '', from_s TEXT NOT NULL, to_s TEXT NOT NULL,"
	" reason TEXT NOT NULL, actor TEXT NOT NULL, at_ms INTEGER NOT NULL);"
	"CREATE INDEX history_incident ON history (incident_id, id);"
	"PRAGMA user_version = 1;";

/* Schema 1 migrates on a read-write open: the old incident keeps joining its
 * source's attempts; a read-only open of it says what to do. */
TEST(migrates_schema_1)
{
	if (dynamo)
		return;
	char db[300], sql[4096], err[512];
	snprintf(db, sizeof db, "%s/v1.sqlite", dir);
	snprintf(sql, sizeof sql, "%s"
	         "INSERT INTO incidents (state, state_ms, source, contain, attempts, opened_ms, "
	         "updated_ms) VALUES ('open', 1, '10.5.5.5', 1, 1, 1, 1);", schema_v1_fixture);
	sqlite3 *h = NULL;
	CHECK_INT(sqlite3_open(db, &h), SQLITE_OK);
	CHECK_INT(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	store *s = NULL;
	store_opts ro = {.readonly = 1};
	CHECK_INT(store_open(db, &ro, &s, err, sizeof err), SG_ERR_UNSUPPORTED);
	CHECK(strstr(err, "schema 1") != NULL);
	CHECK_INT(store_open(db, NULL, &s, err, sizeof err), SG_OK);
	store_attempt_in a = att("10.5.5.5", 1);
	store_record_out o;
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	CHECK_INT(o.incident_id, 1);
	CHECK_INT(o.opened, 0);
	store_incident inc;
	CHECK_INT(store_get(s, 1, &inc), SG_OK);
	CHECK_INT(inc.attempts, 2);
	CHECK_INT(inc.observe, 0);
	store_incident_free(&inc);
	/* the store gets an identity; the incident opened before it keeps
	 * its old AWS key "INC-1" (its snapshots are tagged so), a new one
	 * carries the identity */
	CHECK_INT(strlen(store_identity(s)), STORE_ID_LEN);
	CHECK_STR(store_key_identity(s, 1), "");
	a = att("10.6.6.6", 1);
	CHECK_INT(store_record(s, &a, &o), SG_OK);
	CHECK_INT(o.incident_id, 2);
	CHECK_STR(store_key_identity(s, 2), store_identity(s));
	store_close(s);
}

/* Schema 5 refuses the claim of a responder older than it: one that had
 * the database open before the migration (a new open of a newer schema is
 * refused) claims with its own UPDATE, which sets lease_owner and not
 * lease_by, and the trigger answers with STORE_OLDER_CLAIM_REFUSED.  Its
 * lease taken before the migration is still renewed; this version claims. */
TEST(older_responder_claim_refused)
{
	if (dynamo)
		return;
	char db[300], sql[4096], err[512];
	snprintf(db, sizeof db, "%s/older.sqlite", dir);
	snprintf(sql, sizeof sql, "%s"
	         "INSERT INTO incidents (state, state_ms, source, contain, attempts, opened_ms, "
	         "updated_ms) VALUES ('open', 1, '10.7.7.7', 1, 1, 1, 1);"
	         "INSERT INTO incidents (state, state_ms, source, contain, attempts, opened_ms, "
	         "updated_ms, lease_owner, lease_until_ms) VALUES ('containing', 1, '10.8.8.8', 1, 1, "
	         "1, 1, 'old-host:1', 4102444800000);", schema_v1_fixture);
	sqlite3 *old = NULL; /* the older responder's handle, open across the migration */
	CHECK_INT(sqlite3_open(db, &old), SQLITE_OK);
	CHECK_INT(sqlite3_exec(old, sql, NULL, NULL, NULL), SQLITE_OK);
	store *s = NULL;
	CHECK_INT(store_open(db, NULL, &s, err, sizeof err), SG_OK);
	/* the claim statement of schema 4 (src/store/sqlite.c before 5) */
	const char *old_claim = "UPDATE incidents SET state = 'containing', state_reason = 'claimed', "
	                        "state_ms = 2, updated_ms = 2, lease_owner = 'old-host:1', "
	                        "lease_until_ms = 4102444800000 WHERE id = 1";
	CHECK_INT(sqlite3_exec(old, old_claim, NULL, NULL, NULL), SQLITE_CONSTRAINT);
	CHECK_STR(sqlite3_errmsg(old), STORE_OLDER_CLAIM_REFUSED);
	store_incident inc;
	CHECK_INT(store_get(s, 1, &inc), SG_OK);
	CHECK_INT(inc.state, STORE_OPEN);
	CHECK_STR(inc.lease_owner, "");
	store_incident_free(&inc);
	/* its lease of before the migration is renewed, then given back */
	CHECK_INT(sqlite3_exec(old, "UPDATE incidents SET lease_until_ms = 4102444900000 WHERE id = 2 "
	                            "AND state = 'containing' AND lease_owner = 'old-host:1'",
	                       NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_changes(old), 1);
	CHECK_INT(sqlite3_exec(old, "UPDATE incidents SET state = 'open', lease_owner = '', "
	                            "lease_until_ms = 0 WHERE id = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(old);
	/* this version claims both */
	int64_t id = 0;
	CHECK_INT(store_claim(s, 1, "new-host:2", 60000, &id), SG_OK);
	CHECK_INT(id, 1);
	CHECK_INT(store_claim(s, 2, "new-host:2", 60000, &id), SG_OK);
	CHECK_INT(id, 2);
	store_close(s);
}

static void setup(void)
{
	const char *e = getenv("STORE_TEST_ENGINE");
	dynamo = e && !strcmp(e, "dynamodb");
	if (!mkdtemp(dir))
		abort();
}

static void cleanup(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

TEST_MAIN(setup, record_and_join, list_pages_past_one_page, logged_then_escalated, transition_table,
          claim_lease_and_steps, reopen_and_many, concurrent_claimers, open_and_claim_atomic,
          older_responder_claim_refused,
          identity_kept_and_own, identity_comes_to_an_older_table, migrates_schema_1, cleanup)
