/* proxy_budget.c — the egress proxy's bytes for its clients within the
 * service's reply budget, max_reply_bytes (shared with /go: conn.c,
 * fetch.c).
 *
 * Every byte queued toward a client (its bufferevent's output, and under
 * TLS the socket's below the filter) is counted in the service's reply
 * bytes.  An upstream is read for its client only
 *  - while that client's own queue is at most PX_HIGH_WATER (its writes
 *    bring it back: on_cli_write), and
 *  - while it holds a grant: room in the budget for one more read of
 *    grant_size() bytes, the largest read it is then allowed.
 * An upstream that finds no room waits, oldest first, and is read again as
 * the bytes drain (or, once a second, as /go's fetches end).  So the
 * bytes held for the proxy's clients stay within the budget plus one read,
 * however many clients stop reading.  Spliced tunnels (proxy_splice.c) are
 * outside: their bytes are in the kernel's pipes, never in user space. */
#include "server/proxy_int.h"

#include <event2/buffer.h>

#define GRANT_MIN (16 * 1024)

/* The bytes one read may add: an eighth of the budget, within [16 KiB,
 * PX_HIGH_WATER]. */
static size_t grant_size(const struct srv *s)
{
	size_t g = (size_t)s->cfg->max_reply_bytes / 8;
	return g < GRANT_MIN ? GRANT_MIN : g > PX_HIGH_WATER ? PX_HIGH_WATER : g;
}

/* Is there room for `grants` reads (at least one, when nothing is read)? */
static int fits(const struct proxy *px, size_t grants)
{
	size_t held = conn_reply_held(px->s), cap = (size_t)px->s->cfg->max_reply_bytes;
	size_t g = grant_size(px->s);
	if (grants <= 1 && held < cap)
		return 1;
	return held <= cap && grants <= (cap - held) / g;
}

static void leave_queue(pconn *pc)
{
	struct proxy *px = pc->px;
	if (!pc->waiting)
		return;
	if (pc->wprev)
		pc->wprev->wnext = pc->wnext;
	else
		px->wait_head = pc->wnext;
	if (pc->wnext)
		pc->wnext->wprev = pc->wprev;
	else
		px->wait_tail = pc->wprev;
	pc->wprev = pc->wnext = NULL;
	pc->waiting = 0;
	__atomic_fetch_sub(&px->nwaiting, 1, __ATOMIC_RELAXED);
}

static void join_queue(pconn *pc)
{
	struct proxy *px = pc->px;
	if (pc->waiting)
		return;
	pc->waiting = 1;
	pc->wprev = px->wait_tail;
	if (px->wait_tail)
		px->wait_tail->wnext = pc;
	else
		px->wait_head = pc;
	px->wait_tail = pc;
	SRV_COUNT(px->nwaiting, 1);
	SRV_COUNT(px->waits, 1);
}

static void grant(pconn *pc)
{
	leave_queue(pc);
	if (!pc->grant) {
		pc->grant = 1;
		pc->px->grants++;
	}
	bufferevent_set_max_single_read(pc->up, grant_size(pc->px->s));
	bufferevent_enable(pc->up, EV_READ);
}

static void drop_grant(pconn *pc)
{
	if (!pc->grant)
		return;
	pc->grant = 0;
	pc->px->grants--;
}

void pb_wake(struct proxy *px)
{
	while (px->wait_head && fits(px, px->grants + 1))
		grant(px->wait_head);
}

void pb_read_upstream(pconn *pc)
{
	struct proxy *px = pc->px;
	if (!pc->up || pc->up_eof) {
		pb_done(pc);
		return;
	}
	if (pc->out_held > PX_HIGH_WATER) { /* its own client is slow: on_cli_write */
		bufferevent_disable(pc->up, EV_READ);
		pb_done(pc);
		return;
	}
	if (pc->grant ? fits(px, px->grants)
	              : (!px->wait_head || px->wait_head == pc) && fits(px, px->grants + 1)) {
		grant(pc);
		return;
	}
	bufferevent_disable(pc->up, EV_READ);
	drop_grant(pc);
	join_queue(pc);
	pb_wake(px); /* its grant may be another's room */
}

void pb_done(pconn *pc)
{
	leave_queue(pc);
	if (pc->grant) {
		drop_grant(pc);
		pb_wake(pc->px);
	}
}

/* ---- counting the bytes toward the client ---- */

static void on_out_change(struct evbuffer *b, const struct evbuffer_cb_info *info, void *arg)
{
	pconn *pc = arg;
	(void)b;
	conn_out_add(pc->px->s, info->n_added, info->n_deleted);
	pc->out_held += info->n_added;
	pc->out_held -= info->n_deleted < pc->out_held ? info->n_deleted : pc->out_held;
	if (info->n_deleted) {
		pc->last_ms = pc_now_ms(); /* the client reads */
		if (pc->px->wait_head)
			pb_wake(pc->px);
	}
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
