/* accept.c — the listener's accept() failures.  Out of descriptors (or
 * kernel memory) the listening socket stays readable, so libevent would
 * call accept() again at once, forever, warning each time: tens of
 * thousands of log lines a second and a spinning core, at an attacker's
 * bidding.  Instead accepting pauses for a second, said in one warning
 * line every 10 s at most ("accept_paused", as serve says it); the
 * connections that wait stay in the kernel's backlog and are taken when
 * it resumes. */
#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dashboard/dash_int.h"

#define ACCEPT_PAUSE_MS 1000

/* The one dashboard of this process: libevent gives an accept error
 * callback the evhttp's argument, not ours. */
static dash *paused_dash;

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	dash *d = arg;
	(void)fd;
	(void)what;
	if (d->listener)
		evconnlistener_enable(d->listener);
}

/* One line per ACCEPT_LOG_S at most, with the pauses not logged since, as
 * serve's accept_paused lines (docs/serve.md). */
#define ACCEPT_LOG_S 10
static time_t last_logged;
static unsigned long not_logged;

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	char msg[240];
	dash *d = paused_dash;
	(void)arg;
	if (!d || !d->accept_timer)
		return;
	evconnlistener_disable(l);
	struct timeval pause = {ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000};
	evtimer_add(d->accept_timer, &pause);
	time_t now = time(NULL);
	if (last_logged && now - last_logged < ACCEPT_LOG_S) {
		not_logged++;
		return;
	}
	snprintf(msg, sizeof msg, "accept: %s; accepting paused for %d ms, waiting connections "
	         "stay queued (%lu pauses not logged before this one)", strerror(e), ACCEPT_PAUSE_MS,
	         not_logged);
	dash_log("warning", "accept_paused", msg);
	last_logged = now;
	not_logged = 0;
}

sg_err dash_accept_guard(dash *d, struct event_base *base, struct evhttp_bound_socket *bs)
{
	d->listener = evhttp_bound_socket_get_listener(bs);
	if (!d->listener || !(d->accept_timer = evtimer_new(base, on_resume, d)))
		return SG_ERR_NOMEM;
	paused_dash = d;
	evconnlistener_set_error_cb(d->listener, on_accept_error);
	return SG_OK;
}

void dash_accept_guard_stop(dash *d)
{
	if (paused_dash == d)
		paused_dash = NULL;
	if (d->accept_timer)
		event_free(d->accept_timer);
	d->accept_timer = NULL;
	d->listener = NULL;
}
