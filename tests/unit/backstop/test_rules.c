/* test_rules.c — the backstop's nft script: what it refuses, for whom, in
 * which order, and which specs it refuses to write.  With an argument,
 * prints the script for that case (for `nft -c -f -` in a namespace). */
#include <stdlib.h>

#include "backstop/rules.h"
#include "test.h"

static char *script(const bs_spec *sp, bs_stats *st, char *err, size_t errlen, sg_err *e)
{
	sg_buf b;
	sg_buf_init(&b, 0);
	*e = bs_ruleset(sp, &b, st, err, errlen);
	if (*e != SG_OK) {
		sg_buf_free(&b);
		return NULL;
	}
	return sg_buf_take(&b, NULL);
}

static bs_spec base(void)
{
	bs_spec sp = {.n_app_uids = 1, .n_exempt_uids = 1, .group = 5150, .rate = 20};
	sp.app_uids[0] = 1001;
	sp.exempt_uids[0] = 998;
	return sp;
}

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* Whether a appears before b (both present). */
static int before(const char *hay, const char *a, const char *b)
{
	const char *pa = hay ? strstr(hay, a) : NULL, *pb = hay ? strstr(hay, b) : NULL;
	return pa && pb && pa < pb;
}

TEST(metadata_only)
{
	bs_spec sp = base();
	char err[256];
	bs_stats st;
	sg_err e;
	char *s = script(&sp, &st, err, sizeof err, &e);
	CHECK_INT(e, SG_OK);
	/* Atomic replace: the table is created, deleted and written in one buffer. */
	CHECK(before(s, "table inet ssrfguard_backstop\ndelete table inet ssrfguard_backstop\n",
	             "table inet ssrfguard_backstop {"));
	static const char *const want[] = {
		"169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23",
		"100.100.100.200", "192.0.0.192", "168.63.129.16",
		"::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::/48",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECKF(has(s, want[i]), "%s missing", want[i]);
	CHECK(has(s, "meta skuid 998 return"));
	/* Destination first, then whose: one lookup for everybody's packets. */
	const char *out = strstr(s, "chain output {");
	CHECK(before(out, "ip daddr @metadata4 jump metadata4\n\t\tip6 daddr @metadata6 jump metadata6\n\t}",
	             "chain metadata4 {"));
	CHECK(!has(s, "jump app")); /* metadata only: no app chain at all */
	const char *m4 = strstr(s, "chain metadata4 {");
	CHECK(before(m4, "meta skuid 998 return", "meta skuid 1001 counter jump guard4"));
	CHECK(has(strstr(s, "chain metadata6 {"), "meta skuid 1001 counter jump guard6"));
	CHECK(has(s, "set metadata4 {\n\t\ttype ipv4_addr;\n")); /* a hash set: no prefixes */
	CHECK(has(s, "set metadata6 {\n\t\ttype ipv6_addr; flags interval; auto-merge;"));
	CHECK(!has(s, "tcp dport 5001 return")); /* nothing could refuse the proxy */
	CHECK(has(s, "type filter hook output priority filter; policy accept;"));
	/* The action chain: held retransmission reset, SYN held, log, refuse. */
	const char *g4 = strstr(s, "chain guard4 {");
	CHECK(g4 != NULL);
	CHECK(before(g4, "ip daddr . tcp sport @held4 reject with tcp reset",
	             "tcp flags & (syn | ack) == syn limit name \"report\" add @held4 "
	             "{ ip daddr . tcp sport } log group 5150 prefix \"ssrfguard:guard\" drop"));
	CHECK(before(g4, "drop\n", "limit name \"report\" log group 5150 prefix \"ssrfguard:guard\"\n"));
	CHECK(before(g4, "prefix \"ssrfguard:guard\"\n", "meta l4proto tcp reject with tcp reset"));
	CHECK(before(g4, "meta l4proto tcp reject with tcp reset", "reject with icmpx admin-prohibited"));
	CHECK(has(strstr(s, "chain guard6 {"), "ip6 daddr . tcp sport @held6 reject with tcp reset"));
	CHECK(has(s, "limit report { rate 20/second burst 40 packets }"));
	CHECK(!has(s, "@deny4"));
	CHECK(!has(s, "jump egress"));
	CHECK_INT(st.rules, 2);
	free(s);
}

TEST(cgroups_and_levels)
{
	bs_spec sp = base();
	sp.n_app_uids = 0;
	sp.app_cgroups[0] = "app.slice";
	sp.app_cgroups[1] = "system.slice/web.service";
	sp.n_app_cgroups = 2;
	char err[256];
	sg_err e;
	char *s = script(&sp, NULL, err, sizeof err, &e);
	CHECK_INT(e, SG_OK);
	CHECK(has(s, "socket cgroupv2 level 1 \"app.slice\" counter jump guard4"));
	CHECK(has(s, "socket cgroupv2 level 2 \"system.slice/web.service\" counter jump guard6"));
	CHECK(!has(s, "jump app\n\t\tmeta skuid") && !has(s, "meta skuid 1001"));
	sp.app_uids[0] = 7;
	sp.app_uids[1] = 8;
	sp.n_app_uids = 2;
	free(s);
	s = script(&sp, NULL, err, sizeof err, &e);
	CHECK(has(s, "meta skuid { 7, 8 } counter jump guard4"));
	free(s);
}

TEST(policy_ranges)
{
	sg_policy *p = NULL;
	char err[256];
	CHECK_INT(sg_policy_new(&p), SG_OK);
	static const char rules[] = "deny 8.8.8.0/24\ndeny 1.2.3.4:8080\nallow 203.0.113.0/24\n"
	                            "deny evil.example\n";
	CHECK_INT(sg_policy_parse(p, rules, sizeof rules - 1, err, sizeof err), SG_OK);
	bs_spec sp = base();
	sp.policy = p;
	sp.deny_policy = 1;
	sp.proxies[0] = (bs_endpoint){{{127, 0, 0, 1}, 0}, 5001};
	sp.n_proxies = 1;
	bs_stats st;
	sg_err e;
	char *s = script(&sp, &st, err, sizeof err, &e);
	CHECK_INT(e, SG_OK);
	CHECK(has(s, "set deny4"));
	CHECK(has(s, "10.0.0.0/8"));
	CHECK(has(s, "127.0.0.0/8"));
	CHECK(has(s, "8.8.8.0/24"));
	CHECK(has(s, "::ffff:10.0.0.0/104"));      /* carriers of IPv4 denies */
	CHECK(has(s, "2002:a00::/24"));
	CHECK(has(s, "fe80::/10"));
	CHECK(has(s, "4000::/2"));                 /* outside 2000::/3 */
	CHECK(has(s, "set open6"));                /* Teredo inside 2001::/23 */
	CHECK(has(s, "ip daddr 1.2.3.4 meta l4proto { tcp, udp } th dport 8080"));
	/* Order: metadata, the proxy, the policy's denies, its allows, the registry. */
	CHECK(before(s, "ip6 daddr @metadata6 jump metadata6\n\t\tmeta skuid 998 return", "meta skuid 1001 jump app"));
	CHECK(before(s, "@metadata4", "ip daddr 127.0.0.1 tcp dport 5001 return"));
	CHECK(before(s, "tcp dport 5001 return", "ip daddr 1.2.3.4"));
	CHECK(before(s, "ip daddr 1.2.3.4", "ip daddr 203.0.113.0/24 return"));
	CHECK(before(s, "ip daddr 203.0.113.0/24 return", "ip daddr @deny4"));
	CHECK(before(s, "ip6 daddr @open6 return", "ip6 daddr @deny6"));
	CHECK_INT(st.names_skipped, 1);
	CHECK_INT(st.rules, 5);
	free(s);
	sg_policy_free(p);
}

TEST(proxy_only)
{
	bs_spec sp = base();
	sp.proxy_only = 1;
	sp.proxies[0] = (bs_endpoint){{{0xfd, 0, [15] = 1}, 1}, 3128};
	sp.n_proxies = 1;
	sp.dns[0] = (sg_ip){{10, 0, 0, 2}, 0};
	sp.n_dns = 1;
	char err[256];
	sg_err e;
	char *s = script(&sp, NULL, err, sizeof err, &e);
	CHECK_INT(e, SG_OK);
	CHECK(has(s, "ct direction reply return"));
	CHECK(has(s, "ip6 daddr fd00::1 tcp dport 3128 return"));
	CHECK(has(s, "ip daddr 10.0.0.2 meta l4proto { tcp, udp } th dport 53 return"));
	CHECK(has(s, "meta nfproto ipv6 counter jump egress6"));
	CHECK(has(strstr(s, "chain egress4 {"), "prefix \"ssrfguard:egress\" drop"));
	CHECK(before(s, "@metadata6", "tcp dport 3128 return"));
	CHECK(before(s, "th dport 53 return", "meta nfproto ipv4"));
	free(s);
}

TEST(refused_specs)
{
	static const char *const bad_cgroups[] = {"", "/app.slice", "app.slice/", "a//b", "../x",
	                                          "a/./b", "a\"b", "a b", "a/.."};
	for (size_t i = 0; i < sizeof bad_cgroups / sizeof bad_cgroups[0]; i++)
		CHECKF(!bs_cgroup_ok(bad_cgroups[i]), "'%s' accepted", bad_cgroups[i]);
	CHECK(bs_cgroup_ok("system.slice/app@1.service"));
	CHECK(bs_cgroup_ok("a/..b"));

	char err[256];
	sg_err e;
	bs_spec sp = base();
	sp.n_app_uids = 0;
	CHECK(script(&sp, NULL, err, sizeof err, &e) == NULL);
	CHECK_INT(e, SG_ERR_INVAL);
	CHECK(has(err, "no app identity"));

	sp = base();
	sp.exempt_uids[0] = 1001;
	CHECK(script(&sp, NULL, err, sizeof err, &e) == NULL);
	CHECK(has(err, "both an app identity and the service's own"));

	sp = base();
	sp.app_cgroups[0] = "../etc";
	sp.n_app_cgroups = 1;
	CHECK(script(&sp, NULL, err, sizeof err, &e) == NULL);
	CHECK(has(err, "not a relative cgroup v2 path"));

	sp = base();
	sp.proxy_only = 1;
	CHECK(script(&sp, NULL, err, sizeof err, &e) == NULL);
	CHECK(has(err, "no proxy address"));

	sp = base();
	sp.rate = 0;
	CHECK(script(&sp, NULL, err, sizeof err, &e) == NULL);
}

TEST_MAIN(metadata_only, cgroups_and_levels, policy_ranges, proxy_only, refused_specs)
