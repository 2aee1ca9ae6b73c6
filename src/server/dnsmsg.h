/*
 * dnsmsg.h — DNS messages for the service's own look at a whole answer:
 * one query out, one reply read.  Prefix: dnsmsg_.  Pure: no I/O, no
 * globals, no allocation.
 *
 * Why: libevent's resolver keeps at most 32 addresses of an answer and drops
 * the rest unseen, so an answer of 33 or more could hide a metadata address
 * from the judge.  When evdns hands back exactly its cap, dest.c asks the
 * nameserver itself (dnslook.c) and judges every record this parser reads.
 *
 * Parsing is bounded and total: every length is checked against the
 * message, compression pointers must point backwards (no loops), at most
 * DNSMSG_RR_MAX records are walked.  Malformed input is an error, never a
 * crash.
 */
#ifndef SSRFGUARD_SERVER_DNSMSG_H
#define SSRFGUARD_SERVER_DNSMSG_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define DNSMSG_TYPE_A 1
#define DNSMSG_TYPE_AAAA 28
#define DNSMSG_ADDRS_MAX 1024   /* addresses kept from one reply */
#define DNSMSG_RR_MAX 8192      /* records walked in one reply */
#define DNSMSG_PAYLOAD 4096     /* the UDP size we advertise (EDNS0) */

typedef struct dnsmsg_reply {
	int rcode;              /* 0 NOERROR, 3 NXDOMAIN, ... */
	int truncated;          /* TC: the answer did not fit */
	size_t count;           /* records of the asked type in the answer */
	size_t n;               /* of which kept in addr[] (n == count unless
	                           more than DNSMSG_ADDRS_MAX) */
	uint8_t addr[DNSMSG_ADDRS_MAX][16]; /* 4 bytes used for A */
} dnsmsg_reply;

/*
 * A recursive query for name (a host name, trailing dot optional) of
 * qtype, with an EDNS0 OPT record advertising DNSMSG_PAYLOAD bytes.
 * Returns its length, or 0 if name is not a valid DNS name or cap is too
 * small.
 */
size_t dnsmsg_query(uint8_t *out, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/*
 * Read a reply to the query (id, qtype): SG_ERR_PARSE if it is malformed
 * or not a reply to it (id, QR, one question of qtype).  Records of qtype
 * in the answer section are counted and kept, any other type (CNAME, ...)
 * skipped.
 */
sg_err dnsmsg_reply_parse(const uint8_t *msg, size_t len, uint16_t id, uint16_t qtype,
                          dnsmsg_reply *out);

#endif
