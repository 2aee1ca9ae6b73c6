/* dest.c — one destination resolved once and judged on the loop, for /go
 * and the egress proxy.  See dest.h. */
#include "server/dest.h"
#include "server/dnsmsg.h"
#include "server/srv_int.h"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void finish(dest *d, dest_outcome o, const sg_verdict *v, int code, const char *msg)
{
	if (d->ev)
		event_del(d->ev);
	d->done(d, o, v, code, msg); /* may free d's owner */
}

static void fail(dest *d, int code, const char *msg)
{
	finish(d, DEST_FAIL, NULL, code, msg);
}

/* ---- the evidence ---- */

void dest_addrs_add(dest *d, const char *addr)
{
	char q[SG_ADDR_MAX + 8];
	size_t an = strnlen(addr, SG_ADDR_MAX);
	if (d->addrs_len == 0) {
		memcpy(d->addrs, "[]", 3);
		d->addrs_len = 1;
	}
	/* q: ,"addr" — its tail "addr" is what a listed address looks like */
	q[0] = ',';
	q[1] = '"';
	memcpy(q + 2, addr, an);
	q[an + 2] = '"';
	q[an + 3] = '\0';
	if (strstr(d->addrs, q + 1))
		return; /* already listed */
	const char *add = d->addrs_len > 1 ? q : q + 1;
	size_t n = an + (d->addrs_len > 1 ? 3 : 2);
	if (d->addrs_len + n + 2 < sizeof d->addrs) {
		memcpy(d->addrs + d->addrs_len, add, n);
		d->addrs_len += n;
		memcpy(d->addrs + d->addrs_len, "]", 2);
	}
}

static void add_sa(dest *d, const struct sockaddr *sa)
{
	char t[INET6_ADDRSTRLEN];
	const void *src = sa->sa_family == AF_INET
	                  ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
	                  : (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	dest_addrs_add(d, inet_ntop(sa->sa_family, src, t, sizeof t) ? t : "?");
}

/* ---- the judges ---- */

void dest_judge_addr(const dest *d, const struct sockaddr *sa, socklen_t len, sg_verdict *v)
{
	sg_check_addr(d->pol, sa, len, d->hop->needs_resolve ? d->hop->host : NULL, v);
	if (v->action == SG_ALLOW && self_is_own(d->s, sa, len)) {
		v->action = SG_BLOCK;
		v->category = SG_CAT_DENIED;
		snprintf(v->rule, sizeof v->rule, "self:listener");
		snprintf(v->reason, sizeof v->reason, "the destination is this service's own listener");
	}
	if (v->action != SG_ALLOW && !v->host[0])
		memcpy(v->host, d->hop->host, sizeof v->host);
}

/* Stage 3: every answer judged at once; the judged set is cached (fresh
 * answers only) and handed over. */
static void judge_answers(dest *d, const struct sockaddr *const *v, size_t n,
                          const pin_set *set, int fresh)
{
	struct srv *s = d->s;
	sg_verdict out;
	sg_check_resolved(d->pol, d->hop, v, n, &out); /* on error out blocks */
	if (out.action != SG_ALLOW && out.addr[0]) /* first: kept however long the answer */
		dest_addrs_add(d, out.addr);
	for (size_t i = 0; i < n; i++)
		add_sa(d, v[i]);
	if (out.action != SG_ALLOW && out.category == SG_CAT_UNRESOLVED) {
		fail(d, 502, "cannot resolve the upstream host: no usable address");
		return;
	}
	if (out.action != SG_ALLOW) {
		if (!out.host[0])
			memcpy(out.host, d->hop->host, sizeof out.host);
		if (d->look_records > SRV_EVDNS_CAP) { /* the evidence says the answer was cut */
			size_t rl = strlen(out.reason);
			snprintf(out.reason + rl, sizeof out.reason - rl, " (in a DNS answer of %zu "
			         "records; the resolver kept %d, all were read and judged)",
			         d->look_records, SRV_EVDNS_CAP);
		}
		finish(d, DEST_BLOCK, &out, 0, NULL);
		return;
	}
	int64_t cache_s = srv_lim(s)->dns_cache_s;
	if (fresh && cache_s > 0) {
		int64_t ttl = cache_s < SRV_DNS_TTL_CAP_S ? cache_s : SRV_DNS_TTL_CAP_S;
		pthread_mutex_lock(&s->primary->dcache_mu);
		dnsc_put(s->dcache, d->hop->host, set, now_ms() + ttl * 1000);
		pthread_mutex_unlock(&s->primary->dcache_mu);
	}
	d->judged = *set;
	finish(d, DEST_OK, NULL, 0, NULL);
}

/* Judge the resolver's answers and every record the own looks found (the
 * set to dial comes from the resolver's; all are judged). */
static void judge_all(dest *d)
{
	struct evutil_addrinfo *res = d->look_res;
	struct sockaddr_storage *extra = d->look_extra;
	size_t nextra = d->look_nextra, n = nextra;
	d->look_res = NULL;
	d->look_extra = NULL;
	d->look_nextra = 0;
	for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next)
		n++;
	const struct sockaddr *small[64] = {0};
	const struct sockaddr **v = n <= 64 ? small : calloc(n, sizeof *v);
	pin_set set;
	set.n = 0;
	if (!v) {
		evutil_freeaddrinfo(res);
		free(extra);
		fail(d, 503, "out of memory");
		return;
	}
	size_t k = 0;
	for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (!ai->ai_addr || (ai->ai_family != AF_INET && ai->ai_family != AF_INET6))
			continue;
		if (pin_set_add(&set, ai->ai_addr, (socklen_t)ai->ai_addrlen) == 1)
			continue; /* the same address twice */
		v[k++] = ai->ai_addr; /* judged even when the set is full */
	}
	for (size_t i = 0; i < nextra; i++)
		v[k++] = (const struct sockaddr *)&extra[i];
	judge_answers(d, (const struct sockaddr *const *)v, k, &set, 1); /* may free d */
	if (v != small)
		free(v);
	free(extra);
	evutil_freeaddrinfo(res);
}

/* ---- answers at the resolver's cap (see dnsmsg.h, dnslook.c) ---- */

static size_t family_count(const struct evutil_addrinfo *res, int family)
{
	size_t n = 0;
	for (; res; res = res->ai_next)
		n += res->ai_family == family;
	return n;
}

static void log_cut(dest *d, size_t records, int judged)
{
	char line[600];
	const char *client = d->client ? d->client : "";
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"dns_cut\",\"host\":");
	tb_json(&b, d->hop->host, strlen(d->hop->host), 256);
	tb_fmt(&b, ",\"type\":\"%s\",\"resolver_kept\":%d,\"answer_records\":%zu,"
	       "\"judged\":%s,\"client\":", d->look_qtype == DNSMSG_TYPE_A ? "A" : "AAAA",
	       SRV_EVDNS_CAP, records, judged ? "true" : "false");
	tb_json(&b, client, strlen(client), 64);
	tb_str(&b, "}\n");
	log_line(d->s, "warning", b.p, b.len);
	SRV_COUNT(d->s->m.dns_cut, 1);
}

static void look_failed(dest *d)
{
	log_cut(d, 0, 0);
	evutil_freeaddrinfo(d->look_res);
	d->look_res = NULL;
	fail(d, 502, "the DNS answer reached the resolver's limit and the whole answer could "
	             "not be read to judge every record");
}

/* The next family whose answer came back at the resolver's cap, or judge. */
static void look_next(dest *d)
{
	if (!d->look_todo) {
		judge_all(d);
		return;
	}
	d->look_qtype = (d->look_todo & 1) ? DNSMSG_TYPE_A : DNSMSG_TYPE_AAAA;
	d->look_todo &= (d->look_todo & 1) ? ~1 : ~2;
	int64_t lim = d->deadline_ms - now_ms();
	if (lim < 1 || dnslook_start(d, d->hop->host, d->look_qtype, lim) != SG_OK)
		look_failed(d);
}

void dest_look_done(dest *d, const dnsmsg_reply *r, sg_err e)
{
	if (e != SG_OK || !r || r->truncated || r->rcode || r->n < r->count) {
		look_failed(d);
		return;
	}
	if (r->count > SRV_EVDNS_CAP)
		log_cut(d, r->count, 1);
	if (r->count > d->look_records)
		d->look_records = r->count;
	struct sockaddr_storage *x = realloc(d->look_extra, (d->look_nextra + r->n + 1) *
	                                                    sizeof *x);
	if (!x) {
		look_failed(d);
		return;
	}
	d->look_extra = x;
	for (size_t i = 0; i < r->n; i++) {
		struct sockaddr_storage *ss = &x[d->look_nextra++];
		memset(ss, 0, sizeof *ss);
		if (d->look_qtype == DNSMSG_TYPE_A) {
			struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, r->addr[i], 4);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, r->addr[i], 16);
		}
	}
	look_next(d);
}

/* ---- resolving on the loop ---- */

/* An evdns lookup in flight.  Its dest may stop waiting first (deadline,
 * cancel): then d is NULL and the callback only cleans up. */
struct dnsq {
	dest *d;
	struct evdns_getaddrinfo_request *req;
	int64_t t0;
};

static void on_dns(int err, struct evutil_addrinfo *res, void *arg)
{
	struct dnsq *q = arg;
	dest *d = q->d;
	int64_t t0 = q->t0;
	free(q);
	if (!d) {
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	/* Maybe called from inside evdns_getaddrinfo (the hosts file): finish
	 * on the loop, never under the caller's feet. */
	d->dq = NULL;
	d->dns_done = 1;
	d->dns_err = err;
	d->dns_res = res;
	d->dns_ms = now_ms() - t0;
	event_del(d->ev);
	event_active(d->ev, EV_READ, 0);
}

static void dns_detach(dest *d)
{
	if (d->dq) {
		struct dnsq *q = d->dq;
		d->dq = NULL;
		q->d = NULL;
		if (q->req)
			evdns_getaddrinfo_cancel(q->req); /* the callback frees q */
	}
	if (d->dns_res)
		evutil_freeaddrinfo(d->dns_res);
	d->dns_res = NULL;
	d->dns_done = 0;
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	dest *d = arg;
	(void)fd;
	(void)what;
	if (!d->dns_done) { /* the deadline */
		dest_cancel(d);
		fail(d, 504, "resolving the upstream host timed out");
		return;
	}
	struct evutil_addrinfo *res = d->dns_res;
	d->dns_res = NULL;
	d->dns_done = 0;
	if (d->dns_err || !res) {
		if (res)
			evutil_freeaddrinfo(res);
		fail(d, 502, "cannot resolve the upstream host");
		return;
	}
	d->look_res = res;
	d->look_todo = (family_count(res, AF_INET) >= SRV_EVDNS_CAP ? 1 : 0) |
	               (family_count(res, AF_INET6) >= SRV_EVDNS_CAP ? 2 : 0);
	look_next(d);
}

static void resolve(dest *d, int64_t timeout_ms)
{
	struct srv *s = d->s;
	if (!d->ev && !(d->ev = event_new(s->base, -1, 0, on_event, d))) {
		fail(d, 503, "out of memory");
		return;
	}
	struct dnsq *q = calloc(1, sizeof *q);
	if (!q) {
		fail(d, 503, "out of memory");
		return;
	}
	if (timeout_ms < 1)
		timeout_ms = 1;
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000)};
	event_add(d->ev, &tv);
	d->dns_done = 0;
	q->d = d;
	q->t0 = now_ms();
	d->deadline_ms = q->t0 + timeout_ms;
	d->dq = q;
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC; /* A and AAAA */
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	struct evdns_getaddrinfo_request *r =
		evdns_getaddrinfo(s->dns, d->hop->host, NULL, &hints, on_dns, q);
	if (r && d->dq == q)
		q->req = r;
}

/* A literal address: itself, judged at the connect. */
static void literal(dest *d)
{
	pin_sa a;
	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, d->hop->addr, &a.in4.sin_addr) == 1)
		a.in4.sin_family = AF_INET;
	else if (inet_pton(AF_INET6, d->hop->addr, &a.in6.sin6_addr) == 1)
		a.in6.sin6_family = AF_INET6;
	if (!a.sa.sa_family ||
	    pin_set_add(&d->judged, &a.sa, a.sa.sa_family == AF_INET ? sizeof a.in4
	                                                             : sizeof a.in6) < 0) {
		fail(d, 502, "the judged address is unusable");
		return;
	}
	add_sa(d, &a.sa);
	finish(d, DEST_OK, NULL, 0, NULL);
}

void dest_start(dest *d, int64_t timeout_ms)
{
	struct srv *s = d->s;
	d->judged.n = 0;
	d->addrs_len = 0;
	d->addrs[0] = '\0';
	d->dns_ms = 0;
	d->look_records = 0;
	if (!d->hop->needs_resolve) {
		literal(d);
		return;
	}
	pin_set set;
	int cached = 0;
	if (srv_lim(s)->dns_cache_s > 0) {
		pthread_mutex_lock(&s->primary->dcache_mu);
		cached = dnsc_get(s->dcache, d->hop->host, now_ms(), &set);
		pthread_mutex_unlock(&s->primary->dcache_mu);
	}
	if (!cached) {
		resolve(d, timeout_ms);
		return;
	}
	const struct sockaddr *v[PIN_ADDRS];
	for (size_t i = 0; i < set.n; i++)
		v[i] = &set.a[i].sa;
	judge_answers(d, v, set.n, &set, 0);
}

void dest_cancel(dest *d)
{
	dnslook_cancel(d);
	dns_detach(d);
	if (d->look_res)
		evutil_freeaddrinfo(d->look_res);
	d->look_res = NULL;
	free(d->look_extra);
	d->look_extra = NULL;
	d->look_nextra = 0;
	d->look_todo = 0;
	if (d->ev)
		event_del(d->ev);
}

void dest_free(dest *d)
{
	dest_cancel(d);
	if (d->ev)
		event_free(d->ev);
	d->ev = NULL;
}
