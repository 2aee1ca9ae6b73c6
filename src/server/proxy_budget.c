/* proxy_budget.c — the egress proxy's bytes for its clients within the
 * service's reply budget, max_reply_bytes (shared with /go: conn.c,
 * fetch.c), shared fairly between the clients.
 *
 * Every byte queued toward a client (its bufferevent's output, and under
 * TLS the socket's below the filter) is counted in the service's reply
 * bytes.  An upstream read for a client (a relayed response, a tunnel) is
 * "relayed"; the loop's budget is shared between the relayed upstreams:
 *
 *  - each client may hold at most its share, the budget divided by the
 *    upstreams relayed (at least PB_FLOOR, at most PX_HIGH_WATER); an
 *    upstream whose client holds its share is not read until the client
 *    takes some, so clients that never read hold their shares and no more;
 *  - below PB_FLOOR a client's upstream is read whatever the budget says,
 *    so a client that reads always gets its bytes, however many others sit
 *    at their shares;
 *  - above it, a read takes at most the room left in the budget divided by
 *    the upstreams relayed; with less than PB_MIN_READ each, the budget is
 *    "short" (ssrfguard_proxy_reply_paused) and those upstreams wait for
 *    room, woken when there is enough again (their clients' bytes drain,
 *    or, seen once a second, /go's fetches end).
 *
 * So the bytes held stay within the budget plus PB_FLOOR an upstream.  A
 * client that has taken none of the bytes it holds for proxy_stall_s is
 * closed while the budget is short (pb_tick, each second: a log line,
 * ssrfguard_proxy_reply_stalled_total): a few connections that never read
 * cannot keep the budget until proxy_idle_s.  Spliced tunnels
 * (proxy_splice.c) are outside: their bytes are in the kernel's pipes. */
#include "server/proxy_int.h"

#include <event2/buffer.h>
#include <string.h>

#define PB_FLOOR (16 * 1024)  /* a client's bytes read whatever the budget */
#define PB_MIN_READ 4096      /* a read from the room, at least, or it waits */

static size_t room_of(const struct proxy *px)
{
	size_t held = conn_reply_held(px->s), cap = (size_t)srv_lim(px->s)->max_reply_bytes;
	return held < cap ? cap - held : 0;
}

size_t pb_share(const struct proxy *px)
{
	size_t n = px->relayed ? px->relayed : 1;
	size_t share = (size_t)srv_lim(px->s)->max_reply_bytes / n;
	return share < PB_FLOOR ? PB_FLOOR : share > PX_HIGH_WATER ? PX_HIGH_WATER : share;
}

/* The room each relayed upstream may take now; 0 when short. */
static size_t room_each(const struct proxy *px)
{
	size_t each = room_of(px) / (px->relayed ? px->relayed : 1);
	return each < PB_MIN_READ ? 0 : each;
}

static int is_short(const struct proxy *px)
{
	return px->relayed && !room_each(px);
}

/* Gauges written by their loop only, read by any loop's /metrics. */
#define PB_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)

/* pc's upstream held back because its client holds its share (full) or
 * because the budget is short (waiting); both counted for the metrics. */
static void hold_back(pconn *pc, int full, int waiting)
{
	struct proxy *px = pc->px;
	if (pc->rd_full != full)
		PB_SET(px->full, full ? px->full + 1 : px->full - 1);
	if (full)
		px->full_share = pb_share(px);
	if (pc->rd_wait != waiting)
		PB_SET(px->waiting, waiting ? px->waiting + 1 : px->waiting - 1);
	pc->rd_full = full;
	pc->rd_wait = waiting;
}

/* The held back look again (and may read, or wait again): there is room
 * for the waiting, or the shares grew past the one the full were held at
 * (at the 16 KiB floor or the 256 KiB cap one more or one fewer relayed
 * changes nothing: no look). */
static void wake(struct proxy *px)
{
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &px->conns) {
		pconn *pc = sg_list_entry(l, pconn, link);
		if (!px->waiting && !px->full)
			break;
		if (pc->rd_wait || pc->rd_full)
			pb_read_upstream(pc);
	}
}

void pb_sync(struct proxy *px)
{
	int now_short = is_short(px);
	if (now_short && !px->paused) {
		SRV_COUNT(px->pauses, 1);
		__atomic_store_n(&px->paused, 1, __ATOMIC_RELAXED);
	} else if (!now_short && px->paused) {
		__atomic_store_n(&px->paused, 0, __ATOMIC_RELAXED);
	}
	size_t share = pb_share(px);
	if (!now_short && (px->waiting || (px->full && share > px->full_share)) && !px->waking) {
		px->waking = 1; /* no recursion */
		wake(px);
		px->full_share = share;
		px->waking = 0;
	}
}

void pb_read_upstream(pconn *pc)
{
	struct proxy *px = pc->px;
	if (!pc->up || pc->up_eof) {
		pb_done(pc);
		return;
	}
	if (!pc->rd) {
		pc->rd = 1;
		PB_SET(px->relayed, px->relayed + 1);
		pc->took_ms = pc_now_ms();
	}
	size_t held = pc->out_held, share = pb_share(px), may = 0;
	if (held < share) {
		size_t floor_left = held < PB_FLOOR ? PB_FLOOR - held : 0, each = room_each(px);
		may = floor_left > each ? floor_left : each;
		may = may < share - held ? may : share - held;
	}
	hold_back(pc, held >= share, !may && held < share);
	if (!may) {
		bufferevent_disable(pc->up, EV_READ);
		return;
	}
	bufferevent_set_max_single_read(pc->up, may);
	bufferevent_enable(pc->up, EV_READ);
}

void pb_done(pconn *pc)
{
	struct proxy *px = pc->px;
	if (!pc->rd)
		return;
	hold_back(pc, 0, 0);
	pc->rd = 0;
	PB_SET(px->relayed, px->relayed - 1); /* the others' shares may grow */
	if (pc->up)
		bufferevent_set_max_single_read(pc->up, PX_HIGH_WATER);
	pb_sync(px); /* one fewer to share with */
}

int pb_waiting(const pconn *pc)
{
	return pc->rd_wait;
}

/* A client that took none of the bytes it holds for proxy_stall_s, while
 * the budget is short: logged, counted, closed. */
static int stalled(pconn *pc, int64_t now)
{
	if (!pc->rd || !pc->out_held || now - pc->took_ms < srv_lim(pc->px->s)->proxy_stall_s * 1000)
		return 0;
	char line[1200];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"proxy_stalled\",\"client\":");
	tb_json(&b, pc->client, strlen(pc->client), 64);
	tb_str(&b, ",\"role\":");
	const char *role = pc->role ? pc->role->name : "";
	tb_json(&b, role, strlen(role), 64);
	tb_str(&b, ",\"target\":");
	tb_json(&b, pc->h.target.p, pc->h.target.n, 512);
	tb_fmt(&b, ",\"held\":%zu,\"share\":%zu,\"proxy_stall_s\":%lld,\"message\":\"the client "
	           "took none of its bytes while the reply budget was short: closed\"}\n",
	       pc->out_held, pb_share(pc->px), (long long)srv_lim(pc->px->s)->proxy_stall_s);
	log_line(pc->px->s, "warning", b.p, b.len);
	SRV_COUNT(pc->px->stalled, 1);
	snprintf(pc->err_why, sizeof pc->err_why, "closed: took none of its bytes for "
	         "proxy_stall_s while the reply budget was short");
	return 1;
}

void pb_tick(struct proxy *px)
{
	pb_sync(px);
	if (!px->paused)
		return;
	int64_t now = pc_now_ms();
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &px->conns) {
		pconn *pc = sg_list_entry(l, pconn, link);
		if (stalled(pc, now))
			pc_free(pc);
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
		pc->last_ms = pc->took_ms = pc_now_ms(); /* the client reads */
		if (pc->rd_full)
			pb_read_upstream(pc); /* below its share again? */
	}
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
	pb_sync(pc->px); /* its bytes are room again */
}
