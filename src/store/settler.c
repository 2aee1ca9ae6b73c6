/* settler.c — settling a handle's unsettled attempts, the same way in
 * every process that records them (see settler.h). */
#include "store/settler.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"

#define SETTLE_PERIOD_MS 1000
#define STOP_PAUSE_MS 200   /* between tries while a stop waits for answers */

static void say(store_settler *t, const char *level, const char *event, const char *msg)
{
	if (t->log)
		t->log(t->ctx, level, event, msg);
}

void store_settler_init(store_settler *t)
{
	char msg[900];
	size_t n = store_unsettled(t->st);
	int kept;
	const char *note = store_spool_note(t->st, &kept);
	if (n) {
		snprintf(msg, sizeof msg, "%s: %zu attempts an earlier run left unsettled (read back "
		         "from its spool) are being settled", t->who, n);
		say(t, "warning", "unsettled", msg);
	}
	if (note[0]) {
		snprintf(msg, sizeof msg, "%s: %s; attempts whose write the store leaves unanswered "
		         "are settled while this process runs, and logged with their evidence if it "
		         "stops first", t->who, note);
		say(t, "warning", "unsettled", msg);
	}
	t->next_ms = 0;
}

/* Settle once now: each outcome logged, counted, handed on. */
static void settle_now(store_settler *t)
{
	store_settled out[128];
	size_t n = 0;
	store_settle(t->st, out, sizeof out / sizeof out[0], &n);
	for (size_t i = 0; i < n; i++) {
		const store_settled *r = &out[i];
		bool in = r->how == STORE_SETTLED_RECORDED || r->how == STORE_SETTLED_RERECORDED;
		char msg[3000];
		size_t k = (size_t)snprintf(msg, sizeof msg, "%s: ", t->who);
		store_settled_describe(r, msg + k, sizeof msg - k);
		say(t, in ? "info" : "error", "settled", msg);
		if (t->settled)
			t->settled(t->ctx, r);
	}
}

size_t store_settler_tick(store_settler *t)
{
	size_t n = store_unsettled(t->st);
	int64_t now = sg_mono_ms();
	if (n && now >= t->next_ms) {
		t->next_ms = now + (t->period_ms > 0 ? t->period_ms : SETTLE_PERIOD_MS);
		settle_now(t);
		n = store_unsettled(t->st);
	}
	return n;
}

/* One unsettled attempt's evidence, as an error line (no spool keeps it). */
static void log_evidence(void *ctx, const store_attempt_in *a, int64_t maybe, int64_t sent_ms)
{
	store_settler *t = ctx;
	json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,"
	                      "s:s?,s:s?,s:s?,s:i,s:b}",
	                      "client", a->client, "maybe_incident", (json_int_t)maybe, "at_ms",
	                      (json_int_t)a->at_ms, "sent_ms", (json_int_t)sent_ms, "request",
	                      a->request, "headers", a->headers, "url", a->url, "dest", a->dest,
	                      "category", a->category, "rule", a->rule, "reason", a->reason,
	                      "addrs", a->addrs, "instance_id", a->instance_id, "region",
	                      a->region, "az", a->az, "join", a->join, "hop", a->hop, "contain",
	                      a->contain != 0);
	char *ev = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	char msg[16384];
	snprintf(msg, sizeof msg, "%s stopped with an attempt unsettled and no spool to keep it: "
	         "maybe recorded (at most once); its evidence: %s", t->who,
	         ev ? ev : "(out of memory)");
	free(ev);
	say(t, "error", "unsettled", msg);
}

void store_settler_stop(store_settler *t, int64_t budget_ms)
{
	int64_t until = sg_mono_ms() + (budget_ms > 0 ? budget_ms : 0);
	for (;;) {
		size_t before = store_unsettled(t->st);
		if (!before)
			return;
		settle_now(t);
		if (store_unsettled(t->st) && sg_mono_ms() + STOP_PAUSE_MS < until) {
			struct timespec p = {0, STOP_PAUSE_MS * 1000000L};
			nanosleep(&p, NULL);
			continue;
		}
		break;
	}
	size_t n = store_unsettled(t->st);
	int kept;
	store_spool_note(t->st, &kept);
	char msg[900];
	if (!n)
		return;
	if (kept) {
		snprintf(msg, sizeof msg, "%s stops with %zu attempts unsettled (their write never "
		         "answered): kept in its spool; the next start settles them (resent with "
		         "their token within 9 minutes of their first sending, read back "
		         "after)", t->who, n);
		say(t, "warning", "unsettled", msg);
		return;
	}
	store_unsettled_each(t->st, log_evidence, t);
}
