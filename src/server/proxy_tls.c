/* proxy_tls.c — TLS on the proxy listener (proxy_tls_cert/key) and client
 * certificates (proxy_client_ca, proxy_client_crl): the TLS context (built
 * again on SIGHUP and when one of its files changes; a reload that fails
 * keeps the context in force, logs why and shows in /healthz and the
 * metrics; proxy_listen.c looks at the files' change times), each
 * connection's TLS filter over its socket (after any PROXY protocol
 * header, which a balancer sends in clear), and the verified names a role
 * is chosen by.  Upstream TLS is never touched: CONNECT tunnels carry the
 * client's own TLS inside this one.  See proxy.h. */
#include "server/proxy_int.h"

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "tls/servertls.h"

/* The context in force and its reloads (the primary's proxy owns it; every
 * loop's accept takes it under mu). */
struct ptls {
	pthread_mutex_t mu;
	SSL_CTX *ctx;
	struct timespec mtime[4];     /* cert, key, CA, CRL as last loaded */
	uint64_t reloads, failures;
	int failing;                  /* the last reload failed: old context kept */
	char why[300];                /* and why */
};

static void file_mtimes(const srvcfg *c, struct timespec out[4])
{
	const char *paths[4] = {c->proxy_tls_cert, c->proxy_tls_key, c->proxy_client_ca,
	                        c->proxy_client_crl};
	px_file_mtimes(paths, 4, out);
}

/* A whole context from the files (src/tls), or NULL and err. */
static SSL_CTX *build(const srvcfg *c, char *err, size_t errlen)
{
	tls_server_files f = {.cert = c->proxy_tls_cert, .key = c->proxy_tls_key,
	                      .client_ca = c->proxy_client_ca, .client_crl = c->proxy_client_crl,
	                      .cert_name = "proxy_tls_cert", .key_name = "proxy_tls_key",
	                      .client_ca_name = "proxy_client_ca",
	                      .client_crl_name = "proxy_client_crl"};
	SSL_CTX *ctx = NULL;
	return tls_server_ctx(&f, &ctx, err, errlen) == SG_OK ? ctx : NULL;
}

static void log_reload(struct proxy *px, const char *why, const char *error)
{
	char line[700];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"proxy_tls_reload\",\"trigger\":");
	tb_json(&b, why, strlen(why), 32);
	tb_fmt(&b, ",\"ok\":%s", error ? "false" : "true");
	if (error) {
		tb_str(&b, ",\"error\":");
		tb_json(&b, error, strlen(error), 400);
		tb_str(&b, ",\"message\":\"the certificates, CA and CRLs loaded before stay in force\"");
	}
	tb_str(&b, "}\n");
	log_line(px->s, error ? "error" : "info", b.p, b.len);
}

void ptls_reload(struct proxy *px, const char *why)
{
	struct ptls *t = px->tls;
	char err[300] = "";
	if (!t)
		return;
	file_mtimes(px->s->cfg, t->mtime); /* a bad file is not retried until it changes */
	SSL_CTX *ctx = build(px->s->cfg, err, sizeof err);
	pthread_mutex_lock(&t->mu);
	SSL_CTX *old = ctx ? t->ctx : NULL;
	if (ctx)
		t->ctx = ctx;
	t->failing = !ctx;
	snprintf(t->why, sizeof t->why, "%s", ctx ? "" : err);
	pthread_mutex_unlock(&t->mu);
	SRV_COUNT(t->reloads, 1);
	if (!ctx)
		SRV_COUNT(t->failures, 1);
	SSL_CTX_free(old); /* connections made with it hold their own reference */
	log_reload(px, why, ctx ? NULL : err);
}

void ptls_check(struct proxy *px)
{
	struct timespec now[4];
	if (!px->tls)
		return;
	file_mtimes(px->s->cfg, now);
	if (memcmp(now, px->tls->mtime, sizeof now) != 0)
		ptls_reload(px, "file_changed");
}

int ptls_init(struct proxy *px, char *err, size_t errlen)
{
	const srvcfg *c = px->s->cfg;
	if (!c->proxy_tls_cert[0] && !c->proxy_tls_key[0]) {
		if (c->proxy_client_ca[0] || c->proxy_client_crl[0]) {
			snprintf(err, errlen, "proxy_client_ca/crl need a TLS listener"
			         " (proxy_tls_cert and proxy_tls_key)");
			return -1;
		}
		return 0;
	}
	struct ptls *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "proxy TLS: out of memory");
		return -1;
	}
	pthread_mutex_init(&t->mu, NULL);
	px->tls = t;
	px->tls_on = 1;
	file_mtimes(c, t->mtime);
	if (!(t->ctx = build(c, err, errlen)))
		return -1;
	return 0;
}

void ptls_free(struct proxy *px)
{
	struct ptls *t = px->main == px ? px->tls : NULL;
	px->tls = NULL;
	if (!t)
		return;
	SSL_CTX_free(t->ctx);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void ptls_state(const struct proxy *px, ptls_status *out)
{
	struct ptls *t = px->main->tls;
	memset(out, 0, sizeof *out);
	if (!t)
		return;
	out->on = 1;
	pthread_mutex_lock(&t->mu);
	out->failing = t->failing;
	snprintf(out->why, sizeof out->why, "%s", t->why);
	pthread_mutex_unlock(&t->mu);
	out->reloads = SRV_READ(t->reloads);
	out->failures = SRV_READ(t->failures);
}

int ptls_wrap(pconn *pc)
{
	struct proxy *px = pc->px;
	struct ptls *t = px->main->tls;
	pthread_mutex_lock(&t->mu);
	SSL *ssl = SSL_new(t->ctx); /* holds a reference to the context */
	pthread_mutex_unlock(&t->mu);
	if (!ssl)
		return -1;
	struct bufferevent *f = bufferevent_openssl_filter_new(px->s->base, pc->cli, ssl,
	                                                        BUFFEREVENT_SSL_ACCEPTING,
	                                                        BEV_OPT_CLOSE_ON_FREE);
	if (!f) {
		SSL_free(ssl);
		return -1;
	}
	pc->cli = f; /* the filter owns the socket's bufferevent now */
	pc->tls = 1;
	return 0;
}

size_t ptls_peer_names(pconn *pc, char (*names)[256], size_t max)
{
	SSL *ssl = bufferevent_openssl_get_ssl(pc->cli);
	X509 *cert = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
	size_t n = 0;
	if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) {
		X509_free(cert);
		return 0;
	}
	X509_NAME *subj = X509_get_subject_name(cert);
	if (subj && n < max &&
	    X509_NAME_get_text_by_NID(subj, NID_commonName, names[n], 256) > 0)
		n++;
	GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && n < max; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type != GEN_DNS)
			continue;
		const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
		int len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || len >= 256 || memchr(d, 0, (size_t)len))
			continue;
		memcpy(names[n], d, (size_t)len);
		names[n][len] = '\0';
		n++;
	}
	GENERAL_NAMES_free(sans);
	X509_free(cert);
	return n;
}

void ptls_error_text(pconn *pc, char *out, size_t cap)
{
	SSL *ssl = bufferevent_openssl_get_ssl(pc->cli);
	long v = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (v != X509_V_OK) { /* why the client certificate was refused */
		snprintf(out, cap, "client certificate: %s", X509_verify_cert_error_string(v));
		return;
	}
	unsigned long e = bufferevent_get_openssl_error(pc->cli);
	if (!e) {
		snprintf(out, cap, "connection closed during the TLS handshake");
		return;
	}
	ERR_error_string_n(e, out, cap);
}
