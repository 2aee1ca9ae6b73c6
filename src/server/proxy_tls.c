/* proxy_tls.c — TLS on the proxy listener (proxy_tls_cert/key) and client
 * certificates (proxy_client_ca, proxy_client_crl): the TLS context, each
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
	tls_server_files f = {.cert = c->proxy_tls_cert, .key = c->proxy_tls_key,
	                      .client_ca = c->proxy_client_ca, .client_crl = c->proxy_client_crl,
	                      .cert_name = "proxy_tls_cert", .key_name = "proxy_tls_key",
	                      .client_ca_name = "proxy_client_ca",
	                      .client_crl_name = "proxy_client_crl"};
	return tls_server_ctx(&f, &px->tls, err, errlen) == SG_OK ? 0 : -1;
}

void ptls_free(struct proxy *px)
{
	if (px->tls)
		SSL_CTX_free(px->tls);
	px->tls = NULL;
}

int ptls_wrap(pconn *pc)
{
	struct proxy *px = pc->px;
	SSL *ssl = SSL_new(px->tls);
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
