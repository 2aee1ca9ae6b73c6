/* proxy_relay.c — one request through the egress proxy: its head read
 * (pc_try_head), checked and routed to the guard (proxy_guard.c), then, once
 * connected, its head forwarded and its body streamed by its framing, the
 * upstream's heads checked (interim ones relayed) and its body streamed
 * back, the upstream kept for the next request when it may be; or, for
 * CONNECT, the tunnel opened (spliced when nothing is buffered).  The
 * client connection around it (accepting, callbacks, timer, replies, logs)
 * is proxy.c. */
#include "server/proxy_int.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- moving bytes ---- */

/* A chunked body's data only, decoded in place in `in` and copied to
 * `out`; bytes of `in` used, or -1 on bad framing. */
static long long move_dechunked(struct evbuffer *in, struct evbuffer *out, px_chunk *ck,
                                int *done)
{
	size_t used = 0;
	while (!*done && evbuffer_get_length(in)) {
		struct evbuffer_iovec v;
		size_t data = 0;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		long long k = px_chunk_decode(ck, v.iov_base, v.iov_len, &data, done);
		if (k < 0 || (data && evbuffer_add(out, v.iov_base, data) != 0))
			return -1;
		evbuffer_drain(in, (size_t)k);
		used += (size_t)k;
		if (!k)
			break;
	}
	return (long long)used;
}

/* Move the body bytes available in `in` to `out` by the framing; -1 on bad
 * chunked framing.  *done when the body ended. */
static long long move_body(struct evbuffer *in, struct evbuffer *out, int mode, uint64_t *left,
                           px_chunk *ck, int *done)
{
	size_t avail = evbuffer_get_length(in);
	size_t n = 0;
	*done = 0;
	if (mode == PX_BODY_NONE) {
		*done = 1;
		return 0;
	}
	if (mode == PX_BODY_DECHUNK)
		return move_dechunked(in, out, ck, done);
	if (mode == PX_BODY_CLOSE) {
		n = avail;
	} else if (mode == PX_BODY_LENGTH) {
		n = (uint64_t)avail < *left ? avail : (size_t)*left;
		*left -= n;
		*done = *left == 0;
	} else {
		struct evbuffer_iovec v[16];
		struct evbuffer_ptr pos;
		evbuffer_ptr_set(in, &pos, 0, EVBUFFER_PTR_SET);
		while (n < avail && !*done) {
			int k = evbuffer_peek(in, -1, &pos, v, 16);
			if (k <= 0)
				break;
			size_t step = 0;
			for (int i = 0; i < k && i < 16 && !*done; i++) {
				long long used = px_chunk_feed(ck, v[i].iov_base, v[i].iov_len, done);
				if (used < 0)
					return -1;
				step += (size_t)used;
			}
			n += step;
			if (!step || evbuffer_ptr_set(in, &pos, n, EVBUFFER_PTR_SET) != 0)
				break;
		}
	}
	if (n)
		evbuffer_remove_buffer(in, out, n);
	return (long long)n;
}

void pc_pump_request(pconn *pc)
{
	if (pc->rq_done || !pc->up || !pc->cli)
		return;
	int done = 0;
	long long n = move_body(bufferevent_get_input(pc->cli), bufferevent_get_output(pc->up),
	                        pc->rq_mode, &pc->rq_left, &pc->rq_ck, &done);
	if (n < 0) {
		pc->rq_done = 1; /* unreadable: never resynchronise on it */
		if (!pc->rs_started)
			pc_reply_error(pc, 400, "malformed chunked request body");
		else
			pc_free(pc);
		return;
	}
	pc->up_bytes += (uint64_t)n;
	if (done) {
		pc->rq_done = 1;
		bufferevent_disable(pc->cli, EV_READ); /* the next request waits */
	} else if (evbuffer_get_length(bufferevent_get_output(pc->up)) > PX_HIGH_WATER) {
		bufferevent_disable(pc->cli, EV_READ);
	}
}

/* Tunnel: everything from src to dst, with backpressure. */
void pc_relay_bytes(struct bufferevent *src, struct bufferevent *dst, uint64_t *count)
{
	struct evbuffer *in = bufferevent_get_input(src), *out = bufferevent_get_output(dst);
	*count += evbuffer_get_length(in);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) > PX_HIGH_WATER)
		bufferevent_disable(src, EV_READ);
}

/* ---- the request head ---- */

static int is_dropped_request_field(const char *role_header, px_span name)
{
	if (px_span_ieq(name, "host") || px_span_ieq(name, "forwarded"))
		return 1;
	if (name.n >= 12 && px_span_ieq((px_span){name.p, 12}, "x-forwarded-"))
		return 1;
	if (name.n >= 6 && px_span_ieq((px_span){name.p, 6}, "proxy-"))
		return 1;
	return role_header[0] && px_span_ieq(name, role_header);
}

/* A request's fields (role_header: its roles' header, dropped too) or a
 * response's (role_header NULL). */
static void add_fields(struct evbuffer *o, const px_head *h, const char *role_header)
{
	for (size_t i = 0; i < h->nfields; i++) {
		const px_field *f = &h->f[i];
		if (px_is_hop_by_hop(h, f->name) ||
		    (role_header && is_dropped_request_field(role_header, f->name)))
			continue;
		evbuffer_add(o, f->name.p, f->name.n);
		evbuffer_add(o, ": ", 2);
		evbuffer_add(o, f->value.p, f->value.n);
		evbuffer_add(o, "\r\n", 2);
	}
}

static void send_request_head(pconn *pc)
{
	struct evbuffer *o = bufferevent_get_output(pc->up);
	px_span scheme, auth, origin;
	int slash = 1;
	px_split_absolute(pc->h.target, &scheme, &auth, &origin, &slash);
	evbuffer_add(o, pc->h.method.p, pc->h.method.n);
	evbuffer_add(o, " ", 1);
	if (slash)
		evbuffer_add(o, "/", 1);
	evbuffer_add(o, origin.p, origin.n);
	int v6 = strchr(pc->v.host, ':') != NULL;
	evbuffer_add_printf(o, " HTTP/1.1\r\nHost: %s%s%s", v6 ? "[" : "", pc->v.host, v6 ? "]" : "");
	if (pc->v.port != 80)
		evbuffer_add_printf(o, ":%u", (unsigned)pc->v.port);
	evbuffer_add(o, "\r\n", 2);
	add_fields(o, &pc->h, pc->set->roles.role_header);
	if (pc->h.chunked)
		evbuffer_add(o, "Transfer-Encoding: chunked\r\n", 28);
	evbuffer_add(o, pc->px->s->via, pc->px->s->via_len); /* /go's mark: srv_via_new */
	evbuffer_add(o, "\r\n\r\n", 4);
}

/* Connected (or an idle upstream reused): the tunnel opens, or the request
 * goes out and its body follows. */
void pc_start_upstream(pconn *pc)
{
	int64_t idle_s = srv_lim(pc->px->s)->proxy_idle_s;
	int64_t life_s = pc->set->lim.proxy_tunnel_s; /* the tunnel's reading's */
	pc->last_ms = sg_mono_coarse_ms();
	if (pc->is_connect) {
		pc->state = PS_TUNNEL;
		pc->up_reusable = 0;
		pc->tunnel_t0_ms = pc->last_ms;
		SRV_COUNT(pc->px->tunnels, 1);
		/* the first look at the tunnel: when it is idle, or at the end of
		 * its life if that comes first (on_timer) */
		pc_arm(pc, (idle_s < life_s ? idle_s : life_s) * 1000);
		/* Nothing buffered on either side: the 200 goes straight out and
		 * the kernel relays the rest (splice); else the bufferevents do. */
		static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
		ssize_t sent = 0;
		if (!pc->tls && !evbuffer_get_length(bufferevent_get_output(pc->cli)) &&
		    !evbuffer_get_length(bufferevent_get_input(pc->cli)) &&
		    !evbuffer_get_length(bufferevent_get_input(pc->up)))
			sent = send(bufferevent_getfd(pc->cli), ok, sizeof ok - 1, MSG_NOSIGNAL);
		if (sent < 0)
			sent = 0;
		if ((size_t)sent == sizeof ok - 1 && pt_start(pc) == 0)
			return;
		evbuffer_add(bufferevent_get_output(pc->cli), ok + sent, sizeof ok - 1 - (size_t)sent);
		pb_read_upstream(pc); /* within the reply budget (proxy_budget.c) */
		bufferevent_enable(pc->cli, EV_READ);
		pc_relay_bytes(pc->cli, pc->up, &pc->up_bytes); /* bytes sent before the 200 */
		return;
	}
	pc->state = PS_RELAY;
	pb_read_upstream(pc);
	memcpy(pc->up_host, pc->v.host, sizeof pc->up_host);
	pc->up_port = pc->v.port;
	pc->up_role_ix = pc->role_ix;
	pc->up_gen = pc->set->gen;
	pc->up_reusable = 0;
	send_request_head(pc);
	memset(&pc->rq_ck, 0, sizeof pc->rq_ck);
	pc->rq_mode = pc->h.chunked ? PX_BODY_CHUNKED
	            : pc->h.has_length && pc->h.length ? PX_BODY_LENGTH : PX_BODY_NONE;
	pc->rq_left = pc->h.length;
	pc->rq_done = pc->rq_mode == PX_BODY_NONE;
	pc_arm(pc, idle_s * 1000);
	if (!pc->rq_done) {
		bufferevent_enable(pc->cli, EV_READ);
		pc_pump_request(pc);
	}
}

static void handle_request(pconn *pc)
{
	const px_head *h = &pc->h;
	clock_gettime(CLOCK_MONOTONIC, &pc->t0);
	memset(&pc->v, 0, sizeof pc->v);
	pc->report = 0;
	pc->acl_why[0] = '\0';
	pc->d.addrs_len = 0;
	pc->d.addrs[0] = '\0';
	pc->d.judged.n = 0;
	pc->next_addr = 0;
	pc->rq_done = 0;
	pc->rs_started = pc->rs_close = 0;
	pc->rs_interim = 0;
	pc->rs_head_bytes = 0;
	pc->err_why[0] = '\0';
	pc->status = 0;
	pc->incident = 0;
	pc->up_bytes = pc->down_bytes = 0;
	pc->is_connect = px_span_ieq(h->method, "CONNECT");
	pc->is_head = px_span_ieq(h->method, "HEAD");
	pc->want_close = h->close;
	if (pg_role(pc) != 0)
		return;
	if (srv_via_seen(pc->px->s, h)) {
		pc_reply_error(pc, 508, "this request already passed through this ssrfguard: a loop");
		return;
	}
	if (pc->is_connect) {
		px_span host;
		unsigned port;
		char url[SG_HOST_MAX + 32];
		if (h->target.n > SG_HOST_MAX + 8 || px_split_authority(h->target, &host, &port) != 0) {
			pc_reply_error(pc, 400, "CONNECT wants host:port");
			return;
		}
		int n = snprintf(url, sizeof url, "https://%.*s/", (int)h->target.n, h->target.p);
		pg_route(pc, host, port, url, (size_t)n);
		return;
	}
	px_span scheme, auth, origin;
	int slash;
	if (px_split_absolute(h->target, &scheme, &auth, &origin, &slash) != 0) {
		pc_reply_error(pc, 400, "this is a proxy: send absolute-form requests"
		                        " (GET http://host/path) or CONNECT host:port");
		return;
	}
	if (!px_span_ieq(scheme, "http")) {
		pc_reply_error(pc, 400, "only http:// is forwarded; https goes through CONNECT"
		                        " (the proxy never intercepts TLS)");
		return;
	}
	pg_route(pc, auth, 0, h->target.p, h->target.n);
}

void pc_try_head(pconn *pc)
{
	const srvcfg_limits *c = srv_lim(pc->px->s);
	struct evbuffer *in = bufferevent_get_input(pc->cli);
	size_t len = evbuffer_get_length(in), max = (size_t)c->max_request_bytes;
	const char *why = NULL;
	if (!len)
		return;
	size_t n = len < max ? len : max;
	const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	px_rc rc = px_parse_request(p, n, max, &pc->h, &why);
	if (rc == PX_MORE) {
		if (!pc->head_started) { /* the whole head must arrive in time */
			pc->head_started = 1;
			pc_arm(pc, c->client_timeout_s * 1000);
		}
		return;
	}
	if (rc != PX_OK) {
		memset(&pc->h, 0, sizeof pc->h);
		pc_reply_error(pc, rc == PX_TOO_BIG ? 431 : 400, why);
		return;
	}
	size_t hl = pc->h.head_len;
	if (!(pc->head = malloc(hl))) {
		pc_reply_error(pc, 503, "out of memory");
		return;
	}
	memcpy(pc->head, p, hl);
	evbuffer_drain(in, hl);
	px_parse_request(pc->head, hl, hl, &pc->h, &why); /* spans into pc->head */
	bufferevent_disable(pc->cli, EV_READ);
	handle_request(pc);
}

/* ---- the response ---- */

void pc_response_done(pconn *pc)
{
	pc_log(pc, pc->status, pc->report ? PX_DEC_REPORT : PX_DEC_ALLOW);
	pb_done(pc); /* a kept upstream is read only to see it close */
	pc->up_reusable = !pc->rs_close && pc->rq_done;
	if (!pc->up_reusable)
		pc_drop_upstream(pc);
	if (pc->want_close || !pc->rq_done)
		pc_close_after_flush(pc);
	else
		pc_next_request(pc);
}

static void write_response_head(pconn *pc, const px_head *rh)
{
	struct evbuffer *o = bufferevent_get_output(pc->cli);
	evbuffer_add_printf(o, "HTTP/1.1 %d ", rh->status);
	evbuffer_add(o, rh->reason.p, rh->reason.n);
	evbuffer_add(o, "\r\n", 2);
	add_fields(o, rh, NULL);
	if (rh->status >= 200) {
		int dechunk = rh->chunked && !pc->h.minor; /* PX_BODY_DECHUNK */
		if (rh->chunked && !dechunk)
			evbuffer_add(o, "Transfer-Encoding: chunked\r\n", 28);
		if (rh->until_close || dechunk || pc->want_close || pc->px->draining)
			evbuffer_add(o, "Connection: close\r\n", 19);
	}
	evbuffer_add(o, "\r\n", 2);
}

/* The upstream's answer cannot be relayed: 502, the connection dropped. */
static int unusable_response(pconn *pc, const char *why)
{
	char msg[160];
	snprintf(msg, sizeof msg, "upstream sent an unusable response: %s", why);
	pc->rs_close = 1;
	pc_drop_upstream(pc);
	pc_reply_error(pc, 502, msg);
	return -1;
}

/* Read a response head from the upstream; 1 when the body may follow, 0 to
 * wait, -1 when pc is answered or gone.  The interim heads before the final
 * one are relayed, at most PX_INTERIM_MAX of them, and all the heads
 * together fit in max_header_bytes. */
static int response_head(pconn *pc)
{
	const srvcfg_limits *c = &pc->set->lim; /* its request's reading's */
	struct evbuffer *in = bufferevent_get_input(pc->up);
	for (;;) {
		size_t len = evbuffer_get_length(in), max = (size_t)c->max_header_bytes;
		size_t room = max > pc->rs_head_bytes ? max - pc->rs_head_bytes : 0;
		const char *why = NULL;
		px_head rh;
		if (!len)
			return 0;
		if (!room)
			return unusable_response(pc, "its heads are larger than max_header_bytes");
		size_t n = len < room ? len : room;
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		px_rc rc = px_parse_response(p, n, room, pc->h.method, &rh, &why);
		if (rc == PX_MORE)
			return 0;
		if (rc == PX_TOO_BIG)
			return unusable_response(pc, pc->rs_interim ? "its heads are larger than "
			                         "max_header_bytes" : why);
		if (rc != PX_OK)
			return unusable_response(pc, why);
		if (rh.status == 101)
			return unusable_response(pc, "101 Switching Protocols (upgrades are not relayed)");
		if (rh.status < 200 && ++pc->rs_interim > PX_INTERIM_MAX) {
			char w[64];
			snprintf(w, sizeof w, "more than %d interim (1xx) heads", PX_INTERIM_MAX);
			return unusable_response(pc, w);
		}
		pc->rs_head_bytes += rh.head_len; /* at most room */
		write_response_head(pc, &rh);
		pc->down_bytes += rh.head_len;
		evbuffer_drain(in, rh.head_len);
		if (rh.status < 200)
			continue; /* 100 Continue, 103 Early Hints: the final head follows */
		int dechunk = rh.chunked && !pc->h.minor; /* HTTP/1.0: the close ends it */
		pc->rs_started = 1;
		pc->status = rh.status;
		pc->rs_close = rh.close || rh.until_close;
		pc->want_close |= rh.until_close || dechunk;
		memset(&pc->rs_ck, 0, sizeof pc->rs_ck);
		pc->rs_mode = dechunk ? PX_BODY_DECHUNK : rh.chunked ? PX_BODY_CHUNKED
		            : rh.until_close ? PX_BODY_CLOSE
		            : rh.has_length && rh.length ? PX_BODY_LENGTH : PX_BODY_NONE;
		pc->rs_left = rh.length;
		return 1;
	}
}

void pc_pump_response(pconn *pc)
{
	if (!pc->rs_started) {
		int r = response_head(pc);
		if (r <= 0)
			return;
	}
	int done = 0;
	long long n = move_body(bufferevent_get_input(pc->up), bufferevent_get_output(pc->cli),
	                        pc->rs_mode, &pc->rs_left, &pc->rs_ck, &done);
	if (n < 0) { /* the head is out: all we can do is cut the connection */
		pc_free(pc);
		return;
	}
	pc->down_bytes += (uint64_t)n;
	if (done)
		pc_response_done(pc);
	else
		pb_read_upstream(pc); /* its client's queue and the reply budget */
}
