/* conn.c — every client connection of the service, held within bounds.
 *
 * The front ends own their connections (front.c serve's listener, proxy.c
 * the egress proxy's) and register each here from accept to close
 * (conn_guest_add), with two callbacks: is it idle (no request in
 * progress), and close it.  What an attacker can do with connections
 * alone, and what stops it here:
 *
 *  - Descriptor exhaustion: at most `limit` connections (max_connections,
 *    by default the descriptor limit less what fetches, the store and the
 *    log need).  At the limit the listeners pause and the oldest idle
 *    connection is closed, so a new client — a health check — gets a
 *    place.  The limit is the loop's reading's (srv_lim): a reload that
 *    lowers it below the connections open closes idle ones, oldest first,
 *    at the next accept or within a second (at most CONN_EVICT_BURST at a
 *    time); busy ones finish their request first, and nothing new is
 *    accepted until the count is under the limit.
 *    accept() failing (EMFILE, ENFILE, ENOBUFS) pauses the
 *    listeners for a moment instead of spinning on a readable listener,
 *    and is logged at most once every 10 s.
 *  - Slow readers: bytes queued to clients, serve's and the proxy's, are
 *    counted (conn_out_add; with the fetches' bodies, conn_reply_held) so
 *    the fetcher can refuse new bodies when the total would exceed
 *    max_reply_bytes, and the proxy stops reading its upstreams
 *    (proxy_budget.c).
 *  - Slow-loris, pipelining, clients that leave: each front end's own
 *    deadlines and reading rules (front.h, proxy.h); conn_dropped counts
 *    the connections dropped for a deadline. */
#include "server/srv_int.h"

#include "common/list.h"

#include <errno.h>
#include <pthread.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define CONN_LISTENERS_MAX 8
#define CONN_RESERVE_FDS 64    /* store, log, resolver, signals, spare */
#define CONN_EVICT_SCAN 256    /* idle connections looked at per eviction */
#define CONN_EVICT_BURST 64    /* evictions at one look at the limit */
#define CONN_PAUSE_MS 100
#define CONN_LOG_EVERY_MS 10000

struct conn_guest {
	struct conns *c;
	struct sg_list link;            /* in the guests, oldest first */
	uint64_t seq;
	const conn_guest_ops *ops;
	void *ctx;
};

struct conns {
	struct srv *s;
	struct sg_list guests;  /* conn_guest, oldest first */
	uint64_t seq;          /* arrival order */
	size_t count;          /* connections open */
	size_t out_bytes;      /* queued to clients, not yet written */
	struct event *sweep, *resume;
	struct evconnlistener *ls[CONN_LISTENERS_MAX];
	size_t nls;
	int paused;
	int64_t last_log_ms;
	uint64_t dropped, evicted, pauses, pauses_unlogged;
};

/* max_connections in effect on this loop (its newest reading's). */
static size_t limit_of(const struct conns *c)
{
	return (size_t)srv_lim(c->s)->max_connections;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- listeners: pause and resume ---- */

static void listeners_enable(struct conns *c, int on)
{
	if (c->paused == !on)
		return;
	c->paused = !on;
	for (size_t i = 0; i < c->nls; i++)
		if (on)
			evconnlistener_enable(c->ls[i]);
		else
			evconnlistener_disable(c->ls[i]);
}

static void arm_resume(struct conns *c)
{
	struct timeval tv = {0, CONN_PAUSE_MS * 1000};
	if (!evtimer_pending(c->resume, NULL))
		evtimer_add(c->resume, &tv);
}

static struct conn_guest *oldest_idle_guest(struct conns *c)
{
	size_t seen = 0;
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &c->guests) {
		struct conn_guest *g = sg_list_entry(l, struct conn_guest, link);
		if (seen++ == CONN_EVICT_SCAN)
			break;
		if (g->ops->idle(g->ctx))
			return g;
	}
	return NULL;
}

/* Close the oldest idle connection. */
static int evict_idle(struct conns *c)
{
	struct conn_guest *g = oldest_idle_guest(c);
	if (!g)
		return 0;
	c->evicted++;
	g->ops->close(g->ctx); /* calls conn_guest_remove */
	return 1;
}

static void log_pause(struct conns *c, const char *why, int err)
{
	int64_t now = mono_ms();
	c->pauses++;
	if (c->last_log_ms && now - c->last_log_ms < CONN_LOG_EVERY_MS) {
		c->pauses_unlogged++;
		return;
	}
	char line[320];
	int n = snprintf(line, sizeof line, "{\"event\":\"accept_paused\",\"reason\":\"%s\","
	                 "\"error\":\"%s\",\"connections\":%zu,\"limit\":%zu,"
	                 "\"pauses_not_logged\":%llu}\n", why, err ? strerror(err) : "",
	                 c->count, limit_of(c), (unsigned long long)c->pauses_unlogged);
	c->pauses_unlogged = 0;
	c->last_log_ms = now;
	if (n > 0)
		log_line(c->s, "warning", line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* libevent hands an error callback the listener's own user data (the
 * front end's), so the listener finds its conns here. */
static struct {
	pthread_mutex_t mu;
	struct evconnlistener *l[CONN_LISTENERS_MAX * 4];
	struct conns *c[CONN_LISTENERS_MAX * 4];
} owners = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int owner_set(struct evconnlistener *l, struct conns *c)
{
	int ok = 0;
	pthread_mutex_lock(&owners.mu);
	for (size_t i = 0; i < CONN_LISTENERS_MAX * 4 && !ok; i++)
		if (owners.l[i] == (c ? NULL : l)) {
			owners.l[i] = c ? l : NULL;
			owners.c[i] = c;
			ok = 1;
		}
	pthread_mutex_unlock(&owners.mu);
	return ok;
}

static struct conns *owner_of(struct evconnlistener *l)
{
	struct conns *c = NULL;
	pthread_mutex_lock(&owners.mu);
	for (size_t i = 0; i < CONN_LISTENERS_MAX * 4 && !c; i++)
		if (owners.l[i] == l)
			c = owners.c[i];
	pthread_mutex_unlock(&owners.mu);
	return c;
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int err = errno;
	struct conns *c = owner_of(l);
	(void)arg;
	if (!c) { /* cannot happen: registered first; never spin anyway */
		evconnlistener_disable(l);
		return;
	}
	listeners_enable(c, 0);
	for (int i = 0; i < 8 && evict_idle(c); i++)
		;
	log_pause(c, "accept_failed", err);
	arm_resume(c);
}

/* At the limit: make room by shutting the oldest idle connections; pause
 * accepting only when none is idle (see the top of the file). */
static void check_limit(struct conns *c)
{
	size_t limit = limit_of(c);
	for (int i = 0; c->count >= limit && i < CONN_EVICT_BURST && evict_idle(c); i++)
		;
	if (c->count < limit) {
		listeners_enable(c, 1);
		return;
	}
	if (!c->paused)
		log_pause(c, "max_connections", 0);
	listeners_enable(c, 0);
	arm_resume(c);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct conns *c = arg;
	(void)fd;
	(void)what;
	check_limit(c);
}

/* Every second: the newest reading taken (an idle loop too) and its limits
 * applied, the connection limit looked at, the gauges published. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	(void)fd;
	(void)what;
	rules_current(s);
	fetch_adopt_limits(s);
	check_limit(s->conns);
	metrics_publish(s);
	srv_check_drained(s);
}

/* The connection limit: max_connections, within what the descriptor limit
 * leaves after the fetches (a socket each, and as many cached), the store,
 * the log and the resolver. */
size_t conn_limit_for(const srvcfg_limits *l, size_t nloops)
{
	struct rlimit rl;
	size_t fds = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fds = (size_t)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		fds = (size_t)1 << 20;
	/* max_concurrent is this loop's share: every loop reserves as much */
	size_t reserve = nloops * 2 * (size_t)l->max_concurrent + CONN_RESERVE_FDS;
	size_t room = (fds > reserve + 16 * nloops ? fds - reserve : 16 * nloops) / nloops;
	if (l->max_connections > 0 && (size_t)l->max_connections < room)
		return (size_t)l->max_connections;
	return room;
}

sg_err conn_init(struct srv *s)
{
	struct conns *c = calloc(1, sizeof *c);
	if (!c)
		return SG_ERR_NOMEM;
	sg_list_init(&c->guests);
	s->conns = c;
	c->s = s;
	c->sweep = event_new(s->base, -1, EV_PERSIST, on_sweep, s);
	c->resume = evtimer_new(s->base, on_resume, c);
	struct timeval tv = {1, 0};
	if (!c->sweep || !c->resume || event_add(c->sweep, &tv) != 0)
		return SG_ERR_NOMEM;
	return SG_OK;
}

sg_err conn_add_listener(struct srv *s, struct evconnlistener *l)
{
	struct conns *c = s->conns;
	if (!l || c->nls >= CONN_LISTENERS_MAX || !owner_set(l, c))
		return SG_ERR_RANGE;
	evconnlistener_set_error_cb(l, on_accept_error);
	c->ls[c->nls++] = l;
	if (c->paused)
		evconnlistener_disable(l);
	return SG_OK;
}

void conn_remove_listener(struct srv *s, struct evconnlistener *l)
{
	struct conns *c = s->conns;
	for (size_t i = 0; c && i < c->nls; i++)
		if (c->ls[i] == l) {
			owner_set(l, NULL);
			evconnlistener_set_error_cb(l, NULL);
			c->ls[i] = c->ls[--c->nls];
			return;
		}
}

/* After the front ends closed their connections and listeners. */
void conn_cleanup(struct srv *s)
{
	struct conns *c = s->conns;
	if (!c)
		return;
	while (c->nls) /* listeners their front ends already closed */
		owner_set(c->ls[--c->nls], NULL);
	if (c->sweep)
		event_free(c->sweep);
	if (c->resume)
		event_free(c->resume);
	free(c);
	s->conns = NULL;
}

/* ---- another front end's connections ---- */

conn_guest *conn_guest_add(struct srv *s, const conn_guest_ops *ops, void *ctx)
{
	struct conns *c = s->conns;
	conn_guest *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->c = c;
	g->ops = ops;
	g->ctx = ctx;
	g->seq = c->seq++;
	c->count++;
	rules_current(s); /* a new connection: under the newest limits */
	check_limit(c); /* may evict an older one, never this one: not listed yet */
	sg_list_insert_tail(&c->guests, &g->link);
	return g;
}

void conn_guest_remove(conn_guest *g)
{
	if (!g)
		return;
	struct conns *c = g->c;
	sg_list_remove(&g->link);
	c->count--;
	free(g);
	if (c->paused && c->count < limit_of(c))
		listeners_enable(c, 1); /* room again; never evicts from here */
}

void conn_stats(const struct srv *s, conn_stats_t *out)
{
	const struct conns *c = s->conns;
	memset(out, 0, sizeof *out);
	if (!c)
		return;
	out->open = c->count;
	out->limit = limit_of(c);
	out->replying = fr_replying(s);
	out->out_bytes = c->out_bytes;
	out->dropped = c->dropped;
	out->evicted = c->evicted;
	out->accept_pauses = c->pauses;
	out->paused = c->paused;
}

void conn_out_add(struct srv *s, size_t added, size_t removed)
{
	struct conns *c = s->conns;
	if (!c)
		return;
	c->out_bytes += added;
	c->out_bytes -= removed < c->out_bytes ? removed : c->out_bytes;
}

void conn_dropped(struct srv *s)
{
	if (s->conns)
		s->conns->dropped++;
}

size_t conn_out_bytes(const struct srv *s)
{
	return s->conns ? s->conns->out_bytes : 0;
}

size_t conn_reply_held(const struct srv *s)
{
	return s->fetch_bytes + conn_out_bytes(s);
}
