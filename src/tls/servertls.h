/*
 * servertls.h — the one way a listener of ssrfguard speaks TLS: a server
 * context from PEM files, optionally requiring client certificates from a
 * CA and checking them against CRLs, and the verified client's subject.
 * Prefix: tls_.  Used by the dashboard, the egress proxy and the
 * responder's --listen.
 *
 * Files (each PEM; read once by tls_server_ctx, again on each reload of a
 * tls_live, below):
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
#include <stdint.h>

#include "ssrfguard/error.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
struct x509_store_ctx_st;

typedef struct tls_server_files {
	const char *cert, *key;          /* both required */
	const char *client_ca;           /* NULL or "": no client certificates */
	const char *client_crl;          /* NULL or "": no revocation check */
	/* the names of the four settings, for error messages (NULL: "cert",
	 * "key", "client CA", "client CRL") */
	const char *cert_name, *key_name, *client_ca_name, *client_crl_name;
	/* NULL, or the verify callback of client certificates (SSL_CTX_set_verify's:
	 * return ok; it may log why a certificate is refused) */
	int (*on_verify)(int ok, struct x509_store_ctx_st *x);
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

/*
 * ---- A context that follows its files (reload.c) ----
 *
 * tls_live holds the context in force and builds it again from the same
 * files on tls_live_reload (a listener calls it on SIGHUP) and when one of
 * them changes (tls_live_watch looks every few seconds: inode, size, change
 * and modification times).  A reload that fails keeps the context in force
 * (certificate, key, client CAs, CRLs loaded before) and says why in
 * tls_live_status until a reload succeeds; a bad file is not tried again
 * until it changes.  Connections already made keep the context they were
 * made with; the next one gets the new.  Every function may be called from
 * any thread (one mutex); report, when set, is called after each reload
 * (error NULL when it succeeded) on the thread that reloaded.
 */
typedef struct tls_live tls_live;
struct event_base;
typedef void (*tls_reload_report)(void *arg, const char *trigger, const char *error);

/* Build the first context from f (its strings are copied).  Errors as
 * tls_server_ctx's: nothing is made then. */
sg_err tls_live_new(const tls_server_files *f, tls_reload_report report, void *arg,
                    tls_live **out, char *err, size_t errlen);
void tls_live_free(tls_live *t); /* NULL-safe; stops the watch */

/* Look at the files every `seconds` on base (an event of base's loop) and
 * reload when one changed (trigger "file_changed").  base NULL stops
 * looking: before base is freed, unless tls_live_free comes first. */
sg_err tls_live_watch(tls_live *t, struct event_base *base, int seconds);
#define TLS_LIVE_WATCH_S 2

/* Build the context again now (trigger names why: "SIGHUP"). */
void tls_live_reload(tls_live *t, const char *trigger);

/* A new connection's SSL from the context in force (NULL: out of memory). */
SSL *tls_live_ssl(tls_live *t);

typedef struct tls_live_status {
	int failing;              /* the last reload failed: older files in force */
	char why[300];            /* and why ("" when not failing) */
	uint64_t reloads, failures;
} tls_live_status;
void tls_live_state(tls_live *t, tls_live_status *out);

/* evhttp's bufferevent callback (evhttp_set_bevcb) for a TLS listener:
 * every accepted connection speaks TLS with the context in force of live
 * (a tls_live *); NULL when out of memory (evhttp then drops the
 * connection). */
struct bufferevent;
struct bufferevent *tls_evhttp_bev(struct event_base *base, void *live);

#endif
