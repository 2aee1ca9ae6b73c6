/* reload.c — a TLS server context that follows its files: built again on
 * request and when a file changes, the old one kept when the new files
 * cannot be used (see servertls.h, "A context that follows its files"). */
#include "tls/servertls.h"

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { LIVE_FILES = 4 }; /* cert, key, client CA, client CRL */

struct tls_live {
	pthread_mutex_t mu;
	SSL_CTX *ctx;                 /* the context in force */
	tls_server_files f;           /* its files (paths owned below) */
	char *paths[LIVE_FILES];
	struct stat seen[LIVE_FILES]; /* the files as last loaded (zero: absent) */
	struct event *watch;
	tls_reload_report report;
	void *report_arg;
	uint64_t reloads, failures;
	int failing;
	char why[300];
};

/* What tells a changed file: inode, size, change and modification times. */
static void look(const tls_live *t, struct stat out[LIVE_FILES])
{
	for (size_t i = 0; i < LIVE_FILES; i++) {
		struct stat st;
		memset(&out[i], 0, sizeof out[i]);
		if (t->paths[i] && t->paths[i][0] && stat(t->paths[i], &st) == 0) {
			out[i].st_ino = st.st_ino;
			out[i].st_size = st.st_size;
			out[i].st_mtim = st.st_mtim;
			out[i].st_ctim = st.st_ctim;
		}
	}
}

static int copy_files(tls_live *t, const tls_server_files *f)
{
	const char *src[LIVE_FILES] = {f->cert, f->key, f->client_ca, f->client_crl};
	for (size_t i = 0; i < LIVE_FILES; i++)
		if (src[i] && !(t->paths[i] = strdup(src[i])))
			return -1;
	t->f = *f;
	t->f.cert = t->paths[0];
	t->f.key = t->paths[1];
	t->f.client_ca = t->paths[2];
	t->f.client_crl = t->paths[3];
	return 0;
}

sg_err tls_live_new(const tls_server_files *f, tls_reload_report report, void *arg,
                    tls_live **out, char *err, size_t errlen)
{
	*out = NULL;
	tls_live *t = calloc(1, sizeof *t);
	if (!t || copy_files(t, f) != 0) {
		tls_live_free(t);
		snprintf(err, errlen, "TLS: out of memory");
		return SG_ERR_NOMEM;
	}
	pthread_mutex_init(&t->mu, NULL);
	t->report = report;
	t->report_arg = arg;
	look(t, t->seen);
	sg_err e = tls_server_ctx(&t->f, &t->ctx, err, errlen);
	if (e) {
		tls_live_free(t);
		return e;
	}
	*out = t;
	return SG_OK;
}

void tls_live_free(tls_live *t)
{
	if (!t)
		return;
	if (t->watch)
		event_free(t->watch);
	SSL_CTX_free(t->ctx);
	for (size_t i = 0; i < LIVE_FILES; i++)
		free(t->paths[i]);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void tls_live_reload(tls_live *t, const char *trigger)
{
	char err[300] = "";
	struct stat now[LIVE_FILES];
	look(t, now); /* before reading: a file written meanwhile is read again */
	SSL_CTX *ctx = NULL;
	sg_err e = tls_server_ctx(&t->f, &ctx, err, sizeof err);
	pthread_mutex_lock(&t->mu);
	memcpy(t->seen, now, sizeof now); /* a bad file is not retried until it changes */
	SSL_CTX *old = e ? NULL : t->ctx;
	if (!e)
		t->ctx = ctx;
	t->failing = e != SG_OK;
	snprintf(t->why, sizeof t->why, "%s", e ? err : "");
	t->reloads++;
	t->failures += e != SG_OK;
	pthread_mutex_unlock(&t->mu);
	SSL_CTX_free(old); /* connections made with it hold their own reference */
	if (t->report)
		t->report(t->report_arg, trigger, e ? err : NULL);
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	tls_live *t = arg;
	struct stat now[LIVE_FILES];
	(void)fd;
	(void)what;
	look(t, now);
	pthread_mutex_lock(&t->mu);
	int changed = memcmp(now, t->seen, sizeof now) != 0;
	pthread_mutex_unlock(&t->mu);
	if (changed)
		tls_live_reload(t, "file_changed");
}

sg_err tls_live_watch(tls_live *t, struct event_base *base, int seconds)
{
	struct timeval every = {seconds > 0 ? seconds : TLS_LIVE_WATCH_S, 0};
	if (t->watch)
		event_free(t->watch);
	t->watch = NULL;
	if (!base)
		return SG_OK;
	t->watch = event_new(base, -1, EV_PERSIST, on_watch, t);
	return t->watch && event_add(t->watch, &every) == 0 ? SG_OK : SG_ERR_NOMEM;
}

SSL *tls_live_ssl(tls_live *t)
{
	pthread_mutex_lock(&t->mu);
	SSL *ssl = SSL_new(t->ctx); /* holds a reference to the context */
	pthread_mutex_unlock(&t->mu);
	return ssl;
}

void tls_live_state(tls_live *t, tls_live_status *out)
{
	pthread_mutex_lock(&t->mu);
	out->failing = t->failing;
	snprintf(out->why, sizeof out->why, "%s", t->why);
	out->reloads = t->reloads;
	out->failures = t->failures;
	pthread_mutex_unlock(&t->mu);
}

struct bufferevent *tls_evhttp_bev(struct event_base *base, void *live)
{
	SSL *ssl = tls_live_ssl(live);
	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}
