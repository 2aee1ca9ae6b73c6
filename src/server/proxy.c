/* proxy.c — the egress proxy's client connections: accepting one (the
 * PROXY protocol header, TLS), its callbacks and its one timer (head
 * deadline, connect, idle, tunnel life, flushing), replies and log lines,
 * keep-alive between requests, closing.  See proxy.h; one request's relay
 * and CONNECT tunnels are proxy_relay.c, the guard at the connect
 * proxy_guard.c. */
#include "server/proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void pc_arm(pconn *pc, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	event_del(pc->tev);
	event_add(pc->tev, &tv);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 508: return "Loop Detected";
	default: return "Error";
	}
}

static const char *const decision_names[PX_DEC__N] = {"allow", "report", "block", "error"};

const char *pc_decision_name(int d)
{
	return d >= 0 && d < PX_DEC__N ? decision_names[d] : "?";
}

void pc_log(pconn *pc, int status, int decision)
{
	struct proxy *px = pc->px;
	char mem[4096];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	tb_str(&b, "{\"event\":\"request\",\"route\":\"proxy\",\"client\":");
	tb_json(&b, pc->client, strlen(pc->client), 64);
	tb_str(&b, ",\"role\":");
	const char *role = pc->role ? pc->role->name : "";
	tb_json(&b, role, strlen(role), 64);
	tb_str(&b, ",\"method\":");
	tb_json(&b, pc->h.method.p, pc->h.method.n, 32);
	tb_str(&b, ",\"target\":");
	tb_json(&b, pc->h.target.p, pc->h.target.n, 1024);
	tb_fmt(&b, ",\"status\":%d,\"ms\":%.3f,\"up\":%llu,\"down\":%llu,\"decision\":\"%s\"",
	       status, srv_elapsed_ms(&pc->t0), (unsigned long long)pc->up_bytes,
	       (unsigned long long)pc->down_bytes, decision_names[decision]);
	if (decision == PX_DEC_BLOCK && pc->incident)
		tb_fmt(&b, ",\"incident\":%lld", (long long)pc->incident);
	if (decision == PX_DEC_REPORT || decision == PX_DEC_BLOCK) {
		tb_str(&b, ",\"why\":");
		const char *w = pc->acl_why[0] ? pc->acl_why : pc->v.reason;
		tb_json(&b, w, strlen(w), 192);
	} else if (decision == PX_DEC_ERROR && pc->err_why[0]) {
		tb_str(&b, ",\"why\":");
		tb_json(&b, pc->err_why, strlen(pc->err_why), 192);
	}
	tb_str(&b, "}\n");
	log_line(px->s, "info", b.p, b.len);
	if (pc->role)
		SRV_COUNT(px->req[pc->set->slot[pc->role_ix] * PX_DEC__N + (size_t)decision], 1);
	SRV_COUNT(px->bytes_up, pc->up_bytes);
	SRV_COUNT(px->bytes_down, pc->down_bytes);
	pc->up_bytes = pc->down_bytes = 0;
}

/* ---- connection life ---- */

void pc_drop_upstream(pconn *pc)
{
	pb_done(pc);
	if (pc->up)
		bufferevent_free(pc->up);
	pc->up = NULL;
	pc->up_reusable = 0;
	pc->up_eof = 0;
}

void pc_free(pconn *pc)
{
	struct proxy *px = pc->px;
	pt_free(pc->sp); /* its events watch the sockets the bufferevents close */
	pc->sp = NULL;
	pb_forget(pc); /* its bytes no longer count in max_reply_bytes */
	if (pc->cli) {
		bufferevent_free(pc->cli);
		pc->cli = NULL;
	}
	conn_guest_remove(pc->guest); /* its descriptor is closed */
	pc->guest = NULL;
	if (pc->pending) { /* the incident commit still holds pc: it frees us */
		pc->gone = 1;
		return;
	}
	if (pc->state == PS_TUNNEL)
		pc_log(pc, 200, pc->report ? PX_DEC_REPORT : PX_DEC_ALLOW);
	else if (pc->state == PS_RELAY && pc->head)
		pc_log(pc, pc->rs_started ? pc->status : 0, PX_DEC_ERROR);
	dest_free(&pc->d);
	pool_put(pc); /* a clean upstream outlives its client */
	rset_release(pc->set);
	if (pc->tev)
		event_free(pc->tev);
	free(pc->head);
	sg_list_remove(&pc->link);
	__atomic_fetch_sub(&px->nconns, 1, __ATOMIC_RELAXED);
	free(pc);
	proxy_drain_check(px);
}

int pc_idle(const pconn *pc)
{
	return (pc->state == PS_HEAD || pc->state == PS_PPHDR) && !pc->head_started &&
	       !pc->pending && pc->cli && !evbuffer_get_length(bufferevent_get_input(pc->cli));
}

static int guest_idle(void *ctx)
{
	return pc_idle(ctx);
}

static void guest_close(void *ctx)
{
	pc_free(ctx);
}

static const conn_guest_ops guest_ops = {guest_idle, guest_close};

/* Bytes still to reach the client's socket (a TLS filter holds some in
 * its own buffer and some in the socket's). */
static size_t unsent(const pconn *pc)
{
	size_t n = evbuffer_get_length(bufferevent_get_output(pc->cli));
	struct bufferevent *raw = pc->tls ? bufferevent_get_underlying(pc->cli) : NULL;
	return n + (raw ? evbuffer_get_length(bufferevent_get_output(raw)) : 0);
}

#define PX_FLUSH_POLL_MS 20 /* TLS: how often a closing connection looks again */

void pc_close_after_flush(pconn *pc)
{
	pc->state = PS_CLOSING;
	dest_cancel(&pc->d);
	pool_put(pc);
	if (!pc->cli || unsent(pc) == 0) {
		pc_free(pc);
		return;
	}
	bufferevent_disable(pc->cli, EV_READ);
	pc->deadline_ms = sg_mono_coarse_ms() + srv_lim(pc->px->s)->proxy_idle_s * 1000;
	/* the filter's write callback does not see the socket drain: poll */
	pc_arm(pc, pc->tls ? PX_FLUSH_POLL_MS : srv_lim(pc->px->s)->proxy_idle_s * 1000);
}

/* The request is answered: wait for the next one on this connection.  A
 * client that does not read its answers is not read either while more than
 * PX_HIGH_WATER waits for it (PS_HELD; on_cli_write or, over TLS, the timer
 * comes back here), so pipelined requests cannot pile up answers. */
void pc_next_request(pconn *pc)
{
	if (pc->px->draining) { /* SIGTERM: no further request on it */
		pc_close_after_flush(pc);
		return;
	}
	free(pc->head);
	pc->head = NULL;
	memset(&pc->h, 0, sizeof pc->h);
	if (pc->state != PS_HELD && unsent(pc) > PX_HIGH_WATER) {
		pc->state = PS_HELD;
		pc->deadline_ms = sg_mono_coarse_ms() + srv_lim(pc->px->s)->proxy_idle_s * 1000;
		pc_arm(pc, pc->tls ? PX_FLUSH_POLL_MS : srv_lim(pc->px->s)->proxy_idle_s * 1000);
		return;
	}
	pc->state = PS_HEAD;
	pc->head_started = 0;
	pc_arm(pc, srv_lim(pc->px->s)->proxy_idle_s * 1000);
	bufferevent_enable(pc->cli, EV_READ);
	pc_try_head(pc); /* a pipelined request may be waiting */
}

void pc_reply(pconn *pc, int code, const char *ctype, const char *extra, const char *body,
              size_t len, int close)
{
	if (!pc->cli) {
		pc_free(pc);
		return;
	}
	/* A request whose body was never read cannot be followed by another. */
	int unread = !pc->rq_done && pc->head &&
	             (pc->h.chunked || (pc->h.has_length && pc->h.length > 0));
	close = close || pc->want_close || unread || pc->is_connect || pc->px->draining;
	struct evbuffer *o = bufferevent_get_output(pc->cli);
	evbuffer_add_printf(o, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                       "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s%s\r\n",
	                    code, reason_of(code), ctype, len, extra ? extra : "",
	                    close ? "Connection: close\r\n" : "");
	evbuffer_add(o, body, len);
	pool_put(pc);
	if (close)
		pc_close_after_flush(pc);
	else
		pc_next_request(pc);
}

void pc_reply_error(pconn *pc, int code, const char *msg)
{
	char mem[1024];
	tbuf b;
	const char *err = code == 400 ? "bad_request" : code == 407 ? "proxy_auth_required"
	                : code == 431 ? "head_too_large" : code == 502 ? "bad_gateway"
	                : code == 503 ? "unavailable" : code == 504 ? "gateway_timeout"
	                : code == 508 ? "loop_detected" : "error";
	tb_init(&b, mem, sizeof mem);
	tb_fmt(&b, "{\"error\":\"%s\",\"message\":", err);
	tb_json(&b, msg, strlen(msg), 400);
	tb_str(&b, "}\n");
	snprintf(pc->err_why, sizeof pc->err_why, "%s", msg);
	if (pc->head)
		pc_log(pc, code, PX_DEC_ERROR);
	pc_reply(pc, code, "application/json", code == 407
	         ? "Proxy-Authenticate: Basic realm=\"ssrfguard\"\r\n" : NULL, b.p, b.len, 1);
}

/* libevent reads and writes at most 16 KiB per call by default: a relay
 * moves bulk data in fewer, larger system calls. */
static void bulk_io(struct bufferevent *bev)
{
	bufferevent_set_max_single_read(bev, PX_HIGH_WATER);
	bufferevent_set_max_single_write(bev, PX_HIGH_WATER);
}

/* ---- callbacks ---- */

static void on_up_read(struct bufferevent *bev, void *arg)
{
	pconn *pc = arg;
	(void)bev;
	pc->last_ms = sg_mono_coarse_ms();
	if (pc->state == PS_TUNNEL) {
		pc_relay_bytes(pc->up, pc->cli, &pc->down_bytes);
		pb_read_upstream(pc);
	} else if (pc->state == PS_RELAY)
		pc_pump_response(pc);
	else /* bytes from an idle upstream: it cannot be reused */
		pc_drop_upstream(pc);
}

static void on_up_write(struct bufferevent *bev, void *arg)
{
	pconn *pc = arg;
	(void)bev;
	if (!pc->cli)
		return;
	if (pc->state == PS_TUNNEL && pc->cli_eof &&
	    evbuffer_get_length(bufferevent_get_output(pc->up)) == 0)
		shutdown(bufferevent_getfd(pc->up), SHUT_WR);
	else if ((pc->state == PS_TUNNEL && !pc->cli_eof) || (pc->state == PS_RELAY && !pc->rq_done))
		bufferevent_enable(pc->cli, EV_READ);
}

static void tunnel_eof(pconn *pc, int from_client)
{
	struct bufferevent *to = from_client ? pc->up : pc->cli;
	if (from_client) {
		pc->cli_eof = 1;
	} else {
		pc->up_eof = 1;
		pb_done(pc);
	}
	if (pc->tls && !from_client)
		pc->cli_eof = 1; /* no half-close inside TLS: the client's side ends too */
	if (pc->cli_eof && pc->up_eof) {
		pc->state = PS_CLOSING; /* logged below, before the flush */
		pc_log(pc, 200, pc->report ? PX_DEC_REPORT : PX_DEC_ALLOW);
		pc_close_after_flush(pc);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(to)) == 0)
		shutdown(bufferevent_getfd(to), SHUT_WR);
}

static void on_up_event(struct bufferevent *bev, short what, void *arg)
{
	pconn *pc = arg;
	(void)bev;
	if (pc->state == PS_CONNECT) {
		if (what & BEV_EVENT_CONNECTED) {
			pc_start_upstream(pc);
			return;
		}
		pc_drop_upstream(pc);
		pg_connect_next(pc);
		return;
	}
	if (pc->state == PS_TUNNEL) {
		if (what & BEV_EVENT_EOF) {
			pc_relay_bytes(pc->up, pc->cli, &pc->down_bytes);
			tunnel_eof(pc, 0);
		} else {
			pc_free(pc);
		}
		return;
	}
	if (pc->state != PS_RELAY) { /* an idle upstream went away */
		pc_drop_upstream(pc);
		return;
	}
	if ((what & BEV_EVENT_EOF) && pc->rs_started && pc->rs_mode == PX_BODY_CLOSE) {
		struct evbuffer *in = bufferevent_get_input(pc->up); /* the body's end */
		pc->down_bytes += evbuffer_get_length(in);
		evbuffer_add_buffer(bufferevent_get_output(pc->cli), in);
		pc->rs_close = 1;
		pc_response_done(pc);
		return;
	}
	pc->rs_close = 1;
	if (!pc->rs_started) {
		pc_drop_upstream(pc);
		pc_reply_error(pc, 502, "the upstream closed the connection before answering");
	} else {
		pc_free(pc); /* a response cut short: the client sees it cut short */
	}
}

static void read_pp(pconn *pc);

/* A connection refused before any request: event, why, and who. */
static void log_refused(pconn *pc, const char *event, const char *why)
{
	char line[400];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_fmt(&b, "{\"event\":\"%s\",\"error\":", event);
	tb_json(&b, why, strlen(why), 200);
	tb_str(&b, ",\"client\":");
	tb_json(&b, pc->client, strlen(pc->client), 64);
	tb_str(&b, "}\n");
	log_line(pc->px->s, "warning", b.p, b.len);
}

static void on_cli_read(struct bufferevent *bev, void *arg);
static void on_cli_write(struct bufferevent *bev, void *arg);
static void on_cli_event(struct bufferevent *bev, short what, void *arg);

static void cli_callbacks(pconn *pc)
{
	bufferevent_setcb(pc->cli, on_cli_read, on_cli_write, on_cli_event, pc);
	pb_watch(pc);
	bufferevent_setwatermark(pc->cli, EV_WRITE, PX_HIGH_WATER / 2, 0);
	bulk_io(pc->cli);
	bufferevent_enable(pc->cli, EV_READ);
}

/* The listener speaks TLS: from here on the client's bytes are decrypted by
 * a filter; the bytes that came with the PROXY header feed the handshake. */
static int start_tls(pconn *pc)
{
	struct bufferevent *raw = pc->cli;
	if (ptls_wrap(pc) != 0)
		return -1;
	bufferevent_openssl_set_allow_dirty_shutdown(pc->cli, 1);
	cli_callbacks(pc);
	if (evbuffer_get_length(bufferevent_get_input(raw)))
		bufferevent_trigger(raw, EV_READ, 0);
	return 0;
}

static void on_cli_read(struct bufferevent *bev, void *arg)
{
	pconn *pc = arg;
	(void)bev;
	pc->last_ms = sg_mono_coarse_ms();
	switch (pc->state) {
	case PS_PPHDR:
		read_pp(pc);
		break;
	case PS_HEAD:
		pc_try_head(pc);
		break;
	case PS_RELAY:
		pc_pump_request(pc);
		break;
	case PS_TUNNEL:
		pc_relay_bytes(pc->cli, pc->up, &pc->up_bytes);
		break;
	default:
		bufferevent_disable(pc->cli, EV_READ);
		break;
	}
}

static void on_cli_write(struct bufferevent *bev, void *arg)
{
	pconn *pc = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));
	if (pc->state == PS_CLOSING) {
		if (!unsent(pc))
			pc_free(pc);
		return;
	}
	if (pc->state == PS_HELD) { /* below the low mark: read on */
		pc_next_request(pc);
		return;
	}
	if (pc->state == PS_TUNNEL && pc->up_eof && !left)
		shutdown(bufferevent_getfd(pc->cli), SHUT_WR);
	else if (pc->up && (pc->state == PS_TUNNEL || pc->state == PS_RELAY) && !pc->up_eof)
		pb_read_upstream(pc);
}

static void on_cli_event(struct bufferevent *bev, short what, void *arg)
{
	pconn *pc = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return; /* the TLS handshake is done */
	if (pc->tls && (what & BEV_EVENT_ERROR) && !pc->head) {
		char e[200];
		ptls_error_text(pc, e, sizeof e);
		log_refused(pc, "proxy_tls", e);
		SRV_COUNT(pc->px->tls_errors, 1);
	}
	if (pc->state == PS_TUNNEL && (what & BEV_EVENT_EOF) && pc->up) {
		pc_relay_bytes(pc->cli, pc->up, &pc->up_bytes);
		tunnel_eof(pc, 1);
		return;
	}
	pc_free(pc); /* a pending refusal keeps pc until its commit */
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	pconn *pc = arg;
	int64_t now = sg_mono_coarse_ms(), idle = srv_lim(pc->px->s)->proxy_idle_s * 1000;
	(void)fd;
	(void)what;
	switch (pc->state) {
	case PS_RESOLVE: /* the lookup keeps its own deadline */
		return;
	case PS_CONNECT:
		pc_drop_upstream(pc);
		pc_reply_error(pc, 504, "connecting to the upstream timed out");
		return;
	case PS_RELAY:
	case PS_TUNNEL: {
		/* waiting for the reply budget with nothing of its own unread:
		 * other clients hold the room, it is not idle */
		int64_t quiet = pb_waiting(pc) && !pc->out_held ? 0 : now - pc->last_ms;
		int64_t life = pc->state == PS_TUNNEL
		               ? pc->set->lim.proxy_tunnel_s * 1000 - (now - pc->tunnel_t0_ms)
		               : idle;
		if (quiet >= idle || life <= 0) {
			if (pc->state == PS_RELAY && !pc->rs_started) {
				pc_drop_upstream(pc);
				pc_reply_error(pc, 504, "the upstream did not answer in time");
			} else {
				pc_free(pc);
			}
			return;
		}
		pc_arm(pc, idle - quiet < life ? idle - quiet : life);
		return;
	}
	case PS_COMMIT:
		return;
	case PS_HELD: /* a client that does not read its answers */
		if (unsent(pc) <= PX_HIGH_WATER / 2) {
			pc_next_request(pc);
		} else if (now < pc->deadline_ms) {
			pc_arm(pc, pc->tls ? PX_FLUSH_POLL_MS : pc->deadline_ms - now);
		} else {
			pc_free(pc);
		}
		return;
	case PS_CLOSING:
		if (pc->cli && unsent(pc) && now < pc->deadline_ms) {
			pc_arm(pc, pc->tls ? PX_FLUSH_POLL_MS : pc->deadline_ms - now);
			return;
		}
		pc_free(pc);
		return;
	default: /* no head in time */
		pc_free(pc);
		return;
	}
}

/* ---- PROXY protocol ---- */

static void client_text(pconn *pc, const struct sockaddr *sa)
{
	char t[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, t, sizeof t);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, t,
		          sizeof t);
	snprintf(pc->client, sizeof pc->client, "%s", t);
}

static void read_pp(pconn *pc)
{
	struct evbuffer *in = bufferevent_get_input(pc->cli);
	size_t len = evbuffer_get_length(in), n = len < PX_PP_MAX ? len : PX_PP_MAX;
	const unsigned char *p = evbuffer_pullup(in, (ev_ssize_t)n);
	struct sockaddr_storage src;
	int local = 0;
	size_t used = 0;
	const char *why = NULL;
	px_rc rc = px_pp_parse(p, n, &src, &local, &used, &why);
	if (rc == PX_MORE)
		return;
	if (rc != PX_OK) {
		log_refused(pc, "proxy_protocol", why);
		SRV_COUNT(pc->px->pp_bad, 1);
		pc_free(pc);
		return;
	}
	evbuffer_drain(in, used);
	if (!local)
		client_text(pc, (const struct sockaddr *)&src);
	pc->state = PS_HEAD;
	if (pc->px->tls_on) {
		if (start_tls(pc) != 0)
			pc_free(pc);
		return;
	}
	pc_try_head(pc);
}

/* ---- a new client ---- */

void pc_accept(struct proxy *px, evutil_socket_t fd, const struct sockaddr *sa)
{
	struct srv *s = px->s;
	pconn *pc = calloc(1, sizeof *pc);
	if (!pc || s->draining) {
		free(pc);
		close(fd);
		return;
	}
	pc->px = px;
	srv_nodelay(fd); /* bodies are relayed piece by piece */
	pc->cli = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	pc->tev = evtimer_new(s->base, on_timer, pc);
	if (!pc->cli || !pc->tev) {
		if (pc->cli)
			bufferevent_free(pc->cli);
		else
			close(fd);
		if (pc->tev)
			event_free(pc->tev);
		free(pc);
		return;
	}
	if (sa->sa_family == AF_UNIX) {
		struct ucred cr;
		socklen_t crl = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) == 0) {
			pc->has_uid = 1;
			pc->uid = (uint32_t)cr.uid;
		}
		snprintf(pc->client, sizeof pc->client, "unix:uid=%u", pc->has_uid ? pc->uid : 0u);
	} else {
		client_text(pc, sa);
	}
	sg_list_insert_head(&px->conns, &pc->link);
	SRV_COUNT(px->nconns, 1);
	pc->state = s->cfg->proxy_protocol ? PS_PPHDR : PS_HEAD;
	pc->last_ms = sg_mono_coarse_ms();
	pc->guest = conn_guest_add(s, &guest_ops, pc); /* may evict an older idle one */
	if (pc->state == PS_HEAD && px->tls_on) {
		if (start_tls(pc) != 0) {
			pc_free(pc);
			return;
		}
	} else {
		cli_callbacks(pc);
	}
	const srvcfg_limits *lim = srv_lim(s); /* the newest, taken by conn_guest_add */
	pc_arm(pc, (pc->state == PS_PPHDR ? lim->client_timeout_s : lim->proxy_idle_s) * 1000);
}

void pc_adopt_upstream(pconn *pc, struct bufferevent *bev, const pin_sa *addr)
{
	pc->up = bev;
	pc->up_addr = *addr;
	pc->up_eof = 0;
	bufferevent_setcb(bev, on_up_read, on_up_write, on_up_event, pc);
}

int pc_dial(pconn *pc, const struct sockaddr *sa, socklen_t len)
{
	struct srv *s = pc->px->s;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	srv_nodelay(fd);
	pc->up = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!pc->up) {
		close(fd);
		return -1;
	}
	bufferevent_setcb(pc->up, on_up_read, on_up_write, on_up_event, pc);
	bufferevent_setwatermark(pc->up, EV_WRITE, PX_HIGH_WATER / 2, 0);
	bulk_io(pc->up);
	if (bufferevent_socket_connect(pc->up, sa, (int)len) != 0) {
		pc_drop_upstream(pc);
		return -1;
	}
	memset(&pc->up_addr, 0, sizeof pc->up_addr);
	memcpy(&pc->up_addr, sa, len < sizeof pc->up_addr ? len : sizeof pc->up_addr);
	pc->state = PS_CONNECT;
	pc_arm(pc, pc->set->lim.connect_timeout_ms); /* its request's reading's */
	return 0;
}
