/* gofetch.c — /go's plain-HTTP upstream client: pooled keep-alive
 * connections to judged addresses, the request written whole, the answer
 * parsed once.  See gofetch.h. */
#include "server/gofetch.h"
#include "server/srv_int.h"

#include "common/list.h"
#include "common/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GF_BUF 16384          /* a connection's input buffer, to start */
#define GF_IDLE_MAX_MS 60000  /* a pooled connection unused this long is closed */

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

typedef struct gf_conn {
	struct srv *s;
	int fd;
	struct event *rev, *wev;      /* rev: on from connect to close */
	pin_sa peer;
	socklen_t peerlen;
	job *j;                       /* its hop, or NULL while pooled */
	struct sg_list link;          /* in the pool, newest first */
	int connecting;
	int64_t idle_since_ms;
	char *in;
	size_t len, cap;
} gf_conn;

struct gf_pool {
	struct sg_list conns;         /* gf_conn, newest first */
	size_t n;                     /* at most max_concurrent, as libcurl's cache */
};

/* ---- connections and the pool ---- */

static void pool_unlink(struct gf_pool *p, gf_conn *c)
{
	sg_list_remove(&c->link);
	p->n--;
}

static void conn_close(gf_conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c);
}

static void pool_put(gf_conn *c)
{
	struct gf_pool *p = c->s->gf;
	size_t max = (size_t)srv_lim(c->s)->max_concurrent;
	c->j = NULL;
	c->len = 0;
	if (c->s->draining || !max) {
		conn_close(c);
		return;
	}
	int64_t now = sg_mono_coarse_ms();
	for (struct sg_list *l; (l = sg_list_last(&p->conns));) {
		gf_conn *old = sg_list_entry(l, gf_conn, link);
		if (p->n < max && now - old->idle_since_ms <= GF_IDLE_MAX_MS)
			break;
		pool_unlink(p, old);
		conn_close(old);
	}
	c->idle_since_ms = now;
	sg_list_insert_head(&p->conns, &c->link);
	p->n++;
}

static int same_peer(const gf_conn *c, const pin_sa *a)
{
	if (c->peer.sa.sa_family != a->sa.sa_family)
		return 0;
	if (a->sa.sa_family == AF_INET)
		return c->peer.in4.sin_port == a->in4.sin_port &&
		       c->peer.in4.sin_addr.s_addr == a->in4.sin_addr.s_addr;
	return c->peer.in6.sin6_port == a->in6.sin6_port &&
	       !memcmp(&c->peer.in6.sin6_addr, &a->in6.sin6_addr, sizeof a->in6.sin6_addr);
}

static gf_conn *pool_take(struct srv *s, const pin_sa *a)
{
	struct gf_pool *p = s->gf;
	struct sg_list *l, *n;
	sg_list_foreach_safe(l, n, &p->conns) {
		gf_conn *c = sg_list_entry(l, gf_conn, link);
		if (same_peer(c, a)) {
			pool_unlink(p, c);
			return c;
		}
	}
	return NULL;
}

int gf_init(struct srv *s)
{
	s->gf = calloc(1, sizeof *s->gf);
	if (!s->gf)
		return -1;
	sg_list_init(&s->gf->conns);
	return 0;
}

void gf_cleanup(struct srv *s)
{
	if (!s->gf)
		return;
	for (struct sg_list *l; (l = sg_list_first(&s->gf->conns));) {
		gf_conn *c = sg_list_entry(l, gf_conn, link);
		pool_unlink(s->gf, c);
		conn_close(c);
	}
	free(s->gf);
	s->gf = NULL;
}

/* ---- the hop's end ---- */

/* Detach the hop from its connection: kept when keep (the answer ended
 * cleanly, nothing else arrived), else closed. */
static void release_conn(job *j, int keep)
{
	gf_conn *c = j->gf.c;
	j->gf.c = NULL;
	j->gf.active = 0;
	j->gf.connect_deadline_ms = 0;
	free(j->gf.out);
	j->gf.out = NULL;
	if (!c)
		return;
	if (keep && c->len == 0)
		pool_put(c);
	else
		conn_close(c);
}

static void hop_failed(job *j, int code, const char *msg)
{
	release_conn(j, 0);
	fetch_hop_failed(j, code, msg);
}

void gf_stop(job *j)
{
	release_conn(j, 0);
}

int gf_expired(const job *j, int64_t now)
{
	const gf_hop *h = &j->gf;
	if (!h->active)
		return 0;
	if (h->connect_deadline_ms && now >= h->connect_deadline_ms)
		return 1;
	int64_t t0 = (int64_t)j->t0.tv_sec * 1000 + j->t0.tv_nsec / 1000000;
	return now - t0 >= srv_job_lim(j)->total_timeout_ms;
}

/* ---- the request ---- */

/* Write what is left of the request; 0 sent (or waiting for the socket),
 * -1 the connection failed. */
static int flush_out(gf_conn *c)
{
	gf_hop *h = &c->j->gf;
	while (h->out_off < h->out_len) {
		ssize_t n = send(c->fd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return event_add(c->wev, NULL) == 0 ? 0 : -1;
		if (n <= 0)
			return -1;
		h->out_off += (size_t)n;
	}
	free(h->out);
	h->out = NULL;
	h->out_len = h->out_off = 0;
	return 0;
}

static void lost(gf_conn *c, const char *why);

/* The request, built whole from pieces and written with one send. */
static void send_request(gf_conn *c)
{
	job *j = c->j;
	gf_hop *h = &j->gf;
	struct srv *s = j->s;
	char port[8] = "";
	size_t pn = 0;
	int v6 = strchr(j->hopv.host, ':') != NULL;
	if (j->hopv.port != 80)
		pn = (size_t)snprintf(port, sizeof port, ":%u", (unsigned)j->hopv.port);
	size_t hn = strlen(j->hopv.host), vn = s->via_len;
	size_t an = h->auth ? strlen(h->auth) : 0;
	size_t need = h->tlen + hn + pn + vn + an + 128;
	char small[4096];
	char *b = need <= sizeof small ? small : malloc(need);
	if (!b) {
		hop_failed(j, 503, "out of memory");
		return;
	}
	char *w = b;
#define PIECE(p, n) (memcpy(w, (p), (n)), w += (n))
#define LIT(lit) PIECE(lit, sizeof(lit) - 1)
	LIT("GET ");
	if (h->tslash)
		LIT("/");
	PIECE(h->tp, h->tlen);
	LIT(" HTTP/1.1\r\nHost: ");
	if (v6)
		LIT("[");
	PIECE(j->hopv.host, hn);
	if (v6)
		LIT("]");
	PIECE(port, pn);
	LIT("\r\nUser-Agent: ssrfguard/0.1\r\nAccept: */*\r\n");
	PIECE(s->via, vn); /* srv_via_new */
	LIT("\r\n");
	if (an)
		PIECE(h->auth, an);
	LIT("\r\n");
#undef LIT
#undef PIECE
	size_t n = (size_t)(w - b);
	ssize_t sent = send(c->fd, b, n, MSG_NOSIGNAL);
	if (sent == (ssize_t)n) {
		if (b != small)
			free(b);
		return;
	}
	if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		if (b != small)
			free(b);
		lost(c, "cannot send the request");
		return;
	}
	size_t off = sent > 0 ? (size_t)sent : 0;
	if (!(h->out = malloc(n - off))) {
		if (b != small)
			free(b);
		hop_failed(j, 503, "out of memory");
		return;
	}
	memcpy(h->out, b + off, n - off);
	h->out_len = n - off;
	h->out_off = 0;
	if (b != small)
		free(b);
	if (flush_out(c) != 0)
		lost(c, "cannot send the request");
}

/* ---- dialling ---- */

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void dial_next(job *j);

/* The hop's i-th judged address with its port; 0, or -1 past the end. */
static int hop_addr(job *j, size_t i, pin_sa *a, socklen_t *len)
{
	memset(a, 0, sizeof *a);
	if (j->pinned) {
		if (i >= j->d.judged.n)
			return -1;
		*a = j->d.judged.a[i];
	} else {
		if (i > 0)
			return -1;
		if (inet_pton(AF_INET, j->hopv.addr, &a->in4.sin_addr) == 1)
			a->sa.sa_family = AF_INET;
		else if (inet_pton(AF_INET6, j->hopv.addr, &a->in6.sin6_addr) == 1)
			a->sa.sa_family = AF_INET6;
		else
			return -1;
	}
	if (a->sa.sa_family == AF_INET) {
		a->in4.sin_port = htons(j->hopv.port);
		*len = sizeof a->in4;
	} else {
		a->in6.sin6_port = htons(j->hopv.port);
		*len = sizeof a->in6;
	}
	return 0;
}

static gf_conn *conn_new(struct srv *s, const pin_sa *a, socklen_t len)
{
	gf_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->s = s;
	c->peer = *a;
	c->peerlen = len;
	c->fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->cap = GF_BUF;
	c->in = malloc(c->cap);
	c->rev = c->fd >= 0 ? event_new(s->base, c->fd, EV_READ | EV_PERSIST, on_read, c) : NULL;
	c->wev = c->fd >= 0 ? event_new(s->base, c->fd, EV_WRITE, on_write, c) : NULL;
	if (!c->in || !c->rev || !c->wev) {
		conn_close(c);
		return NULL;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* as libcurl */
	return c;
}

/* A new connection to the next judged address (each judged at the
 * connect); 502 when none could be connected. */
static void dial_next(job *j)
{
	gf_hop *h = &j->gf;
	struct srv *s = j->s;
	pin_sa a;
	socklen_t len;
	while (hop_addr(j, h->next_addr, &a, &len) == 0) {
		h->next_addr++;
		sg_verdict v;
		fetch_judge(j, &a.sa, len, &v);
		if (v.action != SG_ALLOW) { /* one denied address dooms the hop */
			release_conn(j, 0);
			fetch_hop_blocked(j);
			return;
		}
		gf_conn *c = conn_new(s, &a, len);
		if (!c) {
			hop_failed(j, 503, "cannot start a fetch");
			return;
		}
		if (connect(c->fd, &a.sa, len) != 0 && errno != EINPROGRESS) {
			conn_close(c);
			continue;
		}
		c->j = j;
		c->connecting = 1;
		h->c = c;
		int64_t left = srv_job_lim(j)->connect_timeout_ms - j->d.dns_ms;
		h->connect_deadline_ms = sg_mono_coarse_ms() + (left > 0 ? left : 1);
		if (event_add(c->wev, NULL) != 0) {
			hop_failed(j, 503, "cannot start a fetch");
			return;
		}
		return;
	}
	hop_failed(j, 502, "cannot connect to the upstream");
}

/* A request lost on its connection.  One that a reused connection lost
 * before any answer (the upstream closed it while idle) is sent once more
 * on a new connection; otherwise the fetch fails. */
static void lost(gf_conn *c, const char *why)
{
	job *j = c->j;
	gf_hop *h = &j->gf;
	if (h->reused && !h->resent && !h->head_done && c->len == 0) {
		release_conn(j, 0);
		h->active = 1;
		h->reused = 0;
		h->resent = 1;
		h->next_addr = 0;
		dial_next(j);
		return;
	}
	char msg[160];
	snprintf(msg, sizeof msg, "upstream fetch failed: %s", why);
	hop_failed(j, 502, msg);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	gf_conn *c = arg;
	(void)what;
	if (!c->j)
		return;
	if (c->connecting) {
		int err = 0;
		socklen_t el = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
			job *j = c->j;
			release_conn(j, 0);
			j->gf.active = 1;
			dial_next(j);
			return;
		}
		c->connecting = 0;
		c->j->gf.connect_deadline_ms = 0;
		if (event_add(c->rev, NULL) != 0) {
			hop_failed(c->j, 503, "cannot start a fetch");
			return;
		}
		send_request(c);
		return;
	}
	if (flush_out(c) != 0)
		lost(c, "cannot send the request");
}

/* ---- the answer ---- */

/* Body bytes to the job; 0, or -1 after ending the hop. */
static int take_body(gf_conn *c, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (fetch_body_add(c->j, p, n) == 0)
		return 0;
	hop_failed(c->j, 0, "upstream fetch failed: cannot keep the answer");
	return -1;
}

/* The answer is whole: hand it over, keep the connection if it may be. */
static void answered(gf_conn *c, int keep)
{
	job *j = c->j;
	gf_hop *h = &j->gf;
	int code = h->status;
	char *loc = h->loc;
	h->loc = NULL;
	release_conn(j, keep);
	fetch_hop_answered(j, code, loc, h->ctype);
	free(loc);
}

/* The Content-Type as libcurl reports it, printable ASCII only. */
static void keep_ctype(gf_hop *h, const px_head *rh)
{
	const px_field *f = px_find(rh, "content-type");
	h->ctype[0] = '\0';
	if (!f || f->value.n >= sizeof h->ctype)
		return;
	for (size_t i = 0; i < f->value.n; i++)
		if ((unsigned char)f->value.p[i] < 0x20 || (unsigned char)f->value.p[i] > 0x7e)
			return;
	memcpy(h->ctype, f->value.p, f->value.n);
	h->ctype[f->value.n] = '\0';
}

/* Parse the head at the start of c->in; 1 parsed (bytes consumed), 0 more
 * needed, -1 the hop ended. */
static int read_head(gf_conn *c, size_t *off)
{
	job *j = c->j;
	gf_hop *h = &j->gf;
	size_t max = (size_t)srv_job_lim(j)->max_header_bytes;
	for (;;) {
		px_head rh;
		const char *why = NULL;
		size_t room = max > j->hdr_bytes ? max - j->hdr_bytes : 0;
		px_rc rc = px_parse_response(c->in + *off, c->len - *off, room,
		                             (px_span){"GET", 3}, &rh, &why);
		if (rc == PX_MORE)
			return 0;
		if (rc == PX_TOO_BIG) {
			j->hdr_too_big = 1;
			hop_failed(j, 0, "upstream response headers too large");
			return -1;
		}
		if (rc != PX_OK) {
			char msg[160];
			snprintf(msg, sizeof msg, "upstream fetch failed: %s", why ? why : "bad answer");
			hop_failed(j, 502, msg);
			return -1;
		}
		j->hdr_bytes += rh.head_len;
		*off += rh.head_len;
		if (rh.status == 100)
			continue;
		if (rh.status < 200) {
			j->bad_interim = 1;
			hop_failed(j, 0, "upstream sent an interim status");
			return -1;
		}
		h->head_done = 1;
		h->status = rh.status;
		keep_ctype(h, &rh);
		const px_field *lf = rh.status >= 300 && rh.status < 400 ? px_find(&rh, "location")
		                                                        : NULL;
		if (lf && lf->value.n && (h->loc = malloc(lf->value.n + 1))) {
			memcpy(h->loc, lf->value.p, lf->value.n);
			h->loc[lf->value.n] = '\0';
		}
		h->mode = rh.chunked ? BODY_CHUNKED : rh.until_close ? BODY_CLOSE
		        : rh.has_length && rh.length ? BODY_LENGTH : BODY_NONE;
		h->left = rh.length;
		memset(&h->ck, 0, sizeof h->ck);
		if (h->mode == BODY_LENGTH && rh.length > (uint64_t)srv_job_lim(j)->max_body) {
			j->too_big = 1;
			hop_failed(j, 0, "upstream answer too large");
			return -1;
		}
		h->keep = !(rh.close || rh.until_close);
		return 1;
	}
}

/* Body bytes c->in[off..len): consumed; 1 the answer ended, 0 more
 * needed, -1 the hop ended. */
static int read_body(gf_conn *c, size_t off)
{
	gf_hop *h = &c->j->gf;
	size_t n = c->len - off;
	char *p = c->in + off;
	int done = 0;
	switch (h->mode) {
	case BODY_NONE:
		c->len = n; /* bytes past the answer: the connection is not kept */
		return 1;
	case BODY_CLOSE:
		c->len = 0;
		return take_body(c, p, n) ? -1 : 0;
	case BODY_LENGTH: {
		size_t take = (uint64_t)n < h->left ? n : (size_t)h->left;
		h->left -= take;
		if (take_body(c, p, take))
			return -1;
		c->len = n - take; /* anything past the answer: the connection is not kept */
		return h->left == 0;
	}
	default: {
		size_t data = 0;
		long long used = px_chunk_decode(&h->ck, p, n, &data, &done);
		if (used < 0) {
			hop_failed(c->j, 502, "upstream fetch failed: malformed chunked body");
			return -1;
		}
		if (take_body(c, p, data))
			return -1;
		c->len = n - (size_t)used;
		return done;
	}
	}
}

static void on_answer_bytes(gf_conn *c)
{
	gf_hop *h = &c->j->gf;
	size_t off = 0;
	if (!h->head_done) {
		int r = read_head(c, &off);
		if (r < 0)
			return;
		if (r == 0) {
			if (off) { /* interim heads consumed */
				memmove(c->in, c->in + off, c->len - off);
				c->len -= off;
			}
			return;
		}
	}
	int r = read_body(c, off);
	if (r == 1)
		answered(c, h->keep);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	gf_conn *c = arg;
	(void)what;
	if (!c->j) { /* pooled: closed by the upstream, or bytes nobody asked for */
		pool_unlink(c->s->gf, c);
		conn_close(c);
		return;
	}
	gf_hop *h = &c->j->gf;
	if (c->len == c->cap) { /* a head longer than the buffer */
		size_t max = (size_t)srv_job_lim(c->j)->max_header_bytes + 1;
		size_t ncap = c->cap * 2 < max ? c->cap * 2 : max;
		char *n = ncap > c->cap ? realloc(c->in, ncap) : NULL;
		if (!n) {
			c->j->hdr_too_big = 1;
			hop_failed(c->j, 0, "upstream response headers too large");
			return;
		}
		c->in = n;
		c->cap = ncap;
	}
	ssize_t n = recv(fd, c->in + c->len, c->cap - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n == 0 && h->head_done && h->mode == BODY_CLOSE) { /* its end */
			answered(c, 0);
			return;
		}
		lost(c, n == 0 ? "the upstream closed the connection before the answer ended"
		               : strerror(errno));
		return;
	}
	c->len += (size_t)n;
	on_answer_bytes(c);
}

/* ---- starting a hop ---- */

void gf_start(job *j)
{
	gf_hop *h = &j->gf;
	free(h->target);
	free(h->auth);
	free(h->loc);
	free(h->out);
	memset(h, 0, sizeof *h);
	h->active = 1;
	if (gf_hop_target(j) != 0) {
		hop_failed(j, 400, "unparsable url: libcurl cannot use this URL");
		return;
	}
	pin_sa a;
	socklen_t len;
	for (size_t i = 0; hop_addr(j, i, &a, &len) == 0; i++) {
		gf_conn *c = pool_take(j->s, &a);
		if (!c)
			continue;
		sg_verdict v;
		fetch_judge(j, &c->peer.sa, c->peerlen, &v); /* judged again, as reused */
		if (v.action != SG_ALLOW) {
			pool_put(c);
			release_conn(j, 0);
			fetch_hop_blocked(j);
			return;
		}
		c->j = j;
		h->c = c;
		h->reused = 1;
		send_request(c);
		return;
	}
	dial_next(j);
}

void gf_free(job *j)
{
	release_conn(j, 0);
	free(j->gf.target);
	free(j->gf.auth);
	free(j->gf.loc);
	j->gf.target = j->gf.auth = j->gf.loc = NULL;
}
