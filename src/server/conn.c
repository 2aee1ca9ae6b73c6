/* conn.c — every client connection of the service, held within bounds.
 *
 * What an attacker can do with connections alone, and what stops it here:
 *
 *  - Slow-loris: evhttp 2.1 only has an idle timeout, which a client
 *    trickling one byte at a time resets forever.  Every connection must
 *    deliver a whole request head within client_timeout_s of connecting (or
 *    of its previous answer); otherwise its socket is shut down and evhttp
 *    drops it.
 *  - Descriptor exhaustion: at most `limit` connections (max_connections,
 *    by default the descriptor limit less what fetches, the store and the
 *    log need).  At the limit the listeners pause and the oldest idle
 *    connection (no request in progress) is shut down, so a new client —
 *    a health check — gets a place.  accept() failing (EMFILE, ENFILE,
 *    ENOBUFS) pauses the listeners for a moment instead of spinning on a
 *    readable listener, and is logged at most once every 10 s.
 *  - Pipelining: a client's unread input is bounded by a read high-water
 *    mark (one request head and body); past it the connection is not read
 *    until evhttp has consumed what it holds.
 *  - Slow readers: bytes queued to clients are counted (conn_out_bytes) so
 *    the fetcher can refuse new bodies when the total would exceed
 *    max_reply_bytes.
 *  - A client that goes away while its fetch runs: conn_gone tells (EOF or
 *    an error on its socket), fetch.c looks and cancels the fetch.
 *  - Another front end's connections (the proxy's, conn_guest_add) count
 *    against the same limit; the oldest idle connection of either kind is
 *    the one evicted, the guest's own callbacks say whether it is idle and
 *    close it.
 *
 * How it tracks connections without evhttp's help: evhttp asks us to make
 * each connection's bufferevent (evhttp_set_bevcb); we take a reference on
 * it, so its descriptor stays open — and cannot be reused by another
 * connection — until we let go.  A callback on its input buffer learns the
 * descriptor (index by fd); the request callback marks it busy, the end of
 * the answer re-arms the deadline.  A sweep each second (and at the limit,
 * every 100 ms) shuts down the late ones and releases those evhttp has
 * freed (its event callback is gone). */
#include "server/srv_int.h"

#include <errno.h>
#include <pthread.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define CONN_LISTENERS_MAX 8
#define CONN_RESERVE_FDS 64    /* store, log, resolver, signals, spare */
#define CONN_EVICT_SCAN 256    /* idle connections looked at per eviction */
#define CONN_PAUSE_MS 100
#define CONN_LOG_EVERY_MS 10000

struct conns;
typedef struct conn_ent {
	struct conns *c;
	struct bufferevent *bev;
	struct conn_ent *prev, *next;   /* oldest first */
	uint64_t seq;          /* arrival order (struct conns) */
	int64_t deadline_ms;
	int fd;                /* -1 until the first bytes arrive */
	int busy;              /* a request is being answered */
	int replying;          /* its answer is being written */
	int shut;              /* shut down by us, not yet released */
} conn_ent;

struct conn_guest {
	struct conns *c;
	struct conn_guest *prev, *next; /* oldest first */
	uint64_t seq;
	const conn_guest_ops *ops;
	void *ctx;
};

struct conns {
	struct srv *s;
	conn_ent *head, *tail;
	struct conn_guest *ghead, *gtail;
	size_t guests;         /* counted in `count` too */
	uint64_t seq;          /* arrival order over both kinds */
	conn_ent **byfd;
	size_t cap;
	size_t count;          /* descriptors held, until released */
	size_t shut;           /* of which shut down, soon freed by evhttp */
	size_t limit;
	size_t replying;
	size_t out_bytes;      /* queued to clients, not yet written */
	struct event *sweep, *resume;
	struct evconnlistener *ls[CONN_LISTENERS_MAX];
	size_t nls;
	int paused;
	int64_t limit_ms;
	int64_t last_log_ms;
	uint64_t dropped, evicted, pauses, pauses_unlogged;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void index_fd(struct conns *c, conn_ent *e, int fd)
{
	if (fd < 0)
		return;
	if ((size_t)fd >= c->cap) {
		size_t ncap = c->cap ? c->cap : 1024;
		while (ncap <= (size_t)fd)
			ncap *= 2;
		conn_ent **p = realloc(c->byfd, ncap * sizeof *p);
		if (!p)
			return; /* untracked for dispatch; the sweep still handles it */
		memset(p + c->cap, 0, (ncap - c->cap) * sizeof *p);
		c->byfd = p;
		c->cap = ncap;
	}
	c->byfd[fd] = e;
	e->fd = fd;
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	conn_ent *e = arg;
	(void)buf;
	(void)info;
	if (e->fd < 0) /* the first bytes: the descriptor is set by now */
		index_fd(e->c, e, bufferevent_getfd(e->bev));
}

static void on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	conn_ent *e = arg;
	(void)buf;
	e->c->out_bytes += info->n_added;
	e->c->out_bytes -= info->n_deleted < e->c->out_bytes ? info->n_deleted : e->c->out_bytes;
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

/* evhttp sees EOF and frees the connection; we release it after. */
static void shut_down(struct conns *c, conn_ent *e, int fd)
{
	shutdown(fd, SHUT_RDWR);
	e->shut = 1;
	c->shut++;
}

static struct conn_guest *oldest_idle_guest(struct conns *c)
{
	size_t seen = 0;
	for (struct conn_guest *g = c->ghead; g && seen < CONN_EVICT_SCAN; g = g->next, seen++)
		if (g->ops->idle(g->ctx))
			return g;
	return NULL;
}

/* Shut down the oldest idle connection, of evhttp's or a guest's. */
static int evict_idle(struct conns *c)
{
	size_t seen = 0;
	struct conn_guest *g = c->ghead ? oldest_idle_guest(c) : NULL;
	for (conn_ent *e = c->head; e && seen < CONN_EVICT_SCAN; e = e->next, seen++) {
		if (g && g->seq < e->seq)
			break; /* the guest is older */
		int fd = bufferevent_getfd(e->bev);
		if (e->busy || e->replying || e->shut || fd < 0)
			continue;
		bufferevent_event_cb ecb = NULL;
		bufferevent_getcb(e->bev, NULL, NULL, &ecb, NULL);
		if (!ecb)
			continue; /* already freed by evhttp: released by the next sweep */
		shut_down(c, e, fd);
		c->evicted++;
		return 1;
	}
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
	                 c->count, c->limit, (unsigned long long)c->pauses_unlogged);
	c->pauses_unlogged = 0;
	c->last_log_ms = now;
	if (n > 0)
		log_line(c->s, "warning", line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* libevent hands an error callback the listener's own user data (evhttp's
 * for evhttp's listeners), so the listener finds its conns here. */
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

/* ---- connections ---- */

static void entry_unlink(struct conns *c, conn_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
}

/* Let go of a connection evhttp freed (or all of them at cleanup). */
static void release(struct conns *c, conn_ent *e)
{
	if (e->fd >= 0 && (size_t)e->fd < c->cap && c->byfd[e->fd] == e)
		c->byfd[e->fd] = NULL;
	entry_unlink(c, e);
	if (e->replying && c->replying)
		c->replying--;
	if (e->shut && c->shut)
		c->shut--;
	struct evbuffer *out = bufferevent_get_output(e->bev);
	size_t left = evbuffer_get_length(out);
	c->out_bytes -= left < c->out_bytes ? left : c->out_bytes;
	evbuffer_remove_cb(bufferevent_get_input(e->bev), on_input, e);
	evbuffer_remove_cb(out, on_output, e);
	bufferevent_decref(e->bev); /* closes the descriptor */
	c->count--;
	free(e);
}

static int freed_by_evhttp(conn_ent *e)
{
	bufferevent_event_cb ecb = NULL;
	bufferevent_getcb(e->bev, NULL, NULL, &ecb, NULL);
	return !ecb;
}

static void release_freed(struct conns *c)
{
	for (conn_ent *e = c->head, *n; e; e = n) {
		n = e->next;
		if (freed_by_evhttp(e))
			release(c, e);
	}
}

/* Connections that count against the limit: shut ones are on their way
 * out (evhttp frees them on its next read). */
static size_t live(const struct conns *c)
{
	return c->count - c->shut;
}

/* At the limit: make room by shutting the oldest idle connection; pause
 * accepting only when none is idle (see the top of the file). */
static void check_limit(struct conns *c)
{
	if (live(c) < c->limit) {
		listeners_enable(c, 1);
		return;
	}
	if (c->shut >= 64)
		release_freed(c); /* amortised: one walk per 64 evictions */
	if (live(c) < c->limit || evict_idle(c)) {
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
	release_freed(c);
	check_limit(c);
}

static struct bufferevent *on_new_conn(struct event_base *base, void *arg)
{
	struct srv *s = arg;
	struct conns *c = s->conns;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	conn_ent *e = bev ? calloc(1, sizeof *e) : NULL;
	if (!e)
		return bev; /* untracked: still served, only without a head deadline */
	e->c = c;
	e->bev = bev;
	e->seq = c->seq++;
	e->fd = -1;
	e->deadline_ms = mono_ms() + c->limit_ms;
	bufferevent_incref(bev);
	/* one request head and its (small) body; pipelined requests wait */
	bufferevent_setwatermark(bev, EV_READ, 0,
	                         (size_t)s->cfg->max_request_bytes + SRV_REQUEST_BODY_MAX + 1024);
	evbuffer_add_cb(bufferevent_get_input(bev), on_input, e);
	evbuffer_add_cb(bufferevent_get_output(bev), on_output, e);
	/* counted, but listed only after the check: until evhttp sets its
	 * callbacks (after we return) it would look freed */
	c->count++;
	check_limit(c);
	e->prev = c->tail;
	if (c->tail)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
	return bev;
}

static conn_ent *find(struct srv *s, struct evhttp_request *req)
{
	struct conns *c = s->conns;
	struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;
	if (fd < 0 || !c)
		return NULL;
	if ((size_t)fd < c->cap && c->byfd[fd] && c->byfd[fd]->bev == bev)
		return c->byfd[fd];
	for (conn_ent *e = c->tail; e; e = e->prev) /* not indexed yet: a new one */
		if (e->bev == bev) {
			index_fd(c, e, fd);
			return e;
		}
	return NULL;
}

void conn_dispatched(struct srv *s, struct evhttp_request *req)
{
	conn_ent *e = find(s, req);
	if (e)
		e->busy = 1;
}

int conn_replying(struct srv *s, struct evhttp_request *req)
{
	conn_ent *e = find(s, req);
	if (!e)
		return 0;
	if (!e->replying) {
		e->replying = 1;
		s->conns->replying++;
	}
	return 1;
}

void conn_answered(struct srv *s, struct evhttp_request *req)
{
	conn_ent *e = find(s, req);
	if (e) {
		e->busy = 0;
		if (e->replying && s->conns->replying)
			s->conns->replying--;
		e->replying = 0;
		e->deadline_ms = mono_ms() + s->conns->limit_ms;
	}
}

int conn_gone(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = req ? evhttp_request_get_connection(req) : NULL;
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;
	char b;
	if (fd < 0)
		return 1;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct conns *c = s->conns;
	int64_t now = mono_ms();
	(void)fd;
	(void)what;
	for (conn_ent *e = c->head, *n; e; e = n) {
		n = e->next;
		int bfd = bufferevent_getfd(e->bev);
		if (e->fd < 0 && bfd >= 0)
			index_fd(c, e, bfd);
		if (freed_by_evhttp(e)) {
			release(c, e);
			continue;
		}
		if (!e->busy && !e->shut && now > e->deadline_ms && bfd >= 0) {
			/* too slow to send a request head */
			shut_down(c, e, bfd);
			c->dropped++;
		}
	}
	check_limit(c);
	metrics_publish(s);
	srv_check_drained(s);
}

/* The connection limit: max_connections, within what the descriptor limit
 * leaves after the fetches (a socket each, and as many cached), the store,
 * the log and the resolver. */
static size_t connection_limit(const srvcfg *cfg, size_t nloops)
{
	struct rlimit rl;
	size_t fds = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		fds = (size_t)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		fds = (size_t)1 << 20;
	/* max_concurrent is this loop's share: every loop reserves as much */
	size_t reserve = nloops * 2 * (size_t)cfg->max_concurrent + CONN_RESERVE_FDS;
	size_t room = (fds > reserve + 16 * nloops ? fds - reserve : 16 * nloops) / nloops;
	if (cfg->max_connections > 0 && (size_t)cfg->max_connections < room)
		return (size_t)cfg->max_connections;
	return room;
}

sg_err conn_init(struct srv *s)
{
	struct conns *c = calloc(1, sizeof *c);
	if (!c)
		return SG_ERR_NOMEM;
	s->conns = c;
	c->s = s;
	c->limit_ms = s->cfg->client_timeout_s * 1000;
	c->limit = connection_limit(s->cfg, s->nloops ? s->nloops : 1);
	c->sweep = event_new(s->base, -1, EV_PERSIST, on_sweep, s);
	c->resume = evtimer_new(s->base, on_resume, c);
	struct timeval tv = {1, 0};
	if (!c->sweep || !c->resume || event_add(c->sweep, &tv) != 0)
		return SG_ERR_NOMEM;
	evhttp_set_bevcb(s->http, on_new_conn, s);
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

/* After evhttp_free: every connection is gone; drop our references. */
void conn_cleanup(struct srv *s)
{
	struct conns *c = s->conns;
	if (!c)
		return;
	while (c->head)
		release(c, c->head);
	while (c->nls) /* listeners evhttp_free already closed */
		owner_set(c->ls[--c->nls], NULL);
	if (c->sweep)
		event_free(c->sweep);
	if (c->resume)
		event_free(c->resume);
	free(c->byfd);
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
	c->guests++;
	check_limit(c); /* may evict an older one, never this one: not listed yet */
	g->prev = c->gtail;
	if (c->gtail)
		c->gtail->next = g;
	else
		c->ghead = g;
	c->gtail = g;
	return g;
}

void conn_guest_remove(conn_guest *g)
{
	if (!g)
		return;
	struct conns *c = g->c;
	if (g->prev)
		g->prev->next = g->next;
	else
		c->ghead = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		c->gtail = g->prev;
	c->count--;
	c->guests--;
	free(g);
	if (c->paused && live(c) < c->limit)
		listeners_enable(c, 1); /* room again; never evicts from here */
}

void conn_stats(const struct srv *s, conn_stats_t *out)
{
	const struct conns *c = s->conns;
	memset(out, 0, sizeof *out);
	if (!c)
		return;
	out->open = c->count;
	out->limit = c->limit;
	out->replying = c->replying;
	out->out_bytes = c->out_bytes;
	out->dropped = c->dropped;
	out->evicted = c->evicted;
	out->accept_pauses = c->pauses;
	out->paused = c->paused;
}

size_t conn_out_bytes(const struct srv *s)
{
	return s->conns ? s->conns->out_bytes : 0;
}

size_t conn_replying_count(const struct srv *s)
{
	return s->conns ? s->conns->replying : 0;
}
