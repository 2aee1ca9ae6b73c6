/*
 * test_resolve.c — src/resolve: --resolve pins and the verdict for every
 * pinned answer.  Only pinned names and literals: no DNS is ever asked.
 */
#include "resolve/resolve.h"
#include "test.h"

static const struct {
	const char *spec;
	int ok;
} pin_rows[] = {
	{"example.com:443:203.0.113.10", 1},
	{"example.com:203.0.113.10", 1},
	{"example.com:443:203.0.113.10,203.0.113.11", 1},
	{"v6.example:443:[2001:db8::10]", 1},
	{"v6.example:443:2001:db8::10", 1},
	{"v6.example:[2001:db8::10]", 1},
	{"+example.com:80:203.0.113.10", 1},
	{"b\xc3\xbc" "cher.de:443:203.0.113.12", 1},
	{"example.com", 0},
	{":443:1.2.3.4", 0},
	{"example.com:443:", 0},
	{"example.com:0:1.2.3.4", 0},
	{"example.com:70000:1.2.3.4", 0},
	{"example.com:443:not-an-ip", 0},
	{"example.com:443:1.2.3.4,", 0},
	{"exa mple.com:443:1.2.3.4", 0},
};

TEST(pin_syntax)
{
	for (size_t i = 0; i < sizeof pin_rows / sizeof pin_rows[0]; i++) {
		sg_resolver *r = NULL;
		CHECK(sg_resolver_new(&r) == SG_OK);
		char err[200] = "";
		sg_err e = sg_resolver_pin(r, pin_rows[i].spec, strlen(pin_rows[i].spec), err, sizeof err);
		CHECKF((e == SG_OK) == pin_rows[i].ok, "%s: %s", pin_rows[i].spec, err);
		if (!pin_rows[i].ok)
			CHECKF(strstr(err, "--resolve") != NULL, "%s: error '%s'", pin_rows[i].spec, err);
		sg_resolver_free(r);
	}
	sg_resolver_free(NULL);
}

static const struct {
	const char *url;
	sg_action action;
	sg_category cat;
	const char *addr;
} check_rows[] = {
	{"https://example.com/", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.10"},
	{"http://example.com/", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.20"},  /* the any-port pin */
	{"https://EXAMPLE.com./a", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.10"},
	{"https://rebind.example/", SG_BLOCK, SG_CAT_METADATA, "169.254.169.254"},
	{"https://mixed.example/", SG_BLOCK, SG_CAT_LOOPBACK, "::1"},
	{"https://v6.example/", SG_BLOCK, SG_CAT_RESERVED, "2001:db8::10"},
	{"https://b\xc3\xbc" "cher.de/", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.12"},
	{"https://xn--bcher-kva.de/", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.12"},
	{"http://127.0.0.1/", SG_BLOCK, SG_CAT_LOOPBACK, "127.0.0.1"},
	{"http://localhost/", SG_BLOCK, SG_CAT_LOOPBACK, ""},
	/* Two pins for one HOST:PORT: both judged, the second's metadata blocks. */
	{"https://twice.example/", SG_BLOCK, SG_CAT_METADATA, "169.254.169.254"},
	{"http://twice.example/", SG_ALLOW, SG_CAT_ALLOWED, "203.0.113.30"},
	{"https://thrice.example/", SG_BLOCK, SG_CAT_LOOPBACK, "127.0.0.1"},
};

TEST(check_with_pins)
{
	sg_resolver *r = NULL;
	sg_policy *p = NULL;
	CHECK(sg_resolver_new(&r) == SG_OK && sg_policy_new(&p) == SG_OK);
	static const char *pins[] = {
		"example.com:443:203.0.113.10",
		"example.com:203.0.113.20",
		"rebind.example:443:203.0.113.10,169.254.169.254",
		"mixed.example:203.0.113.11,[::1],127.0.0.1",
		"v6.example:443:[2001:db8::10]",
		("b\xc3\xbc" "cher.de:443:203.0.113.12"),
		"twice.example:443:203.0.113.30",
		"twice.example:443:169.254.169.254",
		"twice.example:80:203.0.113.30",
		"thrice.example:203.0.113.31",
		"thrice.example:203.0.113.32",
		"THRICE.example.:127.0.0.1",
	};
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++)
		CHECKF(sg_resolver_pin(r, pins[i], strlen(pins[i]), NULL, 0) == SG_OK, "%s", pins[i]);
	CHECK(sg_policy_add(p, "allow 203.0.113.0/24", 20, NULL, 0) == SG_OK);
	for (size_t i = 0; i < sizeof check_rows / sizeof check_rows[0]; i++) {
		sg_verdict named, v;
		CHECK(sg_check_url(p, check_rows[i].url, strlen(check_rows[i].url), &named) == SG_OK);
		CHECK(sg_resolver_check(r, p, &named, &v) == SG_OK);
		CHECKF(v.action == check_rows[i].action && v.category == check_rows[i].cat &&
		       !strcmp(v.addr, check_rows[i].addr),
		       "%s: got %s %s %s (%s)", check_rows[i].url, v.action == SG_ALLOW ? "allow" : "block",
		       sg_category_name(v.category), v.addr, v.rule);
		CHECK(!v.needs_resolve);
	}
	sg_verdict v;
	CHECK(sg_resolver_check(r, NULL, NULL, &v) == SG_ERR_INVAL && v.action == SG_BLOCK);
	sg_policy_free(p);
	sg_resolver_free(r);
}

/* Repeated pins add up to at most SG_RESOLVE_ADDRS addresses, then refuse. */
TEST(repeated_pins_are_bounded)
{
	sg_resolver *r = NULL;
	CHECK(sg_resolver_new(&r) == SG_OK);
	char spec[64], err[200] = "";
	for (int i = 0; i < SG_RESOLVE_ADDRS; i++) {
		int n = snprintf(spec, sizeof spec, "many.example:443:203.0.113.%d", i + 1);
		CHECKF(sg_resolver_pin(r, spec, (size_t)n, err, sizeof err) == SG_OK, "%s: %s", spec, err);
	}
	CHECK(sg_resolver_pin(r, "many.example:443:203.0.113.200", 30, err, sizeof err) == SG_ERR_PARSE);
	CHECKF(strstr(err, "too many addresses") != NULL, "%s", err);
	sg_resolver_free(r);
}

TEST_MAIN(pin_syntax, check_with_pins, repeated_pins_are_bounded)
