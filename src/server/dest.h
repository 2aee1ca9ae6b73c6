/*
 * dest.h — one destination resolved once and judged, on the loop: the
 * guard's stages 3 and 4 for every front end of `ssrfguard serve`, /go
 * (fetch.c) and the egress proxy (proxy_guard.c).  Prefix: dest_.
 *
 * The owner keeps a `dest` inside its request (the module allocates only
 * the lookup in flight and, once per owner, its timer), fills the fields
 * under "set by the owner" and calls dest_start():
 *   - a literal address is the judged set at once;
 *   - a name comes from the judged-answer cache (dns_cache_s), or is
 *     resolved on the loop (evdns: /etc/hosts, then /etc/resolv.conf).  An
 *     answer at evdns's cap (SRV_EVDNS_CAP addresses a family) is read whole
 *     by our own query (dnslook.c), so that no record escapes the judge;
 *   - every answer is judged at once (sg_check_resolved, d->pol): one
 *     denied address blocks the name.
 * Exactly one call of d->done follows, maybe before dest_start returns;
 * the module touches d no more after it (done may free its owner):
 *   DEST_OK     d->judged holds the addresses to dial; fresh answers are
 *               cached for dns_cache_s (at most SRV_DNS_TTL_CAP_S).
 *   DEST_BLOCK  v blocks: host filled, and an answer past the resolver's
 *               cap says so in its reason.
 *   DEST_FAIL   nothing to judge: code and msg (502 no usable answer,
 *               503 out of memory, 504 the deadline passed).
 * d->addrs is the JSON array of the addresses seen, the attempt's evidence
 * (at most DEST_ADDRS_MAX bytes: a long answer's tail is left out, but the
 * address that blocked the name is always listed, first).
 *
 * The enforcing check, dest_judge_addr(), is made on the socket address
 * about to be dialled (port set): the policy, and never one of the
 * service's own listeners.  The owner dials only addresses of d->judged.
 *
 * Threading: the loop thread of d->s; the cache is shared under the
 * primary's dcache_mu.
 */
#ifndef SSRFGUARD_SERVER_DEST_H
#define SSRFGUARD_SERVER_DEST_H

#include <stddef.h>
#include <stdint.h>
#include <event2/util.h>
#include <sys/socket.h>

#include "server/pin.h"
#include "ssrfguard/error.h"
#include "ssrfguard/guard.h"

#define DEST_ADDRS_MAX 512  /* bytes of the address JSON array */

struct srv;
struct dest;
struct dnsq;
struct dnslook;
struct dnsmsg_reply;
struct event;
struct sockaddr_storage;

typedef enum { DEST_OK, DEST_BLOCK, DEST_FAIL } dest_outcome;

/* v: DEST_BLOCK's verdict, else NULL; code and msg: DEST_FAIL's. */
typedef void (*dest_done_fn)(struct dest *d, dest_outcome o, const sg_verdict *v, int code,
                             const char *msg);

typedef struct dest {
	/* set by the owner */
	struct srv *s;                /* the loop it runs on */
	const sg_policy *pol;
	const sg_verdict *hop;        /* stage 1: host, port, needs_resolve, addr */
	const char *client;           /* for the log, or NULL */
	dest_done_fn done;
	void *owner;
	/* the result */
	pin_set judged;
	char addrs[DEST_ADDRS_MAX];   /* always a whole JSON array once addrs_len > 0 */
	size_t addrs_len;             /* up to, not including, its closing bracket */
	int64_t dns_ms;               /* time spent resolving */
	/* in flight */
	int64_t deadline_ms;
	struct dnsq *dq;              /* the evdns lookup, or NULL */
	struct event *ev;             /* the deadline; also hands the answer over */
	int dns_done, dns_err;
	struct evutil_addrinfo *dns_res;
	/* an answer at the resolver's cap, read whole (dnslook.c) */
	struct dnslook *look;
	struct evutil_addrinfo *look_res;   /* the resolver's answers meanwhile */
	struct sockaddr_storage *look_extra; /* the records the looks found */
	size_t look_nextra;
	int look_todo;                /* families still to look at: 1 A, 2 AAAA */
	size_t look_records;          /* the largest answer a look read */
	uint16_t look_qtype;
} dest;

/* Resolve (or take) and judge d->hop within timeout_ms; then d->done.
 * d->addrs and d->judged start empty. */
void dest_start(dest *d, int64_t timeout_ms);

/* Stop what is in flight; done is not called.  Safe at any time. */
void dest_cancel(dest *d);

/* dest_cancel, and free the timer: the owner goes away. */
void dest_free(dest *d);

/* The enforcing check of one socket address (port set) for d->hop under
 * d->pol; also refuses the service's own listeners (rule self:listener).
 * v blocks on any error. */
void dest_judge_addr(const dest *d, const struct sockaddr *sa, socklen_t len, sg_verdict *v);

/* Add an address's text to d->addrs (once; silently full). */
void dest_addrs_add(dest *d, const char *addr);

/* dnslook.c: one UDP query to the resolver's first nameserver; the reply
 * (or an error) goes to dest_look_done. */
sg_err dnslook_start(dest *d, const char *host, uint16_t qtype, int64_t timeout_ms);
void dnslook_cancel(dest *d);
void dest_look_done(dest *d, const struct dnsmsg_reply *r, sg_err e);

#endif
