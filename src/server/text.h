/*
 * text.h — bounded text building for the service: JSON and HTML escaping
 * and the 403 page (attacker bytes made printable text: common/escape.h).
 * Prefix: tb_ / text_.  Pure: no I/O, no globals, no allocation.
 *
 * A tbuf writes into caller memory and never overflows it: an append that
 * does not fit is cut short and sets trunc; p is always NUL-terminated
 * (cap must be >= 1).  Nothing here returns an error.
 *
 * A tbuf is deliberately not the growable buffer (common/buf.h, sg_buf):
 * it is a fixed window over memory the caller owns (often the stack), for
 * the per-request hot path that must not allocate, and whose output (a log
 * line, a 403 page) has a natural size limit where cutting, marked by
 * trunc, is the right answer.  Everything that builds text or bytes of
 * unbounded size uses sg_buf instead.
 */
#ifndef SSRFGUARD_SERVER_TEXT_H
#define SSRFGUARD_SERVER_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct tbuf {
	char *p;
	size_t len, cap;
	int trunc;
} tbuf;

void tb_init(tbuf *b, char *mem, size_t cap);
void tb_raw(tbuf *b, const char *s, size_t n);
/* inline: a literal's length is then known when compiling (the log line
 * is built from a dozen of them per request) */
static inline void tb_str(tbuf *b, const char *s)
{
	tb_raw(b, s, strlen(s));
}
void tb_fmt(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tb_u64(tbuf *b, uint64_t v); /* decimal: tb_fmt's "%llu" without printf's cost */

/*
 * A JSON string literal (with quotes) of at most max input bytes of s
 * (n bytes, any bytes) by the project's one JSON string rule
 * (common/jsonstr.h: ", \ and controls escaped, valid UTF-8 kept, invalid
 * bytes as \ufffd); "..." appended when cut at max.
 */
void tb_json(tbuf *b, const char *s, size_t n, size_t max);

/* HTML text/attribute-safe: & < > " ' escaped, controls and invalid UTF-8
 * dropped to U+FFFD. */
void tb_html(tbuf *b, const char *s, size_t n);

/*
 * The body of a refusal (403), one document for /go and the egress proxy:
 * HTML (a small alert page, /go's browsers) or JSON
 *   {"error":"ssrf_blocked","message":...,"containment":...,"incident":N,
 *    "category":...,"rule":...[,"reason":...][,"role":...]}
 * contain says what is true of containment: TEXT_CONTAIN_NONE "...blocked
 * and logged" (the category does not ask for it), TEXT_CONTAIN_QUEUED
 * "...containment queued" (recorded for the responder),
 * TEXT_CONTAIN_UNAVAILABLE "...containment unavailable" (the embedded
 * responder is failing); "containment" is "none" | "queued" |
 * "unavailable".  message is that sentence, or the operator's own (the
 * proxy's roles file) when one is set.  reason and role are shown when not
 * NULL: the proxy's (its clients are this host's software); /go shows no
 * reason, which names the addresses an attacker's name resolved to.  Every
 * string is escaped.
 */
enum { TEXT_CONTAIN_NONE = 0, TEXT_CONTAIN_QUEUED = 1, TEXT_CONTAIN_UNAVAILABLE = 2 };
typedef struct text_refusal {
	int64_t incident;
	const char *category, *rule;
	int contain;               /* TEXT_CONTAIN_* */
	const char *reason;        /* NULL: not shown */
	const char *role;          /* NULL: not shown */
	const char *message;       /* NULL or "": the sentence contain says */
} text_refusal;
void text_block_body(tbuf *b, int html, const text_refusal *r);

/* Does this Accept header prefer HTML?  (text/html present and not q=0.) */
int text_accepts_html(const char *accept);

#endif
