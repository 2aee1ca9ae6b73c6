/* store.c — the store interface: arguments checked once, then the handle's
 * engine (sqlite.c or dynamo.c); what both engines share.  See store.h. */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/escape.h"

static const char *const state_names[STORE_STATE__COUNT] = {
	"logged", "open", "containing", "contained", "failed", "released", "closed",
};

/* allowed[from] is a bit set of the states it may move to. */
#define B(x) (1u << (x))
static const unsigned allowed_moves[STORE_STATE__COUNT] = {
	[STORE_LOGGED] = B(STORE_OPEN) | B(STORE_CLOSED),
	[STORE_OPEN] = B(STORE_CONTAINING) | B(STORE_CLOSED),
	[STORE_CONTAINING] = B(STORE_CONTAINED) | B(STORE_FAILED) | B(STORE_OPEN) |
	                     B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_CONTAINED] = B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_FAILED] = B(STORE_OPEN) | B(STORE_RELEASED) | B(STORE_CLOSED),
	[STORE_RELEASED] = B(STORE_CLOSED),
	[STORE_CLOSED] = 0,
};

const char *store_state_name(store_state st)
{
	return (unsigned)st < STORE_STATE__COUNT ? state_names[st] : "?";
}

sg_err store_state_parse(const char *name, store_state *out)
{
	if (!name || !out)
		return SG_ERR_INVAL;
	for (int i = 0; i < STORE_STATE__COUNT; i++)
		if (!strcmp(name, state_names[i])) {
			*out = (store_state)i;
			return SG_OK;
		}
	return SG_ERR_PARSE;
}

int store_state_allowed(store_state from, store_state to)
{
	if ((unsigned)from >= STORE_STATE__COUNT || (unsigned)to >= STORE_STATE__COUNT)
		return 0;
	return (allowed_moves[from] & B(to)) != 0;
}

static const char *nz(const char *s) { return s ? s : ""; }

const char *store_join_key(const store_attempt_in *a, char *buf, size_t cap)
{
	if (a->join)
		return a->join;
	snprintf(buf, cap, "source:%s", a->client);
	return buf;
}

void store_reason_opened(const store_attempt_in *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "blocked %s attempt (%s)", nz(a->category), nz(a->rule));
}

void store_reason_escalated(const store_attempt_in *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "an attempt of a containment severity joined (%s, %s)",
	         nz(a->category), nz(a->rule));
}

void store_reason_claimed(const char *from, const char *prev, const char *owner, char *buf,
                          size_t cap)
{
	if (strcmp(from, "containing"))
		snprintf(buf, cap, "claimed by %s", owner);
	else if (!strcmp(prev, owner))
		snprintf(buf, cap, "resumed by %s", owner);
	else
		snprintf(buf, cap, "lease of %s expired; taken over by %s", prev, owner);
}

sg_err store_claimable(const char *from, const char *prev, int64_t until, const char *owner,
                       int64_t at)
{
	if (!strcmp(from, "containing"))
		return strcmp(prev, owner) && until >= at ? SG_ERR_BUSY : SG_OK;
	return strcmp(from, "open") ? SG_ERR_STATE : SG_OK;
}

sg_err store_check_move(const store_change *c, store_state from, const char *lease_owner,
                        int64_t lease_until, int64_t at, store_state *to)
{
	if (store_state_parse(c->to, to) != SG_OK || *to == STORE_CONTAINING)
		return SG_ERR_INVAL;
	if (c->from && strcmp(c->from, store_state_name(from)))
		return SG_ERR_STATE;
	if (from != *to && !store_state_allowed(from, *to))
		return SG_ERR_STATE;
	if (from == STORE_CONTAINING && strcmp(lease_owner, c->actor) && !c->force &&
	    lease_until >= at)
		return SG_ERR_BUSY;
	return SG_OK;
}

/* ---- argument checks and dispatch ---- */

sg_err store_open(const char *path, const store_opts *opts, store **out, char *err,
                  size_t errlen)
{
	store_opts o = {0};
	if (err && errlen)
		err[0] = '\0';
	if (out)
		*out = NULL;
	if (opts)
		o = *opts;
	if (o.busy_ms <= 0)
		o.busy_ms = STORE_BUSY_MS;
	if (!out || (!path && !o.state_table) || (o.state_table && !o.state_table[0])) {
		if (err && errlen)
			snprintf(err, errlen, "%s: bad arguments", path ? path : "(null)");
		return SG_ERR_INVAL;
	}
	return o.state_table ? store_dynamo_open(&o, out, err, errlen)
	                     : store_sqlite_open(path, &o, out, err, errlen);
}

void store_close(store *s)
{
	if (s)
		s->eng->close(s);
}

const char *store_errmsg(const store *s)
{
	return s ? s->eng->errmsg(s) : "no store";
}

const char *store_identity(const store *s)
{
	return s ? s->identity : "";
}

const char *store_key_identity(const store *s, int64_t incident_id)
{
	return s && s->identity[0] && incident_id >= s->first_keyed ? s->identity : "";
}

sg_err store_new_identity(char out[STORE_ID_LEN + 1])
{
	unsigned char r[STORE_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno != EINTR)
			return SG_ERR_IO;
		got += n > 0 ? (size_t)n : 0;
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return SG_OK;
}

sg_err store_size(store *s, int64_t *bytes)
{
	return s && bytes ? s->eng->size(s, bytes) : SG_ERR_INVAL;
}

static int attempt_ok(const store_attempt_in *a)
{
	return a->client && a->client[0] && a->hop >= 0 &&
	       (!a->join || (a->join[0] && strlen(a->join) <= 255));
}

#define KEY_MAX 300

sg_err store_record_many(store *s, const store_attempt_in *a, size_t n, store_record_out *out)
{
	if (!s || (!a && n))
		return SG_ERR_INVAL;
	if (out)   /* the engine fills what it records */
		memset(out, 0, n * sizeof *out);
	for (size_t i = 0; i < n; i++)
		if (!attempt_ok(&a[i]))
			return SG_ERR_INVAL;
	if (n == 0)
		return SG_OK;
	const char **keys = calloc(n, sizeof *keys);
	char (*bufs)[KEY_MAX] = calloc(n, sizeof *bufs);
	sg_err e = SG_ERR_NOMEM;
	if (keys && bufs) {
		for (size_t i = 0; i < n; i++)
			keys[i] = store_join_key(&a[i], bufs[i], sizeof bufs[i]);
		e = s->eng->record_many(s, a, keys, n, out);  /* zeroes what it did not record */
	}
	free(keys);
	free(bufs);
	return e;
}

sg_err store_record(store *s, const store_attempt_in *a, store_record_out *out)
{
	return store_record_many(s, a, a ? 1 : 0, out);
}

sg_err store_record_claim(store *s, const store_attempt_in *a, const char *owner,
                          int64_t lease_ms, store_record_out *out)
{
	store_record_out tmp;
	char buf[KEY_MAX];
	if (!s || !a || !attempt_ok(a) || !owner || !owner[0] || lease_ms <= 0)
		return SG_ERR_INVAL;
	if (!out)
		out = &tmp;
	memset(out, 0, sizeof *out);
	return s->eng->record_claim(s, a, store_join_key(a, buf, sizeof buf), owner, lease_ms, out);
}

static int word_ok(const char *w, size_t max, const char *extra)
{
	size_t n = w ? strlen(w) : 0;
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (!((c >= 'a' && c <= 'z') || c == '_' || (extra && strchr(extra, c))))
			return 0;
	}
	return 1;
}

sg_err store_transition(store *s, const store_change *c)
{
	if (!s || !c || c->incident_id <= 0 || !c->to || !c->reason || !c->reason[0] ||
	    !c->actor || !c->actor[0])
		return SG_ERR_INVAL;
	if (c->step && (!word_ok(c->step, 63, "0123456789.-") || !word_ok(c->to, 31, NULL)))
		return SG_ERR_INVAL;
	return s->eng->transition(s, c, sg_wall_ms());
}

sg_err store_claim(store *s, int64_t want, const char *owner, int64_t lease_ms,
                   int64_t *incident_id)
{
	if (!s || want < 0 || !owner || !owner[0] || lease_ms <= 0 || !incident_id)
		return SG_ERR_INVAL;
	*incident_id = 0;
	return s->eng->claim(s, want, owner, lease_ms, incident_id);
}

sg_err store_renew(store *s, int64_t incident_id, const char *owner, int64_t lease_ms)
{
	if (!s || !owner || !owner[0] || lease_ms <= 0 || incident_id <= 0)
		return SG_ERR_INVAL;
	return s->eng->renew(s, incident_id, owner, lease_ms);
}

sg_err store_hold(store *s, int64_t incident_id, const char *owner, int64_t *holder)
{
	if (holder)
		*holder = 0;
	if (!s || incident_id <= 0 || !owner || !owner[0] || !holder)
		return SG_ERR_INVAL;
	return s->eng->hold(s, incident_id, owner, holder);
}

sg_err store_holds_ready(store *s)
{
	if (!s)
		return SG_ERR_INVAL;
	return s->eng->holds_ready ? s->eng->holds_ready(s) : SG_OK;
}

int store_state_holds(store_state st)
{
	return st == STORE_OPEN || st == STORE_CONTAINING || st == STORE_CONTAINED;
}

sg_err store_get(store *s, int64_t id, store_incident *out)
{
	if (out)
		memset(out, 0, sizeof *out);   /* freeable whatever happens */
	if (!s || !out)
		return SG_ERR_INVAL;
	return s->eng->get(s, id, out);
}

sg_err store_list(store *s, int state, int64_t before, size_t limit, store_incident **out,
                  size_t *n)
{
	if (!s || !out || !n || state >= STORE_STATE__COUNT || before < 0)
		return SG_ERR_INVAL;
	*out = NULL;
	*n = 0;
	return s->eng->list(s, state, before ? before : INT64_MAX, limit ? limit : STORE_PAGE, out,
	                    n);
}

sg_err store_each_incident(store *s, int state,
                           sg_err (*each)(void *ctx, const store_incident *inc), void *ctx)
{
	if (!each)
		return SG_ERR_INVAL;
	int64_t before = 0;
	for (;;) {
		store_incident *arr;
		size_t n, i;
		sg_err err = store_list(s, state, before, STORE_PAGE, &arr, &n);
		for (i = 0; !err && i < n; i++)
			err = each(ctx, &arr[i]);
		if (n)
			before = arr[n - 1].id;
		store_incidents_free(arr, n);
		if (err || n < STORE_PAGE)
			return err;
	}
}

sg_err store_count(store *s, int state, int64_t *n)
{
	int64_t counts[STORE_STATE__COUNT] = {0};
	if (!n || state >= STORE_STATE__COUNT)
		return SG_ERR_INVAL;
	*n = 0;
	sg_err err = store_count_states(s, counts);
	for (int k = 0; !err && k < STORE_STATE__COUNT; k++)
		if (state < 0 || state == k)
			*n += counts[k];
	return err;
}

sg_err store_attempts(store *s, int64_t incident_id, size_t limit, store_attempt **out,
                      size_t *n)
{
	if (!s || !out || !n)
		return SG_ERR_INVAL;
	*out = NULL;
	*n = 0;
	return s->eng->attempts(s, incident_id, limit ? limit : 1000, out, n);
}

sg_err store_steps(store *s, int64_t incident_id, store_step **out, size_t *n)
{
	if (!s || !out || !n)
		return SG_ERR_INVAL;
	*out = NULL;
	*n = 0;
	return s->eng->steps(s, incident_id, out, n);
}

sg_err store_step_get(store *s, int64_t incident_id, const char *name, store_step *out)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (!s || !name || !out)
		return SG_ERR_INVAL;
	return s->eng->step_get(s, incident_id, name, out);
}

sg_err store_history_list(store *s, int64_t incident_id, store_history **out, size_t *n)
{
	if (!s || !out || !n)
		return SG_ERR_INVAL;
	*out = NULL;
	*n = 0;
	return s->eng->history(s, incident_id, out, n);
}

sg_err store_count_states(store *s, int64_t counts[STORE_STATE__COUNT])
{
	if (!s || !counts)
		return SG_ERR_INVAL;
	memset(counts, 0, STORE_STATE__COUNT * sizeof counts[0]);
	return s->eng->count_states(s, counts);
}

sg_err store_ping(store *s)
{
	return s ? s->eng->ping(s) : SG_ERR_INVAL;
}

sg_err store_settle(store *s, store_settled *out, size_t max, size_t *n)
{
	if (!s || !n || (max && !out))
		return SG_ERR_INVAL;
	*n = 0;
	return s->eng->settle ? s->eng->settle(s, out, max, n) : SG_OK;
}

size_t store_unsettled(const store *s)
{
	return s && s->eng->unsettled ? s->eng->unsettled(s) : 0;
}

const char *store_settled_name(store_settled_how how)
{
	static const char *const names[] = {"recorded", "recorded_anew", "not_recorded",
	                                    "unknown"};
	return (unsigned)how < sizeof names / sizeof names[0] ? names[how] : "unknown";
}

void store_settled_describe(const store_settled *r, char *msg, size_t cap)
{
	int n = snprintf(msg, cap, "the attempt from %s blocked at %lld ms, whose write the store "
	                 "had not answered: ", r->client, (long long)r->at_ms);
	char *m = msg + (n > 0 && (size_t)n < cap ? n : 0);
	size_t room = cap - (size_t)(m - msg);
	long long id = (long long)r->incident_id;
	const char *name = store_settled_name(r->how);
	switch (r->how) {
	case STORE_SETTLED_RECORDED:
		snprintf(m, room, "%s, once, in incident %lld", name, id);
		break;
	case STORE_SETTLED_RERECORDED:
		snprintf(m, room, "%s (its write had not taken effect), in incident %lld", name, id);
		break;
	case STORE_SETTLED_NOT_RECORDED:
		snprintf(m, room, "%s (its write had not taken effect, and recording it again "
		         "failed)", name);
		break;
	default:
		snprintf(m, room, "%s after 9 minutes without an answer, and not read back: maybe "
		         "recorded (at most once), in incident %lld", name, id);
	}
	if (r->how == STORE_SETTLED_NOT_RECORDED || r->how == STORE_SETTLED_UNKNOWN) {
		char url[4 * sizeof r->url];
		sg_text_clean(url, sizeof url, r->url, strnlen(r->url, sizeof r->url));
		size_t used = strlen(msg);
		snprintf(msg + used, cap - used, "; its URL: %s", url);
	}
}

void store_spool_path(const char *store_path, const char *role, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s.unsettled-%s", store_path ? store_path : "incidents.db", role);
}

const char *store_spool_note(const store *s, int *kept)
{
	int dummy;
	*(kept ? kept : &dummy) = 1;
	return s && s->eng->spool_note ? s->eng->spool_note(s, kept ? kept : &dummy) : "";
}

void store_unsettled_each(const store *s,
                          void (*fn)(void *ctx, const store_attempt_in *a,
                                     int64_t maybe_incident_id, int64_t sent_ms),
                          void *ctx)
{
	if (s && fn && s->eng->unsettled_each)
		s->eng->unsettled_each(s, fn, ctx);
}

/* ---- records ---- */

void store_incident_free(store_incident *r)
{
	if (!r)
		return;
	free(r->state_reason);
	free(r->source);
	free(r->category);
	free(r->rule);
	free(r->dest);
	free(r->instance_id);
	free(r->region);
	free(r->az);
	free(r->lease_owner);
	memset(r, 0, sizeof *r);
}

void store_incidents_free(store_incident *arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		store_incident_free(&arr[i]);
	free(arr);
}

void store_attempt_clear(store_attempt *r)
{
	char **f[] = {&r->client, &r->request, &r->headers, &r->url, &r->dest, &r->category,
	              &r->rule, &r->reason, &r->addrs, &r->instance_id, &r->region, &r->az};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		free(*f[i]);
		*f[i] = NULL;
	}
}

void store_attempts_free(store_attempt *arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		store_attempt_clear(&arr[i]);
	free(arr);
}

void store_step_free(store_step *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->status);
	free(r->data);
	memset(r, 0, sizeof *r);
}

void store_steps_free(store_step *arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		store_step_free(&arr[i]);
	free(arr);
}

void store_history_clear(store_history *r)
{
	free(r->step);
	free(r->from);
	free(r->to);
	free(r->reason);
	free(r->actor);
	memset(r, 0, sizeof *r);
}

void store_history_free(store_history *arr, size_t n)
{
	for (size_t i = 0; arr && i < n; i++)
		store_history_clear(&arr[i]);
	free(arr);
}
