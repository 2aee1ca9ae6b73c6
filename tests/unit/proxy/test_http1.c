/* test_http1.c — the proxy's HTTP/1.x wire parsing (lib/proxy/http1.h). */
#include "test.h"

#include "proxy/http1.h"

static px_span S(const char *s) { return (px_span){s, strlen(s)}; }

TEST(requests)
{
	static const struct {
		const char *in;
		int rc;
		int chunked, has_length, close;
		uint64_t length;
	} rows[] = {
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", PX_OK, 0, 0, 0, 0},
		{"GET http://a/ HTTP/1.0\r\n\r\n", PX_OK, 0, 0, 1, 0},
		{"GET http://a/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", PX_OK, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\n\r\n", PX_OK, 0, 1, 0, 5},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", PX_OK, 0, 1, 0, 5},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", PX_OK, 1, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nConnection: Close\r\n\r\n", PX_OK, 0, 0, 1, 0},
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n", PX_MORE, 0, 0, 0, 0},
		/* smuggling shapes and malformed heads */
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
		 PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: +3\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.1\r\nContent-Length: 3 4\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/ HTTP/1.1\r\nHost : a\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/ HTTP/1.1\nHost: a\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/ HTTP/1.1\r\nX: a\rb\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/ HTTP/2.0\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET  http://a/ HTTP/1.1\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"G(T http://a/ HTTP/1.1\r\n\r\n", PX_BAD, 0, 0, 0, 0},
		{"GET http://a/\x01 HTTP/1.1\r\n\r\n", PX_BAD, 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		px_head h;
		const char *why = NULL;
		px_rc rc = px_parse_request(rows[i].in, strlen(rows[i].in), 8192, &h, &why);
		CHECKF((int)rc == rows[i].rc, "row %zu: rc %d want %d (%s)", i, rc, rows[i].rc, why);
		if (rc != PX_OK)
			continue;
		CHECKF(h.chunked == rows[i].chunked && h.has_length == rows[i].has_length &&
		       h.close == rows[i].close && h.length == rows[i].length, "row %zu framing", i);
		CHECKF(h.head_len == strlen(rows[i].in), "row %zu head_len", i);
	}
	px_head h;
	CHECK_INT(px_parse_request("GET http://a/ HTTP/1.1\r\nX: aaaaaaaaaaaaaaa", 40, 32, &h, NULL),
	          PX_TOO_BIG);
}

TEST(responses)
{
	px_head h;
	const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	CHECK(h.chunked && !h.has_length && !h.until_close); /* chunked wins */
	CHECK(h.cl_ignored);                                 /* and is never relayed */
	r = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("HEAD"), &h, NULL), PX_OK);
	CHECK(!h.chunked && !h.has_length && !h.until_close); /* HEAD: no body */
	r = "HTTP/1.1 204 No Content\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	CHECK(!h.until_close);
	r = "HTTP/1.1 200 OK\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	CHECK(h.until_close);
	/* a coding other than chunked: neither decoded nor passed on (RFC 9112 6.1) */
	static const char *const codings[] = {"gzip", "gzip, chunked", "chunked, chunked",
	                                      "chunked, gzip", "identity", ""};
	for (size_t i = 0; i < sizeof codings / sizeof codings[0]; i++) {
		char resp[128];
		const char *why = NULL;
		snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: %s\r\n\r\n",
		         codings[i]);
		CHECKF(px_parse_response(resp, strlen(resp), 8192, S("GET"), &h, &why) == PX_BAD,
		       "Transfer-Encoding: %s refused", codings[i]);
		CHECK(why != NULL);
	}
	r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	CHECK(h.chunked && !h.cl_ignored);
	r = "HTTP/1.1 100 Continue\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("POST"), &h, NULL), PX_OK);
	CHECK_INT(h.status, 100);
	r = "HTTP/1.1 20x OK\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_BAD);
	r = "HTTP/1.1 200\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	r = "HTTP/1.1 200 OK\r\nConnection: x-a, close\r\nX-A: 1\r\n\r\n";
	CHECK_INT(px_parse_response(r, strlen(r), 8192, S("GET"), &h, NULL), PX_OK);
	CHECK(h.close);
	CHECK(px_is_hop_by_hop(&h, S("x-A")));
	CHECK(px_is_hop_by_hop(&h, S("Keep-Alive")));
	CHECK(px_is_hop_by_hop(&h, S("Proxy-Authorization")));
	CHECK(!px_is_hop_by_hop(&h, S("Content-Type")));
}

TEST(repeated_fields)
{
	px_head h;
	const char *r = "GET http://a/ HTTP/1.1\r\nX-Forwarded-For: 1\r\nVia: v\r\n"
	                "x-forwarded-for: 2\r\nX-Forwarded-For: 3\r\n\r\n";
	CHECK_INT(px_parse_request(r, strlen(r), 8192, &h, NULL), PX_OK);
	const char *want = "123";
	size_t n = 0;
	for (const px_field *f = NULL; (f = px_find_next(&h, "X-Forwarded-For", f)); n++)
		CHECKF(n < 3 && f->value.n == 1 && f->value.p[0] == want[n], "occurrence %zu", n);
	CHECK_INT((int)n, 3);
	CHECK(px_find(&h, "x-forwarded-for") == px_find_next(&h, "X-Forwarded-For", NULL));
	CHECK(px_find_next(&h, "Via", px_find(&h, "via")) == NULL);
	CHECK(px_find(&h, "Forwarded") == NULL);
}

TEST(targets)
{
	px_span sc, au, or, host;
	int slash;
	unsigned port;
	CHECK_INT(px_split_absolute(S("http://a.b:81/p?q#f"), &sc, &au, &or, &slash), 0);
	CHECK(sc.n == 4 && au.n == 6 && !memcmp(au.p, "a.b:81", 6) && or.n == 4 && !slash);
	CHECK_INT(px_split_absolute(S("http://a.b?q"), &sc, &au, &or, &slash), 0);
	CHECK(or.n == 2 && slash);
	CHECK_INT(px_split_absolute(S("http://a.b"), &sc, &au, &or, &slash), 0);
	CHECK(or.n == 0 && slash);
	CHECK_INT(px_split_absolute(S("/path"), &sc, &au, &or, &slash), -1);
	CHECK_INT(px_split_absolute(S("http:///x"), &sc, &au, &or, &slash), -1);
	CHECK_INT(px_split_authority(S("example.com:443"), &host, &port), 0);
	CHECK(host.n == 11 && port == 443);
	CHECK_INT(px_split_authority(S("[::1]:8443"), &host, &port), 0);
	CHECK(host.n == 3 && port == 8443);
	static const char *bad[] = {"example.com", "a:0", "a:65536", "a:1x", "u@a:443", ":443",
	                            "[::1]443", "a:b:443", "a/b:443", "[]:1", "a:+443"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKF(px_split_authority(S(bad[i]), &host, &port) == -1, "%s", bad[i]);
}

TEST(chunked)
{
	px_chunk c;
	int done;
	const char *ok = "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	memset(&c, 0, sizeof c);
	CHECK_INT(px_chunk_feed(&c, ok, strlen(ok), &done), (long long)strlen(ok) - 4);
	CHECK(done);
	/* byte by byte gives the same answer */
	memset(&c, 0, sizeof c);
	size_t i = 0;
	done = 0;
	for (; i < strlen(ok) && !done; i++)
		CHECK_INT(px_chunk_feed(&c, ok + i, 1, &done), 1);
	CHECK_INT((long long)i, (long long)strlen(ok) - 4);
	static const char *bad[] = {"x\r\n", "5\r\nhelloX", "5\nhello", "\r\n", "1\r\na\r\n0\r\n\n",
	                            "10000000000000000\r\n"};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		memset(&c, 0, sizeof c);
		CHECKF(px_chunk_feed(&c, bad[k], strlen(bad[k]), &done) == -1, "bad %zu", k);
	}
}

/* Decoded in place: the data only, the framing as px_chunk_feed reads it,
 * whether the bytes come whole or one at a time (as a socket gives them). */
TEST(chunked_decode)
{
	px_chunk c;
	int done;
	size_t data;
	const char *ok = "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	char buf[128];
	memcpy(buf, ok, strlen(ok));
	memset(&c, 0, sizeof c);
	CHECK_INT(px_chunk_decode(&c, buf, strlen(ok), &data, &done), (long long)strlen(ok) - 4);
	CHECK(done);
	CHECK_INT((long long)data, 8);
	CHECK(!memcmp(buf, "helloabc", 8));
	char out[16];
	size_t o = 0, i = 0;
	memset(&c, 0, sizeof c);
	done = 0;
	for (; i < strlen(ok) && !done; i++) {
		char one = ok[i];
		CHECK_INT(px_chunk_decode(&c, &one, 1, &data, &done), 1);
		if (data && o < sizeof out)
			out[o++] = one;
	}
	CHECK_INT((long long)i, (long long)strlen(ok) - 4);
	CHECK_INT((long long)o, 8);
	CHECK(!memcmp(out, "helloabc", 8));
	memcpy(buf, "5\r\nhelloX", 10);
	memset(&c, 0, sizeof c);
	CHECK_INT(px_chunk_decode(&c, buf, 10, &data, &done), -1);
}

/* The lenient request parser: any value byte but CR and LF; framing as strict. */
TEST(lenient_values)
{
	px_head h;
	const char *bin = "GET /go HTTP/1.1\r\nUser-Agent: a\x01\x1b\xff\x7f\r\n\r\n";
	CHECK_INT(px_parse_request(bin, strlen(bin), 8192, &h, NULL), PX_BAD);
	CHECK_INT(px_parse_request_lenient(bin, strlen(bin), 8192, &h, NULL), PX_OK);
	CHECK_INT((long long)h.f[0].value.n, 5);
	const char *two = "GET /go HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 26\r\n\r\n";
	CHECK_INT(px_parse_request_lenient(two, strlen(two), 8192, &h, NULL), PX_BAD);
	const char *bare = "GET /go HTTP/1.1\r\nX: a\rb\r\n\r\n";
	CHECK_INT(px_parse_request_lenient(bare, strlen(bare), 8192, &h, NULL), PX_BAD);
}

TEST(basic_auth)
{
	char u[32], p[32];
	CHECK_INT(px_basic_user(S("Basic Y2k6czNjcmV0"), u, sizeof u, p, sizeof p), 0);
	CHECK_STR(u, "ci");
	CHECK_STR(p, "s3cret");
	CHECK_INT(px_basic_user(S("basic  dXNlcjo="), u, sizeof u, p, sizeof p), 0);
	CHECK_STR(u, "user");
	CHECK_STR(p, "");
	CHECK_INT(px_basic_user(S("Bearer Y2k6czNjcmV0"), u, sizeof u, p, sizeof p), -1);
	CHECK_INT(px_basic_user(S("Basic bm9jb2xvbg=="), u, sizeof u, p, sizeof p), -1); /* "nocolon" */
	CHECK_INT(px_basic_user(S("Basic Y2k6czNjcmV0!"), u, sizeof u, p, sizeof p), -1);
	CHECK_INT(px_basic_user(S("Basic OnB3"), u, sizeof u, p, sizeof p), -1); /* empty user */
}

/* One status line as libcurl hands it over (src/server/fetch.c). */
TEST(status_lines)
{
	static const struct {
		const char *line;
		int code;
	} rows[] = {
		{"HTTP/1.1 200 OK\r\n", 200}, {"HTTP/1.1 101 Switching Protocols\r\n", 101},
		{"HTTP/2 103\r\n", 103},       {"HTTP/1.0 100", 100},
		{"HTTP/1.1 099 x\r\n", -1},   {"HTTP/1.1 1x1 odd\r\n", -1},
		{"HTTP/1.1 2000 OK\r\n", -1}, {"Content-Type: text/html\r\n", -1},
		{"HTTP/1.1", -1},              {"HTTP/1.1 20", -1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(px_status_code(rows[i].line, strlen(rows[i].line)) == rows[i].code, "%s",
		       rows[i].line);
}

TEST_MAIN(requests, responses, repeated_fields, targets, chunked, chunked_decode, lenient_values,
          basic_auth, status_lines)
