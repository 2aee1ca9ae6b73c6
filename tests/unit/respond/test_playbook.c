/* test_playbook.c — the step table, order invariants and next-step choice. */
#include <stdlib.h>

#include "playbook/failure.h"
#include "playbook/instance.h"
#include "playbook/playbook.h"
#include "test.h"

TEST(table_holds_invariants)
{
	char msg[200];
	CHECK_INT(pb_table_check(msg, sizeof msg), SG_OK);
	CHECK(pb_step_needs(PB_ISOLATE) & PB_BIT(PB_ASG));
	CHECK((pb_step_needs(PB_ISOLATE) | pb_step_after(PB_ISOLATE)) & PB_BIT(PB_LB));
	CHECK(pb_step_after(PB_ISOLATE) & PB_BIT(PB_CAPTURE));
	CHECK(pb_step_after(PB_STRIP) & PB_BIT(PB_CAPTURE));
	CHECK(pb_step_needs(PB_FORENSICS) & PB_BIT(PB_SNAPSHOT));
	/* capture is ordering only: its failure must not hold back isolation */
	CHECK(!(pb_step_needs(PB_ISOLATE) & PB_BIT(PB_CAPTURE)));
	CHECK(!(pb_step_needs(PB_STRIP) & PB_BIT(PB_CAPTURE)));
}

TEST(names_roundtrip)
{
	for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
		pb_step back;
		CHECKF(pb_step_parse(pb_step_name((pb_step)s), &back) == SG_OK && back == (pb_step)s,
		       "step %u", s);
	}
	for (unsigned s = 0; s < PB_STATE__COUNT; s++) {
		pb_state back;
		CHECKF(pb_state_parse(pb_state_name((pb_state)s), &back) == SG_OK &&
		           back == (pb_state)s, "state %u", s);
	}
	pb_step x;
	CHECK_INT(pb_step_parse("isolate ", &x), SG_ERR_NOTFOUND);
	CHECK_STR(pb_step_name((pb_step)99), "unknown");
}

/* One spelling for people, two forms: "7" and "INC-7"; nothing else. */
TEST(incident_ids)
{
	static const struct {
		const char *text;
		int64_t want;
	} rows[] = {
		{"7", 7}, {"INC-7", 7}, {"INC-0042", 42}, {"4611686018427387904", PB_INCIDENT_ID_MAX},
		{"4611686018427387905", 0}, {"99999999999999999999", 0}, {"0", 0}, {"INC-0", 0},
		{"", 0}, {"INC-", 0}, {"inc-7", 0}, {"+7", 0}, {"-7", 0}, {" 7", 0}, {"7 ", 0},
		{"7x", 0}, {"INC-INC-7", 0}, {"0x10", 0}, {NULL, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(pb_incident_id(rows[i].text) == rows[i].want, "'%s': got %lld",
		       rows[i].text ? rows[i].text : "(null)", (long long)pb_incident_id(rows[i].text));
}

static const struct {
	const char *order;
	sg_err want;
	const char *label;
} orders[] = {
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics,finish", SG_OK, "default"},
	{"record,asg,lb,preserve,snapshot,capture,isolate,revoke,strip,forensics,imds,tag,finish", SG_OK, "reordered but valid"},
	{"record,tag,imds,revoke,preserve,lb,snapshot,capture,isolate,asg,strip,forensics,finish", SG_ERR_INVAL, "isolate before asg"},
	{"record,tag,imds,revoke,preserve,asg,snapshot,capture,isolate,lb,strip,forensics,finish", SG_ERR_INVAL, "isolate before lb"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,isolate,capture,strip,forensics,finish", SG_ERR_INVAL, "isolate before capture"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,strip,capture,isolate,forensics,finish", SG_ERR_INVAL, "strip before capture"},
	{"record,tag,imds,revoke,preserve,asg,lb,forensics,snapshot,capture,isolate,strip,finish", SG_ERR_INVAL, "forensics before snapshot"},
	{"tag,record,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics,finish", SG_ERR_INVAL, "record not first"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,finish,forensics", SG_ERR_INVAL, "finish not last"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics", SG_ERR_INVAL, "one missing"},
	{"record,tag,tag,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics,finish", SG_ERR_INVAL, "duplicate"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics,finish,tag", SG_ERR_INVAL, "too many"},
	{"record,,imds", SG_ERR_INVAL, "empty name"},
	{"record,tag,imds,revoke,preserve,asg,lb,snapshot,capture,isolate,strip,forensics,finnish", SG_ERR_INVAL, "typo"},
	{"", SG_ERR_INVAL, "empty"},
};

TEST(order_parse_checks_invariants)
{
	for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
		pb_order o;
		pb_order_default(&o);
		pb_order before = o;
		char msg[200];
		sg_err err = pb_order_parse(orders[i].order, &o, msg, sizeof msg);
		CHECKF(err == orders[i].want, "%s: got %d (%s)", orders[i].label, err, msg);
		if (err != SG_OK)
			CHECKF(!memcmp(&o, &before, sizeof o), "%s: order changed on error", orders[i].label);
		if (err != SG_OK)
			CHECKF(msg[0] != '\0', "%s: no message", orders[i].label);
	}
}

TEST(record_and_finish_cannot_be_disabled)
{
	pb_order o;
	pb_order_default(&o);
	CHECK_INT(pb_order_check(&o, NULL, 0), SG_OK);
	o.enabled &= ~PB_BIT(PB_RECORD);
	CHECK_INT(pb_order_check(&o, NULL, 0), SG_ERR_INVAL);
	pb_order_default(&o);
	o.enabled &= ~PB_BIT(PB_FINISH);
	CHECK_INT(pb_order_check(&o, NULL, 0), SG_ERR_INVAL);
	pb_order_default(&o);
	o.enabled &= ~(PB_BIT(PB_LB) | PB_BIT(PB_CAPTURE));
	CHECK_INT(pb_order_check(&o, NULL, 0), SG_OK);
}

/* A step a turned-on step needs (must succeed) cannot be turned off alone:
 * asg off would isolate an instance its ASG then terminates; snapshot off
 * would have forensics wait for snapshots nobody asked for (AUDIT6 H2). */
TEST(a_needed_step_cannot_be_turned_off_alone)
{
	static const struct {
		pb_mask off;
		const char *want; /* NULL: accepted */
	} cases[] = {
		{PB_BIT(PB_ASG), "skip: isolate needs asg, which is turned off (the ASG ignores termination "
		                 "protection); skip isolate too"},
		{PB_BIT(PB_SNAPSHOT), "skip: forensics needs snapshot, which is turned off (forensics works "
		                      "on the snapshots); skip forensics too"},
		{PB_BIT(PB_ASG) | PB_BIT(PB_ISOLATE), NULL},
		{PB_BIT(PB_SNAPSHOT) | PB_BIT(PB_FORENSICS), NULL},
		{PB_BIT(PB_ASG) | PB_BIT(PB_ISOLATE) | PB_BIT(PB_SNAPSHOT), "skip: forensics needs snapshot"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pb_order o;
		pb_order_default(&o);
		o.enabled &= ~cases[i].off;
		char msg[200];
		sg_err err = pb_order_check(&o, msg, sizeof msg);
		if (!cases[i].want)
			CHECKF(err == SG_OK, "case %zu: %s", i, msg);
		else
			CHECKF(err == SG_ERR_INVAL && !strncmp(msg, cases[i].want, strlen(cases[i].want)),
			       "case %zu: %d %s", i, err, msg);
	}
}

/* Run the playbook to the end with the steps in `fail` failing; record what
 * happened.  Returns the number of decisions taken. */
static int simulate(const pb_order *o, pb_mask fail, pb_state st[PB_STEP__COUNT],
                    pb_step ran[PB_STEP__COUNT], int *nran, int *violations)
{
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		st[s] = PB_PENDING;
	*nran = 0;
	int n = 0;
	for (;;) {
		pb_decision d = pb_next(o, st);
		if (d.verdict == PB_NEXT_END)
			break;
		if (++n > 100)
			break;
		switch (d.verdict) {
		case PB_NEXT_RUN:
			if (!pb_may_start(d.step, st))
				(*violations)++;
			ran[(*nran)++] = d.step;
			st[d.step] = (fail & PB_BIT(d.step)) ? PB_FAILED : PB_DONE;
			break;
		case PB_NEXT_SKIP:
			st[d.step] = PB_OFF;
			break;
		case PB_NEXT_BLOCK:
			if (st[d.cause] != PB_FAILED && st[d.cause] != PB_BLOCKED && st[d.cause] != PB_OFF)
				(*violations)++;
			st[d.step] = PB_BLOCKED;
			break;
		case PB_NEXT_END:
			break;
		}
	}
	return n;
}

/* Does s need (transitively) some step in bad? */
static bool needs_any(pb_step s, pb_mask bad)
{
	pb_mask n = pb_step_needs(s);
	for (unsigned p = 0; p < PB_STEP__COUNT; p++)
		if (n & PB_BIT(p))
			if ((bad & PB_BIT(p)) || needs_any((pb_step)p, bad))
				return true;
	return false;
}

/* A random order consistent with the table (a random topological sort). */
static void random_order(pb_order *o, unsigned *seed)
{
	pb_mask placed = 0;
	for (unsigned i = 0; i < PB_STEP__COUNT; i++) {
		pb_step ready[PB_STEP__COUNT];
		unsigned nr = 0;
		for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
			pb_mask pre = pb_step_needs((pb_step)s) | pb_step_after((pb_step)s);
			if (!(placed & PB_BIT(s)) && (pre & ~placed) == 0)
				ready[nr++] = (pb_step)s;
		}
		*seed = *seed * 1103515245u + 12345u;
		pb_step pick = ready[(*seed >> 16) % nr];
		o->steps[i] = pick;
		placed |= PB_BIT(pick);
	}
	o->enabled = PB_BIT(PB_STEP__COUNT) - 1u;
}

TEST(every_failure_set_every_order)
{
	unsigned seed = 42;
	int violations = 0, checked = 0;
	for (int round = 0; round < 24; round++) {
		pb_order o;
		if (round == 0)
			pb_order_default(&o);
		else
			random_order(&o, &seed);
		CHECKF(pb_order_check(&o, NULL, 0) == SG_OK, "round %d: generated order invalid", round);
		/* every subset of failing steps (FINISH never fails here) */
		for (pb_mask fail = 0; fail < PB_BIT(PB_FINISH); fail++) {
			pb_state st[PB_STEP__COUNT];
			pb_step ran[PB_STEP__COUNT];
			int nran = 0;
			simulate(&o, fail, st, ran, &nran, &violations);
			checked++;
			pb_mask failed_run = 0;
			for (int i = 0; i < nran; i++)
				if (st[ran[i]] == PB_FAILED)
					failed_run |= PB_BIT(ran[i]);
			for (unsigned s = 0; s < PB_STEP__COUNT; s++) {
				if (!pb_state_terminal(st[s]))
					violations++;
				bool blocked = needs_any((pb_step)s, failed_run);
				/* blocked exactly when something it needs failed */
				if (blocked != (st[s] == PB_BLOCKED))
					violations++;
			}
			/* finish always runs, and runs last */
			if (nran == 0 || ran[nran - 1] != PB_FINISH)
				violations++;
			/* isolate ran only after asg succeeded and lb, capture finished */
			for (int i = 0; i < nran; i++)
				if (ran[i] == PB_ISOLATE) {
					bool asg = false, lb = false, cap = false;
					for (int j = 0; j < i; j++) {
						asg |= ran[j] == PB_ASG && !(fail & PB_BIT(PB_ASG));
						lb |= ran[j] == PB_LB;
						cap |= ran[j] == PB_CAPTURE;
					}
					if (!asg || !lb || !cap)
						violations++;
				}
		}
	}
	CHECK_INT(violations, 0);
	CHECK(checked == 24 * (int)PB_BIT(PB_FINISH));
}

TEST(failures_do_not_stop_independent_steps)
{
	pb_order o;
	pb_order_default(&o);
	pb_state st[PB_STEP__COUNT];
	pb_step ran[PB_STEP__COUNT];
	int nran, v = 0;
	simulate(&o, PB_BIT(PB_ASG), st, ran, &nran, &v);
	CHECK_INT(st[PB_ISOLATE], PB_BLOCKED);
	CHECK_INT(st[PB_STRIP], PB_DONE);
	CHECK_INT(st[PB_SNAPSHOT], PB_DONE);
	CHECK_INT(st[PB_FORENSICS], PB_DONE);
	CHECK_STR(pb_outcome(st), "partial");

	simulate(&o, PB_BIT(PB_CAPTURE), st, ran, &nran, &v);
	CHECK_INT(st[PB_ISOLATE], PB_DONE);
	CHECK_INT(st[PB_STRIP], PB_DONE);

	simulate(&o, PB_BIT(PB_SNAPSHOT), st, ran, &nran, &v);
	CHECK_INT(st[PB_FORENSICS], PB_BLOCKED);
	CHECK_INT(st[PB_ISOLATE], PB_DONE);

	simulate(&o, PB_BIT(PB_RECORD), st, ran, &nran, &v);
	for (unsigned s = PB_TAG; s < PB_FINISH; s++)
		CHECKF(st[s] == PB_BLOCKED, "%s", pb_step_name((pb_step)s));
	CHECK_INT(st[PB_FINISH], PB_DONE);
	CHECK_STR(pb_outcome(st), "failed");

	simulate(&o, 0, st, ran, &nran, &v);
	CHECK_STR(pb_outcome(st), "contained");
	CHECK_STR(pb_outcome_so_far(st), "contained");
	/* a report states only what happened */
	pb_state none[PB_STEP__COUNT] = {0};
	CHECK_STR(pb_outcome_so_far(none), "not started");
	none[PB_RECORD] = PB_DONE;
	none[PB_TAG] = PB_RUNNING;
	CHECK_STR(pb_outcome_so_far(none), "in progress");
	CHECK_INT(nran, PB_STEP__COUNT);
	CHECK_INT(v, 0);
}

TEST(disabled_steps_are_off)
{
	pb_order o;
	pb_order_default(&o);
	o.enabled &= ~(PB_BIT(PB_LB) | PB_BIT(PB_SNAPSHOT) | PB_BIT(PB_FORENSICS));
	pb_state st[PB_STEP__COUNT];
	pb_step ran[PB_STEP__COUNT];
	int nran, v = 0;
	simulate(&o, 0, st, ran, &nran, &v);
	CHECK_INT(st[PB_LB], PB_OFF);
	CHECK_INT(st[PB_SNAPSHOT], PB_OFF);
	CHECK_INT(st[PB_FORENSICS], PB_OFF);
	CHECK_INT(st[PB_ISOLATE], PB_DONE); /* lb is ordering only */
	CHECK_INT(v, 0);
	/* none contains: the outcome may still be "contained" */
	char why[200];
	CHECK_STR(pb_outcome(st), "contained");
	CHECK_INT(pb_outcome_why(st, why, sizeof why), 0);
	CHECK_STR(why, "");
}

/* Off does not satisfy a need.  pb_order_check refuses such a
 * configuration; a run that meets one anyway (states from an older
 * configuration) blocks the dependent step instead of running it. */
TEST(a_turned_off_need_blocks)
{
	CHECK(!pb_state_satisfies(PB_OFF));
	CHECK(pb_state_satisfies(PB_SKIPPED) && pb_state_satisfies(PB_DONE));
	pb_order o;
	pb_order_default(&o);
	o.enabled &= ~(PB_BIT(PB_ASG) | PB_BIT(PB_SNAPSHOT));
	pb_state st[PB_STEP__COUNT];
	pb_step ran[PB_STEP__COUNT];
	int nran, v = 0;
	simulate(&o, 0, st, ran, &nran, &v);
	CHECK_INT(st[PB_ASG], PB_OFF);
	CHECK_INT(st[PB_ISOLATE], PB_BLOCKED);
	CHECK_INT(st[PB_FORENSICS], PB_BLOCKED);
	CHECK_INT(st[PB_STRIP], PB_DONE);
	CHECK_INT(v, 0);
	CHECK_STR(pb_outcome(st), "partial");
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		st[s] = PB_DONE;
	st[PB_ASG] = PB_OFF;
	st[PB_ISOLATE] = PB_PENDING;
	CHECK(!pb_may_start(PB_ISOLATE, st));
	pb_decision d = pb_next(&o, st);
	CHECK_INT(d.verdict, PB_NEXT_BLOCK);
	CHECK_INT(d.step, PB_ISOLATE);
	CHECK_INT(d.cause, PB_ASG);
}

/* A containing step turned off: nothing says "contained" (AUDIT5 M2). */
TEST(containing_step_off_is_partial)
{
	static const pb_step containing[] = {PB_IMDS, PB_REVOKE, PB_ISOLATE, PB_STRIP};
	for (size_t i = 0; i < sizeof containing / sizeof containing[0]; i++) {
		pb_order o;
		pb_order_default(&o);
		o.enabled &= ~PB_BIT(containing[i]);
		pb_state st[PB_STEP__COUNT];
		pb_step ran[PB_STEP__COUNT];
		int nran, v = 0;
		simulate(&o, 0, st, ran, &nran, &v);
		char why[200], want[64];
		snprintf(want, sizeof want, "%s turned off", pb_step_name(containing[i]));
		CHECKF(!strcmp(pb_outcome(st), "partial"), "%s off: %s", want, pb_outcome(st));
		CHECKF(pb_outcome_why(st, why, sizeof why) == 1 && !strcmp(why, want), "why: %s", why);
		CHECKF(pb_step_contains(containing[i]), "%s contains", want);
	}
	/* nothing to do is not turned off: a skipped strip (no profile) */
	pb_state st[PB_STEP__COUNT];
	for (unsigned s = 0; s < PB_STEP__COUNT; s++)
		st[s] = PB_DONE;
	st[PB_STRIP] = PB_SKIPPED;
	CHECK_STR(pb_outcome(st), "contained");
	/* every reason named, in step order, and cut to the buffer */
	st[PB_ISOLATE] = PB_OFF;
	st[PB_CAPTURE] = PB_FAILED;
	st[PB_FORENSICS] = PB_BLOCKED;
	char why[200], small[12];
	CHECK_INT(pb_outcome_why(st, why, sizeof why), 3);
	CHECK_STR(why, "capture failed; isolate turned off; forensics blocked");
	CHECK_INT(pb_outcome_why(st, small, sizeof small), 3);
	CHECK_STR(small, "capture fai");
	CHECK(!pb_step_contains(PB_CAPTURE) && !pb_step_contains(PB_SNAPSHOT));
}

TEST(resume_picks_the_running_step)
{
	pb_order o;
	pb_order_default(&o);
	pb_state st[PB_STEP__COUNT] = {0};
	for (unsigned s = 0; s < PB_LB; s++)
		st[s] = PB_DONE;
	st[PB_LB] = PB_RUNNING; /* killed mid-step */
	pb_decision d = pb_next(&o, st);
	CHECK_INT(d.verdict, PB_NEXT_RUN);
	CHECK_INT(d.step, PB_LB);
	CHECK(!pb_may_start(PB_ISOLATE, st));
	st[PB_LB] = PB_DONE;
	CHECK(!pb_may_start(PB_ISOLATE, st)); /* snapshot, capture not over */
	for (unsigned s = PB_SNAPSHOT; s <= PB_CAPTURE; s++)
		st[s] = PB_FAILED;
	CHECK(pb_may_start(PB_ISOLATE, st));
	st[PB_ASG] = PB_FAILED;
	CHECK(!pb_may_start(PB_ISOLATE, st));
}

/* An ENI never configured has its type's defaults (EC2 API reference,
 * ConnectionTrackingSpecificationRequest): 350 s TCP only on Nitro v6. */
TEST(conntrack_defaults_by_type)
{
	static const struct {
		const char *type;
		int tcp;
	} rows[] = {
		{"t3.large", 432000}, {"m5.large", 432000}, {"c8i.xlarge", 350}, {"c8i-flex.large", 350},
		{"m8a.2xlarge", 350},  {"c8g.large", 432000}, {"c8ix.large", 432000}, {"c8i", 432000},
		{"p6e-gb200.36xlarge", 432000}, {"", 432000},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		pb_eni e = {0};
		pb_conntrack_defaults(rows[i].type, &e);
		CHECKF(e.conntrack_tcp_established_s == rows[i].tcp && e.conntrack_udp_stream_s == 180 &&
		               e.conntrack_udp_s == 30,
		       "%s: %d/%d/%d", rows[i].type, e.conntrack_tcp_established_s, e.conntrack_udp_stream_s,
		       e.conntrack_udp_s);
	}
	pb_eni e = {0};
	pb_conntrack_defaults(NULL, &e);
	CHECK_INT(e.conntrack_tcp_established_s, 432000);
}

/* Transient failures are retried by the engine; permanent ones are left
 * to the operator (playbook/failure.h). */
TEST(failure_transient_or_permanent)
{
	static const struct {
		sg_err err;
		const char *code;
		int http;
		bool transient;
	} rows[] = {
		{SG_ERR_THROTTLED, "RequestLimitExceeded", 503, true},
		{SG_ERR_THROTTLED, "Throttling", 400, true},
		{SG_ERR_THROTTLED, "", 429, true},
		{SG_ERR_REMOTE, "InternalError", 500, true},
		{SG_ERR_REMOTE, "ServiceUnavailable", 503, true},
		{SG_ERR_REMOTE, "SomethingNew", 502, true},
		{SG_ERR_STATE, "IncorrectInstanceState", 400, true},
		{SG_ERR_STATE, "VolumeInUse", 400, true},
		{SG_ERR_REMOTE, "ScalingActivityInProgress", 400, true},
		{SG_ERR_REMOTE, "ConcurrentModification", 409, true},
		{SG_ERR_TIMEOUT, "", 0, true},
		{SG_ERR_NETWORK, "", 0, true},
		{SG_ERR_AUTH, "AccessDenied", 403, false},
		{SG_ERR_AUTH, "UnauthorizedOperation", 403, false},
		{SG_ERR_REMOTE, "InvalidParameterValue", 400, false},
		{SG_ERR_REMOTE, "ValidationError", 400, false},
		{SG_ERR_REMOTE, "LimitExceeded", 409, false},
		{SG_ERR_NOTFOUND, "InvalidInstanceID.NotFound", 400, false},
		{SG_ERR_AUTH, "", 0, false},
		{SG_ERR_INVAL, "", 0, false},
		{SG_ERR_IO, "", 0, false},
		{SG_ERR_CORRUPT, "", 0, false},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(pb_failure_transient(rows[i].err, rows[i].code, rows[i].http) == rows[i].transient,
		       "%s %d: want %s", rows[i].code, rows[i].http,
		       rows[i].transient ? "transient" : "permanent");
}

TEST_MAIN(table_holds_invariants, conntrack_defaults_by_type, failure_transient_or_permanent, names_roundtrip, incident_ids, order_parse_checks_invariants,
          record_and_finish_cannot_be_disabled, a_needed_step_cannot_be_turned_off_alone,
          every_failure_set_every_order, failures_do_not_stop_independent_steps,
          disabled_steps_are_off, a_turned_off_need_blocks,
          containing_step_off_is_partial,
          resume_picks_the_running_step)
