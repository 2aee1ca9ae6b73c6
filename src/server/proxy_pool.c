/* proxy_pool.c — idle upstream connections shared by every client of the
 * proxy.  An upstream connection that finished a response cleanly is kept
 * under (role, judged host, port) for proxy_idle_s; the next request of
 * any client in that role to that destination, once its name is resolved
 * and judged again, takes it instead of connecting again — only when the
 * connection's address is among that fresh judged set (a name that now
 * resolves elsewhere, with dns_cache_s = 0 or after its TTL, never reuses
 * a connection to its old address).  The key holds the role, and the
 * reading of the guard's rules (its generation), because that role's
 * policy judged the address: after a reload, a connection judged before is
 * never reused; the host is the guard's normalised name, so a connection
 * is only ever reused for the name it was judged for.  A pooled
 * connection that turns readable (the upstream closed it, or sent bytes
 * nobody asked for) is dropped.  At most PX_POOL_MAX are kept; the oldest
 * goes first.  See proxy.h. */
#include "server/proxy_int.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

struct pool_ent {
	struct proxy *px;
	struct sg_list link;           /* in its proxy's pool, newest first */
	struct bufferevent *bev;
	char host[SG_HOST_MAX];
	unsigned port;
	size_t role_ix;
	uint64_t gen;
	pin_sa addr;
	int64_t since_ms;
};

static void unlink_ent(struct pool_ent *e)
{
	struct proxy *px = e->px;
	sg_list_remove(&e->link);
	__atomic_fetch_sub(&px->npool, 1, __ATOMIC_RELAXED);
}

/* The pool's oldest entry, or NULL. */
static struct pool_ent *oldest(const struct proxy *px)
{
	struct sg_list *l = sg_list_last(&px->pool);
	return l ? sg_list_entry(l, struct pool_ent, link) : NULL;
}

static void drop(struct pool_ent *e)
{
	unlink_ent(e);
	bufferevent_free(e->bev);
	free(e);
}

static void on_idle_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	drop(arg);
}

static void on_idle_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	drop(arg);
}

void pool_put(pconn *pc)
{
	struct proxy *px = pc->px;
	struct pool_ent *e;
	pb_done(pc);
	if (!pc->up || !pc->up_reusable || pc->up_eof ||
	    evbuffer_get_length(bufferevent_get_input(pc->up)) ||
	    evbuffer_get_length(bufferevent_get_output(pc->up)) || !(e = calloc(1, sizeof *e))) {
		pc_drop_upstream(pc);
		return;
	}
	if (px->npool >= PX_POOL_MAX)
		drop(oldest(px));
	e->px = px;
	e->bev = pc->up;
	memcpy(e->host, pc->up_host, sizeof e->host);
	e->port = pc->up_port;
	e->role_ix = pc->up_role_ix;
	e->gen = pc->up_gen;
	e->addr = pc->up_addr;
	e->since_ms = pc_now_ms();
	sg_list_insert_head(&px->pool, &e->link);
	SRV_COUNT(px->npool, 1);
	pc->up = NULL;
	pc->up_reusable = 0;
	bufferevent_setcb(e->bev, on_idle_read, NULL, on_idle_event, e);
	bufferevent_enable(e->bev, EV_READ);
}

struct bufferevent *pool_take(struct proxy *px, const char *host, unsigned port, size_t role_ix,
                              uint64_t gen, const pin_set *judged, pin_sa *addr)
{
	int64_t old = pc_now_ms() - srv_lim(px->s)->proxy_idle_s * 1000;
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &px->pool) {
		struct pool_ent *e = sg_list_entry(l, struct pool_ent, link);
		if (e->since_ms < old) {
			drop(e);
			continue;
		}
		if (e->port != port || e->role_ix != role_ix || e->gen != gen || strcmp(e->host, host) ||
		    !pin_set_has(judged, &e->addr.sa, sizeof e->addr))
			continue;
		struct bufferevent *bev = e->bev;
		*addr = e->addr;
		unlink_ent(e);
		free(e);
		SRV_COUNT(px->pool_hits, 1);
		return bev;
	}
	return NULL;
}

/* Each second: connections idle longer than proxy_idle_s go; upstreams
 * waiting for the reply budget get the room /go's ended fetches left, and
 * its stalled clients go (pb_tick). */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct proxy *px = arg;
	int64_t old = pc_now_ms() - srv_lim(px->s)->proxy_idle_s * 1000;
	(void)fd;
	(void)what;
	for (struct pool_ent *e; (e = oldest(px)) && e->since_ms < old;)
		drop(e);
	pb_tick(px);
}

int pool_init(struct proxy *px)
{
	struct timeval sec = {1, 0};
	px->pool_sweep = event_new(px->s->base, -1, EV_PERSIST, on_sweep, px);
	return px->pool_sweep && event_add(px->pool_sweep, &sec) == 0 ? 0 : -1;
}

void pool_free(struct proxy *px)
{
	for (struct pool_ent *e; (e = oldest(px));)
		drop(e);
	if (px->pool_sweep)
		event_free(px->pool_sweep);
	px->pool_sweep = NULL;
}
