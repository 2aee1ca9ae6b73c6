/* run.c — dash_run: check the token, open the store read-only, bind, serve
 * until SIGINT/SIGTERM. */
#include "dashboard/dashboard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "accept/accept.h"
#include "common/listen.h"
#include "dashboard/dash_int.h"
#include "respond/respond.h"
#include "store/store.h"
#include "tls/servertls.h"

/* Printable ASCII without space, ';', ',', '"' or '\\': safe in a cookie and
 * a header, typeable in the login form.  No token at all is for client
 * certificates alone. */
static sg_err check_token(const dash_config *cfg, char *err, size_t errlen)
{
	const char *t = cfg->token;
	if (!t && cfg->client_ca && cfg->client_ca[0])
		return SG_OK;
	if (!t) {
		snprintf(err, errlen, "no way to sign in: give a token, a client CA, or both");
		return SG_ERR_INVAL;
	}
	size_t n = strlen(t);
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

static void on_signal(evutil_socket_t sig, short what, void *base)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(base);
}

/* "listening" with the address really bound (port 0 becomes the port) and
 * the version. */
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
	json_t *fields = json_pack("{s:s}", "version", SSRFGUARD_VERSION); /* as serve's */
	logging_write(STDERR_FILENO, "info", "listening", msg, fields);
	json_decref(fields);
}

/* A client certificate the handshake refuses is logged with why (the
 * subject as RFC 2253 text: ASCII, escaped). */
static int on_verify(int ok, X509_STORE_CTX *x)
{
	if (ok)
		return ok;
	char subject[DASH_OPERATOR_MAX], msg[DASH_OPERATOR_MAX + 200];
	tls_cert_subject(X509_STORE_CTX_get_current_cert(x), subject, sizeof subject);
	snprintf(msg, sizeof msg, "client certificate refused: %s (subject %s)",
	         X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)), subject);
	dash_log("warning", "tls", msg);
	return ok;
}

/* A reload of the TLS files (SIGHUP or a changed file) is logged; one that
 * failed leaves the files loaded before in force. */
static void on_tls_reload(void *arg, const char *trigger, const char *error)
{
	char msg[600];
	(void)arg;
	if (error)
		snprintf(msg, sizeof msg, "%s: %s; the certificate, key, client CA and CRL loaded "
		         "before stay in force", trigger, error);
	else
		snprintf(msg, sizeof msg, "%s: certificate, key, client CA and CRL read again", trigger);
	dash_log(error ? "error" : "info", "tls_reload", msg);
}

/* HTTPS with tls_cert/tls_key; client certificates with client_ca.  The
 * files are read again on SIGHUP and when they change (src/tls). */
static sg_err tls_setup(dash *d, char *err, size_t errlen)
{
	const dash_config *c = d->cfg;
	if (!c->tls_cert && !c->tls_key) {
		if (!c->client_ca && !c->client_crl)
			return SG_OK;
		snprintf(err, errlen, "--client-ca and --client-crl need --tls-cert and --tls-key");
		return SG_ERR_INVAL;
	}
	tls_server_files f = {.cert = c->tls_cert, .key = c->tls_key, .client_ca = c->client_ca,
	                      .client_crl = c->client_crl, .cert_name = "--tls-cert",
	                      .key_name = "--tls-key", .client_ca_name = "--client-ca",
	                      .client_crl_name = "--client-crl", .on_verify = on_verify};
	return tls_live_new(&f, on_tls_reload, d, &d->tls, err, errlen);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	dash *d = arg;
	(void)sig;
	(void)what;
	if (d->tls)
		tls_live_reload(d->tls, "SIGHUP");
}

static sg_err serve(dash *d, const char *host, int port, char *err, size_t errlen)
{
	sg_err rc = SG_ERR_IO;
	struct event_base *base = event_base_new();
	struct evhttp *http = base ? evhttp_new(base) : NULL;
	struct event *si = base ? evsignal_new(base, SIGINT, on_signal, base) : NULL;
	struct event *st = base ? evsignal_new(base, SIGTERM, on_signal, base) : NULL;
	struct event *hup = base ? evsignal_new(base, SIGHUP, on_hup, d) : NULL;
	struct evhttp_bound_socket *bs = NULL;
	if (!http || !si || !st || !hup || event_add(si, NULL) || event_add(st, NULL) ||
	    event_add(hup, NULL) || (d->tls && tls_live_watch(d->tls, base, TLS_LIVE_WATCH_S)))
		snprintf(err, errlen, "out of memory");
	else if (dash_events_start(d, base) != SG_OK)
		snprintf(err, errlen, "out of memory");
	else if (!(bs = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port)))
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
	else if (accept_guard_new(base, bs, &d->accept) != SG_OK)
		snprintf(err, errlen, "out of memory");
	else {
		evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
		evhttp_set_max_headers_size(http, 16384);
		evhttp_set_max_body_size(http, 4096);
		evhttp_set_timeout(http, 30);
		evhttp_set_gencb(http, dash_handle, d);
		if (d->tls)
			evhttp_set_bevcb(http, tls_evhttp_bev, d->tls);
		log_listening(bs);
		rc = event_base_dispatch(base) < 0 ? SG_ERR_IO : SG_OK;
		if (rc)
			snprintf(err, errlen, "event loop failed");
		else
			dash_log("info", "stopped", "signal received");
	}
	dash_events_stop(d);
	accept_guard_free(d->accept);
	d->accept = NULL;
	if (d->tls)
		tls_live_watch(d->tls, NULL, 0);
	if (si)
		event_free(si);
	if (st)
		event_free(st);
	if (hup)
		event_free(hup);
	if (http)
		evhttp_free(http);
	if (base)
		event_base_free(base);
	return rc;
}

/* The responder that releases, with the CSRF token its requests carry. */
static sg_err release_setup(dash *d, char *err, size_t errlen)
{
	if (dash_csrf_init(d) != SG_OK) {
		snprintf(err, errlen, "no random bytes for the CSRF token");
		return SG_ERR_IO;
	}
	return respond_new(d->cfg->where, &d->r, err, errlen);
}

sg_err dash_run(const dash_config *cfg, char *err, size_t errlen)
{
	sg_listen l;
	char why[160];
	sg_err e = check_token(cfg, err, errlen);
	if (e)
		return e;
	if (sg_listen_parse(cfg->listen, SG_LISTEN_PORT0, &l, why, sizeof why) != SG_OK) {
		snprintf(err, errlen, "--listen %s", why);
		return SG_ERR_PARSE;
	}
	dash d = {.cfg = cfg, .token_len = cfg->token ? strlen(cfg->token) : 0};
	static const store_opts readonly = {.readonly = 1};
	if ((e = tls_setup(&d, err, errlen)) != SG_OK)
		return e;
	if ((e = respond_store_open(cfg->where, &readonly, &d.st, err, errlen)) == SG_OK) {
		if (cfg->allow_release)
			e = release_setup(&d, err, errlen);
		if (!e)
			e = serve(&d, l.host, (int)l.portnum, err, errlen);
	}
	respond_free(d.r);
	store_close(d.st);
	tls_live_free(d.tls);
	return e;
}
