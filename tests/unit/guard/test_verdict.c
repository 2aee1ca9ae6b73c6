/* test_verdict.c — stages 2 and 3: socket addresses and resolved names (lib/guard/verdict.c). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "ssrfguard/guard.h"
#include "test.h"

static struct sockaddr_storage sa_of(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	}
	return ss;
}

static const struct {
	const char *addr;
	uint16_t port;
	const char *host;
	sg_action action;
	sg_category cat;
} addr_rows[] = {
	{"8.8.8.8", 443, NULL, SG_ALLOW, SG_CAT_PUBLIC},
	{"169.254.169.254", 80, NULL, SG_BLOCK, SG_CAT_METADATA},
	{"::ffff:169.254.169.254", 80, NULL, SG_BLOCK, SG_CAT_METADATA},
	{"fd00:ec2::254", 80, NULL, SG_BLOCK, SG_CAT_METADATA},
	{"127.0.0.1", 80, NULL, SG_BLOCK, SG_CAT_LOOPBACK},
	{"8.8.8.8", 80, "metadata.google.internal", SG_BLOCK, SG_CAT_METADATA},
	{"8.8.8.8", 80, "Example.COM.", SG_ALLOW, SG_CAT_PUBLIC},
	{"203.0.113.10", 80, "www.example.com", SG_ALLOW, SG_CAT_ALLOWED},
	{"203.0.113.10", 25, "www.example.com", SG_BLOCK, SG_CAT_DENIED},
	{"203.0.113.10", 80, "blocked.example", SG_BLOCK, SG_CAT_DENIED},
};

TEST(addr_table)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	static const char rules[] = "allow 203.0.113.0/24\ndeny 203.0.113.10:25\ndeny blocked.example\n";
	CHECK(sg_policy_parse(p, rules, sizeof rules - 1, NULL, 0) == SG_OK);
	for (size_t i = 0; i < sizeof addr_rows / sizeof addr_rows[0]; i++) {
		struct sockaddr_storage ss = sa_of(addr_rows[i].addr, addr_rows[i].port);
		sg_verdict v;
		CHECK(sg_check_addr(p, (struct sockaddr *)&ss, sizeof ss, addr_rows[i].host, &v) == SG_OK);
		CHECKF(v.action == addr_rows[i].action && v.category == addr_rows[i].cat,
		       "%s:%u (%s): got %s %s %s", addr_rows[i].addr, addr_rows[i].port,
		       addr_rows[i].host ? addr_rows[i].host : "-",
		       v.action == SG_ALLOW ? "allow" : "block", sg_category_name(v.category), v.rule);
		CHECK_INT(v.port, addr_rows[i].port);
		CHECK(v.addr[0] != '\0');
	}
	struct sockaddr_storage ss = sa_of("8.8.8.8", 80);
	sg_verdict v;
	/* Truncated lengths and other families block. */
	CHECK(sg_check_addr(p, (struct sockaddr *)&ss, 4, NULL, &v) == SG_OK && v.action == SG_BLOCK);
	ss.ss_family = AF_UNIX;
	CHECK(sg_check_addr(p, (struct sockaddr *)&ss, sizeof ss, NULL, &v) == SG_OK && v.action == SG_BLOCK);
	CHECK(sg_check_addr(p, NULL, 0, NULL, &v) == SG_ERR_INVAL && v.action == SG_BLOCK);
	sg_policy_free(p);
}

TEST(resolved)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	sg_verdict named, v;
	CHECK(sg_check_url(p, "https://rebind.example/", 23, &named) == SG_OK);
	CHECK(named.needs_resolve && named.action == SG_ALLOW);

	struct sockaddr_storage a = sa_of("8.8.8.8", 0), b = sa_of("2606:4700::1111", 0),
	                        c = sa_of("169.254.169.254", 0), d = sa_of("::ffff:10.0.0.1", 0);
	const struct sockaddr *good[] = {(struct sockaddr *)&a, (struct sockaddr *)&b};
	CHECK(sg_check_resolved(p, &named, good, 2, &v) == SG_OK);
	CHECK(v.action == SG_ALLOW && !v.needs_resolve && v.port == 443);
	CHECK_STR(v.addr, "8.8.8.8");
	CHECK_STR(v.host, "rebind.example");

	/* One bad answer among good ones blocks the name. */
	const struct sockaddr *mixed[] = {(struct sockaddr *)&a, (struct sockaddr *)&c};
	CHECK(sg_check_resolved(p, &named, mixed, 2, &v) == SG_OK);
	CHECK(v.action == SG_BLOCK && v.category == SG_CAT_METADATA);
	CHECK_STR(v.addr, "169.254.169.254");
	const struct sockaddr *mapped[] = {(struct sockaddr *)&d};
	CHECK(sg_check_resolved(p, &named, mapped, 1, &v) == SG_OK);
	CHECK(v.action == SG_BLOCK && v.category == SG_CAT_PRIVATE);

	CHECK(sg_check_resolved(p, &named, NULL, 0, &v) == SG_OK);
	CHECK(v.action == SG_BLOCK && v.category == SG_CAT_UNRESOLVED);

	/* A stage-1 block or a literal passes through unchanged. */
	sg_verdict lit;
	CHECK(sg_check_url(p, "http://127.0.0.1/", 17, &lit) == SG_OK);
	CHECK(sg_check_resolved(p, &lit, good, 2, &v) == SG_OK && v.category == SG_CAT_LOOPBACK);
	CHECK(sg_check_resolved(p, &named, NULL, 1, &v) == SG_ERR_INVAL && v.action == SG_BLOCK);
	sg_policy_free(p);
}

TEST_MAIN(addr_table, resolved)
