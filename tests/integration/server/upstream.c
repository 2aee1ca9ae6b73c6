/*
 * upstream.c — the tests' and benchmarks' "internet" web server.
 *
 * usage: sg-upstream ADDR:PORT [ADDR:PORT...]   (IPv6 as [::1]:80)
 * Routes:
 *   /hello                 200 "hello from upstream\n"
 *   /redirect?to=URL[&code=302]   a redirect to URL
 *   /big?n=BYTES[&chunked=1]      a body of n bytes ('x')
 *   /slow?ms=N             answer after N ms
 *   /drip?ms=N             headers at once, one body byte every N ms, forever
 *   /bighdr?n=BYTES        a response header of n bytes
 *   /headers               the request headers, one "Name: value" a line
 *   /stats                 "requests N\n" since start
 *   /stats?conns=1         "connections N\n" accepted since start
 * Any route with close=1 closes the connection after the answer.
 * Prints "ready" on stdout once every address is bound.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct event_base *base;
static unsigned long nreq, nconn;

/* Count accepted connections (for the connection-reuse test). */
static struct bufferevent *on_conn(struct event_base *b, void *arg)
{
	(void)arg;
	nconn++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static long qnum(struct evkeyvalq *q, const char *k, long dflt)
{
	const char *v = evhttp_find_header(q, k);
	if (!v)
		return dflt;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	return errno || *end || x < 0 ? dflt : x;
}

struct later {
	struct evhttp_request *req;
	struct event *ev;
	int drip;
};

static void on_later(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;
	(void)fd;
	(void)what;
	if (!l->drip) {
		struct evbuffer *b = evbuffer_new();
		evbuffer_add_printf(b, "slow hello\n");
		evhttp_send_reply(l->req, 200, "OK", b);
		evbuffer_free(b);
		event_free(l->ev);
		free(l);
		return;
	}
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, "x", 1);
	evhttp_send_reply_chunk(l->req, b);
	evbuffer_free(b);
}

static void on_conn_close(struct evhttp_connection *c, void *arg)
{
	struct later *l = arg;
	(void)c;
	event_free(l->ev);
	free(l);
}

static void handle(struct evhttp_request *req, void *arg)
{
	(void)arg;
	nreq++;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(u);
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (evhttp_uri_get_query(u))
		evhttp_parse_query_str(evhttp_uri_get_query(u), &q);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();
	if (!path)
		path = "/";
	if (qnum(&q, "close", 0))
		evhttp_add_header(out, "Connection", "close");
	if (!strcmp(path, "/hello")) {
		evhttp_add_header(out, "Content-Type", "text/plain");
		evbuffer_add_printf(b, "hello from upstream\n");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (!strcmp(path, "/redirect")) {
		const char *to = evhttp_find_header(&q, "to");
		evhttp_add_header(out, "Location", to ? to : "/hello");
		evhttp_send_reply(req, (int)qnum(&q, "code", 302), "Redirect", b);
	} else if (!strcmp(path, "/big")) {
		long n = qnum(&q, "n", 1000);
		evhttp_add_header(out, "Content-Type", "application/octet-stream");
		if (qnum(&q, "chunked", 0)) {
			evhttp_send_reply_start(req, 200, "OK");
			char chunk[16384];
			memset(chunk, 'x', sizeof chunk);
			while (n > 0) {
				long k = n > (long)sizeof chunk ? (long)sizeof chunk : n;
				evbuffer_add(b, chunk, (size_t)k);
				evhttp_send_reply_chunk(req, b);
				n -= k;
			}
			evhttp_send_reply_end(req);
		} else {
			char chunk[16384];
			memset(chunk, 'x', sizeof chunk);
			while (n > 0) {
				long k = n > (long)sizeof chunk ? (long)sizeof chunk : n;
				evbuffer_add(b, chunk, (size_t)k);
				n -= k;
			}
			evhttp_send_reply(req, 200, "OK", b);
		}
	} else if (!strcmp(path, "/slow") || !strcmp(path, "/drip")) {
		struct later *l = calloc(1, sizeof *l);
		l->req = req;
		l->drip = !strcmp(path, "/drip");
		long ms = qnum(&q, "ms", 1000);
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
		l->ev = event_new(base, -1, l->drip ? EV_PERSIST : 0, on_later, l);
		event_add(l->ev, &tv);
		if (l->drip) {
			evhttp_send_reply_start(req, 200, "OK");
			evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_conn_close, l);
		}
	} else if (!strcmp(path, "/bighdr")) {
		long n = qnum(&q, "n", 100000);
		char *v = malloc((size_t)n + 1);
		memset(v, 'h', (size_t)n);
		v[n] = '\0';
		evhttp_add_header(out, "X-Big", v);
		free(v);
		evbuffer_add_printf(b, "big header\n");
		evhttp_send_reply(req, 200, "OK", b);
	} else if (!strcmp(path, "/headers")) {
		struct evkeyval *h;
		TAILQ_FOREACH(h, evhttp_request_get_input_headers(req), next)
			evbuffer_add_printf(b, "%s: %s\n", h->key, h->value);
		evhttp_send_reply(req, 200, "OK", b);
	} else if (!strcmp(path, "/stats")) {
		if (qnum(&q, "conns", 0))
			evbuffer_add_printf(b, "connections %lu\n", nconn);
		else
			evbuffer_add_printf(b, "requests %lu\n", nreq);
		evhttp_send_reply(req, 200, "OK", b);
	} else {
		evbuffer_add_printf(b, "not here\n");
		evhttp_send_reply(req, 404, "Not Found", b);
	}
	evbuffer_free(b);
	evhttp_clear_headers(&q);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: sg-upstream ADDR:PORT...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_set_gencb(http, handle, NULL);
	evhttp_set_bevcb(http, on_conn, NULL);
	evhttp_set_max_headers_size(http, 1 << 20);
	for (int i = 1; i < argc; i++) {
		char host[128];
		const char *colon = strrchr(argv[i], ':');
		if (!colon)
			return 2;
		const char *h = argv[i];
		size_t hn = (size_t)(colon - h);
		if (h[0] == '[') {
			h++;
			hn -= 2;
		}
		if (hn >= sizeof host)
			return 2;
		memcpy(host, h, hn);
		host[hn] = '\0';
		if (evhttp_bind_socket(http, host, (ev_uint16_t)strtol(colon + 1, NULL, 10)) != 0) {
			fprintf(stderr, "sg-upstream: cannot bind %s\n", argv[i]);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	event_base_dispatch(base);
	return 0;
}
