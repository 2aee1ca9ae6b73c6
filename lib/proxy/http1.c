/* http1.c — HTTP/1.x heads, targets and chunked framing; see http1.h. */
#include "proxy/http1.h"

#include <stddef.h>
#include <string.h>

#include <openssl/evp.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

int px_span_ieqn(px_span s, const char *lit, size_t n)
{
	if (s.n != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

/* px_span_ieq with the literal's length known: most names differ in it */
#define NAME_IS(s, lit) ((s).n == sizeof(lit) - 1 && px_span_ieq((s), (lit)))

static int span_eq_span(px_span a, px_span b)
{
	if (a.n != b.n)
		return 0;
	for (size_t i = 0; i < a.n; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return 0;
	return 1;
}

/* RFC 9110 5.6.2 tchar: ALPHA, DIGIT and !#$%&'*+-.^_`|~ (a table: the
 * test runs on every byte of every field name) */
static const unsigned char tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
	['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int is_tchar(unsigned char c) { return tchar[c]; }

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* End of the head: offset just past "\r\n\r\n", 0 if absent within lim. */
static size_t head_end(const char *buf, size_t lim)
{
	if (lim < 4)
		return 0;
	/* from line end to line end (memchr), not byte by byte */
	for (const char *p = buf + 3; (p = memchr(p, '\n', (size_t)(buf + lim - p))); p++)
		if (p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r')
			return (size_t)(p - buf) + 1;
	return 0;
}

/* Next CRLF-terminated line in [*pos, end): the line without CRLF.  -1 on a
 * bare CR or LF. */
static int next_line(const char *buf, size_t end, size_t *pos, px_span *line)
{
	/* the first CR ends the line, and no LF may come before it */
	const char *cr = *pos < end ? memchr(buf + *pos, '\r', end - *pos) : NULL;
	size_t i = cr ? (size_t)(cr - buf) : end;
	if (memchr(buf + *pos, '\n', i - *pos))
		return -1;
	if (i + 1 >= end || buf[i + 1] != '\n')
		return -1;
	line->p = buf + *pos;
	line->n = i - *pos;
	*pos = i + 2;
	return 0;
}

static int parse_version(px_span v, int *minor)
{
	if (v.n != 8 || memcmp(v.p, "HTTP/1.", 7) || (v.p[7] != '0' && v.p[7] != '1'))
		return -1;
	*minor = v.p[7] - '0';
	return 0;
}

static int parse_u64(px_span s, uint64_t *out)
{
	uint64_t x = 0;
	if (s.n == 0 || s.n > 18)
		return -1;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	*out = x;
	return 0;
}

/* Iterate the comma-separated list elements of a field value. */
static int next_elem(px_span v, size_t *pos, px_span *el)
{
	while (*pos < v.n && (is_blank(v.p[*pos]) || v.p[*pos] == ','))
		(*pos)++;
	if (*pos >= v.n)
		return 0;
	size_t s = *pos;
	while (*pos < v.n && v.p[*pos] != ',')
		(*pos)++;
	size_t e = *pos;
	while (e > s && is_blank(v.p[e - 1]))
		e--;
	el->p = v.p + s;
	el->n = e - s;
	return 1;
}

/* any_value: a value may hold any byte but CR and LF (a server that never
 * passes the field on); else no control byte. */
static int parse_field(px_span line, px_field *f, int any_value)
{
	size_t i = 0;
	while (i < line.n && is_tchar((unsigned char)line.p[i]))
		i++;
	if (i == 0 || i >= line.n || line.p[i] != ':')
		return -1; /* empty name, bad byte, or space before the colon */
	f->name.p = line.p;
	f->name.n = i;
	size_t s = i + 1, e = line.n;
	while (s < e && is_blank(line.p[s]))
		s++;
	while (e > s && is_blank(line.p[e - 1]))
		e--;
	for (size_t k = s; k < e && !any_value; k++) {
		unsigned char c = (unsigned char)line.p[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	f->value.p = line.p + s;
	f->value.n = e - s;
	return 0;
}

/* Read the fields and derive framing and connection facts.  is_req selects
 * the strict request rules. */
static px_rc parse_fields(const char *buf, size_t end, size_t pos, px_head *h, int is_req,
                          int any_value, const char **why)
{
	int keep_alive = 0, te_seen = 0, te_chunked = 0;
	px_span line;
	for (;;) {
		if (next_line(buf, end, &pos, &line) != 0) {
			*why = "bare CR or LF in the head";
			return PX_BAD;
		}
		if (line.n == 0)
			break;
		if (is_blank(line.p[0])) {
			*why = "obsolete line folding";
			return PX_BAD;
		}
		if (h->nfields >= PX_FIELDS_MAX) {
			*why = "too many header fields";
			return PX_TOO_BIG;
		}
		px_field *f = &h->f[h->nfields];
		if (parse_field(line, f, any_value) != 0) {
			*why = "malformed header field";
			return PX_BAD;
		}
		h->nfields++;
		if (NAME_IS(f->name, "content-length")) {
			uint64_t v;
			if (parse_u64(f->value, &v) != 0 || (h->has_length && v != h->length)) {
				*why = "invalid or conflicting Content-Length";
				return PX_BAD;
			}
			h->has_length = 1;
			h->length = v;
		} else if (NAME_IS(f->name, "transfer-encoding")) {
			px_span el;
			size_t p = 0;
			while (next_elem(f->value, &p, &el)) {
				if (te_seen && te_chunked && is_req) {
					*why = "a coding after chunked";
					return PX_BAD;
				}
				te_seen = 1;
				te_chunked = px_span_ieq(el, "chunked");
			}
			if (f->value.n == 0 && is_req) {
				*why = "empty Transfer-Encoding";
				return PX_BAD;
			}
			te_seen = 1;
		} else if (NAME_IS(f->name, "connection") || NAME_IS(f->name, "proxy-connection")) {
			px_span el;
			size_t p = 0;
			while (next_elem(f->value, &p, &el)) {
				if (px_span_ieq(el, "close"))
					h->close = 1;
				else if (px_span_ieq(el, "keep-alive"))
					keep_alive = 1;
			}
		} else if (NAME_IS(f->name, "expect")) {
			if (px_span_ieq(f->value, "100-continue"))
				h->expect_continue = 1;
		}
	}
	if (h->minor == 0 && !keep_alive)
		h->close = 1;
	if (te_seen) {
		if (is_req && (!te_chunked || h->has_length)) {
			*why = te_chunked ? "both Transfer-Encoding and Content-Length"
			                  : "a Transfer-Encoding other than chunked";
			return PX_BAD;
		}
		if (is_req && h->minor == 0) {
			*why = "Transfer-Encoding in an HTTP/1.0 request";
			return PX_BAD;
		}
		h->chunked = te_chunked;
		h->until_close = !te_chunked;
		h->has_length = 0;
	}
	h->head_len = pos;
	return PX_OK;
}

/* Zero a head but its field array (only f[0..nfields) is ever read): the
 * array is most of the head's 3 KiB. */
static void head_clear(px_head *h)
{
	memset(h, 0, offsetof(px_head, f));
	memset((char *)h + offsetof(px_head, head_len), 0, sizeof *h - offsetof(px_head, head_len));
}

static px_rc find_head(const char *buf, size_t len, size_t max, size_t *end)
{
	size_t lim = len < max ? len : max;
	*end = head_end(buf, lim);
	if (*end)
		return PX_OK;
	return len >= max ? PX_TOO_BIG : PX_MORE;
}

static px_rc parse_request(const char *buf, size_t len, size_t max, int any_value, px_head *h,
                           const char **why)
{
	const char *dummy;
	size_t end, pos = 0;
	px_span line;
	if (!why)
		why = &dummy;
	head_clear(h);
	*why = "";
	px_rc rc = find_head(buf, len, max, &end);
	if (rc != PX_OK) {
		if (rc == PX_TOO_BIG)
			*why = "request head too large";
		return rc;
	}
	if (next_line(buf, end, &pos, &line) != 0) {
		*why = "bare CR or LF in the request line";
		return PX_BAD;
	}
	size_t i = 0;
	while (i < line.n && is_tchar((unsigned char)line.p[i]))
		i++;
	if (i == 0 || i >= line.n || line.p[i] != ' ') {
		*why = "malformed request line";
		return PX_BAD;
	}
	h->method = (px_span){line.p, i};
	size_t ts = ++i;
	while (i < line.n && (unsigned char)line.p[i] > 0x20 && (unsigned char)line.p[i] < 0x7f)
		i++;
	if (i == ts || i >= line.n || line.p[i] != ' ') {
		*why = "malformed request target";
		return PX_BAD;
	}
	h->target = (px_span){line.p + ts, i - ts};
	px_span ver = {line.p + i + 1, line.n - i - 1};
	if (parse_version(ver, &h->minor) != 0) {
		*why = "not HTTP/1.0 or HTTP/1.1";
		return PX_BAD;
	}
	return parse_fields(buf, end, pos, h, 1, any_value, why);
}

px_rc px_parse_request(const char *buf, size_t len, size_t max, px_head *h, const char **why)
{
	return parse_request(buf, len, max, 0, h, why);
}

px_rc px_parse_request_lenient(const char *buf, size_t len, size_t max, px_head *h,
                               const char **why)
{
	return parse_request(buf, len, max, 1, h, why);
}

px_rc px_parse_response(const char *buf, size_t len, size_t max, px_span req_method,
                        px_head *h, const char **why)
{
	const char *dummy;
	size_t end, pos = 0;
	px_span line;
	if (!why)
		why = &dummy;
	head_clear(h);
	*why = "";
	px_rc rc = find_head(buf, len, max, &end);
	if (rc != PX_OK) {
		if (rc == PX_TOO_BIG)
			*why = "response head too large";
		return rc;
	}
	if (next_line(buf, end, &pos, &line) != 0 || line.n < 12 ||
	    parse_version((px_span){line.p, 8}, &h->minor) != 0 || line.p[8] != ' ') {
		*why = "malformed status line";
		return PX_BAD;
	}
	int st = 0;
	for (size_t i = 9; i < 12; i++) {
		if (line.p[i] < '0' || line.p[i] > '9') {
			*why = "malformed status code";
			return PX_BAD;
		}
		st = st * 10 + (line.p[i] - '0');
	}
	if (st < 100 || (line.n > 12 && line.p[12] != ' ')) {
		*why = "malformed status code";
		return PX_BAD;
	}
	h->status = st;
	h->reason = line.n > 13 ? (px_span){line.p + 13, line.n - 13} : (px_span){line.p, 0};
	for (size_t i = 0; i < h->reason.n; i++) {
		unsigned char c = (unsigned char)h->reason.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*why = "control byte in the reason phrase";
			return PX_BAD;
		}
	}
	rc = parse_fields(buf, end, pos, h, 0, 0, why);
	if (rc != PX_OK)
		return rc;
	int bodyless = px_span_ieq(req_method, "HEAD") || st < 200 || st == 204 || st == 304 ||
	               (px_span_ieq(req_method, "CONNECT") && st < 300);
	if (bodyless) {
		h->chunked = h->until_close = h->has_length = 0;
		h->length = 0;
	} else if (!h->chunked && !h->has_length) {
		h->until_close = 1;
	}
	return PX_OK;
}

static const char *const hop_fields[] = {
	"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
};

int px_is_hop_by_hop(const px_head *h, px_span name)
{
	for (size_t i = 0; i < sizeof hop_fields / sizeof hop_fields[0]; i++)
		if (px_span_ieq(name, hop_fields[i]))
			return 1;
	for (size_t i = 0; i < h->nfields; i++) {
		if (!px_span_ieq(h->f[i].name, "connection") &&
		    !px_span_ieq(h->f[i].name, "proxy-connection"))
			continue;
		px_span el;
		size_t p = 0;
		while (next_elem(h->f[i].value, &p, &el))
			if (span_eq_span(el, name))
				return 1;
	}
	return 0;
}

const px_field *px_find(const px_head *h, const char *name)
{
	px_span want = {name, strlen(name)};
	for (size_t i = 0; i < h->nfields; i++)
		if (span_eq_span(h->f[i].name, want))
			return &h->f[i];
	return NULL;
}

int px_split_absolute(px_span t, px_span *scheme, px_span *authority, px_span *origin,
                      int *origin_slash)
{
	size_t i = 0;
	while (i < t.n && ((t.p[i] >= 'a' && t.p[i] <= 'z') || (t.p[i] >= 'A' && t.p[i] <= 'Z') ||
	                   (i > 0 && ((t.p[i] >= '0' && t.p[i] <= '9') || t.p[i] == '+' ||
	                              t.p[i] == '-' || t.p[i] == '.'))))
		i++;
	if (i == 0 || i + 3 > t.n || memcmp(t.p + i, "://", 3))
		return -1;
	*scheme = (px_span){t.p, i};
	size_t as = i + 3, ae = as;
	while (ae < t.n && t.p[ae] != '/' && t.p[ae] != '?' && t.p[ae] != '#')
		ae++;
	*authority = (px_span){t.p + as, ae - as};
	size_t oe = ae;
	while (oe < t.n && t.p[oe] != '#')
		oe++;
	*origin = (px_span){t.p + ae, oe - ae};
	*origin_slash = origin->n == 0 || origin->p[0] != '/';
	return authority->n ? 0 : -1;
}

int px_split_authority(px_span t, px_span *host, unsigned *port)
{
	size_t colon;
	if (t.n == 0 || memchr(t.p, '@', t.n))
		return -1;
	if (t.p[0] == '[') {
		const char *rb = memchr(t.p, ']', t.n);
		if (!rb || rb == t.p + 1)
			return -1;
		colon = (size_t)(rb - t.p) + 1;
		if (colon >= t.n || t.p[colon] != ':')
			return -1;
		*host = (px_span){t.p + 1, (size_t)(rb - t.p) - 1};
	} else {
		const char *c = memchr(t.p, ':', t.n);
		if (!c || c == t.p || memchr(c + 1, ':', t.n - (size_t)(c - t.p) - 1))
			return -1;
		colon = (size_t)(c - t.p);
		*host = (px_span){t.p, colon};
	}
	px_span ps = {t.p + colon + 1, t.n - colon - 1};
	uint64_t v;
	if (ps.n > 5 || parse_u64(ps, &v) != 0 || v < 1 || v > 65535)
		return -1;
	for (size_t i = 0; i < host->n; i++) {
		unsigned char c = (unsigned char)host->p[i];
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\' || c == '?' || c == '#')
			return -1;
	}
	*port = (unsigned)v;
	return 0;
}

/* ---- chunked framing ---- */

enum {
	CK_SIZE = 0, /* hex digits */
	CK_EXT,      /* after ';' up to CR */
	CK_SIZE_LF,
	CK_DATA,
	CK_DATA_CR,
	CK_DATA_LF,
	CK_TRAILER,  /* start of a trailer line (or the final CRLF) */
	CK_TRAILER_LINE,
	CK_TRAILER_LF,
	CK_END_LF,
	CK_DONE,
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Of avail bytes at hand in state CK_DATA, how many are this chunk's data
 * (all, or what is left of the chunk, which then ends). */
static size_t take_data(px_chunk *c, size_t avail)
{
	size_t take = (uint64_t)avail > c->left ? (size_t)c->left : avail;
	c->left -= take;
	if (!c->left)
		c->state = CK_DATA_CR;
	return take;
}

/* A byte of a line's text (a size line's extension, a trailer field): CR
 * ends it (state next); a bare LF or a control is malformed (-1), and so
 * is a line longer than max, *count being its bytes so far. */
static int line_text(px_chunk *c, unsigned char b, int next, size_t *count, size_t max)
{
	if (b == '\r')
		c->state = next;
	else if (b == '\n' || (b < 0x20 && b != '\t') || b == 0x7f)
		return -1;
	return ++*count > max ? -1 : 0;
}

/* A byte that must be want (the CR or LF of a CRLF): the framing moves on
 * to state next. */
static int expect_byte(px_chunk *c, unsigned char b, unsigned char want, int next)
{
	if (b != want)
		return -1;
	c->state = next;
	return 0;
}

/* A byte of a chunk's size: a hex digit (the size at most 2^60), or after
 * one at least, what ends the digits: an extension (';', a blank) or CR. */
static int size_byte(px_chunk *c, unsigned char b)
{
	int v = hexval(b);
	if (v >= 0) {
		if (c->left >> 56)
			return -1; /* above 2^60 */
		c->left = c->left * 16 + (uint64_t)v;
		c->digits++;
	} else if (c->digits && (b == ';' || b == ' ' || b == '\t')) {
		c->state = CK_EXT;
	} else if (c->digits && b == '\r') {
		c->state = CK_SIZE_LF;
	} else {
		return -1;
	}
	return ++c->line > PX_CHUNK_LINE_MAX ? -1 : 0;
}

/* The LF that ends a size line: the chunk's data follow, or the trailer
 * after the last chunk (size 0). */
static int size_line_end(px_chunk *c, unsigned char b)
{
	if (b != '\n')
		return -1;
	c->line = 0;
	c->digits = 0;
	c->state = c->left ? CK_DATA : CK_TRAILER;
	return 0;
}

/* The first byte of a trailer line (never a blank: no obsolete line
 * folding), or the CR of the CRLF that ends the body. */
static int trailer_start(px_chunk *c, unsigned char b)
{
	if (b == '\r')
		c->state = CK_END_LF;
	else if (b == '\n' || b == ' ' || b == '\t')
		return -1;
	else
		c->state = CK_TRAILER_LINE;
	return ++c->trailer > PX_TRAILER_MAX ? -1 : 0;
}

long long px_chunk_feed(px_chunk *c, const char *p, size_t n, int *done)
{
	size_t i = 0;
	*done = 0;
	while (i < n) {
		unsigned char b = (unsigned char)p[i];
		int bad;
		switch (c->state) {
		case CK_SIZE:
			bad = size_byte(c, b);
			break;
		case CK_EXT:
			bad = line_text(c, b, CK_SIZE_LF, &c->line, PX_CHUNK_LINE_MAX);
			break;
		case CK_SIZE_LF:
			bad = size_line_end(c, b);
			break;
		case CK_DATA: /* a run of data at once */
			i += take_data(c, n - i);
			continue;
		case CK_DATA_CR:
			bad = expect_byte(c, b, '\r', CK_DATA_LF);
			break;
		case CK_DATA_LF:
			bad = expect_byte(c, b, '\n', CK_SIZE);
			break;
		case CK_TRAILER:
			bad = trailer_start(c, b);
			break;
		case CK_TRAILER_LINE:
			bad = line_text(c, b, CK_TRAILER_LF, &c->trailer, PX_TRAILER_MAX);
			break;
		case CK_TRAILER_LF:
			bad = expect_byte(c, b, '\n', CK_TRAILER);
			break;
		case CK_END_LF:
			bad = expect_byte(c, b, '\n', CK_DONE);
			break;
		default: /* CK_DONE: the rest is the next message */
			*done = 1;
			return (long long)i;
		}
		if (bad)
			return -1;
		i++;
	}
	*done = c->state == CK_DONE;
	return (long long)i;
}

long long px_chunk_decode(px_chunk *c, char *p, size_t n, size_t *data, int *done)
{
	size_t i = 0, out = 0;
	*data = 0;
	*done = 0;
	while (i < n && !*done) {
		if (c->state == CK_DATA) { /* a run of data: moved, not fed byte by byte */
			size_t take = take_data(c, n - i);
			memmove(p + out, p + i, take);
			out += take;
			i += take;
			continue;
		}
		long long k = px_chunk_feed(c, p + i, 1, done);
		if (k < 0)
			return -1;
		i += (size_t)k;
		if (!k)
			break;
	}
	*data = out;
	return (long long)i;
}

int px_basic_user(px_span v, char *out, size_t cap, char *pw, size_t pwcap)
{
	unsigned char dec[768];
	size_t i = 0;
	if (v.n < 6 || !px_span_ieq((px_span){v.p, 5}, "basic") || !is_blank(v.p[5]))
		return -1;
	i = 6;
	while (i < v.n && is_blank(v.p[i]))
		i++;
	size_t bn = v.n - i;
	if (bn == 0 || bn % 4 || bn / 4 * 3 > sizeof dec - 1)
		return -1;
	for (size_t k = i; k < v.n; k++) {
		char ch = v.p[k];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '+' || ch == '/' || (ch == '=' && k >= v.n - 2)))
			return -1;
	}
	int dn = EVP_DecodeBlock(dec, (const unsigned char *)v.p + i, (int)bn);
	if (dn < 0)
		return -1;
	size_t n = (size_t)dn;
	if (v.p[v.n - 1] == '=')
		n--;
	if (v.p[v.n - 2] == '=')
		n--;
	const unsigned char *colon = memchr(dec, ':', n);
	if (!colon)
		return -1;
	size_t un = (size_t)(colon - dec), pn = n - un - 1;
	for (size_t k = 0; k < n; k++)
		if (dec[k] < 0x20 || dec[k] == 0x7f)
			return -1;
	if (un == 0 || un >= cap || (pw && pn >= pwcap))
		return -1;
	memcpy(out, dec, un);
	out[un] = '\0';
	if (pw) {
		memcpy(pw, colon + 1, pn);
		pw[pn] = '\0';
	}
	return 0;
}

int px_status_code(const char *p, size_t len)
{
	if (len < 5 || memcmp(p, "HTTP/", 5))
		return -1;
	const char *sp = memchr(p + 5, ' ', len - 5);
	if (!sp || (size_t)(sp - p) + 4 > len)
		return -1;
	int st = 0;
	for (size_t i = 1; i <= 3; i++) {
		if (sp[i] < '0' || sp[i] > '9')
			return -1;
		st = st * 10 + (sp[i] - '0');
	}
	size_t after = (size_t)(sp - p) + 4;
	if (st < 100 || (after < len && p[after] != ' ' && p[after] != '\r' && p[after] != '\n'))
		return -1;
	return st;
}
