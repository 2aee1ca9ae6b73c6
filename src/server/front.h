/*
 * front.h — serve's listener: client connections, their request heads and
 * the answers written back.  Prefix: fr_.  One `front` a loop.
 *
 * A connection is read while nothing is in progress on it: bytes go into
 * its buffer, the head is parsed once by px_parse_request (lib/proxy/
 * http1.c, strict about framing: one meaning only — conflicting or doubled
 * Content-Length, Content-Length beside Transfer-Encoding, bare CR/LF,
 * obs-fold are 400), its spans pointing into the buffer for the life of the
 * request.  Field values may hold any byte but CR and LF: /go never passes
 * a client's field on, it only records some as evidence (escaped).  A body
 * (none is used) is read whole and dropped, at most SRV_REQUEST_BODY_MAX
 * bytes (else 413).  Then srv_route (server.c) is called with the request.
 *
 * The request is answered once, by fr_reply: the head is written from
 * preformatted pieces and sent with the body in one writev.  What the
 * socket does not take waits in the connection's output, counted in the
 * service's reply budget (conn_out_add), and nothing more is read from the
 * connection until it is written: a pipelining client is held to one
 * request at a time and to one buffer of unread input (then its reads
 * stop until the answer is out).  The next pipelined request is taken on
 * the next loop turn.
 *
 * The socket's read event stays on from accept to close (level-triggered);
 * it is removed only when the buffer is full behind a request in progress
 * or the client has closed.  No FIONREAD, no per-request epoll_ctl.
 *
 * Bounds (conn.c counts every connection against max_connections as a
 * guest: an idle one may be evicted for a newer client; accept pauses at
 * the limit or on EMFILE): a whole request head within client_timeout_s of
 * connecting or of the previous answer (a sweep each second; too late: the
 * connection is shut, counted as dropped), an answer that a client does not
 * read for client_timeout_s closes its connection.
 *
 * A client that closes while its request is in progress: fr_gone says so
 * (fetch.c's scan cancels the fetch and answers 499 to no one); the
 * connection is freed when its request is answered.
 *
 * Threading: the loop thread of the srv.
 */
#ifndef SSRFGUARD_SERVER_FRONT_H
#define SSRFGUARD_SERVER_FRONT_H

#include <stddef.h>

#include "proxy/http1.h"
#include "ssrfguard/error.h"

struct srv;
struct evbuffer;
typedef struct fr_conn fr_conn;

sg_err fr_init(struct srv *s);
void fr_free(struct srv *s);          /* every connection closed */
sg_err fr_listen(struct srv *s, int fd); /* serve on a listening socket */
void fr_stop(struct srv *s);          /* drain: the listener closes */
size_t fr_replying(const struct srv *s); /* answers not yet written out */

/* The request in progress on c. */
const px_head *fr_head(const fr_conn *c);
/* The client's address as inet_ntop wrote it when the connection was
 * accepted ("?" if it could not): digits, hex, '.', ':' only, under
 * INET6_ADDRSTRLEN bytes — the service's own text, never the client's. */
const char *fr_peer(const fr_conn *c);
/* The target, NUL-terminated in place (the space after it in the request
 * line is overwritten: the head's spans are not affected). */
const char *fr_target(fr_conn *c);
int fr_gone(fr_conn *c);                /* 1: the client closed or failed */

/*
 * Answer the request in progress and let go of c: status line, Date,
 * Content-Type (if ctype), Cache-Control: no-store, X-Content-Type-Options:
 * nosniff, extra (whole "Name: value\r\n" lines, or NULL), Content-Length,
 * "Connection: close" when the connection ends after it (close, the
 * client asked, or the service drains).  The body is body's bytes (drained
 * from it) or len bytes at p.  A client that went away gets nothing.
 */
void fr_reply(fr_conn *c, int code, const char *ctype, const char *extra,
              struct evbuffer *body, const char *p, size_t len, int close);

#endif
