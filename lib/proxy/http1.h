/*
 * http1.h — the egress proxy's HTTP/1.x wire parsing.  Prefix: px_.
 * Pure: no sockets, no allocation, no globals.
 *
 * Everything here reads attacker bytes (a client's request head, an
 * upstream's response head, a chunked body) from (pointer, length) and
 * never reads past it.  Results point into the caller's buffer (px_span):
 * they live as long as it does and are not NUL-terminated.
 *
 * Strictness.  The proxy sits between two parties that may disagree about
 * framing (request smuggling), so a request head is refused unless it has
 * exactly one meaning: CRLF line ends only (no bare CR or LF), no obs-fold,
 * no space before a header's colon, header names are tokens, values hold
 * no control bytes, Content-Length is digits and all copies agree, and a
 * request with Transfer-Encoding carries exactly "chunked" and no
 * Content-Length.  A response is read the way RFC 9112 section 6.3 says a
 * client must: chunked wins over Content-Length; any other coding means the
 * body ends when the upstream closes.
 */
#ifndef SSRFGUARD_PROXY_HTTP1_H
#define SSRFGUARD_PROXY_HTTP1_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PX_FIELDS_MAX 100      /* header fields per head */
#define PX_CHUNK_LINE_MAX 1024 /* a chunk-size line, extensions included */
#define PX_TRAILER_MAX 8192    /* bytes of trailer fields */

typedef struct px_span {
	const char *p;
	size_t n;
} px_span;

typedef struct px_field {
	px_span name, value;       /* value without surrounding blanks */
} px_field;

typedef struct px_head {
	/* request line */
	px_span method, target;
	/* status line */
	int status;
	px_span reason;
	int minor;                 /* HTTP/1.<minor>: 0 or 1 */
	size_t nfields;
	px_field f[PX_FIELDS_MAX];  /* f[0..nfields); the rest is not cleared */
	size_t head_len;           /* bytes of the head, final empty line included */
	/* framing (what the body is) */
	int chunked;               /* Transfer-Encoding: chunked (the only coding
	                              taken: any other is PX_BAD) */
	int until_close;           /* response: body ends at EOF */
	int has_length;
	int cl_ignored;            /* response: a Content-Length beside chunked,
	                              overridden (RFC 9112 6.3): never relay it */
	uint64_t length;           /* Content-Length */
	/* connection */
	int close;                 /* Connection: close, or 1.0 without keep-alive */
	int expect_continue;       /* Expect: 100-continue */
} px_head;

typedef enum px_rc {
	PX_OK = 0,
	PX_MORE = 1,               /* the head is not complete yet */
	PX_BAD = -1,               /* malformed; *why says how */
	PX_TOO_BIG = -2,           /* longer than max bytes, or too many fields */
} px_rc;

/*
 * Parse a request head at the start of buf (len bytes).  max bounds the head
 * (PX_TOO_BIG when no complete head fits).  On PX_BAD, *why (if why is not
 * NULL) is a static sentence naming the problem.
 */
px_rc px_parse_request(const char *buf, size_t len, size_t max, px_head *h,
                       const char **why);

/*
 * The same, but a field value may hold any byte except CR and LF (framing
 * stays as strict): for a server that never passes a client's fields on
 * (/go), only records some of them, escaped.
 */
px_rc px_parse_request_lenient(const char *buf, size_t len, size_t max, px_head *h,
                               const char **why);

/*
 * Parse a response head.  req_method is the request's method (a HEAD or a
 * CONNECT reply has no body) — the body rules of RFC 9112 6.3 are applied
 * into h's framing fields; 1xx, 204 and 304 have no body.
 */
px_rc px_parse_response(const char *buf, size_t len, size_t max, px_span req_method,
                        px_head *h, const char **why);

/*
 * The status code of one status line p[0..len) as a client library hands
 * it over line by line: "HTTP/" VERSION SP 3DIGIT, then the end, SP, CR
 * or LF (libcurl writes "HTTP/2 200" for HTTP/2).  100..999, or -1 when
 * the line is not a status line.  Agrees with px_parse_response's status
 * on every head that parses.
 */
int px_status_code(const char *p, size_t len);

/* 1 if the field named name (any case) is hop-by-hop for this head: the
 * fixed list of RFC 9110 7.6.1 (Connection, Keep-Alive, Proxy-Connection,
 * Proxy-Authenticate, Proxy-Authorization, TE, Trailer, Transfer-Encoding,
 * Upgrade) or a name listed in one of the head's Connection fields. */
int px_is_hop_by_hop(const px_head *h, px_span name);

/* The first field named name (any case), or NULL. */
const px_field *px_find(const px_head *h, const char *name);

/* The next field named name after `after` (a field of h; NULL: from the
 * first), or NULL: every occurrence of a repeated field, in order. */
const px_field *px_find_next(const px_head *h, const char *name, const px_field *after);

/* Case-insensitive comparison of a span with n bytes at lit. */
int px_span_ieqn(px_span s, const char *lit, size_t n);

/* ... with a C string (inline: a literal's length is known when compiling,
 * and most comparisons end on the lengths). */
static inline int px_span_ieq(px_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && px_span_ieqn(s, lit, n);
}

/*
 * Split an absolute-form target "scheme://authority/path?query" into its
 * scheme, authority and the origin-form to send upstream (path and query;
 * "/" when empty, "/?q" when only a query).  A fragment is dropped.
 * -1 if it is not absolute-form (no "://" after a scheme).  origin may be
 * shorter than what the caller must send: *origin_slash is 1 when a "/"
 * must be written before origin.
 */
int px_split_absolute(px_span target, px_span *scheme, px_span *authority,
                      px_span *origin, int *origin_slash);

/*
 * An authority-form target of CONNECT: "host:port" or "[v6]:port", port
 * 1..65535 in decimal, no userinfo.  host is returned without brackets.
 * -1 on anything else.
 */
int px_split_authority(px_span target, px_span *host, unsigned *port);

/*
 * A chunked body, tracked byte by byte without decoding it (the proxy passes
 * the bytes on unchanged).  Zero-initialise, then feed what arrives.
 */
typedef struct px_chunk {
	int state;
	uint64_t left;             /* data bytes left in this chunk */
	size_t line;               /* bytes of the current size/trailer line */
	size_t trailer;            /* bytes of trailer so far */
	int digits;
} px_chunk;

/*
 * Feed n bytes.  Returns how many of them belong to the body (all n, or
 * fewer when the body ended inside them: *done is then 1 and the rest is the
 * next message), or -1 when the framing is malformed (bad size, missing
 * CRLF, size line or trailer too long, size above 2^60).
 */
long long px_chunk_feed(px_chunk *c, const char *p, size_t n, int *done);

/*
 * The same framing, decoded in place (for a client that keeps the body,
 * /go's upstream client): the chunk data among the first n bytes of p is
 * moved to the front of p and its length stored in *data; the framing
 * (sizes, extensions, CRLFs, trailer) is dropped.  Returns and *done as
 * px_chunk_feed, which it agrees with byte for byte.
 */
long long px_chunk_decode(px_chunk *c, char *p, size_t n, size_t *data, int *done);

/* The user of "Proxy-Authorization: Basic base64(user:password)" into out
 * (NUL-terminated, at most cap-1 bytes), and the password into pw (may be
 * NULL).  -1 if the value is not Basic, not base64, holds no ':' or a
 * control byte, or does not fit. */
int px_basic_user(px_span value, char *out, size_t cap, char *pw, size_t pwcap);

#endif
