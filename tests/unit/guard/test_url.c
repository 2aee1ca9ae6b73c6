/* test_url.c — stage 1, sg_check_url: the URL as libcurl parses it (lib/guard/url.c). */
#include "guard/plainurl.h"
#include "ssrfguard/guard.h"
#include "test.h"

#define A SG_ALLOW
#define B SG_BLOCK

static const struct {
	const char *url;
	sg_action action;
	sg_category cat;
	int needs_resolve;
	const char *host;
	unsigned port;
} rows[] = {
	{"http://8.8.8.8/", A, SG_CAT_PUBLIC, 0, "8.8.8.8", 80},
	{"https://8.8.8.8/", A, SG_CAT_PUBLIC, 0, "8.8.8.8", 443},
	{"https://example.com:8443/x?y#z", A, SG_CAT_PUBLIC, 1, "example.com", 8443},
	{"HTTP://EXAMPLE.COM./", A, SG_CAT_PUBLIC, 1, "example.com", 80},
	{"http://[2606:4700:4700::1111]/", A, SG_CAT_PUBLIC, 0, "2606:4700:4700::1111", 80},
	{"http://b\xc3\xbc" "cher.de/", A, SG_CAT_PUBLIC, 1, "xn--bcher-kva.de", 80},
	{"http://169.254.169.254/latest/meta-data/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://2852039166/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://0xA9FEA9FE/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://0251.0376.0251.0376/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://169.254.43518/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://0xa9.0xfe.0xa9.0xfe/", B, SG_CAT_METADATA, 0, "169.254.169.254", 80},
	{"http://[::ffff:169.254.169.254]/", B, SG_CAT_METADATA, 0, "::ffff:169.254.169.254", 80},
	{"http://[::ffff:a9fe:a9fe]/", B, SG_CAT_METADATA, 0, "::ffff:169.254.169.254", 80},
	{"http://[fd00:ec2::254]/", B, SG_CAT_METADATA, 0, "fd00:ec2::254", 80},
	{"http://[64:ff9b::a9fe:a9fe]/", B, SG_CAT_METADATA, 0, "64:ff9b::a9fe:a9fe", 80},
	{"http://metadata.google.internal/computeMetadata/v1/", B, SG_CAT_METADATA, 0, "metadata.google.internal", 80},
	{"http://METADATA/", B, SG_CAT_METADATA, 0, "metadata", 80},
	{"http://instance-data/latest/", B, SG_CAT_METADATA, 0, "instance-data", 80},
	{"http://127.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://127.1:8080/admin", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 8080},
	{"http://012.0.0.1/", B, SG_CAT_PRIVATE, 0, "10.0.0.1", 80},
	{"http://127.0.0.1./", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://localhost/", B, SG_CAT_LOOPBACK, 0, "localhost", 80},
	{"http://LocalHost./", B, SG_CAT_LOOPBACK, 0, "localhost", 80},
	{"http://[::1]/", B, SG_CAT_LOOPBACK, 0, "::1", 80},
	{"http://[fe80::1%25eth0]/", B, SG_CAT_LINK_LOCAL, 0, "fe80::1", 80},
	{"http://0/", B, SG_CAT_UNSPECIFIED, 0, "0.0.0.0", 80},
	{"http://[::]/", B, SG_CAT_UNSPECIFIED, 0, "::", 80},
	{"http://%31%32%37.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://user:pass@127.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://example.com@127.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://evil.com\\@127.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93\xaa.\xe2\x91\xa0/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://127\xe3\x80\x82" "0\xe3\x80\x82" "0\xe3\x80\x82" "1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1/", B, SG_CAT_LOOPBACK, 0, "127.0.0.1", 80},
	{"http://10.0.0.1/", B, SG_CAT_PRIVATE, 0, "10.0.0.1", 80},
	{"http://100.64.0.1/", B, SG_CAT_PRIVATE, 0, "100.64.0.1", 80},
	{"http://203.0.113.10/", B, SG_CAT_RESERVED, 0, "203.0.113.10", 80},
	{"http://224.0.0.1/", B, SG_CAT_MULTICAST, 0, "224.0.0.1", 80},
	{"gopher://127.0.0.1:6379/_INFO", B, SG_CAT_SCHEME, 0, "", 0},
	{"file:///etc/passwd", B, SG_CAT_SCHEME, 0, "", 0},
	{"dict://127.0.0.1:11211/stat", B, SG_CAT_SCHEME, 0, "", 0},
	{"ftp://8.8.8.8/", B, SG_CAT_SCHEME, 0, "", 0},
	{"0http://8.8.8.8/", B, SG_CAT_SCHEME, 0, "", 0}, /* libcurl 7.88 takes "0http" as a scheme */
	{"http:127.0.0.1", B, SG_CAT_MALFORMED, 0, "", 0},
	{"127.0.0.1", B, SG_CAT_MALFORMED, 0, "", 0},
	{"//127.0.0.1/", B, SG_CAT_MALFORMED, 0, "", 0},
	{"http://a b/", B, SG_CAT_MALFORMED, 0, "", 0},
	{"http://127.0.0.1:65536/", B, SG_CAT_MALFORMED, 0, "", 0},
	{"http://xn--1.com/", A, SG_CAT_PUBLIC, 1, "xn--1.com", 80},
	{"http://xn--1①.com/", B, SG_CAT_MALFORMED, 0, "", 0},
	{"http://[::1/", B, SG_CAT_MALFORMED, 0, "", 0},
	{"http:///", B, SG_CAT_MALFORMED, 0, "", 0},
	{"", B, SG_CAT_MALFORMED, 0, "", 0},
	{"\xff\xfe\xfd", B, SG_CAT_MALFORMED, 0, "", 0},
};

TEST(url_table)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sg_verdict v;
		sg_err e = sg_check_url(p, rows[i].url, strlen(rows[i].url), &v);
		CHECKF(e == SG_OK, "row %zu: %s", i, sg_strerror(e));
		CHECKF(v.action == rows[i].action && v.category == rows[i].cat &&
		       v.needs_resolve == rows[i].needs_resolve,
		       "row %zu (%s): got %s %s resolve=%d (%s; %s)", i, rows[i].host,
		       v.action == SG_ALLOW ? "allow" : "block", sg_category_name(v.category),
		       v.needs_resolve, v.rule, v.reason);
		if (rows[i].host[0])
			CHECKF(!strcmp(v.host, rows[i].host) && v.port == rows[i].port,
			       "row %zu: host %s port %u, want %s %u", i, v.host, v.port, rows[i].host,
			       rows[i].port);
		CHECKF(v.rule[0] && v.reason[0], "row %zu: no rule or reason", i);
	}
	sg_policy_free(p);
}

TEST(policy_changes_url_verdicts)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	static const char rules[] = "allow 203.0.113.0/24\ndeny 203.0.113.13\nscheme ftp\ndeny evil.example\n";
	CHECK(sg_policy_parse(p, rules, sizeof rules - 1, NULL, 0) == SG_OK);
	sg_verdict v;
	CHECK(sg_check_url(p, "http://203.0.113.10/", 20, &v) == SG_OK);
	CHECK(v.action == SG_ALLOW && v.category == SG_CAT_ALLOWED);
	CHECK(sg_check_url(p, "http://203.0.113.13/", 20, &v) == SG_OK);
	CHECK(v.action == SG_BLOCK && v.category == SG_CAT_DENIED);
	CHECK_STR(v.rule, "policy:deny 203.0.113.13");
	CHECK(sg_check_url(p, "ftp://203.0.113.10/", 19, &v) == SG_OK);
	CHECK(v.action == SG_ALLOW);
	CHECK_STR(v.scheme, "ftp");
	CHECK(sg_check_url(p, "https://EVIL.example./", 22, &v) == SG_OK);
	CHECK(v.action == SG_BLOCK && v.category == SG_CAT_DENIED);
	sg_policy_free(p);
}

TEST(bounds_and_errors)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	sg_verdict v;
	/* Only len bytes are read: the URL need not be NUL-terminated. */
	const char buf[] = "http://8.8.8.8/JUNK";
	CHECK(sg_check_url(p, buf, 15, &v) == SG_OK && v.action == SG_ALLOW);
	CHECK(sg_check_url(p, "http://8.8.8.8/\0x", 17, &v) == SG_OK && v.category == SG_CAT_MALFORMED);
	size_t big = SG_URL_MAX + 1;
	char *u = malloc(big);
	CHECK(u != NULL);
	if (u) {
		memset(u, 'a', big);
		memcpy(u, "http://8.8.8.8/", 15);
		CHECK(sg_check_url(p, u, big, &v) == SG_OK && v.category == SG_CAT_MALFORMED);
		CHECK(sg_check_url(p, u, big - 1, &v) == SG_OK && v.action == SG_ALLOW);
		free(u);
	}
	/* Caller mistakes return SG_ERR_INVAL and still leave a block. */
	CHECK(sg_check_url(NULL, "http://8.8.8.8/", 15, &v) == SG_ERR_INVAL && v.action == SG_BLOCK);
	CHECK(sg_check_url(p, NULL, 5, &v) == SG_ERR_INVAL && v.action == SG_BLOCK);
	CHECK(sg_check_url(p, "x", 1, NULL) == SG_ERR_INVAL);
	sg_policy_free(p);
}

/* Which URLs sg_check_url reads without libcurl (plainurl.h): only those
 * on which libcurl has nothing to decide; the rest go through it. */
TEST(plain_urls)
{
	static const struct {
		const char *url;
		int plain;
		const char *host;
		unsigned port;
	} t[] = {
		{"http://203.0.113.10/hello", 1, "203.0.113.10", 80},
		{"https://example.com:8443/x?y#z", 1, "example.com", 8443},
		{"http://a-b.c9.example?q=1", 1, "a-b.c9.example", 80},
		{"https://x.y#f", 1, "x.y", 443},
		{"http://255.255.255.255:65535", 1, "255.255.255.255", 65535},
		{"http://0.0.0.0/", 1, "0.0.0.0", 80},
		/* libcurl normalises these numbers: its reading is needed */
		{"http://127.1/", 0, NULL, 0}, {"http://0177.0.0.1/", 0, NULL, 0},
		{"http://2130706433/", 0, NULL, 0}, {"http://1.2.3.4.5/", 0, NULL, 0},
		{"http://256.1.1.1/", 0, NULL, 0}, {"http://1e100.net/", 0, NULL, 0},
		/* userinfo, escapes, case, IDNA, brackets, odd dots: libcurl's */
		{"http://a.com@127.0.0.1/", 0, NULL, 0}, {"http://a.com\\@127.0.0.1/", 0, NULL, 0},
		{"http://%31.0.0.1/", 0, NULL, 0}, {"HTTP://a.com/", 0, NULL, 0},
		{"http://A.com/", 0, NULL, 0}, {"http://b\xc3\xbc" "cher.de/", 0, NULL, 0},
		{"http://[::1]/", 0, NULL, 0}, {"http://a..b/", 0, NULL, 0},
		{"http://a.b./", 0, NULL, 0}, {"http:///a.com/", 0, NULL, 0},
		/* ports: only 1-65535 without a leading zero */
		{"http://a.com:0/", 0, NULL, 0}, {"http://a.com:080/", 0, NULL, 0},
		{"http://a.com:65536/", 0, NULL, 0}, {"http://a.com:/", 0, NULL, 0},
		/* after the authority: printable ASCII only */
		{"http://a.com/ x", 0, NULL, 0}, {"http://a.com/\x01", 0, NULL, 0},
		{"http://a.com/\xc3\xa9", 0, NULL, 0}, {"ftp://a.com/", 0, NULL, 0},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		sg_plain_url pu;
		int got = sg_url_plain(t[i].url, strlen(t[i].url), &pu);
		CHECKF(got == t[i].plain, "%s", t[i].url);
		if (got && t[i].plain) {
			CHECKF(pu.host_len == strlen(t[i].host) &&
			       !memcmp(pu.host, t[i].host, pu.host_len), "%s", t[i].url);
			CHECKF(pu.port == t[i].port, "%s", t[i].url);
		}
	}
	/* the same verdict either way: 127.0.0.1 plain, and as libcurl reads 127.1 */
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	sg_verdict a, b;
	CHECK(sg_check_url(p, "http://127.0.0.1:8080/x", 23, &a) == SG_OK);
	CHECK(sg_check_url(p, "http://127.1:8080/x", 19, &b) == SG_OK);
	CHECK(a.action == SG_BLOCK && a.category == SG_CAT_LOOPBACK && a.port == 8080);
	CHECK(b.action == a.action && b.category == a.category && b.port == a.port);
	CHECK_STR(a.host, b.host);
	sg_policy_free(p);
}

TEST_MAIN(url_table, policy_changes_url_verdicts, bounds_and_errors, plain_urls)
