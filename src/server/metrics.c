/* metrics.c — counters of the service and their Prometheus text form. */
#include "server/srv_int.h"
#include "server/proxy.h"

#include <event2/buffer.h>
#include <string.h>

static const char *const routes[4] = {"go", "healthz", "metrics", "other"};
static const int codes[11] = {200, 301, 302, 400, 403, 404, 405, 502, 503, 504, 0};
#define CODE_OTHER 10

/* Upper bounds (seconds) of the fetch-duration histogram; +Inf is last. */
static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

void metrics_count(struct srv *s, int route, int code)
{
	int k = CODE_OTHER;
	for (int i = 0; i < CODE_OTHER; i++)
		if (codes[i] == code)
			k = i;
	if (route >= 0 && route < 4)
		SRV_COUNT(s->m.req[route][k], 1);
}

void metrics_fetch_time(struct srv *s, double sec)
{
	/* one count, in the first bucket that holds it: the exposition sums
	 * them into Prometheus's cumulative buckets (not one atomic add each) */
	for (size_t i = 0; i < NBUCKETS; i++)
		if (sec <= buckets[i]) {
			SRV_COUNT(s->m.hist[i], 1);
			break;
		}
	SRV_COUNT(s->m.hist_sum_us, (uint64_t)(sec * 1e6));
	SRV_COUNT(s->m.hist_count, 1);
}

static srv_gauges gauges_now(struct srv *s)
{
	srv_gauges g = {.inflight = s->inflight, .queued = s->queued};
	conn_stats(s, &g.conns);
	g.reply_bytes = conn_reply_held(s);
	return g;
}

void metrics_publish(struct srv *s)
{
	srv_gauges g = gauges_now(s);
	pthread_mutex_lock(&s->pub_mu);
	s->pub = g;
	pthread_mutex_unlock(&s->pub_mu);
}

/* The counters of every loop, summed. */
static void sum_counters(struct srv *s, srv_metrics *t)
{
	struct srv *p = s->primary ? s->primary : s;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < p->nloops; i++) {
		struct srv *l = i ? p->peers[i - 1] : p;
		for (int r = 0; r < 4; r++)
			for (int k = 0; k < 12; k++)
				t->req[r][k] += SRV_READ(l->m.req[r][k]);
		for (int c = 0; c < SG_CAT__COUNT; c++)
			t->blocked[c] += SRV_READ(l->m.blocked[c]);
		for (size_t b = 0; b < NBUCKETS; b++)
			t->hist[b] += SRV_READ(l->m.hist[b]);
		t->hist_sum_us += SRV_READ(l->m.hist_sum_us);
		t->hist_count += SRV_READ(l->m.hist_count);
		t->commits += SRV_READ(l->m.commits);
		t->commit_errors += SRV_READ(l->m.commit_errors);
		t->incidents_opened += SRV_READ(l->m.incidents_opened);
		t->aggregated += SRV_READ(l->m.aggregated);
		t->unsettled += SRV_READ(l->m.unsettled);
		t->dns_cut += SRV_READ(l->m.dns_cut);
		for (int k = 0; k < 4; k++)
			t->settled[k] += SRV_READ(l->m.settled[k]);
		t->unsettled_kept += SRV_READ(l->m.unsettled_kept);
	}
}

/* This loop's gauges now, the others' as last published (at most 1 s old). */
static void sum_gauges(struct srv *s, srv_gauges *t)
{
	struct srv *p = s->primary ? s->primary : s;
	*t = gauges_now(s);
	for (size_t i = 0; i < p->nloops; i++) {
		struct srv *l = i ? p->peers[i - 1] : p;
		if (l == s)
			continue;
		pthread_mutex_lock(&l->pub_mu);
		srv_gauges g = l->pub;
		pthread_mutex_unlock(&l->pub_mu);
		t->inflight += g.inflight;
		t->queued += g.queued;
		t->reply_bytes += g.reply_bytes;
		t->conns.open += g.conns.open;
		t->conns.limit += g.conns.limit;
		t->conns.dropped += g.conns.dropped;
		t->conns.evicted += g.conns.evicted;
		t->conns.accept_pauses += g.conns.accept_pauses;
	}
}

size_t metrics_reply_bytes(struct srv *s)
{
	srv_gauges g;
	sum_gauges(s, &g);
	return g.reply_bytes;
}

/* What became of the unsettled attempts, as store_settle found out later. */
static void render_settled(struct evbuffer *o, const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_store_settled_total Unsettled attempts settled "
	                       "later: recorded (once), recorded_anew (their write had not taken "
	                       "effect), not_recorded, unknown (no answer in 9 minutes, not read back).\n"
	                       "# TYPE ssrfguard_store_settled_total counter\n");
	for (int k = 0; k < 4; k++)
		evbuffer_add_printf(o, "ssrfguard_store_settled_total{outcome=\"%s\"} %llu\n",
		                    store_settled_name((store_settled_how)k),
		                    (unsigned long long)m->settled[k]);
	evbuffer_add_printf(o, "# HELP ssrfguard_store_unsettled Unsettled attempts still being "
	                       "settled.\n"
	                       "# TYPE ssrfguard_store_unsettled gauge\n"
	                       "ssrfguard_store_unsettled %llu\n",
	                    (unsigned long long)m->unsettled_kept);
}

/* HTTP requests answered, by route and status code (rows of 0 left out). */
static void render_requests(struct evbuffer *o, const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_requests_total HTTP requests answered, by route "
	                       "and status code.\n# TYPE ssrfguard_requests_total counter\n");
	for (int r = 0; r < 4; r++)
		for (int k = 0; k <= CODE_OTHER; k++) {
			if (!m->req[r][k])
				continue;
			if (k == CODE_OTHER)
				evbuffer_add_printf(o, "ssrfguard_requests_total{route=\"%s\",code=\"other\"} "
				                       "%llu\n", routes[r], (unsigned long long)m->req[r][k]);
			else
				evbuffer_add_printf(o, "ssrfguard_requests_total{route=\"%s\",code=\"%d\"} "
				                       "%llu\n", routes[r], codes[k],
				                    (unsigned long long)m->req[r][k]);
		}
}

/* Blocked attempts by guard category (every blocking category, 0 too). */
static void render_blocked(struct evbuffer *o, const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_blocked_total Blocked fetch attempts, by guard "
	                       "category.\n# TYPE ssrfguard_blocked_total counter\n");
	for (int c = 0; c < SG_CAT__COUNT; c++)
		if (c != SG_CAT_PUBLIC && c != SG_CAT_ALLOWED)
			evbuffer_add_printf(o, "ssrfguard_blocked_total{category=\"%s\"} %llu\n",
			                    sg_category_name((sg_category)c),
			                    (unsigned long long)m->blocked[c]);
}

/* The fetch-duration histogram: per-bucket counts summed into Prometheus's
 * cumulative buckets. */
static void render_fetch_duration(struct evbuffer *o, const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_fetch_duration_seconds Time from request to "
	                       "the end of the upstream fetch.\n"
	                       "# TYPE ssrfguard_fetch_duration_seconds histogram\n");
	uint64_t upto = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		upto += m->hist[i];
		evbuffer_add_printf(o, "ssrfguard_fetch_duration_seconds_bucket{le=\"%g\"} %llu\n",
		                    buckets[i], (unsigned long long)upto);
	}
	evbuffer_add_printf(o, "ssrfguard_fetch_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	                       "ssrfguard_fetch_duration_seconds_sum %.6f\n"
	                       "ssrfguard_fetch_duration_seconds_count %llu\n",
	                    (unsigned long long)m->hist_count, m->hist_sum_us / 1e6,
	                    (unsigned long long)m->hist_count);
}

/* Fetch slots and client connections, summed over the loops. */
static void render_load(struct evbuffer *o, const srv_gauges *g)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_fetches_in_flight Upstream fetches running.\n"
	                       "# TYPE ssrfguard_fetches_in_flight gauge\n"
	                       "ssrfguard_fetches_in_flight %zu\n"
	                       "# HELP ssrfguard_fetches_queued Fetches waiting for a slot.\n"
	                       "# TYPE ssrfguard_fetches_queued gauge\n"
	                       "ssrfguard_fetches_queued %zu\n", g->inflight, g->queued);
	conn_stats_t cs = g->conns;
	evbuffer_add_printf(o, "# HELP ssrfguard_slow_clients_dropped_total Clients that did not send "
	                       "a request head within client_timeout_s.\n"
	                       "# TYPE ssrfguard_slow_clients_dropped_total counter\n"
	                       "ssrfguard_slow_clients_dropped_total %llu\n",
	                    (unsigned long long)cs.dropped);
	evbuffer_add_printf(o, "# HELP ssrfguard_client_connections Client connections open.\n"
	                       "# TYPE ssrfguard_client_connections gauge\n"
	                       "ssrfguard_client_connections %zu\n"
	                       "# HELP ssrfguard_client_connections_limit max_connections in effect.\n"
	                       "# TYPE ssrfguard_client_connections_limit gauge\n"
	                       "ssrfguard_client_connections_limit %zu\n"
	                       "# HELP ssrfguard_idle_clients_evicted_total Idle connections closed to "
	                       "make room at the limit.\n"
	                       "# TYPE ssrfguard_idle_clients_evicted_total counter\n"
	                       "ssrfguard_idle_clients_evicted_total %llu\n"
	                       "# HELP ssrfguard_accept_paused_total Times accepting paused (limit "
	                       "reached or accept() failed).\n"
	                       "# TYPE ssrfguard_accept_paused_total counter\n"
	                       "ssrfguard_accept_paused_total %llu\n"
	                       "# HELP ssrfguard_reply_bytes Bytes of upstream bodies and answers "
	                       "held for clients (max_reply_bytes bounds them).\n"
	                       "# TYPE ssrfguard_reply_bytes gauge\n"
	                       "ssrfguard_reply_bytes %zu\n",
	                    cs.open, cs.limit, (unsigned long long)cs.evicted,
	                    (unsigned long long)cs.accept_pauses, g->reply_bytes);
}

/* Incident batches committed or failed, attempts left unsettled, and what
 * became of those. */
static void render_store_commits(struct evbuffer *o, const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_store_commits_total Incident batches committed.\n"
	                       "# TYPE ssrfguard_store_commits_total counter\n"
	                       "ssrfguard_store_commits_total %llu\n"
	                       "# HELP ssrfguard_store_errors_total Incident batches that failed.\n"
	                       "# TYPE ssrfguard_store_errors_total counter\n"
	                       "ssrfguard_store_errors_total %llu\n"
	                       "# HELP ssrfguard_store_unsettled_total Blocked attempts the store "
	                       "could not say were recorded or not (no answer): each may be, at "
	                       "most once.\n"
	                       "# TYPE ssrfguard_store_unsettled_total counter\n"
	                       "ssrfguard_store_unsettled_total %llu\n",
	                    (unsigned long long)m->commits, (unsigned long long)m->commit_errors,
	                    (unsigned long long)m->unsettled);
	render_settled(o, m);
}

/* The running version, whether the store and the embedded responder work. */
static void render_health(struct evbuffer *o, const srv_health *h)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_build_info The running version.\n"
	                       "# TYPE ssrfguard_build_info gauge\n"
	                       "ssrfguard_build_info{version=\"%s\"} 1\n"
	                       "# HELP ssrfguard_store_up 1 when the store took the last commit and "
	                       "reads now, else 0.\n"
	                       "# TYPE ssrfguard_store_up gauge\n"
	                       "ssrfguard_store_up %d\n"
	                       "# HELP ssrfguard_responder_state The embedded responder: off, running "
	                       "or failing (1 for the current state).\n"
	                       "# TYPE ssrfguard_responder_state gauge\n"
	                       "ssrfguard_responder_state{state=\"off\"} %d\n"
	                       "ssrfguard_responder_state{state=\"running\"} %d\n"
	                       "ssrfguard_responder_state{state=\"failing\"} %d\n",
	                    SSRFGUARD_VERSION, h->store_ok, h->responder == SRV_RESPONDER_OFF,
	                    h->responder == SRV_RESPONDER_RUNNING,
	                    h->responder == SRV_RESPONDER_FAILING);
}

/* The store's size against its cap, and the attempts counted without a row. */
static void render_store_size(struct evbuffer *o, const srv_health *h, long long max_bytes,
                              const srv_metrics *m)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_store_bytes Incident store size.\n"
	                       "# TYPE ssrfguard_store_bytes gauge\n"
	                       "ssrfguard_store_bytes %lld\n"
	                       "# HELP ssrfguard_store_max_bytes store_max_bytes (0 = no cap).\n"
	                       "# TYPE ssrfguard_store_max_bytes gauge\n"
	                       "ssrfguard_store_max_bytes %lld\n"
	                       "# HELP ssrfguard_store_near_cap 1 at 90 %% of store_max_bytes, 2 at "
	                       "it (attempts then counted, not detailed).\n"
	                       "# TYPE ssrfguard_store_near_cap gauge\n"
	                       "ssrfguard_store_near_cap %d\n"
	                       "# HELP ssrfguard_attempts_aggregated_total Blocked attempts counted "
	                       "in their incident without a detailed row.\n"
	                       "# TYPE ssrfguard_attempts_aggregated_total counter\n"
	                       "ssrfguard_attempts_aggregated_total %llu\n"
	                       "# HELP ssrfguard_dns_answers_cut_total DNS answers past the "
	                       "resolver's 32 addresses, read whole by the service to judge "
	                       "every record.\n"
	                       "# TYPE ssrfguard_dns_answers_cut_total counter\n"
	                       "ssrfguard_dns_answers_cut_total %llu\n",
	                    (long long)h->store_bytes, max_bytes, h->store_pressure,
	                    (unsigned long long)m->aggregated, (unsigned long long)m->dns_cut);
}

/* Incidents by state, read from the store (nothing when it does not read). */
static void render_incidents(struct evbuffer *o, store *st, const srv_health *h)
{
	int64_t counts[STORE_STATE__COUNT];
	if (h->store_ok && store_count_states(st, counts) == SG_OK) {
		evbuffer_add_printf(o, "# HELP ssrfguard_incidents Incidents in the store, by state.\n"
		                       "# TYPE ssrfguard_incidents gauge\n");
		for (int i = 0; i < STORE_STATE__COUNT; i++)
			evbuffer_add_printf(o, "ssrfguard_incidents{state=\"%s\"} %lld\n",
			                    store_state_name((store_state)i), (long long)counts[i]);
		evbuffer_add_printf(o, "# HELP ssrfguard_incidents_open Incidents not yet resolved "
		                       "(open, containing, failed).\n"
		                       "# TYPE ssrfguard_incidents_open gauge\n"
		                       "ssrfguard_incidents_open %lld\n",
		                    (long long)(counts[STORE_OPEN] + counts[STORE_CONTAINING] +
		                                counts[STORE_FAILED]));
	}
}

/* Reloads of the guard's rules and the reading in force. */
static void render_rules(struct srv *s, struct evbuffer *o)
{
	rules_status rs;
	rules_state(s, &rs);
	evbuffer_add_printf(o, "# HELP ssrfguard_policy_reloads_total Reloads of the guard's rules"
	                       " (policy, rule, the proxy's roles; SIGHUP or a changed file).\n"
	                       "# TYPE ssrfguard_policy_reloads_total counter\n"
	                       "ssrfguard_policy_reloads_total{result=\"ok\"} %llu\n"
	                       "ssrfguard_policy_reloads_total{result=\"error\"} %llu\n"
	                       "# HELP ssrfguard_policy_reload_failing 1 when the last reload"
	                       " failed and the rules loaded before are still in force.\n"
	                       "# TYPE ssrfguard_policy_reload_failing gauge\n"
	                       "ssrfguard_policy_reload_failing %d\n"
	                       "# HELP ssrfguard_policy_generation The reading of the rules in"
	                       " force (1 at the start, one more each good reload).\n"
	                       "# TYPE ssrfguard_policy_generation gauge\n"
	                       "ssrfguard_policy_generation %llu\n",
	                    (unsigned long long)(rs.reloads - rs.failures),
	                    (unsigned long long)rs.failures, rs.failing, (unsigned long long)rs.gen);
}

void metrics_render(struct srv *s, struct evbuffer *o)
{
	srv_metrics m;
	srv_gauges g;
	srv_health h;
	sum_counters(s, &m);
	sum_gauges(s, &g);
	render_requests(o, &m);
	render_blocked(o, &m);
	render_fetch_duration(o, &m);
	render_load(o, &g);
	render_store_commits(o, &m);
	srv_health_get(s, &h);
	render_health(o, &h);
	render_store_size(o, &h, (long long)s->cfg->store_max_bytes, &m);
	render_incidents(o, s->st, &h);
	render_rules(s, o);
	proxy_metrics(s, o);
}
