/*
 * accept.h — an evhttp listener whose accept() fails.  Out of descriptors
 * (or kernel memory) the listening socket stays readable, so libevent calls
 * accept() again at once, forever, warning each time: tens of thousands of
 * log lines a second and a spinning core, at the bidding of whoever can
 * open connections.  With a guard, accepting pauses for a second instead,
 * said in one warning log line on stderr every 10 s at most
 * ({"event":"accept_paused"}, with the pauses not logged since: as serve
 * says it, docs/serve.md); the connections that wait stay in the kernel's
 * backlog and are taken when it resumes.  Prefix: accept_.
 *
 * Used by the evhttp servers whose log is stderr: the dashboard and the
 * respond daemon's --listen (serve's own listeners pause in
 * src/server/conn.c).  Create and free while the listener's event loop
 * is not running (or on its thread), before its base is freed.  At most ACCEPT_GUARDS_MAX at once
 * in a process (libevent gives the error callback evhttp's argument, so the
 * guards are found by their listener).
 */
#ifndef SSRFGUARD_ACCEPT_H
#define SSRFGUARD_ACCEPT_H

#include "ssrfguard/error.h"

#define ACCEPT_GUARDS_MAX 4

struct event_base;
struct evhttp_bound_socket;
typedef struct accept_guard accept_guard;

/* SG_ERR_NOMEM, or SG_ERR_BUSY with ACCEPT_GUARDS_MAX guards in use. */
sg_err accept_guard_new(struct event_base *base, struct evhttp_bound_socket *bs,
                        accept_guard **out);
void accept_guard_free(accept_guard *g); /* NULL-safe */

#endif
