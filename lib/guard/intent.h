/*
 * intent.h — the same URL as other parsers read it (internal).
 *
 * libcurl's reading decides the connect (url.c).  But a URL that libcurl
 * reads as a harmless host may read as the metadata service or an internal
 * address to the next component that parses the same string: a browser or
 * Node (the WHATWG URL standard), a Python service (urllib), anything that
 * reads dotted numbers its own way or decodes percent-escapes once more.
 * Such a URL reveals an attacker even when libcurl is safe.  Each reader
 * here is pure, one reader per file, and returns what that parser would
 * connect to:
 *
 *   sg_read_whatwg()   the WHATWG URL standard's host parser for special
 *                      schemes (http, https, ws, wss, ftp): tabs and
 *                      newlines removed, '\' as '/', the last '@' of the
 *                      authority, percent-decoding, UTS #46 (libidn2), and
 *                      its IPv4 parser ("ends in a number": 1-4 parts,
 *                      octal/hex, "0x" alone is 0, a trailing dot).
 *   sg_read_urllib()   Python: urllib.parse.urlsplit().hostname (the last
 *                      '@' of the netloc, no '\' rule, no decoding) and
 *                      urllib.request's host (the netloc percent-decoded
 *                      once, as Request does); non-ASCII as Python's socket
 *                      layer encodes it (IDNA 2003, here UTS #46
 *                      transitional), numbers as getaddrinfo reads them.
 *   sg_read_numbers()  four dotted decimal parts as lenient parsers read
 *                      them: each part decimal, or octal after a leading 0,
 *                      wrapped modulo 256 ("425.510.425.510",
 *                      "0651.0376.0651.0376" -> 169.254.169.254).
 *
 * sg_intent_judge() runs them all, plus "percent-decoded again" for any
 * host still holding '%' escapes, judges every reading that differs from
 * libcurl's against the policy, and turns an allowed verdict into a block
 * of category SG_CAT_INTENT naming the reader and what it saw.  The policy
 * rule "intent off" disables it (policy.h).
 */
#ifndef SSRFGUARD_LIB_GUARD_INTENT_H
#define SSRFGUARD_LIB_GUARD_INTENT_H

#include "guard/host.h"
#include "guard/policy.h"

/* A host as one parser reads it. */
typedef struct sg_reading {
	const char *reader;      /* static id: "whatwg", "urllib.parse", ... */
	int is_ip;               /* ip holds the address it connects to */
	sg_ip ip;
	size_t host_len;         /* the host as that parser holds it: the */
	char host[SG_HOST_MAX];  /* address text, or a lower-case ASCII name */
	size_t text_len;         /* the host text before it was read as an */
	char text[SG_HOST_MAX];  /* address (lower-case ASCII) */
} sg_reading;

/*
 * Each reader: 1 with *out filled when that parser reads a host from the
 * URL (len bytes, need not be NUL-terminated), 0 when it refuses the URL or
 * its host (or the host is longer than a name can be), -1 out of memory.
 */
int sg_read_whatwg(const char *url, size_t len, sg_reading *out);

/* out[0] urllib.parse, out[1] urllib.request: how many were read (0-2) in
 * *n; returns 0, or -1 out of memory. */
int sg_read_urllib(const char *url, size_t len, sg_reading out[2], size_t *n);

/* Up to two addresses for a host of four dotted digit-only parts (a
 * trailing dot allowed), what[k] naming each: "numbers-decimal", and
 * "numbers-octal" when it differs; else 0. */
size_t sg_read_numbers(const char *host, size_t len, sg_ip out[2], const char *what[2]);

/*
 * 1 when every reader is sure to read url's host as libcurl did (h): the
 * URL is "scheme://" and exactly libcurl's canonical host text, optionally
 * ":digits", then the end, '/', '?' or '#'.  sg_intent_judge() skips the
 * readers then.
 */
int sg_intent_plain(const char *url, size_t len, const sg_host *h);

/* ---- shared by the readers (reading.c) ---- */

/* Percent-decode len bytes into out (room for len); a '%' not followed by
 * two hex digits stays as it is.  Returns the decoded length. */
size_t sg_pct_decode(const char *s, size_t len, char *out);

/*
 * A host name (len bytes, no NUL inside) to lower-case ASCII the way one
 * parser maps it: ASCII is lower-cased (into buf when it fits: no
 * allocation); anything else must be well-formed UTF-8 and goes through
 * libidn2 (UTS #46 non-transitional, or transitional for IDNA 2003's
 * mapping).  1 and *out (NUL-terminated; free() it unless it is buf), 0
 * refused, -1 out of memory.
 */
int sg_reading_ascii(const char *s, size_t len, int transitional, char *buf, size_t cap,
                     char **out);

/* An ASCII name's "xn--" labels decode (punycode) to a valid IDNA name:
 * 1, 0 not, -1 out of memory. */
int sg_reading_alabels_ok(const char *ascii);

/* Fill out as a name (1) — or 0 when it is longer than a DNS name. */
int sg_reading_name(sg_reading *out, const char *reader, const char *name, size_t len);

/* Fill out as an address read from text (len bytes, truncated to fit;
 * NULL: none).  host is left empty until sg_reading_format(): a verdict
 * formats the address itself, so the hot path never does.  Returns 1. */
int sg_reading_ip(sg_reading *out, const char *reader, const sg_ip *ip, const char *text,
                  size_t len);
void sg_reading_format(sg_reading *r);

/*
 * Given libcurl's allowed verdict *out for url and its host reading h, every
 * other reading is judged; the first that blocks makes *out a block of
 * category SG_CAT_INTENT (rule "intent:READER:CATEGORY", the reason saying
 * what the reader and libcurl each read).  SG_OK, or SG_ERR_NOMEM (then
 * *out is a block, fail closed).
 */
sg_err sg_intent_judge(const sg_policy *p, const char *url, size_t len, const sg_host *h,
                       sg_verdict *out);

#endif
