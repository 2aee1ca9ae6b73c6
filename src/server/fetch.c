/* fetch.c — one /go fetch, hop by hop: the slot, the name resolved and
 * judged (dest.h), the hop handed to its client — gofetch.c for http://,
 * fetch_curl.c (libcurl on the loop) for https:// —, then redirects (each
 * hop judged again), the limits and the answer.  See server.h. */
#include "server/srv_int.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"

static void on_gone_timer(evutil_socket_t fd, short what, void *arg);

sg_err fetch_init(struct srv *s)
{
	if (fetch_curl_init(s) != SG_OK)
		return SG_ERR_NOMEM;
	s->gone_timer = event_new(s->base, -1, EV_PERSIST, on_gone_timer, s);
	struct timeval every = {0, SRV_GONE_CHECK_MS * 1000};
	if (!s->gone_timer || event_add(s->gone_timer, &every))
		return SG_ERR_NOMEM;
	/* Names are resolved here, on the loop, from /etc/resolv.conf and
	 * /etc/hosts (DNS_OPTIONS_ALL includes the hosts file). */
	s->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                                 EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (s->primary == s) {
		s->dcache = dnsc_new(1024);
		pthread_mutex_init(&s->dcache_mu, NULL);
	} else {
		s->dcache = s->primary->dcache;
	}
	if (!s->dns || !s->dcache || gf_init(s) != 0)
		return SG_ERR_NOMEM;
	fetch_adopt_limits(s); /* the connection cache's size */
	return SG_OK;
}

void fetch_cleanup(struct srv *s)
{
	fetch_curl_cleanup(s);
	gf_cleanup(s);
	if (s->gone_timer) {
		event_free(s->gone_timer);
		s->gone_timer = NULL;
	}
	if (s->dns) {
		/* Abandoned lookups were detached (fetch_abandon): no callback
		 * may run now. */
		evdns_base_free(s->dns, 0);
		s->dns = NULL;
	}
	if (s->primary == s && s->dcache) {
		dnsc_free(s->dcache);
		pthread_mutex_destroy(&s->dcache_mu);
	}
	s->dcache = NULL;
}

/* ---- what a hop's client reports ---- */

/* Bodies of running fetches and answers not yet written to slow clients
 * share one budget, max_reply_bytes: a fetch that would exceed it ends
 * with 503 instead of growing memory without bound. */
static int over_budget(const struct srv *s, size_t more)
{
	size_t held = conn_reply_held(s);
	size_t cap = (size_t)srv_lim(s)->max_reply_bytes;
	return held > cap || more > cap - held;
}

static void body_reset(job *j)
{
	j->s->fetch_bytes -= j->body_bytes < j->s->fetch_bytes ? j->body_bytes : j->s->fetch_bytes;
	j->body_bytes = 0;
}

int fetch_body_add(job *j, const char *p, size_t len)
{
	size_t max_body = (size_t)srv_job_lim(j)->max_body;
	if (len > max_body || j->body_bytes > max_body - len) {
		j->too_big = 1;
		return -1;
	}
	if (over_budget(j->s, len)) {
		j->over_budget = 1;
		return -1;
	}
	if (evbuffer_add(j->body, p, len) != 0)
		return -1;
	j->body_bytes += len;
	j->s->fetch_bytes += len;
	return 0;
}

/* The enforcing check (dest.h) on an address libcurl dials; the first
 * refusal dooms the hop and is its blocking verdict. */
void fetch_judge(job *j, const struct sockaddr *sa, socklen_t len, sg_verdict *v)
{
	dest_judge_addr(&j->d, sa, len, v); /* on error v blocks */
	char txt[INET6_ADDRSTRLEN] = "";
	if (v->addr[0])
		dest_addrs_add(&j->d, v->addr);
	else if (sa->sa_family == AF_INET)
		dest_addrs_add(&j->d, inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		                      txt, sizeof txt) ? txt : "?");
	else if (sa->sa_family == AF_INET6)
		dest_addrs_add(&j->d, inet_ntop(AF_INET6,
		                      &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		                      txt, sizeof txt) ? txt : "?");
	if (v->action != SG_ALLOW && !j->blocked) {
		j->blocked = 1;
		j->bv = *v;
	}
}

/* ---- starting, finishing ---- */

static void release_slot(struct srv *s);

static void finish_error(job *j, int code, const char *msg)
{
	struct srv *s = j->s;
	srv_reply_error(j, code, msg);
	srv_job_free(j);
	release_slot(s);
}

/* What is left of the fetch's total_timeout_ms.  The clock's last tick
 * will do for a deadline counted in seconds (a jiffy late at most, and a
 * precise read costs twice per hop on the hot path). */
static int64_t remaining_ms(job *j)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	int64_t ms = (int64_t)(now.tv_sec - j->t0.tv_sec) * 1000 +
	             (now.tv_nsec - j->t0.tv_nsec) / 1000000;
	return srv_job_lim(j)->total_timeout_ms - ms;
}

static int started_before(const job *a, const job *b)
{
	return a->t0.tv_sec != b->t0.tv_sec ? a->t0.tv_sec < b->t0.tv_sec
	                                    : a->t0.tv_nsec < b->t0.tv_nsec;
}

/* The running list stays in the order the jobs arrived (t0), oldest first:
 * a new job goes last at once; a redirect's next hop goes back to its
 * place.  So the scan for abandoned fetches (cancel_gone) stops at the
 * first young job instead of reading them all. */
static void link_running(struct srv *s, job *j)
{
	struct sg_list *after = s->running.prev;
	while (after != &s->running && started_before(j, sg_list_entry(after, job, run_link)))
		after = after->prev;
	sg_list_insert_after(after, &j->run_link);
}

/* Off the running list, if it is there. */
static void unlink_running(job *j)
{
	sg_list_remove(&j->run_link);
}

/* End a running (resolving or transferring) job with an error. */
static void fail(job *j, int code, const char *msg)
{
	unlink_running(j);
	finish_error(j, code, msg);
}

/* Hand the hop to its client: gofetch.c for http, libcurl for https. */
static void transfer(job *j)
{
	int64_t left = remaining_ms(j);
	if (left <= 0) {
		fail(j, 504, "upstream timed out");
		return;
	}
	if (!j->body && !(j->body = evbuffer_new())) {
		fail(j, 503, "out of memory");
		return;
	}
	evbuffer_drain(j->body, evbuffer_get_length(j->body));
	body_reset(j);
	j->hdr_bytes = 0;
	j->too_big = j->hdr_too_big = j->bad_interim = j->over_budget = 0;
	if (!strcmp(j->hopv.scheme, "http")) { /* plain HTTP: our own client */
		gf_start(j);
		return;
	}
	int code;
	const char *msg;
	if (fetch_curl_start(j, left, &code, &msg) != 0)
		fail(j, code, msg);
}

/* The hop's name resolved and judged (dest.h): pin the judged set and hand
 * the hop to libcurl, or block, or fail. */
static void on_dest(dest *d, dest_outcome o, const sg_verdict *v, int code, const char *msg)
{
	job *j = d->owner;
	struct srv *s = j->s;
	if (o == DEST_FAIL) {
		fail(j, code, msg);
	} else if (o == DEST_BLOCK) {
		unlink_running(j);
		incident_block(j, v);
		release_slot(s);
	} else {
		j->pinned = 1;
		transfer(j);
	}
}

static void resolve(job *j)
{
	int64_t lim = remaining_ms(j);
	if (srv_job_lim(j)->connect_timeout_ms < lim)
		lim = srv_job_lim(j)->connect_timeout_ms;
	dest_start(&j->d, lim);
}

static void start(job *j)
{
	struct srv *s = j->s;
	s->inflight++;
	j->started = 1;
	if (remaining_ms(j) <= 0) {
		finish_error(j, 504, "upstream timed out");
		return;
	}
	link_running(s, j);
	j->d.s = s;
	j->d.pol = j->rules->policy;
	j->d.hop = &j->hopv;
	j->d.client = j->client;
	j->d.done = on_dest;
	j->d.owner = j;
	j->d.dns_ms = 0;
	j->pinned = 0;
	if (j->hopv.needs_resolve) /* literal addresses skip resolution */
		resolve(j);
	else
		transfer(j);
}

/* Take a running job off the loop: its lookup or its transfer. */
static void stop_running(job *j)
{
	unlink_running(j);
	dest_cancel(&j->d);
	gf_stop(j);
	if (j->easy) /* a handle outside the multi is left alone by libcurl */
		curl_multi_remove_handle(j->s->multi, j->easy);
}

void fetch_abandon(struct srv *s)
{
	for (struct sg_list *l; (l = sg_list_first(&s->running));) {
		job *j = sg_list_entry(l, job, run_link);
		stop_running(j);
		srv_job_free(j); /* its connection is closed with the loop's */
	}
}

static void unqueue(struct srv *s, job *j)
{
	for (job **pp = &s->q_head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			if (s->q_tail == j)
				s->q_tail = prev;
			j->next = NULL;
			s->queued--;
			return;
		}
}


/* Queued fetches started while max_concurrent leaves slots. */
static void start_queued(struct srv *s)
{
	while (s->q_head && s->inflight < (size_t)srv_lim(s)->max_concurrent) {
		job *j = s->q_head;
		s->q_head = j->next;
		if (!s->q_head)
			s->q_tail = NULL;
		j->next = NULL;
		s->queued--;
		start(j);
	}
}

static void release_slot(struct srv *s)
{
	if (s->inflight)
		s->inflight--;
	start_queued(s);
	srv_check_drained(s);
}

void fetch_adopt_limits(struct srv *s)
{
	/* libcurl's connection cache: idle upstream connections kept for reuse */
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)srv_lim(s)->max_concurrent);
	start_queued(s);
}

void fetch_submit(job *j)
{
	struct srv *s = j->s;
	if (s->inflight < (size_t)srv_lim(s)->max_concurrent) {
		start(j);
		return;
	}
	if (s->queued >= (size_t)srv_lim(s)->max_queue) {
		srv_reply_error(j, 503, "too many concurrent fetches; try again later");
		srv_job_free(j);
		return;
	}
	j->next = NULL;
	if (s->q_tail)
		s->q_tail->next = j;
	else
		s->q_head = j;
	s->q_tail = j;
	s->queued++;
}

/* Its client went away: stop the fetch, free the slot, answer 499 (to no
 * one: for the log and the metrics). */
static void fetch_cancel(job *j)
{
	struct srv *s = j->s;
	if (!j->started) {
		unqueue(s, j);
		srv_reply_error(j, 499, "the client closed the connection");
		srv_job_free(j);
		srv_check_drained(s);
		return;
	}
	stop_running(j);
	finish_error(j, 499, "the client closed the connection");
}

/* Fetches older than SRV_GONE_CHECK_MS whose client has gone: an
 * abandoned request must not hold a fetch slot until its upstream answers.
 * Both lists are oldest first: the scan ends at the first young fetch, so
 * fast fetches are never looked at and a slow one costs one
 * recv(MSG_PEEK) a tick.  The same scan ends gofetch.c's hops that passed
 * their deadlines (504), so they need no timer of their own. */
static int cancel_gone(job *j, int running, int64_t now) /* 1: j is young, the scan ends */
{
	if (srv_elapsed_ms(&j->t0) < SRV_GONE_CHECK_MS)
		return 1;
	if (!j->fc || fr_gone(j->fc)) {
		fetch_cancel(j);
	} else if (running && gf_expired(j, now)) {
		stop_running(j);
		finish_error(j, 504, "upstream timed out");
	}
	return 0;
}

static void on_gone_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)fd;
	(void)what;
	int64_t now = sg_mono_ms();
	for (job *j = s->q_head, *next; j; j = next) {
		next = j->next;
		if (cancel_gone(j, 0, now))
			break;
	}
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &s->running)
		if (cancel_gone(sg_list_entry(l, job, run_link), 1, now))
			break;
}

/* Same origin = same scheme, host and port. */
static int same_origin(CURLU *a, CURLU *b)
{
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
	for (size_t i = 0; i < 3; i++) {
		char *x = NULL, *y = NULL;
		curl_url_get(a, parts[i], &x, CURLU_DEFAULT_PORT);
		curl_url_get(b, parts[i], &y, CURLU_DEFAULT_PORT);
		int eq = x && y && !strcasecmp(x, y);
		curl_free(x);
		curl_free(y);
		if (!eq)
			return 0;
	}
	return 1;
}

/* The next hop's URL: loc (absolute, or relative to cur) resolved by
 * libcurl's URL parser as its own redirects are; userinfo dropped when the
 * origin changes.  NULL if it cannot be parsed. */
static char *next_url(const char *cur, const char *loc)
{
	CURLU *a = curl_url(), *b = NULL;
	char *out = NULL, *res = NULL;
	if (!a || curl_url_set(a, CURLUPART_URL, cur, 0) != CURLUE_OK || !(b = curl_url_dup(a)) ||
	    curl_url_set(b, CURLUPART_URL, loc, CURLU_URLENCODE | CURLU_ALLOW_SPACE) != CURLUE_OK)
		goto done;
	if (!same_origin(a, b)) {
		curl_url_set(b, CURLUPART_USER, NULL, 0);
		curl_url_set(b, CURLUPART_PASSWORD, NULL, 0);
		curl_url_set(b, CURLUPART_OPTIONS, NULL, 0);
	}
	if (curl_url_get(b, CURLUPART_URL, &out, 0) != CURLUE_OK)
		goto done;
	size_t n = strlen(out);
	res = malloc(n + 1);
	if (res)
		memcpy(res, out, n + 1);
done:
	curl_free(out);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return res;
}

/* The Content-Type passed on: printable ASCII, else a neutral type. */
static const char *content_type(const char *ct)
{
	static const char neutral[] = "application/octet-stream";
	if (!ct || !ct[0] || strlen(ct) >= 200)
		return neutral;
	for (const char *p = ct; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return neutral;
	return ct;
}

/* A redirect: the next hop, judged by its URL first. */
static void follow(job *j, const char *loc)
{
	struct srv *s = j->s;
	j->end_ms = 0; /* the answer is the next hop's */
	if (j->hop >= srv_job_lim(j)->max_redirects) {
		char msg[96];
		snprintf(msg, sizeof msg, "too many redirects (more than %lld)",
		         (long long)srv_job_lim(j)->max_redirects);
		finish_error(j, 502, msg);
		return;
	}
	char *nu = next_url(j->url, loc);
	if (!nu) {
		finish_error(j, 502, "upstream redirected to an unparsable URL");
		return;
	}
	free(j->url);
	j->url = nu;
	j->hop++;
	j->d.addrs_len = 0;
	j->d.addrs[0] = '\0';
	sg_verdict v;
	sg_check_url(j->rules->policy, nu, strlen(nu), &v);
	if (v.action == SG_BLOCK) {
		if (v.category == SG_CAT_MALFORMED) {
			finish_error(j, 502, "upstream redirected to an unparsable URL");
			return;
		}
		incident_block(j, &v);
		release_slot(s);
		return;
	}
	j->hopv = v;
	s->inflight--; /* start() takes the slot again */
	start(j);
}

/* A whole answer of this hop (the job is off the running list). */
static void answered(job *j, int code, const char *loc, const char *ctype)
{
	struct srv *s = j->s;
	if ((code == 301 || code == 302 || code == 303 || code == 307 || code == 308) && loc &&
	    *loc) {
		follow(j, loc);
		return;
	}
	if (code < 100 || code > 599) {
		finish_error(j, 502, "upstream sent no valid HTTP status");
		return;
	}
	if (code < 200) {
		finish_error(j, 502, "upstream answered with an interim (1xx) status only");
		return;
	}
	j->sandbox = 1;
	srv_reply(j, code, content_type(ctype), j->body, "allow");
	srv_job_free(j);
	release_slot(s);
}

/* A hop that ended without a usable answer (the job is off the running
 * list): what the limit flags say, else code and msg. */
static void failed(job *j, int code, const char *msg)
{
	char m[160];
	if (j->bad_interim) {
		finish_error(j, 502, "upstream switched protocols or sent an unexpected 1xx status");
	} else if (j->over_budget) {
		finish_error(j, 503, "too many answers waiting for slow clients; try again later");
	} else if (j->too_big) {
		snprintf(m, sizeof m, "upstream response larger than %lld bytes",
		         (long long)srv_job_lim(j)->max_body);
		finish_error(j, 502, m);
	} else if (j->hdr_too_big) {
		snprintf(m, sizeof m, "upstream response headers larger than %lld bytes",
		         (long long)srv_job_lim(j)->max_header_bytes);
		finish_error(j, 502, m);
	} else {
		finish_error(j, code ? code : 502, msg);
	}
}

void fetch_hop_answered(job *j, int code, const char *location, const char *ctype)
{
	unlink_running(j);
	j->end_ms = srv_elapsed_ms(&j->t0);
	metrics_fetch_time(j->s, j->end_ms / 1e3);
	answered(j, code, location, ctype);
}

void fetch_hop_failed(job *j, int code, const char *msg)
{
	unlink_running(j);
	metrics_fetch_time(j->s, srv_elapsed_ms(&j->t0) / 1e3);
	failed(j, code, msg);
}

void fetch_hop_blocked(job *j)
{
	struct srv *s = j->s;
	unlink_running(j);
	metrics_fetch_time(s, srv_elapsed_ms(&j->t0) / 1e3);
	incident_block(j, &j->bv);
	release_slot(s);
}

/* libcurl's end of a transfer. */
static void fetch_done(job *j, CURLcode rc)
{
	struct srv *s = j->s;
	metrics_fetch_time(s, srv_elapsed_ms(&j->t0) / 1e3);
	if (j->blocked) {
		incident_block(j, &j->bv);
		release_slot(s);
		return;
	}
	char msg[160];
	switch (rc) {
	case CURLE_OK: {
		long code = 0;
		char *loc = NULL, *ct = NULL;
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &loc);
		curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct);
		answered(j, (int)code, loc, ct);
		return;
	}
	case CURLE_OPERATION_TIMEDOUT:
		finish_error(j, 504, "upstream timed out");
		return;
	case CURLE_FILESIZE_EXCEEDED:
		j->too_big = 1;
		break;
	case CURLE_URL_MALFORMAT:
		/* The guard could read it, libcurl cannot: nothing was connected. */
		finish_error(j, 400, "unparsable url: libcurl cannot use this URL");
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		finish_error(j, 502, "cannot resolve the upstream host");
		return;
	case CURLE_COULDNT_CONNECT:
		finish_error(j, 502, "cannot connect to the upstream");
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
		finish_error(j, 502, "upstream TLS could not be verified");
		return;
	default:
		break;
	}
	snprintf(msg, sizeof msg, "upstream fetch failed: %s", curl_easy_strerror(rc));
	failed(j, 0, msg);
}

void fetch_check_multi(struct srv *s)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		job *j = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
		curl_multi_remove_handle(s->multi, e);
		if (j) {
			unlink_running(j);
			fetch_done(j, rc);
		}
	}
}
