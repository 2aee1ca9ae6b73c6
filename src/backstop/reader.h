/*
 * reader.h — the backstop's reporter: reads the refusals the kernel's
 * action chains log to NFLOG (lib/backstop/rules.h), finds the process
 * behind each, aborts a held connect, and records an attempt in the
 * incident store.  Prefix: bs_reader_.
 *
 * One thread of its own with its own store handle: neither serve's loop
 * nor the kernel ever waits for the store (NFLOG only copies the packet;
 * a reader that falls behind loses reports, never a refusal).  Per report:
 * parse, find the owner (src/backstop/owner.h, while the rules still hold
 * the SYN, so the socket and its process exist), abort the socket, record.
 *
 * What is recorded (store_attempt_in): client "local:uid=UID" (an app
 * user's attempts join one incident, like one client address's blocked
 * /go requests); request "tcp connect SRC -> DST (kernel backstop)";
 * headers: a JSON object with source "backstop", uid, gid, pid, exe,
 * cmdline, cgroup, unit, protocol, repeats; dest "ADDR:PORT"; category,
 * rule and reason from the guard's own verdict on the address
 * (sg_check_addr with the service's policy) — metadata, a denied range —
 * or, for the "ssrfguard:egress" prefix, category "denied", rule
 * "backstop:egress-proxy-only"; contain from the service's contain
 * setting, exactly as for a blocked /go: a metadata attempt opens or joins
 * an incident in state "open" and wakes the responder (notify).
 *
 * Coalescing: one attempt per (process, destination, port) every
 * BS_COALESCE_MS; repeats in between are counted and reported with the
 * next recorded attempt ("repeats"), so a looping app writes at most one
 * row per destination per window, on top of the kernel's own rate limit.
 *
 * Errors from start: SG_ERR_BUSY when another reader holds the group,
 * SG_ERR_IO when it cannot be bound otherwise (no CAP_NET_ADMIN: err says
 * so), store errors as store_open returns them.
 */
#ifndef SSRFGUARD_BACKSTOP_READER_H
#define SSRFGUARD_BACKSTOP_READER_H

#include <stdint.h>
#include <stdio.h>

#include "server/config.h"
#include "ssrfguard/error.h"

#define BS_COALESCE_MS 10000

typedef struct bs_reader bs_reader;

typedef struct bs_reader_opts {
	const srvcfg *cfg;            /* store, policy, contain, backstop keys;
	                                 must outlive the reader */
	const char *instance_id, *region, *az; /* recorded with each attempt */
	void (*notify)(void *ctx, int64_t incident_id); /* thread-safe; may be NULL */
	void *notify_ctx;
	FILE *log;                    /* one JSON line (logging.h, event "backstop") per
	                                 recorded attempt; NULL: none */
} bs_reader_opts;

sg_err bs_reader_start(const bs_reader_opts *o, bs_reader **out, char *err, size_t errlen);

/* Counters since start (for status lines and tests). */
typedef struct bs_reader_stats {
	uint64_t packets, recorded, coalesced, owners_found, aborted, store_errors, parse_errors;
} bs_reader_stats;
void bs_reader_stats_get(bs_reader *r, bs_reader_stats *out);

/* Whether some socket in this network namespace has bound NFLOG group
 * (/proc/net/netfilter/nfnetlink_log). */
int bs_group_bound(unsigned group);

/* Stop the thread, unbind, close the store.  NULL-safe. */
void bs_reader_stop(bs_reader *r);

#endif
