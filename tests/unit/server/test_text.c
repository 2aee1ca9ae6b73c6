/* test_text.c — escaping, cleaning, the 403 body, Accept, the url= query
 * parameter and the serve config parser: table-driven. */
#include <stdlib.h>
#include <string.h>

#include "opt/cmdline.h"
#include "server/config.h"
#include "server/query.h"
#include "server/text.h"
#include "test.h"

TEST(json_escaping)
{
	static const struct { const char *in; size_t n, max; const char *want; } rows[] = {
		{"plain", 5, 100, "\"plain\""},
		{"a\"b\\c", 5, 100, "\"a\\\"b\\\\c\""},
		{"\n\t\x01\x7f", 4, 100, "\"\\u000a\\u0009\\u0001\\u007f\""},
		{"caf\xc3\xa9", 5, 100, "\"caf\xc3\xa9\""},
		{"bad\xff\xc3", 5, 100, "\"bad\\ufffd\\ufffd\""},
		{"\xed\xa0\x80", 3, 100, "\"\\ufffd\\ufffd\\ufffd\""},   /* surrogate */
		{"\xc0\xaf", 2, 100, "\"\\ufffd\\ufffd\""},              /* overlong */
		{"abcdef", 6, 3, "\"abc...\""},
		{"a\0b", 3, 100, "\"a\\u0000b\""},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char mem[128];
		tbuf b;
		tb_init(&b, mem, sizeof mem);
		tb_json(&b, rows[i].in, rows[i].n, rows[i].max);
		CHECKF(!strcmp(b.p, rows[i].want), "row %zu: got %s want %s", i, b.p, rows[i].want);
	}
	/* Truncation never cuts an escape and always closes the string. */
	for (size_t cap = 3; cap < 40; cap++) {
		char mem[64];
		tbuf b;
		tb_init(&b, mem, cap);
		tb_json(&b, "\"\"\"\"\xc3\xa9\xc3\xa9\n\n\n", 11, 100);
		CHECKF(b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"', "cap %zu: %s", cap, b.p);
		CHECKF(b.len < cap, "cap %zu overflow", cap);
		size_t bs = 0;
		for (size_t k = b.len - 1; k > 0 && b.p[k - 1] == '\\'; k--)
			bs++;
		CHECKF(bs % 2 == 0, "cap %zu: dangling backslash: %s", cap, b.p);
	}
	/* A cut keeps whole characters: "a\u00e9\u20ac" (6 bytes) in windows
	 * of 2 to 6 bytes ends after a, after é or after €, never inside one. */
	static const char *const cut[] = {"\"a\"", "\"a\xc3\xa9\"", "\"a\xc3\xa9\"", "\"a\xc3\xa9\"",
	                                  "\"a\xc3\xa9\xe2\x82\xac\""};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		char mem[16];
		tbuf b;
		tb_init(&b, mem, 5 + i);
		tb_json(&b, "a\xc3\xa9\xe2\x82\xac", 6, 100);
		CHECKF(!strcmp(b.p, cut[i]), "cap %zu: got %s", 5 + i, b.p);
		CHECKF(b.trunc == (i + 1 < sizeof cut / sizeof cut[0]), "cap %zu: trunc %d", 5 + i, b.trunc);
	}
}

TEST(html_escaping)
{
	static const struct { const char *in; const char *want; } rows[] = {
		{"<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
		{"a&b\"c", "a&amp;b&quot;c"},
		{"\x01\xff", "\xef\xbf\xbd\xef\xbf\xbd"},
		{"metadata:aws-imds", "metadata:aws-imds"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char mem[256];
		tbuf b;
		tb_init(&b, mem, sizeof mem);
		tb_html(&b, rows[i].in, strlen(rows[i].in));
		CHECKF(!strcmp(b.p, rows[i].want), "row %zu: got %s", i, b.p);
	}
}

TEST(block_body)
{
	char mem[4096];
	tbuf b;
	tb_init(&b, mem, sizeof mem);
	text_refusal r = {42, "metadata", "rule\"<x>", TEXT_CONTAIN_QUEUED, NULL, NULL, NULL};
	text_block_body(&b, 0, &r);
	CHECK(strstr(b.p, "{\"error\":\"ssrf_blocked\",") == b.p);
	CHECK(strstr(b.p, "\"incident\":42") != NULL);
	CHECK(strstr(b.p, "containment queued") != NULL);
	CHECK(strstr(b.p, "\"containment\":\"queued\"") != NULL);
	CHECK(strstr(b.p, "started") == NULL);
	CHECK(strstr(b.p, "\"rule\":\"rule\\\"<x>\"") != NULL);
	CHECK(strstr(b.p, "\"reason\"") == NULL && strstr(b.p, "\"role\"") == NULL); /* /go */
	tb_init(&b, mem, sizeof mem);
	r = (text_refusal){7, "loopback", "r<script>", 0, NULL, NULL, NULL};
	text_block_body(&b, 1, &r);
	CHECK(strstr(b.p, "#7") != NULL);
	CHECK(strstr(b.p, "blocked and logged") != NULL);
	CHECK(strstr(b.p, "<script>") == NULL);
	CHECK(strstr(b.p, "r&lt;script&gt;") != NULL);
	tb_init(&b, mem, sizeof mem);
	r = (text_refusal){8, "metadata", "r", TEXT_CONTAIN_UNAVAILABLE, NULL, NULL, ""};
	text_block_body(&b, 0, &r);
	CHECK(strstr(b.p, "containment unavailable") != NULL);
	CHECK(strstr(b.p, "\"containment\":\"unavailable\"") != NULL);
	CHECK(strstr(b.p, "queued") == NULL);
	/* the proxy's: reason, role, the operator's sentence, all escaped */
	tb_init(&b, mem, sizeof mem);
	r = (text_refusal){9, "denied", "role:ci", 7, "a \"b\"\x01", "ci", "ask #egress"};
	text_block_body(&b, 0, &r);
	CHECK(strstr(b.p, "\"message\":\"ask #egress\"") != NULL);
	CHECK(strstr(b.p, "\"containment\":\"unavailable\"") != NULL); /* out of range */
	CHECK(strstr(b.p, "\"reason\":\"a \\\"b\\\"\\u0001\"") != NULL);
	CHECK(strstr(b.p, "\"role\":\"ci\"}\n") != NULL);
}

TEST(accept)
{
	static const struct { const char *h; int html; } rows[] = {
		{NULL, 0}, {"application/json", 0}, {"*/*", 0},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 1},
		{"TEXT/HTML", 1}, {"text/html;q=0", 0}, {"text/html;q=0.0, application/json", 0},
		{"text/html;q=0.5", 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(text_accepts_html(rows[i].h) == rows[i].html, "row %zu", i);
}

TEST(url_param)
{
	static const struct { const char *q; const char *want; } rows[] = {
		{"url=http%3A%2F%2Fa%2F", "http://a/"},
		{"x=1&url=http://a/b?c&y=2", "http://a/b?c"},
		{"url=a+b", "a b"},
		/* a '%' without two hex digits stays as it is, as evhttp_uridecode kept it */
		{"url=a%2", "a%2"}, {"url=a%zz%41", "a%zzA"}, {"url=%%41", "%A"}, {"url=%4a%4A", "JJ"},
		{NULL, NULL}, {"", NULL}, {"url=", NULL}, {"url", NULL},
		{"url=a&url=b", NULL}, {"url=a%00b", NULL}, {"urlx=a", NULL},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char *out = NULL;
		size_t n = 0;
		const char *why = NULL;
		int rc = query_url_param(rows[i].q, 100, &out, &n, &why);
		if (rows[i].want) {
			CHECKF(rc == 0 && out && !strcmp(out, rows[i].want), "row %zu: %s", i,
			       out ? out : why);
		} else {
			CHECKF(rc == -1 && !out && why, "row %zu accepted", i);
		}
		free(out);
	}
	char big[400];
	memset(big, 'a', sizeof big);
	memcpy(big, "url=", 4);
	big[sizeof big - 1] = '\0';
	char *out = NULL;
	size_t n;
	const char *why;
	CHECK_INT(query_url_param(big, 100, &out, &n, &why), -1);
	CHECK(why && strstr(why, "too long"));
}

TEST(config)
{
	static const struct { const char *text; sg_err want; } rows[] = {
		{"listen = 127.0.0.1:6000\n# c\n\nmax_body = 10\n", SG_OK},
		{"max_body = -1\n", SG_ERR_RANGE},
		{"max_body = 12x\n", SG_ERR_PARSE},
		{"nonsense = 1\n", SG_ERR_PARSE},
		{"just words\n", SG_ERR_PARSE},
		{"contain = metadata,loopback\n", SG_OK},
		{"contain = metadata,bogus\n", SG_ERR_PARSE},
		{"store_sync = maybe\n", SG_ERR_PARSE},
		{"respond = on\nimds = off\n", SG_OK},
		{"respond = maybe\n", SG_ERR_PARSE},
		{"check-config = on\n", SG_ERR_PARSE},
		{"[serve]\nmax-body = 10 # trailing\n[respond]\nforensic-instance = i-1\n", SG_OK},
		{"forensic-instance = i-1\n", SG_ERR_PARSE},
		{"store = /x\n[serve]\n", SG_OK},
		{"[nonsense]\n", SG_ERR_PARSE},
		{"listen =\n", SG_ERR_PARSE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		srvcfg c;
		char err[256] = "";
		CHECK_INT(srvcfg_init(&c), SG_OK);
		sg_err e = srvcfg_parse(&c, rows[i].text, strlen(rows[i].text), "t.conf", err,
		                        sizeof err);
		CHECKF(e == rows[i].want, "row %zu: got %d (%s)", i, e, err);
		if (e != SG_OK)
			CHECKF(strstr(err, "t.conf:") != NULL, "row %zu: message names the file: %s",
			       i, err);
		srvcfg_free(&c);
	}
	srvcfg c;
	char err[256];
	const opt_command serve = {.name = "serve", .opts = srvcfg_opts};
	srvcfg_init(&c);
	char *argv[] = {"serve", "--max-redirects", "2", "--rule", "allow 10.0.0.0/8",
	                "--rule=deny 10.1.0.0/16", "--no-imds", "--listen", "[::1]:8080",
	                "--respond", "on", "--store_sync=normal", NULL};
	CHECK_INT(cmdline_parse(&serve, &c, 12, argv, NULL, NULL, err, sizeof err), CMDLINE_OK);
	CHECK_INT(c.lim.max_redirects, 2);
	CHECK_INT(c.nrules, 2);
	CHECK_INT(c.imds, 0);
	CHECK_INT(c.respond, 1);
	CHECK_INT(c.store_sync_normal, 1);
	CHECK_STR(c.listen, "[::1]:8080");
	CHECK_INT(c.contain_mask, 1u << 2); /* default: metadata only */
	srvcfg_free(&c);
	srvcfg_init(&c);
	/* A reload takes the limits: only the others are named for a restart. */
	srvcfg fresh;
	char names[200];
	srvcfg_init(&fresh); /* c: the defaults, as srvcfg_init made them above */
	fresh.lim.max_body = 1;
	fresh.lim.max_connections = 3;
	fresh.lim.proxy_idle_s = 5;
	srvcfg_restart_needed(&c, &fresh, names, sizeof names);
	CHECK_STR(names, "");
	fresh.workers = 2;
	srvcfg_restart_needed(&c, &fresh, names, sizeof names);
	CHECK_STR(names, "workers");
	srvcfg_free(&fresh);
	char *bad[] = {"serve", "stray", NULL};
	CHECK_INT(cmdline_parse(&serve, &c, 2, bad, NULL, NULL, err, sizeof err), CMDLINE_ERROR);
	char *missing[] = {"serve", "--store", NULL};
	CHECK_INT(cmdline_parse(&serve, &c, 2, missing, NULL, NULL, err, sizeof err), CMDLINE_ERROR);
	srvcfg_free(&c);
}

TEST_MAIN(json_escaping, html_escaping, block_body, accept, url_param, config)
