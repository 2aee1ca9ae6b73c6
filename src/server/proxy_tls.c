/* proxy_tls.c — TLS on the proxy listener (proxy_tls_cert/key) and client
 * certificates (proxy_client_ca, proxy_client_crl): the TLS context (built
 * again on SIGHUP and when one of its files changes; a reload that fails
 * keeps the context in force, logs why and shows in /healthz and the
 * metrics), each
 * connection's TLS filter over its socket (after any PROXY protocol
 * header, which a balancer sends in clear), and the verified names a role
 * is chosen by.  Upstream TLS is never touched: CONNECT tunnels carry the
 * client's own TLS inside this one.  See proxy.h. */
#include "server/proxy_int.h"

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "tls/servertls.h"

static void log_tls_reload(void *arg, const char *why, const char *error)
{
	struct proxy *px = arg;
	log_reload(px->s, "proxy_tls_reload", why, "", error,
	           "the certificates, CA and CRLs loaded before stay in force");
}

void ptls_reload(struct proxy *px, const char *why)
{
	if (px->tls)
		tls_live_reload(px->tls, why);
}

/* The proxy listener's TLS files in cfg: 1 and *f when it speaks TLS, 0
 * when it does not, -1 and err for a client CA or CRL without TLS. */
static int tls_files(const srvcfg *c, tls_server_files *f, char *err, size_t errlen)
{
	if (!c->proxy_tls_cert[0] && !c->proxy_tls_key[0]) {
		if (c->proxy_client_ca[0] || c->proxy_client_crl[0]) {
			snprintf(err, errlen, "proxy_client_ca/crl need a TLS listener"
			         " (proxy_tls_cert and proxy_tls_key)");
			return -1;
		}
		return 0;
	}
	*f = (tls_server_files){.cert = c->proxy_tls_cert, .key = c->proxy_tls_key,
	                        .client_ca = c->proxy_client_ca,
	                        .client_crl = c->proxy_client_crl,
	                        .cert_name = "proxy_tls_cert", .key_name = "proxy_tls_key",
	                        .client_ca_name = "proxy_client_ca",
	                        .client_crl_name = "proxy_client_crl"};
	return 1;
}

int ptls_init(struct proxy *px, char *err, size_t errlen)
{
	tls_server_files f;
	int on = tls_files(px->s->cfg, &f, err, errlen);
	if (on <= 0)
		return on;
	if (tls_live_new(&f, log_tls_reload, px, &px->tls, err, errlen) != SG_OK)
		return -1;
	px->tls_on = 1;
	if (tls_live_watch(px->tls, px->s->base, TLS_LIVE_WATCH_S) != SG_OK) {
		snprintf(err, errlen, "proxy TLS: out of memory");
		return -1;
	}
	return 0;
}

sg_err proxy_check_config(const srvcfg *cfg, char *err, size_t errlen)
{
	tls_server_files f;
	SSL_CTX *ctx = NULL;
	int on = cfg->proxy_listen[0] ? tls_files(cfg, &f, err, errlen) : 0;
	if (on < 0 || (on && tls_server_ctx(&f, &ctx, err, errlen) != SG_OK))
		return SG_ERR_INVAL;
	SSL_CTX_free(ctx);
	return SG_OK;
}

void ptls_free(struct proxy *px)
{
	if (px->main == px)
		tls_live_free(px->tls);
	px->tls = NULL;
}

void ptls_state(const struct proxy *px, ptls_status *out)
{
	memset(out, 0, sizeof *out);
	if (!px->main->tls)
		return;
	tls_live_status st;
	tls_live_state(px->main->tls, &st);
	out->on = 1;
	out->failing = st.failing;
	snprintf(out->why, sizeof out->why, "%s", st.why);
	out->reloads = st.reloads;
	out->failures = st.failures;
}

int ptls_wrap(pconn *pc)
{
	struct proxy *px = pc->px;
	SSL *ssl = tls_live_ssl(px->main->tls); /* the context in force */
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
