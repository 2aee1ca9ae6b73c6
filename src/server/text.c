/* text.c — bounded escaping and the 403 page; see text.h. */
#include "server/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/jsonstr.h"
#include "common/utf8.h"

void tb_init(tbuf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->trunc = 0;
	if (cap)
		mem[0] = '\0';
}

void tb_raw(tbuf *b, const char *s, size_t n)
{
	if (b->cap == 0) {
		b->trunc = 1;
		return;
	}
	size_t room = b->cap - 1 - b->len;
	if (n > room) {
		n = room;
		b->trunc = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tb_u64(tbuf *b, uint64_t v)
{
	char t[24];
	size_t n = sizeof t;
	do {
		t[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tb_raw(b, t + n, sizeof t - n);
}

void tb_fmt(tbuf *b, const char *fmt, ...)
{
	if (b->cap == 0) {
		b->trunc = 1;
		return;
	}
	size_t room = b->cap - b->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		b->trunc = 1;
	} else if ((size_t)n >= room) {
		b->len = b->cap - 1;
		b->trunc = 1;
	} else {
		b->len += (size_t)n;
	}
}

/* Append all of s or nothing (no cut escapes or sequences). */
static void tb_atom(tbuf *b, const char *s, size_t n)
{
	if (b->trunc || b->cap == 0 || n > b->cap - 1 - b->len) {
		b->trunc = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* sg_json_walk's writer: kept text, what fits cut where a character
 * starts; an escape whole or not at all. */
static int tb_json_put(void *ctx, const char *p, size_t n, int kept)
{
	tbuf *b = ctx;
	size_t room = b->cap - 1 - b->len;
	if (kept && n > room) {
		n = room;
		while (n && ((unsigned char)p[n] & 0xc0) == 0x80)
			n--;
		tb_atom(b, p, n);
		b->trunc = 1;
	} else {
		tb_atom(b, p, n);
	}
	return b->trunc;
}

void tb_json(tbuf *b, const char *s, size_t n, size_t max)
{
	if (b->trunc || b->cap < 3 || b->cap - 1 - b->len < 2) {
		b->trunc = 1;
		return;
	}
	tb_atom(b, "\"", 1);
	b->cap--; /* keep room for the closing quote */
	sg_json_walk(s, n < max ? n : max, tb_json_put, b);
	if (n > max)
		tb_atom(b, "...", 3);
	b->cap++;
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void tb_html(tbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n && !b->trunc;) {
		unsigned c = u[i];
		size_t k;
		switch (c) {
		case '&': tb_atom(b, "&amp;", 5); i++; continue;
		case '<': tb_atom(b, "&lt;", 4); i++; continue;
		case '>': tb_atom(b, "&gt;", 4); i++; continue;
		case '"': tb_atom(b, "&quot;", 6); i++; continue;
		case '\'': tb_atom(b, "&#39;", 5); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			tb_atom(b, "\xef\xbf\xbd", 3);
			i++;
		} else if (c < 0x80) {
			tb_atom(b, (const char *)u + i, 1);
			i++;
		} else if ((k = sg_utf8_len(u + i, n - i)) > 0) {
			tb_atom(b, (const char *)u + i, k);
			i += k;
		} else {
			tb_atom(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
}

static void block_json(tbuf *b, const text_refusal *r, const char *sentence, const char *word)
{
	const char *msg = r->message && r->message[0] ? r->message : sentence;
	tb_str(b, "{\"error\":\"ssrf_blocked\",\"message\":");
	tb_json(b, msg, strlen(msg), 256);
	tb_fmt(b, ",\"containment\":\"%s\",\"incident\":%lld,\"category\":", word,
	       (long long)r->incident);
	tb_json(b, r->category, strlen(r->category), 64);
	tb_str(b, ",\"rule\":");
	tb_json(b, r->rule, strlen(r->rule), 128);
	if (r->reason) {
		tb_str(b, ",\"reason\":");
		tb_json(b, r->reason, strlen(r->reason), 256);
	}
	if (r->role) {
		tb_str(b, ",\"role\":");
		tb_json(b, r->role, strlen(r->role), 64);
	}
	tb_str(b, "}\n");
}

void text_block_body(tbuf *b, int html, const text_refusal *r)
{
	static const char *const msgs[] = {
		"SSRF attempt detected; blocked and logged",
		"SSRF attempt detected; blocked, recorded, containment queued",
		"SSRF attempt detected; blocked and recorded, containment unavailable",
	};
	static const char *const words[] = {"none", "queued", "unavailable"};
	int contain = r->contain;
	if (contain < TEXT_CONTAIN_NONE || contain > TEXT_CONTAIN_UNAVAILABLE)
		contain = TEXT_CONTAIN_UNAVAILABLE; /* never claim more than is known */
	const char *msg = msgs[contain];
	if (!html) {
		block_json(b, r, msg, words[contain]);
		return;
	}
	tb_str(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	          "<title>Request blocked</title>\n<style>body{font-family:sans-serif;"
	          "max-width:40em;margin:3em auto;padding:0 1em}.box{border:2px solid #b00;"
	          "border-radius:6px;padding:1em 1.5em;background:#fff4f4}h1{color:#b00;"
	          "font-size:1.4em}</style></head>\n<body><div class=\"box\"><h1>");
	tb_str(b, msg);
	tb_fmt(b, "</h1>\n<p>This request tried to reach a destination this service must "
	          "not fetch. It was blocked and recorded as incident <strong>#%lld</strong>."
	          "</p>\n<p>Category: <code>", (long long)r->incident);
	tb_html(b, r->category, strlen(r->category) > 64 ? 64 : strlen(r->category));
	tb_str(b, "</code> &middot; rule: <code>");
	tb_html(b, r->rule, strlen(r->rule) > 128 ? 128 : strlen(r->rule));
	tb_str(b, "</code></p>\n</div></body></html>\n");
}

int text_accepts_html(const char *accept)
{
	if (!accept)
		return 0;
	const char *p = strcasestr(accept, "text/html");
	if (!p)
		return 0;
	/* "text/html;q=0" refuses it */
	const char *end = strchr(p, ',');
	const char *q = strstr(p, "q=0");
	if (q && (!end || q < end)) {
		const char *d = q + 3;
		if (*d == '\0' || *d == ',' || *d == ' ' || *d == ';' ||
		    (*d == '.' && strspn(d + 1, "0") == strcspn(d + 1, ", ;")))
			return 0;
	}
	return 1;
}
