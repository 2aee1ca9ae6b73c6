/* metrics.c — counters of the service and their Prometheus text form. */
#include "server/srv_int.h"
#include "server/proxy.h"

#include <event2/buffer.h>

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
		s->m.req[route][k]++;
}

void metrics_fetch_time(struct srv *s, double sec)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		if (sec <= buckets[i])
			s->m.hist[i]++;
	s->m.hist_sum += sec;
	s->m.hist_count++;
}

void metrics_render(struct srv *s, struct evbuffer *o)
{
	evbuffer_add_printf(o, "# HELP ssrfguard_requests_total HTTP requests answered, by route "
	                       "and status code.\n# TYPE ssrfguard_requests_total counter\n");
	for (int r = 0; r < 4; r++)
		for (int k = 0; k <= CODE_OTHER; k++) {
			if (!s->m.req[r][k])
				continue;
			if (k == CODE_OTHER)
				evbuffer_add_printf(o, "ssrfguard_requests_total{route=\"%s\",code=\"other\"} "
				                       "%llu\n", routes[r], (unsigned long long)s->m.req[r][k]);
			else
				evbuffer_add_printf(o, "ssrfguard_requests_total{route=\"%s\",code=\"%d\"} "
				                       "%llu\n", routes[r], codes[k],
				                    (unsigned long long)s->m.req[r][k]);
		}
	evbuffer_add_printf(o, "# HELP ssrfguard_blocked_total Blocked fetch attempts, by guard "
	                       "category.\n# TYPE ssrfguard_blocked_total counter\n");
	for (int c = 0; c < SG_CAT__COUNT; c++)
		if (c != SG_CAT_PUBLIC && c != SG_CAT_ALLOWED)
			evbuffer_add_printf(o, "ssrfguard_blocked_total{category=\"%s\"} %llu\n",
			                    sg_category_name((sg_category)c),
			                    (unsigned long long)s->m.blocked[c]);
	evbuffer_add_printf(o, "# HELP ssrfguard_fetch_duration_seconds Time from request to "
	                       "the end of the upstream fetch.\n"
	                       "# TYPE ssrfguard_fetch_duration_seconds histogram\n");
	for (size_t i = 0; i < NBUCKETS; i++)
		evbuffer_add_printf(o, "ssrfguard_fetch_duration_seconds_bucket{le=\"%g\"} %llu\n",
		                    buckets[i], (unsigned long long)s->m.hist[i]);
	evbuffer_add_printf(o, "ssrfguard_fetch_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	                       "ssrfguard_fetch_duration_seconds_sum %.6f\n"
	                       "ssrfguard_fetch_duration_seconds_count %llu\n",
	                    (unsigned long long)s->m.hist_count, s->m.hist_sum,
	                    (unsigned long long)s->m.hist_count);
	evbuffer_add_printf(o, "# HELP ssrfguard_fetches_in_flight Upstream fetches running.\n"
	                       "# TYPE ssrfguard_fetches_in_flight gauge\n"
	                       "ssrfguard_fetches_in_flight %zu\n"
	                       "# HELP ssrfguard_fetches_queued Fetches waiting for a slot.\n"
	                       "# TYPE ssrfguard_fetches_queued gauge\n"
	                       "ssrfguard_fetches_queued %zu\n", s->inflight, s->queued);
	evbuffer_add_printf(o, "# HELP ssrfguard_slow_clients_dropped_total Clients that did not send "
	                       "a request head within client_timeout_s.\n"
	                       "# TYPE ssrfguard_slow_clients_dropped_total counter\n"
	                       "ssrfguard_slow_clients_dropped_total %llu\n",
	                    (unsigned long long)conn_dropped(s));
	evbuffer_add_printf(o, "# HELP ssrfguard_store_commits_total Incident batches committed.\n"
	                       "# TYPE ssrfguard_store_commits_total counter\n"
	                       "ssrfguard_store_commits_total %llu\n"
	                       "# HELP ssrfguard_store_errors_total Incident batches that failed.\n"
	                       "# TYPE ssrfguard_store_errors_total counter\n"
	                       "ssrfguard_store_errors_total %llu\n",
	                    (unsigned long long)s->m.commits, (unsigned long long)s->m.commit_errors);
	int64_t counts[STORE_STATE__COUNT];
	if (store_count_states(s->st, counts) == SG_OK) {
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
	proxy_metrics(s, o);
}
