/* accept.c — an evhttp listener's accept() failures pause accepting (see
 * accept.h). */
#include "accept/accept.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logging/logging.h"

#define ACCEPT_PAUSE_MS 1000
#define ACCEPT_LOG_S 10

struct accept_guard {
	struct evconnlistener *listener;
	struct event *resume;
	time_t last_logged;
	unsigned long not_logged; /* pauses since the last line */
};

/* The guards in use, found by their listener (the error callback gets
 * evhttp's argument, not ours). */
static pthread_mutex_t guards_mu = PTHREAD_MUTEX_INITIALIZER;
static accept_guard *guards[ACCEPT_GUARDS_MAX];

static accept_guard *find(struct evconnlistener *l)
{
	accept_guard *g = NULL;
	pthread_mutex_lock(&guards_mu);
	for (size_t i = 0; i < ACCEPT_GUARDS_MAX && !g; i++)
		if (guards[i] && guards[i]->listener == l)
			g = guards[i];
	pthread_mutex_unlock(&guards_mu);
	return g;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	accept_guard *g = arg;
	(void)fd;
	(void)what;
	evconnlistener_enable(g->listener);
}

static void on_accept_error(struct evconnlistener *l, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	accept_guard *g = find(l);
	(void)arg;
	if (!g)
		return;
	evconnlistener_disable(l);
	struct timeval pause = {ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000};
	evtimer_add(g->resume, &pause);
	time_t now = time(NULL);
	if (g->last_logged && now - g->last_logged < ACCEPT_LOG_S) {
		g->not_logged++;
		return;
	}
	char msg[240];
	snprintf(msg, sizeof msg, "accept: %s; accepting paused for %d ms, waiting connections "
	         "stay queued (%lu pauses not logged before this one)", strerror(e), ACCEPT_PAUSE_MS,
	         g->not_logged);
	logging_write(STDERR_FILENO, "warning", "accept_paused", msg, NULL);
	g->last_logged = now;
	g->not_logged = 0;
}

sg_err accept_guard_new(struct event_base *base, struct evhttp_bound_socket *bs,
                        accept_guard **out)
{
	accept_guard *g = calloc(1, sizeof *g);
	*out = NULL;
	if (!g || !(g->listener = evhttp_bound_socket_get_listener(bs)) ||
	    !(g->resume = evtimer_new(base, on_resume, g))) {
		accept_guard_free(g);
		return SG_ERR_NOMEM;
	}
	size_t i = 0;
	pthread_mutex_lock(&guards_mu);
	while (i < ACCEPT_GUARDS_MAX && guards[i])
		i++;
	if (i < ACCEPT_GUARDS_MAX)
		guards[i] = g;
	pthread_mutex_unlock(&guards_mu);
	if (i == ACCEPT_GUARDS_MAX) {
		accept_guard_free(g);
		return SG_ERR_BUSY;
	}
	evconnlistener_set_error_cb(g->listener, on_accept_error);
	*out = g;
	return SG_OK;
}

void accept_guard_free(accept_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&guards_mu);
	for (size_t i = 0; i < ACCEPT_GUARDS_MAX; i++)
		if (guards[i] == g)
			guards[i] = NULL;
	pthread_mutex_unlock(&guards_mu);
	if (g->listener)
		evconnlistener_set_error_cb(g->listener, NULL);
	if (g->resume)
		event_free(g->resume);
	free(g);
}
