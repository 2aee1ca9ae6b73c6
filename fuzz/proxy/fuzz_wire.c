/* fuzz_wire.c — every parser the egress proxy runs on attacker bytes: the
 * request and response heads, the targets, chunked framing (whole, byte
 * by byte and decoded in place, which must agree), Proxy-Authorization Basic, the PROXY header. */
#include <stdint.h>
#include <string.h>

#include "proxy/http1.h"
#include "proxy/ppheader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void heads(const char *p, size_t n)
{
	px_head h;
	const char *why = NULL;
	if (px_parse_request(p, n, 8192, &h, &why) == PX_OK) {
		if (h.head_len > n || h.nfields > PX_FIELDS_MAX || (h.chunked && h.has_length))
			__builtin_trap();
		for (size_t i = 0; i < h.nfields; i++)
			(void)px_is_hop_by_hop(&h, h.f[i].name);
		px_span sc, au, or, host;
		int slash;
		unsigned port;
		if (px_split_absolute(h.target, &sc, &au, &or, &slash) == 0 &&
		    (au.p + au.n > h.target.p + h.target.n || or.p + or.n > h.target.p + h.target.n))
			__builtin_trap();
		if (px_split_authority(h.target, &host, &port) == 0 && (port < 1 || port > 65535))
			__builtin_trap();
		const px_field *f = px_find(&h, "proxy-authorization");
		char u[129], pw[256];
		if (f && px_basic_user(f->value, u, sizeof u, pw, sizeof pw) == 0 && !u[0])
			__builtin_trap();
	}
	px_head l;
	px_rc strict = px_parse_request(p, n, 8192, &h, &why);
	px_rc lenient = px_parse_request_lenient(p, n, 8192, &l, &why);
	/* lenient only about value bytes: whatever is strict-valid reads the same */
	if ((strict == PX_OK && (lenient != PX_OK || l.head_len != h.head_len ||
	                         l.nfields != h.nfields || l.chunked != h.chunked ||
	                         l.length != h.length)) ||
	    (lenient == PX_OK && l.head_len > n))
		__builtin_trap();
	static const char *const methods[] = {"GET", "HEAD", "CONNECT"};
	for (size_t m = 0; m < 3; m++)
		if (px_parse_response(p, n, 8192, (px_span){methods[m], strlen(methods[m])}, &h,
		                      &why) == PX_OK &&
		    (h.head_len > n || px_status_code(p, n) != h.status ||
		     (h.chunked && (h.has_length || h.until_close))))
			__builtin_trap();
	/* every occurrence of a field, in order, the first being px_find's */
	if (px_parse_request(p, n, 8192, &h, &why) == PX_OK) {
		const px_field *prev = NULL, *f = px_find(&h, "x-forwarded-for");
		if (f != px_find_next(&h, "X-Forwarded-For", NULL))
			__builtin_trap();
		for (; f; prev = f, f = px_find_next(&h, "x-forwarded-for", f))
			if (f < h.f || f >= h.f + h.nfields || (prev && f <= prev))
				__builtin_trap();
	}
	/* the status line alone, as libcurl's header callback sees it (fetch.c) */
	const char *eol = memchr(p, '\n', n);
	int st = px_status_code(p, eol ? (size_t)(eol - p) + 1 : n);
	if (st != -1 && (st < 100 || st > 999))
		__builtin_trap();
}

static void chunks(const char *p, size_t n)
{
	px_chunk a, b;
	int da = 0, db = 0;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	long long whole = px_chunk_feed(&a, p, n, &da);
	long long used = 0;
	for (size_t i = 0; i < n && !db; i++) {
		long long k = px_chunk_feed(&b, p + i, 1, &db);
		if (k < 0) {
			used = -1;
			break;
		}
		used += k;
	}
	if (whole != used || (whole >= 0 && da != db) || whole > (long long)n)
		__builtin_trap();
	/* decoded in place: the same framing, and never more data than bytes */
	char copy[4096];
	size_t m = n < sizeof copy ? n : sizeof copy, dn = 0;
	int dd = 0, dw = 0;
	memcpy(copy, p, m);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	long long dec = px_chunk_decode(&a, copy, m, &dn, &dd);
	long long fed = px_chunk_feed(&b, p, m, &dw);
	if (dec != fed || (dec >= 0 && (dd != dw || dn > (size_t)dec)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	heads(p, size);
	chunks(p, size);
	struct sockaddr_storage ss;
	int local;
	size_t used;
	const char *why;
	if (px_pp_parse(data, size, &ss, &local, &used, &why) == PX_OK && used > size)
		__builtin_trap();
	return 0;
}
