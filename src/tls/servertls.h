/*
 * servertls.h — the one way a listener of ssrfguard speaks TLS: a server
 * context from PEM files, optionally requiring client certificates from a
 * CA and checking them against CRLs, and the verified client's subject.
 * Prefix: tls_.  Used by the dashboard, the egress proxy and the
 * responder's --listen.
 *
 * Files (each PEM, read once at start):
 *   cert        the server's certificate chain (leaf first)
 *   key         its private key
 *   client_ca   CA certificate(s): a client must present a certificate
 *               issued by one of them, else the handshake fails
 *   client_crl  CRL(s): with it, the leaf and every CA of its chain must be
 *               covered by a CRL (X509_V_FLAG_CRL_CHECK_ALL) and a revoked
 *               certificate fails the handshake; needs client_ca
 * TLS 1.2 is the least version accepted.  Sessions of verified clients
 * resume (the context has a session id context), within this process.
 *
 * Errors name the file and the reason OpenSSL gives, prefixed by the
 * caller's name for the option ("--tls-cert /x.pem: ...").
 */
#ifndef SSRFGUARD_TLS_SERVERTLS_H
#define SSRFGUARD_TLS_SERVERTLS_H

#include <stddef.h>

#include "ssrfguard/error.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;

typedef struct tls_server_files {
	const char *cert, *key;          /* both required */
	const char *client_ca;           /* NULL or "": no client certificates */
	const char *client_crl;          /* NULL or "": no revocation check */
	/* the names of the four settings, for error messages (NULL: "cert",
	 * "key", "client CA", "client CRL") */
	const char *cert_name, *key_name, *client_ca_name, *client_crl_name;
} tls_server_files;

/* A new server context (SSL_CTX_free it).  SG_ERR_INVAL with err naming
 * the file when one cannot be used, SG_ERR_NOMEM. */
sg_err tls_server_ctx(const tls_server_files *f, SSL_CTX **out, char *err, size_t errlen);

/* The subject of ssl's client certificate in RFC 2253 form
 * ("CN=alice,O=Example"; control and non-ASCII bytes escaped as \XX), only
 * when the certificate was presented and verified.  Returns its length, 0
 * (out "") when there is none. */
size_t tls_peer_subject(SSL *ssl, char *out, size_t cap);

/* Any certificate's subject the same way (0, out "" for NULL). */
size_t tls_cert_subject(X509 *cert, char *out, size_t cap);

/* evhttp's bufferevent callback (evhttp_set_bevcb) for a TLS listener:
 * every accepted connection speaks TLS with ctx (an SSL_CTX *); NULL when
 * out of memory (evhttp then drops the connection). */
struct bufferevent;
struct event_base;
struct bufferevent *tls_evhttp_bev(struct event_base *base, void *ctx);

#endif
