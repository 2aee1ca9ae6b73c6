/* servertls.c — the TLS server context and the verified client's subject
 * (see servertls.h). */
#include "tls/servertls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

static sg_err ssl_err(char *err, size_t errlen, const char *what, const char *path)
{
	char e[200];
	ERR_error_string_n(ERR_get_error(), e, sizeof e);
	snprintf(err, errlen, "%s %s: %s", what, path, e);
	ERR_clear_error();
	return SG_ERR_INVAL;
}

static sg_err load_crls(X509_STORE *st, const tls_server_files *f, char *err, size_t errlen)
{
	X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());
	if (!lu || X509_load_crl_file(lu, f->client_crl, X509_FILETYPE_PEM) <= 0)
		return ssl_err(err, errlen, f->client_crl_name ? f->client_crl_name : "client CRL",
		               f->client_crl);
	/* the leaf and every CA of its chain must be covered by a CRL */
	X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	return SG_OK;
}

static sg_err require_clients(SSL_CTX *ctx, const tls_server_files *f, char *err, size_t errlen)
{
	const char *ca_name = f->client_ca_name ? f->client_ca_name : "client CA";
	if (SSL_CTX_load_verify_locations(ctx, f->client_ca, NULL) != 1)
		return ssl_err(err, errlen, ca_name, f->client_ca);
	STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(f->client_ca);
	if (!names)
		return ssl_err(err, errlen, ca_name, f->client_ca);
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, f->on_verify);
	/* A verified session may be resumed only with a session id context:
	 * without one OpenSSL fails every resumption's handshake (a browser's
	 * second connection, SSL_R_SESSION_ID_CONTEXT_UNINITIALIZED). */
	static const unsigned char sid_ctx[] = "ssrfguard-client-ca";
	if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1) != 1)
		return ssl_err(err, errlen, ca_name, f->client_ca);
	if (f->client_crl && f->client_crl[0])
		return load_crls(SSL_CTX_get_cert_store(ctx), f, err, errlen);
	return SG_OK;
}

sg_err tls_server_ctx(const tls_server_files *f, SSL_CTX **out, char *err, size_t errlen)
{
	*out = NULL;
	int want_ca = f->client_ca && f->client_ca[0], want_crl = f->client_crl && f->client_crl[0];
	if (!f->cert || !f->cert[0] || !f->key || !f->key[0]) {
		snprintf(err, errlen, "%s and %s go together", f->cert_name ? f->cert_name : "cert",
		         f->key_name ? f->key_name : "key");
		return SG_ERR_INVAL;
	}
	if (want_crl && !want_ca) {
		snprintf(err, errlen, "%s needs %s", f->client_crl_name ? f->client_crl_name : "client CRL",
		         f->client_ca_name ? f->client_ca_name : "client CA");
		return SG_ERR_INVAL;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: out of memory");
		return SG_ERR_NOMEM;
	}
	sg_err e = SG_OK;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, f->cert) != 1)
		e = ssl_err(err, errlen, f->cert_name ? f->cert_name : "cert", f->cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, f->key, SSL_FILETYPE_PEM) != 1 ||
	         SSL_CTX_check_private_key(ctx) != 1)
		e = ssl_err(err, errlen, f->key_name ? f->key_name : "key", f->key);
	else if (want_ca)
		e = require_clients(ctx, f, err, errlen);
	if (e) {
		SSL_CTX_free(ctx);
		return e;
	}
	*out = ctx;
	return SG_OK;
}

size_t tls_cert_subject(X509 *cert, char *out, size_t cap)
{
	if (!cap)
		return 0;
	out[0] = '\0';
	BIO *b = cert ? BIO_new(BIO_s_mem()) : NULL;
	/* RFC 2253 escapes control bytes and bytes above 0x7f (ESC_CTRL,
	 * ESC_MSB): the text is plain ASCII whatever the CA put in the name */
	if (!b || X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return 0;
	}
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	size_t len = n > 0 ? (size_t)n : 0;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, data, len);
	out[len] = '\0';
	BIO_free(b);
	return len;
}

size_t tls_peer_subject(SSL *ssl, char *out, size_t cap)
{
	X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	return tls_cert_subject(cert, out, cap);
}
