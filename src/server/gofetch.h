/*
 * gofetch.h — /go's plain-HTTP upstream client: one GET over a pooled
 * keep-alive connection to an address the guard judged.  Prefix: gf_.
 *
 * fetch.c hands every http:// hop here and keeps libcurl for https (TLS).
 * What a hop does, in order:
 *
 *   1. The request target is taken from the hop's URL: the origin-form of
 *      a plain URL (px_split_absolute) as it stands, and anything else
 *      (userinfo, dot segments, percent-encoded dots, bytes outside the
 *      plain set) through libcurl's URL parser, which is the parser the
 *      guard judged the URL with.  Userinfo becomes "Authorization: Basic",
 *      as libcurl sends it.  Every request carries Host, User-Agent
 *      "ssrfguard/0.1", Accept "*" "/" "*" and the service's Via mark; no
 *      header of the client is ever forwarded.
 *   2. The address: the judged set of the hop (j->d.judged for a name, the
 *      literal address otherwise).  An idle pooled connection to one of
 *      them is taken first; its peer is judged again (dest_judge_addr, the
 *      evidence records it) before the request goes out.  Else the
 *      addresses are dialled in order, each judged before its socket
 *      exists; a refusal blocks the hop (incident_block).  A request that
 *      a reused connection lost before any answer byte (the upstream closed
 *      it meanwhile) is sent once more on a new connection.
 *   3. The answer: its head parsed by px_parse_response (bounded by
 *      max_header_bytes, every interim head counted), 100 Continue skipped,
 *      any other 1xx ends the hop with 502; the body read by its framing
 *      (Content-Length, chunked decoded in place, or until close) into
 *      j->body within max_body and the service's reply budget.
 *   4. The end: fetch_hop_answered (status, Location, Content-Type) or
 *      fetch_hop_failed; a connection whose answer ended cleanly and that
 *      may be kept goes back to the loop's pool, any other is closed.
 *
 * Deadlines (connect_timeout_ms per dial, total_timeout_ms per fetch) are
 * checked by fetch.c's 200 ms scan of running fetches (gf_expired), so a
 * fetch costs no timer of its own.
 *
 * System calls per request on a pooled connection: one send, one recv of
 * the answer (one more when it spans reads); the socket's read event stays
 * on from connect to close (level-triggered, never toggled).
 *
 * Threading: the loop thread of j->s.
 */
#ifndef SSRFGUARD_SERVER_GOFETCH_H
#define SSRFGUARD_SERVER_GOFETCH_H

#include <stdint.h>

#include "proxy/http1.h"

struct srv;
struct job;
struct gf_conn;

/* A job's hop on this engine (inside the job; zeroed with it). */
typedef struct gf_hop {
	struct gf_conn *c;            /* its connection, or NULL */
	int active;                   /* the hop is on this engine */
	size_t next_addr;             /* the next judged address to dial */
	int64_t connect_deadline_ms;  /* while dialling, else 0 */
	int reused, resent;           /* on a pooled connection; sent again */
	int head_done, status, mode;
	int keep;                     /* the answer lets the connection be kept */
	uint64_t left;                /* Content-Length bytes still to come */
	px_chunk ck;
	char *target;                 /* origin-form, when not inside j->url */
	const char *tp;               /* the origin-form to send */
	size_t tlen;
	int tslash;                   /* a "/" goes before it */
	char *auth;                   /* "Authorization: Basic ...\r\n", or NULL */
	char *loc;                    /* a redirect's Location, NUL-terminated */
	char ctype[200];
	char *out;                    /* request bytes not yet sent */
	size_t out_len, out_off;
} gf_hop;

int gf_init(struct srv *s);
void gf_cleanup(struct srv *s);       /* closes the pool */

/* Start the hop j->url (http) with verdict j->hopv; j->d.judged holds a
 * name's judged addresses (j->pinned).  Ends with fetch_hop_answered,
 * fetch_hop_failed, or incident_block via fetch_hop_blocked. */
void gf_start(struct job *j);

/* Stop the hop: its connection is closed (an answer may be in flight).
 * Safe when the hop is not on this engine. */
void gf_stop(struct job *j);

/* Let go of everything of the hop (the job goes away). */
void gf_free(struct job *j);

/* 1 when the hop passed its connect or total deadline (now_ms: the
 * monotonic clock); the caller ends it with 504. */
int gf_expired(const struct job *j, int64_t now_ms);

/* gofetch_target.c, for gofetch.c: the hop's request target (j->gf.tp,
 * tlen, tslash; j->gf.target when made) and credentials (j->gf.auth) from
 * j->url, step 1 above; 0, or -1 when libcurl cannot use the URL. */
int gf_hop_target(struct job *j);

#endif
