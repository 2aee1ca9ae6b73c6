/* proxy_budget.c — the egress proxy's bytes for its clients within the
 * service's reply budget, max_reply_bytes (shared with /go: conn.c,
 * fetch.c).
 *
 * Every byte queued toward a client (its bufferevent's output, and under
 * TLS the socket's below the filter) is counted in the service's reply
 * bytes.  The upstreams read for clients (relayed responses, tunnels) are
 * the members of one libevent rate-limit group whose read bucket is kept
 * equal to the room left in the budget: each read takes at most its share
 * of the room (room / members, at least PB_MIN_SHARE), and at no room
 * libevent stops reading them all until the bytes drain (or, once a
 * second, /go's fetches end).  So the bytes held stay within the budget
 * plus PB_MIN_SHARE a member, however many clients stop reading; no
 * upstream keeps room it does not use.  Each connection's own cap,
 * PX_HIGH_WATER toward its client, stays.  Spliced tunnels
 * (proxy_splice.c) are outside: their bytes are in the kernel's pipes. */
#include "server/proxy_int.h"

#include <event2/buffer.h>

#define PB_MIN_SHARE 4096
#define PB_TICK_S 3600 /* the bucket's own refill (1 byte a tick): never relied on */

int pb_init(struct proxy *px)
{
	size_t cap = (size_t)px->s->cfg->max_reply_bytes;
	struct timeval tick = {PB_TICK_S, 0};
	px->rl_cfg = ev_token_bucket_cfg_new(1, cap, EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX, &tick);
	px->rl = px->rl_cfg ? bufferevent_rate_limit_group_new(px->s->base, px->rl_cfg) : NULL;
	if (!px->rl)
		return -1;
	bufferevent_rate_limit_group_set_min_share(px->rl, PB_MIN_SHARE);
	pb_sync(px);
	return 0;
}

void pb_free(struct proxy *px)
{
	if (px->rl)
		bufferevent_rate_limit_group_free(px->rl);
	if (px->rl_cfg)
		ev_token_bucket_cfg_free(px->rl_cfg);
	px->rl = NULL;
	px->rl_cfg = NULL;
}

void pb_sync(struct proxy *px)
{
	size_t held = conn_reply_held(px->s), cap = (size_t)px->s->cfg->max_reply_bytes;
	ev_ssize_t room = held < cap ? (ev_ssize_t)(cap - held) : 0;
	if (!px->rl)
		return;
	ev_ssize_t now = bufferevent_rate_limit_group_get_read_limit(px->rl);
	if (now != room)
		bufferevent_rate_limit_group_decrement_read(px->rl, now - room);
	if (!room && !px->paused) {
		SRV_COUNT(px->pauses, 1);
		__atomic_store_n(&px->paused, 1, __ATOMIC_RELAXED);
	} else if (room && px->paused) {
		__atomic_store_n(&px->paused, 0, __ATOMIC_RELAXED);
	}
}

void pb_read_upstream(pconn *pc)
{
	if (!pc->up || pc->up_eof) {
		pb_done(pc);
		return;
	}
	if (!pc->rl_member && pc->px->rl && bufferevent_add_to_rate_limit_group(pc->up, pc->px->rl) == 0)
		pc->rl_member = 1;
	if (pc->out_held > PX_HIGH_WATER) /* its own client is slow: on_cli_write */
		bufferevent_disable(pc->up, EV_READ);
	else
		bufferevent_enable(pc->up, EV_READ);
}

void pb_done(pconn *pc)
{
	if (pc->rl_member && pc->up)
		bufferevent_remove_from_rate_limit_group(pc->up);
	pc->rl_member = 0;
}

int pb_waiting(const pconn *pc)
{
	return pc->rl_member && pc->px->paused;
}

/* ---- counting the bytes toward the client ---- */

static void on_out_change(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	pconn *pc = arg;
	(void)b;
	conn_out_add(pc->px->s, info->n_added, info->n_deleted);
	pc->out_held += info->n_added;
	pc->out_held -= info->n_deleted < pc->out_held ? info->n_deleted : pc->out_held;
	if (info->n_deleted)
		pc->last_ms = pc_now_ms(); /* the client reads */
	pb_sync(pc->px);
}

static void watch(pconn *pc, struct evbuffer *b)
{
	for (size_t i = 0; i < 2; i++) {
		if (pc->watched[i] == b)
			return;
		if (!pc->watched[i]) {
			if (!evbuffer_add_cb(b, on_out_change, pc))
				return; /* out of memory: these bytes go uncounted */
			pc->watched[i] = b;
			pc->out_held += evbuffer_get_length(b);
			conn_out_add(pc->px->s, evbuffer_get_length(b), 0);
			return;
		}
	}
}

void pb_watch(pconn *pc)
{
	struct bufferevent *raw = pc->tls ? bufferevent_get_underlying(pc->cli) : NULL;
	watch(pc, bufferevent_get_output(pc->cli));
	if (raw)
		watch(pc, bufferevent_get_output(raw));
}

void pb_forget(pconn *pc)
{
	for (size_t i = 0; i < 2; i++)
		if (pc->watched[i]) {
			evbuffer_remove_cb(pc->watched[i], on_out_change, pc);
			pc->watched[i] = NULL;
		}
	conn_out_add(pc->px->s, 0, pc->out_held);
	pc->out_held = 0;
	pb_done(pc);
}
