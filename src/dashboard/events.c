/* events.c — live updates: GET /api/events is a server-sent event stream.
 * A subscriber gets its page of the list (dash_page_json, as GET /api/page
 * with the same before and limit: the newest by default) at once; then a
 * timer reads each page watched every DASH_EVENTS_TICK_MS (once per page,
 * however many watch it) and sends it to each subscriber whose last list
 * differs (by SHA-256: a subscriber never gets the same list twice, so the
 * page is not redrawn under the operator's pointer for nothing), as
 * "event: incidents\ndata: LIST\n\n" (the JSON is compact and escapes every
 * control byte, so it is one data line).  A comment line keeps idle streams
 * open through proxies.  At most DASH_EVENTS_MAX subscribers (503 after). */
#include "dashboard/dash_int.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct dash_sub {
	struct evhttp_request *req;
	dash *d;
	struct dash_sub *next;
	int64_t before;   /* its page (dash_page_json) */
	size_t limit;
	unsigned char sent[SHA256_DIGEST_LENGTH]; /* the list it last got */
};

static void unlink_sub(dash *d, struct dash_sub *s)
{
	for (struct dash_sub **p = &d->subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			d->nsubs--;
			break;
		}
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	struct dash_sub *s = arg;
	unlink_sub(s->d, s);
	/* the client went away mid-stream: libevent has let go of the request
	 * (never finished by us) and leaves freeing it to reply_end */
	evhttp_send_reply_end(s->req);
	free(s);
}

static void send_chunk(struct evhttp_request *req, const char *a, const char *b, const char *c)
{
	struct evbuffer *buf = evbuffer_new();
	if (!buf)
		return;
	evbuffer_add(buf, a, strlen(a));
	evbuffer_add(buf, b, strlen(b));
	evbuffer_add(buf, c, strlen(c));
	evhttp_send_reply_chunk(req, buf);
	evbuffer_free(buf);
}

/* The list to s, unless it is the one s last got; 1 when sent. */
static int send_list(struct dash_sub *s, const char *json)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)json, strlen(json), digest);
	if (!memcmp(digest, s->sent, sizeof digest))
		return 0;
	memcpy(s->sent, digest, sizeof digest);
	send_chunk(s->req, "event: incidents\ndata: ", json, "\n\n");
	return 1;
}

/* s's page, read once per tick for every subscriber of the same page
 * (*json, *of: the last page read, and whose) */
static sg_err page_of(dash *d, const struct dash_sub *s, const struct dash_sub **of, char **json)
{
	if (*of && (*of)->before == s->before && (*of)->limit == s->limit)
		return SG_OK;
	free(*json);
	*json = NULL;
	*of = NULL;
	sg_err err = dash_page_json(d->st, &d->total, s->before, s->limit, json);
	if (!err)
		*of = s;
	return err;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dash *d = arg;
	char *json = NULL;
	const struct dash_sub *of = NULL;
	for (struct dash_sub *s = d->subs; s; s = s->next) {
		if (page_of(d, s, &of, &json) != SG_OK) {
			dash_log("error", "events", "cannot read the incident list");
			break;
		}
		if (!send_list(s, json) && d->ticks % 8 == 0)
			send_chunk(s->req, ": keep-alive", "", "\n\n");
	}
	d->ticks++;
	free(json);
}

void dash_events_subscribe(dash *d, struct evhttp_request *req)
{
	char *json = NULL;
	struct dash_sub *s = NULL;
	int64_t before;
	size_t limit;
	if (dash_page_query(req, &before, &limit) != SG_OK) {
		dash_reply_error(req, 400, DASH_BAD_PAGE);
		return;
	}
	if (d->nsubs >= DASH_EVENTS_MAX || !(s = calloc(1, sizeof *s))) {
		dash_reply_error(req, 503, "Service Unavailable");
		return;
	}
	if (dash_page_json(d->st, &d->total, before, limit, &json) != SG_OK) {
		free(s);
		dash_reply_error(req, 503, "Service Unavailable");
		return;
	}
	*s = (struct dash_sub){.req = req, .d = d, .next = d->subs, .before = before, .limit = limit};
	d->subs = s;
	d->nsubs++;
	dash_security_headers(req, "text/event-stream");
	evhttp_send_reply_start(req, 200, "OK");
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, s);
	send_chunk(req, "retry: 3000\n\n", "", "");
	send_list(s, json); /* the state now: the page needs no separate fetch */
	free(json);
}

sg_err dash_events_start(dash *d, struct event_base *base)
{
	struct timeval tv = {DASH_EVENTS_TICK_MS / 1000, (DASH_EVENTS_TICK_MS % 1000) * 1000};
	d->timer = event_new(base, -1, EV_PERSIST, tick, d);
	return d->timer && event_add(d->timer, &tv) == 0 ? SG_OK : SG_ERR_NOMEM;
}

void dash_events_stop(dash *d)
{
	while (d->subs) {
		struct dash_sub *s = d->subs;
		struct evhttp_connection *conn = evhttp_request_get_connection(s->req);
		evhttp_connection_set_closecb(conn, NULL, NULL);
		d->subs = s->next;
		free(s);
		evhttp_connection_free(conn); /* the stream and its request with it */
	}
	d->nsubs = 0;
	if (d->timer)
		event_free(d->timer);
	d->timer = NULL;
}
