/* test_judge.c — one address or name against a policy: precedence and embeddings (lib/guard/judge.c). */
#include "guard/judge.h"
#include "test.h"

static const char policy_text[] =
	"allow 203.0.113.0/24\n"
	"deny 203.0.113.66\n"
	"allow 10.0.0.0/8\n"          /* a range allow does not open metadata inside it */
	"allow 169.254.0.0/16\n"
	"allow 100.100.100.200\n"     /* an exact allow does */
	"deny 8.8.4.4\n"
	"allow intranet.example\n"
	"deny *.evil.example\n"
	"allow metadata\n";

static const struct {
	const char *addr;
	const char *name;
	uint16_t port;
	sg_action action;
	sg_category cat;
	const char *rule;
} rows[] = {
	{"203.0.113.10", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 203.0.113.0/24"},
	{"203.0.113.66", NULL, 80, SG_BLOCK, SG_CAT_DENIED, "policy:deny 203.0.113.66"},
	{"::ffff:203.0.113.10", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 203.0.113.0/24 via IPv4-mapped 203.0.113.10"},
	{"::ffff:203.0.113.66", NULL, 80, SG_BLOCK, SG_CAT_DENIED, "policy:deny 203.0.113.66 via IPv4-mapped 203.0.113.66"},
	{"64:ff9b::cb00:7142", NULL, 80, SG_BLOCK, SG_CAT_DENIED, "policy:deny 203.0.113.66 via NAT64 203.0.113.66"},
	{"10.1.2.3", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 10.0.0.0/8"},
	{"169.254.169.254", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds"},
	{"169.254.1.1", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 169.254.0.0/16"},
	{"100.100.100.200", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 100.100.100.200"},
	{"8.8.4.4", NULL, 80, SG_BLOCK, SG_CAT_DENIED, "policy:deny 8.8.4.4"},
	{"8.8.8.8", NULL, 80, SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"192.168.1.1", "intranet.example", 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow intranet.example"},
	{"169.254.169.254", "intranet.example", 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds"},
	{"192.168.1.1", "other.example", 80, SG_BLOCK, SG_CAT_PRIVATE, "iana:192.168.0.0/16"},
	{"::127.0.0.1", NULL, 80, SG_BLOCK, SG_CAT_LOOPBACK, "iana:127.0.0.0/8 via IPv4-compatible 127.0.0.1"},
	{"::8.8.8.8", NULL, 80, SG_BLOCK, SG_CAT_RESERVED, "iana:::/96"},
	{"::ffff:8.8.8.8", NULL, 80, SG_ALLOW, SG_CAT_PUBLIC, "iana:::ffff:0:0/96"},
	{"::ffff:127.0.0.1", NULL, 80, SG_BLOCK, SG_CAT_LOOPBACK, "iana:127.0.0.0/8 via IPv4-mapped 127.0.0.1"},
	{"::ffff:0:a9fe:a9fe", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds via IPv4-translated 169.254.169.254"},
	{"2002:c0a8:0101::1", NULL, 80, SG_BLOCK, SG_CAT_PRIVATE, "iana:192.168.0.0/16 via 6to4 192.168.1.1"},
	{"2002:0808:0808::1", NULL, 80, SG_ALLOW, SG_CAT_PUBLIC, "iana:2002::/16"},
	{"2001:0:808:808:0:0:5601:5601", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds via Teredo 169.254.169.254"},
	{"2001:0:808:808:0:0:f7f7:f7f7", NULL, 80, SG_ALLOW, SG_CAT_PUBLIC, "iana:2001::/32"},
	{"2001:0:a00:1:0:0:f7f7:f7f7", NULL, 80, SG_ALLOW, SG_CAT_ALLOWED, "policy:allow 10.0.0.0/8 via Teredo 10.0.0.1"},
	{"64:ff9b:1::a9fe:a9fe", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds via local-use NAT64 169.254.169.254"},
	{"fd00:ec2::254", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:aws-imds-ipv6"},
	{"168.63.129.16", NULL, 80, SG_BLOCK, SG_CAT_METADATA, "metadata:azure-wireserver"},
};

TEST(ip_table)
{
	sg_policy *p = NULL;
	char err[128];
	CHECK(sg_policy_new(&p) == SG_OK);
	CHECKF(sg_policy_parse(p, policy_text, sizeof policy_text - 1, err, sizeof err) == SG_OK, "%s", err);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sg_ip ip = {0};
		sg_verdict v;
		memset(&v, 0, sizeof v);
		CHECK(sg_ip_parse(rows[i].addr, strlen(rows[i].addr), &ip) == SG_OK);
		const char *n = rows[i].name;
		sg_judge_ip(p, &ip, rows[i].port, n, n ? strlen(n) : 0, &v);
		CHECKF(v.action == rows[i].action && v.category == rows[i].cat && !strcmp(v.rule, rows[i].rule),
		       "%s (%s): got %s %s '%s'", rows[i].addr, n ? n : "-",
		       v.action == SG_ALLOW ? "allow" : "block", sg_category_name(v.category), v.rule);
		CHECKF(v.reason[0] && v.addr[0], "%s: reason/addr empty", rows[i].addr);
	}
	sg_policy_free(p);
}

TEST(name_table)
{
	sg_policy *p = NULL;
	CHECK(sg_policy_new(&p) == SG_OK);
	CHECK(sg_policy_parse(p, policy_text, sizeof policy_text - 1, NULL, 0) == SG_OK);
	const struct {
		const char *name;
		int decided;
		sg_category cat;
	} names[] = {
		{"example.com", 0, SG_CAT_PUBLIC},
		{"intranet.example", 0, SG_CAT_ALLOWED},
		{"x.evil.example", 1, SG_CAT_DENIED},
		{"evil.example", 0, SG_CAT_PUBLIC},
		{"metadata.google.internal", 1, SG_CAT_METADATA},
		{"metadata", 0, SG_CAT_ALLOWED}, /* exact allow opens a metadata name */
		{"localhost", 1, SG_CAT_LOOPBACK},
		{"a.b.localhost", 1, SG_CAT_LOOPBACK},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		sg_verdict v;
		int d = sg_judge_name(p, names[i].name, strlen(names[i].name), 80, &v);
		CHECKF(d == names[i].decided && v.category == names[i].cat,
		       "%s: decided=%d %s %s", names[i].name, d, sg_category_name(v.category), v.rule);
	}
	sg_policy_free(p);
}

TEST_MAIN(ip_table, name_table)
