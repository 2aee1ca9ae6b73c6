/* dynamo_read.c — the DynamoDB engine's read side and item helpers: every
 * read strongly consistent (GetItem/Query with ConsistentRead), queries
 * followed through LastEvaluatedKey. */
#include "store/dynamo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dd_id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%020lld", (long long)id);
}

void dd_partition(int64_t id, char out[32])
{
	snprintf(out, 32, "inc#%020lld", (long long)id);
}

json_t *dd_key(const char *pk, const char *sk)
{
	return json_pack("{s:{s:s},s:{s:s}}", "pk", "S", pk, "sk", "S", sk);
}

json_t *dd_s(const char *v)
{
	return json_pack("{s:s}", "S", v ? v : "");
}

json_t *dd_n(int64_t v)
{
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)v);
	return json_pack("{s:s}", "N", t);
}

char *dd_str(const json_t *item, const char *name, int *bad)
{
	char *p = strdup(aws_ddb_str(item, name));
	if (!p)
		*bad = 1;
	return p;
}

sg_err dd_fail(dd_store *s, sg_err rc, const char *what, const struct aws_error *e)
{
	if (rc && e && e->code[0])
		snprintf(s->msg, sizeof s->msg, "DynamoDB %s on %.200s: %.100s: %.300s", what, s->table,
		         e->code, e->message);
	else if (rc)
		snprintf(s->msg, sizeof s->msg, "DynamoDB %s on %.200s: %s%s%.300s", what, s->table,
		         sg_strerror(rc), e && e->message[0] ? ": " : "", e ? e->message : "");
	return rc;
}

sg_err dd_get_item(dd_store *s, const char *pk, const char *sk, json_t **item)
{
	struct aws_error e;
	json_t *key = dd_key(pk, sk);
	sg_err rc = key ? aws_ddb_get(s->aws, s->table, key, true, item, &e) : SG_ERR_NOMEM;
	json_decref(key);
	if (!rc && !*item)
		return SG_ERR_NOTFOUND;
	return dd_fail(s, rc, "GetItem", &e);
}

/* ---- incidents ---- */

sg_err dd_fill_incident(const json_t *it, store_incident *r)
{
	int bad = 0;
	r->id = aws_ddb_num(it, "id");
	if (store_state_parse(aws_ddb_str(it, "state"), &r->state) != SG_OK)
		r->state = STORE_STATE__COUNT;
	r->state_reason = dd_str(it, "state_reason", &bad);
	r->source = dd_str(it, "source", &bad);
	r->category = dd_str(it, "category", &bad);
	r->rule = dd_str(it, "rule", &bad);
	r->dest = dd_str(it, "dest", &bad);
	r->instance_id = dd_str(it, "instance_id", &bad);
	r->region = dd_str(it, "region", &bad);
	r->az = dd_str(it, "az", &bad);
	r->contain = (int)aws_ddb_num(it, "contain");
	r->attempts = aws_ddb_num(it, "attempts");
	r->opened_ms = aws_ddb_num(it, "opened_ms");
	r->updated_ms = aws_ddb_num(it, "updated_ms");
	r->state_ms = aws_ddb_num(it, "state_ms");
	r->lease_owner = dd_str(it, "lease_owner", &bad);
	r->lease_until_ms = aws_ddb_num(it, "lease_until_ms");
	r->observe = (int)aws_ddb_num(it, "observe");
	r->lease_old = dd_lease_is_old(it, sg_wall_ms());
	if (bad) {
		store_incident_free(r);
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

sg_err dd_get(store *base, int64_t id, store_incident *out)
{
	dd_store *s = (dd_store *)base;
	char sk[24];
	json_t *it = NULL;
	if (id <= 0)
		return SG_ERR_NOTFOUND;
	dd_id_text(id, sk);
	sg_err rc = dd_get_item(s, DD_INCIDENTS, sk, &it);
	if (!rc)
		rc = dd_fill_incident(it, out);
	json_decref(it);
	return rc;
}

/* Records collected from a query: a growing array of `size` each. */
typedef struct collect {
	char *arr;
	size_t n, cap, limit, size;
	sg_err (*fill)(const json_t *item, void *rec, size_t index);
	void (*clear)(void *rec);
} collect;

#define DD_ENOUGH SG_ERR__COUNT  /* stops a query early; never returned */

static sg_err take(void *ctx, const json_t *item)
{
	collect *c = ctx;
	if (c->n >= c->limit)
		return DD_ENOUGH;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		char *p = realloc(c->arr, ncap * c->size);
		if (!p)
			return SG_ERR_NOMEM;
		c->arr = p;
		c->cap = ncap;
	}
	void *rec = c->arr + c->n * c->size;
	memset(rec, 0, c->size);
	sg_err rc = c->fill(item, rec, c->n);
	if (rc == SG_OK)
		c->n++;
	return rc == DD_ENOUGH ? SG_OK : rc;
}

static sg_err run_query(dd_store *s, const char *pk, const struct aws_ddb_range *range,
                        bool forward, const struct aws_ddb_expr *filter, collect *c, void **out,
                        size_t *n)
{
	struct aws_error e;
	sg_err rc = aws_ddb_query(s->aws, s->table, pk, range, forward, filter, 0, take, c, &e);
	if (rc == DD_ENOUGH)
		rc = SG_OK;
	if (rc) {
		for (size_t i = 0; i < c->n; i++)
			c->clear(c->arr + i * c->size);
		free(c->arr);
		return dd_fail(s, rc, "Query", &e);
	}
	*out = c->arr;
	*n = c->n;
	return SG_OK;
}

/* One incident's items of a kind (sk prefix), in sort-key order. */
static sg_err incident_query(dd_store *s, int64_t id, const char *prefix, collect *c, void **out,
                             size_t *n)
{
	char pk[32];
	dd_partition(id, pk);
	struct aws_ddb_range r = {.sk_prefix = prefix};
	return run_query(s, pk, &r, true, NULL, c, out, n);
}

static sg_err fill_inc(const json_t *it, void *rec, size_t i)
{
	(void)i;
	return dd_fill_incident(it, rec);
}

static void clear_inc(void *rec) { store_incident_free(rec); }

/* A page: the items below before's sort key, newest first.  Without a
 * filter each DynamoDB page asks for just the items wanted (Limit), one more
 * than limit at most being read; with one, DynamoDB's 1 MB pages until
 * enough matched. */
sg_err dd_list(store *base, int state, int64_t before, size_t limit, store_incident **out,
               size_t *n)
{
	dd_store *s = (dd_store *)base;
	collect c = {.limit = limit, .size = sizeof **out, .fill = fill_inc, .clear = clear_inc};
	struct aws_ddb_expr f = {0};
	char below[24];
	struct aws_ddb_range r = {.sk_below = before < INT64_MAX ? below : NULL,
	                          .page_items = state < 0 && limit < 10000 ? (unsigned)limit + 1 : 0};
	dd_id_text(before, below);
	if (state >= 0) {
		f.condition = "#st = :st";
		f.names = json_pack("{s:s}", "#st", "state");
		f.values = json_pack("{s:{s:s}}", ":st", "S", store_state_name((store_state)state));
		if (!f.names || !f.values) {
			json_decref(f.names);
			json_decref(f.values);
			return SG_ERR_NOMEM;
		}
	}
	sg_err rc = run_query(s, DD_INCIDENTS, &r, false, state >= 0 ? &f : NULL, &c,
	                      (void **)out, n);
	json_decref(f.names);
	json_decref(f.values);
	return rc;
}

static sg_err count_one(void *ctx, const json_t *item)
{
	int64_t *counts = ctx;
	store_state k;
	if (store_state_parse(aws_ddb_str(item, "state"), &k) == SG_OK)
		counts[k]++;
	return SG_OK;
}

sg_err dd_ping(store *base)
{
	dd_store *s = (dd_store *)base;
	struct aws_error e;
	json_t *item = NULL;
	json_t *key = dd_key("meta", "identity");
	/* eventually consistent: whether the table answers, not what it holds */
	sg_err rc = key ? aws_ddb_get(s->aws, s->table, key, false, &item, &e) : SG_ERR_NOMEM;
	json_decref(key);
	json_decref(item);
	return key ? dd_fail(s, rc, "GetItem", &e) : rc;
}

sg_err dd_count_states(store *base, int64_t counts[STORE_STATE__COUNT])
{
	dd_store *s = (dd_store *)base;
	struct aws_error e;
	sg_err rc = aws_ddb_query(s->aws, s->table, DD_INCIDENTS, NULL, true, NULL, 0, count_one,
	                          counts, &e);
	return dd_fail(s, rc, "Query", &e);
}

/* ---- attempts ---- */

sg_err dd_fill_attempt(const json_t *it, store_attempt *r)
{
	int bad = 0;
	const char *sk = aws_ddb_str(it, "sk");
	r->id = strlen(sk) > 4 ? (int64_t)strtoll(sk + 4, NULL, 10) : 0;
	r->incident_id = aws_ddb_num(it, "incident");
	r->at_ms = aws_ddb_num(it, "at_ms");
	r->client = dd_str(it, "client", &bad);
	r->request = dd_str(it, "request", &bad);
	r->headers = dd_str(it, "headers", &bad);
	r->url = dd_str(it, "url", &bad);
	r->dest = dd_str(it, "dest", &bad);
	r->category = dd_str(it, "category", &bad);
	r->rule = dd_str(it, "rule", &bad);
	r->reason = dd_str(it, "reason", &bad);
	r->hop = (int)aws_ddb_num(it, "hop");
	r->addrs = dd_str(it, "addrs", &bad);
	r->instance_id = dd_str(it, "instance_id", &bad);
	r->region = dd_str(it, "region", &bad);
	r->az = dd_str(it, "az", &bad);
	r->contain = (int)aws_ddb_num(it, "contain");
	if (bad) {
		store_attempt_clear(r);
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

static sg_err fill_att(const json_t *it, void *rec, size_t i)
{
	(void)i;
	return dd_fill_attempt(it, rec);
}

static void clear_att(void *rec) { store_attempt_clear(rec); }

sg_err dd_attempts(store *base, int64_t incident_id, size_t limit, store_attempt **out,
                   size_t *n)
{
	collect c = {.limit = limit, .size = sizeof **out, .fill = fill_att, .clear = clear_att};
	return incident_query((dd_store *)base, incident_id, "att#", &c, (void **)out, n);
}

/* ---- steps ---- */

sg_err dd_fill_step(const json_t *it, store_step *r)
{
	int bad = 0;
	const char *sk = aws_ddb_str(it, "sk");
	if (strncmp(sk, "step#", 5))
		return SG_ERR_PROTOCOL; /* not a step's item: its key was asked for */
	r->incident_id = aws_ddb_num(it, "incident");
	r->name = strdup(sk + 5);
	r->status = dd_str(it, "status", &bad);
	r->data = dd_str(it, "data", &bad);
	r->attempts = aws_ddb_num(it, "attempts");
	r->updated_ms = aws_ddb_num(it, "updated_ms");
	if (bad || !r->name) {
		store_step_free(r);
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

static sg_err fill_step(const json_t *it, void *rec, size_t i)
{
	(void)i;
	return dd_fill_step(it, rec);
}

static void clear_step(void *rec) { store_step_free(rec); }

sg_err dd_steps(store *base, int64_t incident_id, store_step **out, size_t *n)
{
	collect c = {.limit = 100000, .size = sizeof **out, .fill = fill_step, .clear = clear_step};
	return incident_query((dd_store *)base, incident_id, "step#", &c, (void **)out, n);
}

sg_err dd_step_get(store *base, int64_t incident_id, const char *name, store_step *out)
{
	dd_store *s = (dd_store *)base;
	char pk[32], sk[80];
	json_t *it = NULL;
	dd_partition(incident_id, pk);
	if (snprintf(sk, sizeof sk, "step#%s", name) >= (int)sizeof sk)
		return SG_ERR_NOTFOUND;
	sg_err rc = dd_get_item(s, pk, sk, &it);
	if (!rc)
		rc = dd_fill_step(it, out);
	json_decref(it);
	return rc;
}

/* ---- history ---- */

sg_err dd_fill_history(const json_t *it, size_t place, store_history *r)
{
	int bad = 0;
	r->id = (int64_t)place + 1;   /* its place in the incident's history */
	r->incident_id = aws_ddb_num(it, "incident");
	r->step = dd_str(it, "step", &bad);
	r->from = dd_str(it, "from", &bad);
	r->to = dd_str(it, "to", &bad);
	r->reason = dd_str(it, "reason", &bad);
	r->actor = dd_str(it, "actor", &bad);
	r->at_ms = aws_ddb_num(it, "at_ms");
	if (bad) {
		store_history_clear(r);
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

static sg_err fill_hist(const json_t *it, void *rec, size_t i)
{
	return dd_fill_history(it, i, rec);
}

static void clear_hist(void *rec) { store_history_clear(rec); }

sg_err dd_history(store *base, int64_t incident_id, store_history **out, size_t *n)
{
	collect c = {.limit = 1000000, .size = sizeof **out, .fill = fill_hist, .clear = clear_hist};
	return incident_query((dd_store *)base, incident_id, "hist#", &c, (void **)out, n);
}
