/* conn.c — a deadline for each request head, against slow-loris clients.
 *
 * evhttp 2.1 only has an idle timeout, which a client trickling one byte at
 * a time resets forever.  Here every client connection must deliver a whole
 * request head within client_timeout_s of connecting (or of its previous
 * answer); otherwise its socket is shut down and evhttp drops it.
 *
 * How it tracks connections without evhttp's help: evhttp asks us to make
 * each connection's bufferevent (evhttp_set_bevcb); we take a reference on
 * it, so its descriptor stays open — and cannot be reused by another
 * connection — until we let go.  A callback on its input buffer learns the
 * descriptor (index by fd); the request callback marks it busy, the end of
 * the answer re-arms the deadline.  A sweep each second shuts down the late
 * ones and releases those evhttp has freed (its event callback is gone). */
#include "server/srv_int.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct conns;
typedef struct conn_ent {
	struct conns *c;
	struct bufferevent *bev;
	struct conn_ent *next;
	int64_t deadline_ms;
	int fd;                /* -1 until the first bytes arrive */
	int busy;              /* a request is being answered */
	int dropped;
} conn_ent;

struct conns {
	conn_ent *head;
	conn_ent **byfd;
	size_t cap;
	struct event *sweep;
	int64_t limit_ms;
	uint64_t dropped;
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
	e->fd = -1;
	e->deadline_ms = mono_ms() + c->limit_ms;
	bufferevent_incref(bev);
	evbuffer_add_cb(bufferevent_get_input(bev), on_input, e);
	e->next = c->head;
	c->head = e;
	return bev;
}

static conn_ent *find(struct srv *s, struct evhttp_request *req)
{
	struct conns *c = s->conns;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;
	if (fd < 0)
		return NULL;
	if ((size_t)fd < c->cap && c->byfd[fd] && c->byfd[fd]->bev == bev)
		return c->byfd[fd];
	for (conn_ent *e = c->head; e; e = e->next) /* not indexed yet */
		if (e->bev == bev) {
			index_fd(c, e, fd);
			return e;
		}
	return NULL;
}

void conn_dispatched(struct srv *s, struct evhttp_request *req)
{
	conn_ent *e = s->conns ? find(s, req) : NULL;
	if (e)
		e->busy = 1;
}

void conn_answered(struct srv *s, struct evhttp_request *req)
{
	conn_ent *e = s->conns ? find(s, req) : NULL;
	if (e) {
		e->busy = 0;
		e->deadline_ms = mono_ms() + s->conns->limit_ms;
	}
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct conns *c = s->conns;
	int64_t now = mono_ms();
	(void)fd;
	(void)what;
	for (conn_ent **pp = &c->head; *pp;) {
		conn_ent *e = *pp;
		bufferevent_event_cb ecb = NULL;
		bufferevent_getcb(e->bev, NULL, NULL, &ecb, NULL);
		int bfd = bufferevent_getfd(e->bev);
		if (e->fd < 0 && bfd >= 0)
			index_fd(c, e, bfd);
		if (!ecb) {
			/* evhttp freed it: let go of our reference (closes the fd) */
			if (e->fd >= 0 && (size_t)e->fd < c->cap && c->byfd[e->fd] == e)
				c->byfd[e->fd] = NULL;
			*pp = e->next;
			evbuffer_remove_cb(bufferevent_get_input(e->bev), on_input, e);
			bufferevent_decref(e->bev);
			free(e);
			continue;
		}
		if (!e->busy && !e->dropped && now > e->deadline_ms && bfd >= 0) {
			/* too slow to send a request head: evhttp sees EOF and frees it */
			shutdown(bfd, SHUT_RDWR);
			e->dropped = 1;
			c->dropped++;
		}
		pp = &e->next;
	}
}

sg_err conn_init(struct srv *s)
{
	struct conns *c = calloc(1, sizeof *c);
	if (!c)
		return SG_ERR_NOMEM;
	s->conns = c;
	c->limit_ms = s->cfg->client_timeout_s * 1000;
	c->sweep = event_new(s->base, -1, EV_PERSIST, on_sweep, s);
	struct timeval tv = {1, 0};
	if (!c->sweep || event_add(c->sweep, &tv) != 0)
		return SG_ERR_NOMEM;
	evhttp_set_bevcb(s->http, on_new_conn, s);
	return SG_OK;
}

/* After evhttp_free: every connection is gone; drop our references. */
void conn_cleanup(struct srv *s)
{
	struct conns *c = s->conns;
	if (!c)
		return;
	for (conn_ent *e = c->head, *n; e; e = n) {
		n = e->next;
		evbuffer_remove_cb(bufferevent_get_input(e->bev), on_input, e);
		bufferevent_decref(e->bev);
		free(e);
	}
	if (c->sweep)
		event_free(c->sweep);
	free(c->byfd);
	free(c);
	s->conns = NULL;
}

uint64_t conn_dropped(const struct srv *s)
{
	return s->conns ? s->conns->dropped : 0;
}
