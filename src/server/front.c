/* front.c — serve's listener: connections, request heads, answers.  See
 * front.h. */
#include "server/front.h"
#include "server/srv_int.h"

#include "common/list.h"
#include "common/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FR_BUF 4096       /* a connection's input buffer, to start */
#define FR_IOV 16         /* body pieces written with the head at once */
#define FR_INLINE_BODY 1024 /* a body up to this size goes out in its head's send(2) */
#define FR_LINGER_MS 2000 /* a closing connection's input is read and dropped this long */

struct fr_conn {
	struct srv *s;
	struct sg_list link;          /* in the loop's connections, oldest first */
	int fd;
	struct event *rev, *wev;
	conn_guest *guest;
	char peer[48];
	char *in;
	size_t len, cap;
	size_t used;                  /* bytes of the request in progress */
	px_head h;
	int busy;                     /* a request is in progress */
	int replying;                 /* its answer is being written */
	int close_after, gone, reading;
	int lingering;                /* answered and closing: input is dropped */
	int continued;                /* 100 Continue sent for this request */
	int64_t deadline_ms;          /* head deadline, or the write deadline */
	struct evbuffer *out;         /* what the socket has not taken yet */
};

struct front {
	struct evconnlistener *lst;
	struct sg_list conns;         /* fr_conn, oldest first */
	size_t replying;
	struct event *sweep;
};

static int64_t limit_ms(const fr_conn *c)
{
	return srv_lim(c->s)->client_timeout_s * 1000;
}

/* The largest input a connection holds: one request head and its body. */
static size_t in_max(const struct srv *s)
{
	return (size_t)srv_lim(s)->max_request_bytes + SRV_REQUEST_BODY_MAX + 1024;
}

/* ---- connection life ---- */

static void conn_free(fr_conn *c)
{
	struct front *f = c->s->front;
	sg_list_remove(&c->link);
	if (c->replying && f->replying)
		f->replying--;
	if (c->out) {
		conn_out_add(c->s, 0, evbuffer_get_length(c->out));
		evbuffer_free(c->out);
	}
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	conn_guest_remove(c->guest);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
}

/* Close now, unless a request is in progress (its answer frees it). */
static void conn_end(fr_conn *c)
{
	c->gone = 1;
	if (c->reading) {
		event_del(c->rev);
		c->reading = 0;
	}
	if (!c->busy)
		conn_free(c);
}

static int guest_idle(void *ctx)
{
	fr_conn *c = ctx;
	return !c->busy && !c->len;
}

static void guest_close(void *ctx)
{
	fr_conn *c = ctx;
	conn_guest_remove(c->guest);
	c->guest = NULL;
	conn_end(c);
}

static const conn_guest_ops guest_ops = {guest_idle, guest_close};

static void reads_on(fr_conn *c)
{
	if (!c->reading && !c->gone && event_add(c->rev, NULL) == 0)
		c->reading = 1;
}

static void reads_off(fr_conn *c)
{
	if (c->reading) {
		event_del(c->rev);
		c->reading = 0;
	}
}

/* ---- answers ---- */

static const char *reason_of(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 499: return "Client Closed Request";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 508: return "Loop Detected";
	default: return code < 300 ? "OK" : code < 400 ? "Redirect" : code < 500 ? "Client Error"
	                                                             : "Server Error";
	}
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_u(char *p, unsigned long long v)
{
	char t[24];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

static void finish_request(fr_conn *c);

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	fr_conn *c = arg;
	(void)what;
	int n = evbuffer_write(c->out, fd);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		c->gone = 1;
		finish_request(c);
		return;
	}
	if (n > 0) {
		conn_out_add(c->s, 0, (size_t)n);
		c->deadline_ms = sg_mono_coarse_ms() + limit_ms(c);
	}
	if (evbuffer_get_length(c->out))
		event_add(c->wev, NULL);
	else
		finish_request(c);
}

/* Keep what the socket did not take: head bytes from hp, then body's. */
static int queue_rest(fr_conn *c, const char *hp, size_t hn, struct evbuffer *body,
                      const char *p, size_t len)
{
	if (!c->out && !(c->out = evbuffer_new()))
		return -1;
	size_t before = evbuffer_get_length(c->out);
	if (hn && evbuffer_add(c->out, hp, hn) != 0)
		return -1;
	if (body && evbuffer_add_buffer(c->out, body) != 0)
		return -1;
	if (!body && len && evbuffer_add(c->out, p, len) != 0)
		return -1;
	conn_out_add(c->s, evbuffer_get_length(c->out) - before, 0);
	c->replying = 1;
	c->s->front->replying++;
	c->deadline_ms = sg_mono_coarse_ms() + limit_ms(c);
	return event_add(c->wev, NULL);
}

void fr_reply(fr_conn *c, int code, const char *ctype, const char *extra, struct evbuffer *body,
              const char *p, size_t len, int close)
{
	struct srv *s = c->s;
	if (c->gone) {
		finish_request(c);
		return;
	}
	size_t blen = body ? evbuffer_get_length(body) : len;
	c->close_after = close || c->h.close || s->draining;
	size_t ctn = ctype ? strlen(ctype) : 0, exn = extra ? strlen(extra) : 0;
	size_t inl = blen <= FR_INLINE_BODY ? blen : 0;
	char small[1024 + FR_INLINE_BODY];
	size_t need = 320 + ctn + exn + inl;
	char *head = need <= sizeof small ? small : malloc(need);
	if (!head) {
		c->close_after = 1;
		finish_request(c);
		return;
	}
	const char *reason = reason_of(code);
	struct timespec now;
	log_clock(s, &now); /* the loop's Date text, made once a second */
	char *w = PUT_LIT(head, "HTTP/1.1 ");
	w = put_u(w, (unsigned)code);
	*w++ = ' ';
	w = put(w, reason, strlen(reason));
	w = PUT_LIT(w, "\r\nDate: ");
	w = put(w, s->clock_http, strlen(s->clock_http));
	w = PUT_LIT(w, "\r\n");
	if (ctype) {
		w = PUT_LIT(w, "Content-Type: ");
		w = put(w, ctype, ctn);
		w = PUT_LIT(w, "\r\n");
	}
	w = PUT_LIT(w, "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
	if (exn)
		w = put(w, extra, exn);
	w = PUT_LIT(w, "Content-Length: ");
	w = put_u(w, blen);
	if (c->close_after)
		w = PUT_LIT(w, "\r\nConnection: close");
	else if (c->h.minor == 0)
		w = PUT_LIT(w, "\r\nConnection: keep-alive");
	w = PUT_LIT(w, "\r\n\r\n");
	if (inl) { /* a small body joins the head: one send(2), not a writev(2) */
		if (body)
			evbuffer_remove(body, w, inl);
		else
			memcpy(w, p, inl);
		w += inl;
		blen = len = 0;
	}
	size_t hn = (size_t)(w - head);

	ssize_t n;
	if (!blen) {
		n = send(c->fd, head, hn, MSG_NOSIGNAL);
	} else {
		struct iovec iov[FR_IOV + 1];
		int niov = 1;
		iov[0] = (struct iovec){head, hn};
		if (body) {
			struct evbuffer_iovec v[FR_IOV];
			int k = evbuffer_peek(body, -1, NULL, v, FR_IOV);
			for (int i = 0; i < k && i < FR_IOV; i++)
				iov[niov++] = (struct iovec){v[i].iov_base, v[i].iov_len};
		} else {
			iov[niov++] = (struct iovec){(void *)(uintptr_t)p, len};
		}
		n = writev(c->fd, iov, niov);
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		if (head != small)
			free(head);
		c->gone = 1;
		finish_request(c);
		return;
	}
	size_t sent = n > 0 ? (size_t)n : 0;
	if (sent == hn + blen) {
		if (head != small)
			free(head);
		if (body)
			evbuffer_drain(body, blen);
		finish_request(c);
		return;
	}
	size_t hs = sent < hn ? sent : hn, bs = sent - hs;
	if (body)
		evbuffer_drain(body, bs);
	int rc = queue_rest(c, head + hs, hn - hs, body, p + (body ? 0 : bs), body ? 0 : len - bs);
	if (head != small)
		free(head);
	if (rc != 0) {
		c->gone = 1;
		finish_request(c);
	}
}

/* ---- requests ---- */

static void answer_bad(fr_conn *c, int code, const char *why)
{
	char msg[200];
	tbuf b;
	tb_init(&b, msg, sizeof msg);
	tb_fmt(&b, "{\"error\":\"%s\",\"message\":", code == 413 ? "too_large" : "bad_request");
	tb_json(&b, why, strlen(why), 120);
	tb_str(&b, "}\n");
	c->busy = 1;
	metrics_count(c->s, ROUTE_OTHER, code);
	fr_reply(c, code, "application/json", NULL, NULL, b.p, b.len, 1);
}

/* The request body's length when whole in the buffer: 0 none, >0 its
 * bytes, -1 more to come, -2 too large, -3 malformed. */
static long long body_bytes(fr_conn *c)
{
	const px_head *h = &c->h;
	size_t avail = c->len - h->head_len;
	if (h->has_length) {
		if (h->length > SRV_REQUEST_BODY_MAX)
			return -2;
		return avail >= h->length ? (long long)h->length : -1;
	}
	if (!h->chunked)
		return 0;
	px_chunk ck;
	int done = 0;
	memset(&ck, 0, sizeof ck);
	size_t look = avail < SRV_REQUEST_BODY_MAX + 1024 ? avail : SRV_REQUEST_BODY_MAX + 1024;
	long long n = px_chunk_feed(&ck, c->in + h->head_len, look, &done);
	if (n < 0)
		return -3;
	if (done)
		return n;
	return avail >= SRV_REQUEST_BODY_MAX + 1024 ? -2 : -1;
}

/* Parse the buffer's next request and dispatch it, or wait for more. */
static void take_request(fr_conn *c)
{
	struct srv *s = c->s;
	const char *why = NULL;
	px_rc rc = px_parse_request_lenient(c->in, c->len, (size_t)srv_lim(s)->max_request_bytes,
	                                    &c->h, &why);
	if (rc == PX_MORE)
		return;
	if (rc == PX_TOO_BIG) {
		answer_bad(c, 413, why && *why ? why : "request head too large");
		return;
	}
	if (rc != PX_OK) {
		answer_bad(c, 400, why && *why ? why : "malformed request");
		return;
	}
	long long b = body_bytes(c);
	if (b == -1) {
		/* a client that waits for leave to send its (small) body gets it */
		if (c->h.expect_continue && !c->continued) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			c->continued = send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL | MSG_DONTWAIT) > 0;
		}
		return;
	}
	if (b == -2) {
		answer_bad(c, 413, "request body too large");
		return;
	}
	if (b == -3) {
		answer_bad(c, 400, "malformed chunked request body");
		return;
	}
	c->used = c->h.head_len + (size_t)b;
	c->continued = 0;
	c->busy = 1;
	srv_route(s, c);
}

/* The answer is out (or the client gone): the next request, or the end. */
static void finish_request(fr_conn *c)
{
	struct srv *s = c->s;
	struct front *f = s->front;
	if (c->replying) {
		c->replying = 0;
		if (f->replying)
			f->replying--;
	}
	c->busy = 0;
	if (c->gone) {
		conn_free(c);
		srv_check_drained(s);
		return;
	}
	if (c->close_after) {
		/* A lingering close: the client may still be sending (a head too
		 * large); closing with unread input would reset the connection
		 * and lose the answer, so its input is read and dropped until it
		 * closes, at most FR_LINGER_MS. */
		shutdown(c->fd, SHUT_WR);
		c->lingering = 1;
		c->len = c->used = 0;
		c->deadline_ms = sg_mono_coarse_ms() + FR_LINGER_MS;
		reads_on(c);
		srv_check_drained(s);
		return;
	}
	memmove(c->in, c->in + c->used, c->len - c->used);
	c->len -= c->used;
	c->used = 0;
	c->deadline_ms = sg_mono_coarse_ms() + limit_ms(c);
	reads_on(c);
	if (c->len) /* pipelined: on the next loop turn */
		event_active(c->rev, EV_READ, 0);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	fr_conn *c = arg;
	(void)what;
	if (c->lingering) {
		char drop[4096];
		ssize_t n = recv(fd, drop, sizeof drop, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_free(c);
		return;
	}
	if (c->busy)  /* a request in progress: bytes wait in the buffer */
		goto read_more;
	if (c->len == c->cap) { /* a head longer than the buffer so far */
		size_t max = in_max(c->s);
		size_t ncap = c->cap * 2 < max ? c->cap * 2 : max;
		char *n = ncap > c->cap ? realloc(c->in, ncap) : NULL;
		if (n) {
			c->in = n;
			c->cap = ncap;
		}
	}
read_more:
	if (c->len == c->cap) {
		reads_off(c); /* full behind a request in progress (or too large) */
		if (!c->busy)
			take_request(c);
		return;
	}
	ssize_t n = recv(fd, c->in + c->len, c->cap - c->len, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		conn_end(c);
		return;
	}
	if (n > 0)
		c->len += (size_t)n;
	if (!c->busy && c->len)
		take_request(c);
}

/* ---- accepting ---- */

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	struct srv *s = arg;
	struct front *f = s->front;
	(void)l;
	(void)salen;
	fr_conn *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	srv_nodelay(fd); /* pipelined answers are written one by one */
	c->cap = FR_BUF;
	c->in = malloc(c->cap);
	c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wev = event_new(s->base, fd, EV_WRITE, on_write, c);
	sg_list_insert_tail(&f->conns, &c->link);
	if (!c->in || !c->rev || !c->wev) {
		conn_free(c);
		return;
	}
	const void *a = sa->sa_family == AF_INET6
	                ? (const void *)&((struct sockaddr_in6 *)(void *)sa)->sin6_addr
	                : (const void *)&((struct sockaddr_in *)(void *)sa)->sin_addr;
	if (!inet_ntop(sa->sa_family, a, c->peer, sizeof c->peer))
		memcpy(c->peer, "?", 2);
	c->guest = conn_guest_add(s, &guest_ops, c); /* may evict an older idle one */
	c->deadline_ms = sg_mono_coarse_ms() + limit_ms(c);      /* the newest reading's, taken above */
	reads_on(c);
}

/* Each second: connections too slow to send a head, or to take an answer,
 * are shut (dropped); the store may be full of them otherwise. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	int64_t now = sg_mono_coarse_ms();
	(void)fd;
	(void)what;
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &s->front->conns) {
		fr_conn *c = sg_list_entry(l, fr_conn, link);
		if (c->busy && !c->replying)
			continue; /* a fetch in progress: its own deadlines */
		if (now > c->deadline_ms && c->lingering) {
			conn_free(c);
		} else if (now > c->deadline_ms) {
			conn_dropped(s);
			if (c->replying) {
				c->gone = 1;
				finish_request(c);
			} else {
				conn_end(c);
			}
		}
	}
}

sg_err fr_init(struct srv *s)
{
	struct front *f = calloc(1, sizeof *f);
	if (!f)
		return SG_ERR_NOMEM;
	sg_list_init(&f->conns);
	s->front = f;
	f->sweep = event_new(s->base, -1, EV_PERSIST, on_sweep, s);
	struct timeval tv = {1, 0};
	if (!f->sweep || event_add(f->sweep, &tv) != 0)
		return SG_ERR_NOMEM;
	return SG_OK;
}

sg_err fr_listen(struct srv *s, int fd)
{
	struct front *f = s->front;
	f->lst = evconnlistener_new(s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE |
	                            LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!f->lst)
		return SG_ERR_NETWORK;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		self_add_listener(s, (struct sockaddr *)&ss, sl);
	return conn_add_listener(s, f->lst);
}

void fr_stop(struct srv *s)
{
	struct front *f = s->front;
	if (!f || !f->lst)
		return;
	conn_remove_listener(s, f->lst);
	evconnlistener_free(f->lst); /* closes the socket */
	f->lst = NULL;
}

void fr_free(struct srv *s)
{
	struct front *f = s->front;
	if (!f)
		return;
	fr_stop(s);
	for (struct sg_list *l; (l = sg_list_first(&f->conns));)
		conn_free(sg_list_entry(l, fr_conn, link));
	if (f->sweep)
		event_free(f->sweep);
	free(f);
	s->front = NULL;
}

size_t fr_replying(const struct srv *s)
{
	return s->front ? s->front->replying : 0;
}

const px_head *fr_head(const fr_conn *c)
{
	return &c->h;
}

const char *fr_peer(const fr_conn *c)
{
	return c->peer;
}

const char *fr_target(fr_conn *c)
{
	char *end = (char *)(uintptr_t)(c->h.target.p + c->h.target.n);
	*end = '\0'; /* was the space before the version */
	return c->h.target.p;
}

int fr_gone(fr_conn *c)
{
	if (c->gone)
		return 1;
	char b;
	ssize_t n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
