/* evidence.c — the request headers kept as the evidence of a blocked
 * attempt, for /go (server.c) and the egress proxy (proxy_guard.c) alike:
 * a JSON object of the headers of note, forwarding ones first, every value
 * cut on its own ("..." marks a cut), so no header, however long or
 * binary, can push another out or cut the object.  See srv_int.h.
 *
 * The forwarding lists (X-Forwarded-For, Forwarded, Via) are where a
 * balancer records the client it saw: it appends that entry at the end,
 * either to the field or as a field of its own.  So every occurrence is
 * kept, joined in order with ", " (RFC 9110 5.3), and a list longer than
 * its cap keeps its head and its tail around the "..." mark: the entry the
 * nearest balancer appended always survives, however much an attacker
 * wrote before it.  X-Real-IP names one address: its last occurrence
 * (the one a balancer added) is kept. */
#include "server/srv_int.h"

#include <stdlib.h>
#include <string.h>

enum note_kind {
	NOTE_FIRST, /* one value: the first occurrence, its head kept */
	NOTE_LAST,  /* one value: the last occurrence, its head kept */
	NOTE_LIST,  /* a list: every occurrence joined, its head and tail kept */
};

#define LIST_MAX 512 /* the largest cap of a NOTE_LIST */

static const struct {
	const char *name;
	size_t max;                /* input bytes of its value kept */
	enum note_kind kind;
} headers_of_note[] = {
	{"X-Forwarded-For", LIST_MAX, NOTE_LIST}, {"X-Real-IP", 64, NOTE_LAST},
	{"Forwarded", LIST_MAX, NOTE_LIST},       {"Host", 256, NOTE_FIRST},
	{"User-Agent", 256, NOTE_FIRST},          {"Referer", 256, NOTE_FIRST},
	{"Origin", 256, NOTE_FIRST},              {"Accept", 128, NOTE_FIRST},
	{"Content-Type", 128, NOTE_FIRST},        {"Via", 128, NOTE_LIST},
};
#define NOTE_N (sizeof headers_of_note / sizeof headers_of_note[0])

/* Worst case of one field: its name and value at 6 output bytes per input
 * byte (\u00XX), quotes, colon, comma and the "..." mark. */
#define HDR_NAME_MAX 16
#define HDR_FIELD_OUT(n) ((HDR_NAME_MAX + (n)) * 6 + 12)
#define ROLE_KEY "ssrfguard_role"
#define CUT_MARK "..."

/* Copy the part of p[0..len), at offset pos of a text, that falls in
 * [from, from + n) of that text to out (out[0] is the text's byte from).
 * Returns the offset after p. */
static size_t put_range(const char *p, size_t len, size_t pos, size_t from, size_t n, char *out)
{
	size_t lo = pos > from ? pos : from;
	size_t hi = pos + len < from + n ? pos + len : from + n;
	if (lo < hi)
		memcpy(out + (lo - from), p + (lo - pos), hi - lo);
	return pos + len;
}

/* Bytes [from, from + n) of every occurrence of name joined with ", ",
 * copied to out; returns the length of the whole joined list (n = 0: only
 * that).  Its size is bounded by the head's. */
static size_t join_range(const px_head *h, const char *name, size_t from, size_t n, char *out)
{
	size_t pos = 0;
	int first = 1;
	for (const px_field *f = NULL; (f = px_find_next(h, name, f));) {
		if (!first)
			pos = put_range(", ", 2, pos, from, n, out);
		first = 0;
		pos = put_range(f->value.p, f->value.n, pos, from, n, out);
	}
	return pos;
}

/* A list of total bytes as kept: whole when it fits max (<= LIST_MAX),
 * else its first quarter, the cut mark and the rest of max from its end.
 * Returns the bytes written to out. */
static size_t list_kept(const px_head *h, const char *name, size_t total, size_t max,
                        char out[LIST_MAX + sizeof CUT_MARK])
{
	if (max > LIST_MAX)
		max = LIST_MAX;
	if (total <= max) {
		join_range(h, name, 0, total, out);
		return total;
	}
	size_t head = max / 4, tail = max - head, mark = sizeof CUT_MARK - 1;
	join_range(h, name, 0, head, out);
	memcpy(out + head, CUT_MARK, mark);
	join_range(h, name, total - tail, tail, out + head + mark);
	return max + mark;
}

/* Header i's value (any bytes) as one occurrence (*len bytes), or for a
 * list its joined length in *len (NULL: the header is absent). */
static const px_field *note_find(const px_head *h, size_t i, size_t *len)
{
	const char *name = headers_of_note[i].name;
	const px_field *f = px_find(h, name);
	if (f && headers_of_note[i].kind == NOTE_LAST)
		for (const px_field *g = f; (g = px_find_next(h, name, g));)
			f = g;
	if (f)
		*len = headers_of_note[i].kind == NOTE_LIST ? join_range(h, name, 0, 0, NULL)
		                                            : f->value.n;
	return f;
}

char *srv_headers_json(const char *role, const px_head *h)
{
	const px_field *val[NOTE_N];
	size_t len[NOTE_N];
	size_t cap = 4 + (role ? HDR_FIELD_OUT(64) : 0);
	for (size_t i = 0; i < NOTE_N; i++) {
		len[i] = 0;
		if ((val[i] = note_find(h, i, &len[i])))
			cap += HDR_FIELD_OUT(len[i] < headers_of_note[i].max ? len[i]
			                                                      : headers_of_note[i].max);
	}
	/* the usual few hundred bytes on the stack; the worst case on the heap */
	char small[4096];
	char *mem = cap <= sizeof small ? small : malloc(cap);
	tbuf b;
	int first = 1;
	if (!mem)
		return NULL;
	tb_init(&b, mem, cap);
	tb_str(&b, "{");
	if (role) {
		tb_json(&b, ROLE_KEY, strlen(ROLE_KEY), HDR_NAME_MAX);
		tb_str(&b, ":");
		tb_json(&b, role, strlen(role), 64);
		first = 0;
	}
	for (size_t i = 0; i < NOTE_N; i++) {
		const char *name = headers_of_note[i].name;
		if (!val[i])
			continue;
		if (!first)
			tb_str(&b, ",");
		first = 0;
		tb_json(&b, name, strlen(name), HDR_NAME_MAX);
		tb_str(&b, ":");
		if (headers_of_note[i].kind == NOTE_LIST) {
			char kept[LIST_MAX + sizeof CUT_MARK];
			size_t n = list_kept(h, name, len[i], headers_of_note[i].max, kept);
			tb_json(&b, kept, n, n);
		} else {
			tb_json(&b, val[i]->value.p, len[i], headers_of_note[i].max);
		}
	}
	tb_str(&b, "}");
	char *out = b.trunc ? NULL : malloc(b.len + 1); /* cannot be cut: sized above */
	if (out)
		memcpy(out, b.p, b.len + 1);
	if (mem != small)
		free(mem);
	return out;
}
