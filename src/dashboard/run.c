/* run.c — dash_run: check the token, open the store read-only, bind, serve
 * until SIGINT/SIGTERM. */
#include "dashboard/dashboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dashboard/dash_int.h"
#include "respond/respond.h"
#include "store/store.h"

/* Printable ASCII without space, ';', ',', '"' or '\\': safe in a cookie and
 * a header, typeable in the login form. */
static sg_err check_token(const char *t, char *err, size_t errlen)
{
	size_t n = t ? strlen(t) : 0;
	if (n < DASH_TOKEN_MIN || n > DASH_TOKEN_MAX) {
		snprintf(err, errlen, "the token must be %d to %d bytes (it is %zu)", DASH_TOKEN_MIN,
		         DASH_TOKEN_MAX, n);
		return SG_ERR_INVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~' || strchr(";,\"\\", t[i])) {
			snprintf(err, errlen, "the token holds a byte it may not (byte %zu): use printable "
			         "ASCII without spaces, ';', ',', '\"' or '\\'", i + 1);
			return SG_ERR_INVAL;
		}
	return SG_OK;
}

/* "HOST:PORT" or "[V6]:PORT" -> host, port. */
static sg_err split_listen(const char *l, char *host, size_t hostcap, int *port, char *err,
                           size_t errlen)
{
	const char *colon = l ? strrchr(l, ':') : NULL;
	char *end = NULL;
	if (!colon || colon == l || !colon[1]) {
		snprintf(err, errlen, "--listen '%.64s': want HOST:PORT", l ? l : "");
		return SG_ERR_PARSE;
	}
	size_t hn = (size_t)(colon - l);
	if (l[0] == '[' && hn >= 2 && l[hn - 1] == ']') {
		l++;
		hn -= 2;
	}
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (hn >= hostcap || errno || *end || p < 0 || p > 65535) {
		snprintf(err, errlen, "--listen '%.64s': bad host or port", l);
		return SG_ERR_PARSE;
	}
	memcpy(host, l, hn);
	host[hn] = '\0';
	*port = (int)p;
	return SG_OK;
}

static void on_signal(evutil_socket_t sig, short what, void *base)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(base);
}

/* "listening" with the address really bound (port 0 becomes the port). */
static void log_listening(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char addr[INET6_ADDRSTRLEN] = "?", msg[128];
	int port = 0;
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
			port = ntohs(s6->sin6_port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
			port = ntohs(s4->sin_port);
		}
	}
	snprintf(msg, sizeof msg, strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	dash_log("info", "listening", msg);
}

static sg_err serve(dash *d, const char *host, int port, char *err, size_t errlen)
{
	sg_err rc = SG_ERR_IO;
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct event *si = base ? evsignal_new(base, SIGINT, on_signal, base) : NULL;
	struct event *st = base ? evsignal_new(base, SIGTERM, on_signal, base) : NULL;
	struct evhttp_bound_socket *bs = NULL;
	if (!http || !si || !st || event_add(si, NULL) || event_add(st, NULL))
		snprintf(err, errlen, "out of memory");
	else if (dash_events_start(d, base) != SG_OK)
		snprintf(err, errlen, "out of memory");
	else if (!(bs = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port)))
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
	else {
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
		evhttp_set_max_headers_size(http, 16384);
		evhttp_set_max_body_size(http, 4096);
		evhttp_set_timeout(http, 30);
		evhttp_set_gencb(http, dash_handle, d);
		log_listening(bs);
		rc = event_base_dispatch(base) < 0 ? SG_ERR_IO : SG_OK;
		if (rc)
			snprintf(err, errlen, "event loop failed");
		else
			dash_log("info", "stopped", "signal received");
	}
	dash_events_stop(d);
	if (si)
		event_free(si);
	if (st)
		event_free(st);
	if (http)
		evhttp_free(http);
	if (base)
		event_base_free(base);
	return rc;
}

/* The responder that releases, with the CSRF token its requests carry. */
static sg_err release_setup(dash *d, char *err, size_t errlen)
{
	respond_config rc;
	respond_config_default(&rc);
	rc.store_path = d->cfg->store_path;
	rc.state_table = d->cfg->state_table;
	rc.region = d->cfg->region;
	rc.endpoint_url = d->cfg->endpoint_url;
	rc.ca_bundle = d->cfg->ca_bundle;
	if (dash_csrf_init(d) != SG_OK) {
		snprintf(err, errlen, "no random bytes for the CSRF token");
		return SG_ERR_IO;
	}
	return respond_new(&rc, &d->r, err, errlen);
}

sg_err dash_run(const dash_config *cfg, char *err, size_t errlen)
{
	char host[256];
	int port = 0;
	sg_err e = check_token(cfg->token, err, errlen);
	if (!e)
		e = split_listen(cfg->listen, host, sizeof host, &port, err, errlen);
	if (e)
		return e;
	dash d = {.cfg = cfg, .token_len = strlen(cfg->token)};
	store_opts so = {.readonly = 1, .state_table = cfg->state_table, .region = cfg->region,
	                 .endpoint_url = cfg->endpoint_url, .ca_bundle = cfg->ca_bundle};
	if ((e = store_open(cfg->store_path, &so, &d.st, err, errlen)) != SG_OK)
		return e;
	if (cfg->allow_release)
		e = release_setup(&d, err, errlen);
	if (!e)
		e = serve(&d, host, port, err, errlen);
	respond_free(d.r);
	store_close(d.st);
	return e;
}
