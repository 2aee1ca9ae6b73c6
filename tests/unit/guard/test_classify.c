/* test_classify.c — IANA registries, IPv4-in-IPv6 embeddings, metadata (iana.c, embed.c, metadata.c). */
#include "guard/classify.h"
#include "test.h"

static sg_ip ip_of(const char *s)
{
	sg_ip ip = {0};
	if (sg_ip_parse(s, strlen(s), &ip) != SG_OK)
		fprintf(stderr, "bad test address %s\n", s);
	return ip;
}

static const struct {
	const char *addr;
	sg_action action;
	sg_category cat;
	const char *rule;
} iana_cases[] = {
	{"0.0.0.0", SG_BLOCK, SG_CAT_UNSPECIFIED, "iana:0.0.0.0/8"},
	{"0.255.1.2", SG_BLOCK, SG_CAT_UNSPECIFIED, "iana:0.0.0.0/8"},
	{"10.0.0.1", SG_BLOCK, SG_CAT_PRIVATE, "iana:10.0.0.0/8"},
	{"100.64.0.1", SG_BLOCK, SG_CAT_PRIVATE, "iana:100.64.0.0/10"},
	{"100.127.255.255", SG_BLOCK, SG_CAT_PRIVATE, "iana:100.64.0.0/10"},
	{"100.128.0.1", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"127.0.0.1", SG_BLOCK, SG_CAT_LOOPBACK, "iana:127.0.0.0/8"},
	{"127.255.255.254", SG_BLOCK, SG_CAT_LOOPBACK, "iana:127.0.0.0/8"},
	{"169.254.169.254", SG_BLOCK, SG_CAT_LINK_LOCAL, "iana:169.254.0.0/16"},
	{"172.16.0.1", SG_BLOCK, SG_CAT_PRIVATE, "iana:172.16.0.0/12"},
	{"172.31.255.255", SG_BLOCK, SG_CAT_PRIVATE, "iana:172.16.0.0/12"},
	{"172.32.0.1", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"192.0.0.192", SG_BLOCK, SG_CAT_RESERVED, "iana:192.0.0.0/24"},
	{"192.0.2.1", SG_BLOCK, SG_CAT_RESERVED, "iana:192.0.2.0/24"},
	{"192.88.99.1", SG_BLOCK, SG_CAT_RESERVED, "iana:192.88.99.0/24"},
	{"192.168.1.1", SG_BLOCK, SG_CAT_PRIVATE, "iana:192.168.0.0/16"},
	{"198.18.0.1", SG_BLOCK, SG_CAT_RESERVED, "iana:198.18.0.0/15"},
	{"198.19.255.255", SG_BLOCK, SG_CAT_RESERVED, "iana:198.18.0.0/15"},
	{"198.51.100.10", SG_BLOCK, SG_CAT_RESERVED, "iana:198.51.100.0/24"},
	{"203.0.113.10", SG_BLOCK, SG_CAT_RESERVED, "iana:203.0.113.0/24"},
	{"224.0.0.1", SG_BLOCK, SG_CAT_MULTICAST, "iana:224.0.0.0/4"},
	{"239.255.255.250", SG_BLOCK, SG_CAT_MULTICAST, "iana:224.0.0.0/4"},
	{"240.0.0.1", SG_BLOCK, SG_CAT_RESERVED, "iana:240.0.0.0/4"},
	{"255.255.255.255", SG_BLOCK, SG_CAT_MULTICAST, "iana:255.255.255.255/32"},
	{"8.8.8.8", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"1.1.1.1", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"168.63.129.16", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"}, /* metadata is metadata.c's job */
	{"::", SG_BLOCK, SG_CAT_UNSPECIFIED, "iana:::/128"},
	{"::1", SG_BLOCK, SG_CAT_LOOPBACK, "iana:::1/128"},
	{"::127.0.0.1", SG_BLOCK, SG_CAT_RESERVED, "iana:::/96"},
	{"::ffff:8.8.8.8", SG_ALLOW, SG_CAT_PUBLIC, "iana:::ffff:0:0/96"},
	{"::ffff:0:808:808", SG_BLOCK, SG_CAT_RESERVED, "iana:::ffff:0:0:0/96"},
	{"64:ff9b::808:808", SG_ALLOW, SG_CAT_PUBLIC, "iana:64:ff9b::/96"},
	{"64:ff9b:1::808:808", SG_BLOCK, SG_CAT_RESERVED, "iana:64:ff9b:1::/48"},
	{"100::1", SG_BLOCK, SG_CAT_RESERVED, "iana:100::/64"},
	{"2001::1", SG_ALLOW, SG_CAT_PUBLIC, "iana:2001::/32"},
	{"2001:1::1", SG_ALLOW, SG_CAT_PUBLIC, "iana:2001:1::1/128"},
	{"2001:1::4", SG_BLOCK, SG_CAT_RESERVED, "iana:2001::/23"},
	{"2001:2::1", SG_BLOCK, SG_CAT_RESERVED, "iana:2001:2::/48"},
	{"2001:10::1", SG_BLOCK, SG_CAT_RESERVED, "iana:2001:10::/28"},
	{"2001:20::1", SG_ALLOW, SG_CAT_PUBLIC, "iana:2001:20::/28"},
	{"2001:db8::10", SG_BLOCK, SG_CAT_RESERVED, "iana:2001:db8::/32"},
	{"2001:200::1", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"2002:808:808::1", SG_ALLOW, SG_CAT_PUBLIC, "iana:2002::/16"},
	{"3fff::1", SG_BLOCK, SG_CAT_RESERVED, "iana:3fff::/20"},
	{"5f00::1", SG_BLOCK, SG_CAT_RESERVED, "iana:5f00::/16"},
	{"fc00::1", SG_BLOCK, SG_CAT_PRIVATE, "iana:fc00::/7"},
	{"fd00:ec2::254", SG_BLOCK, SG_CAT_PRIVATE, "iana:fc00::/7"},
	{"fe80::1", SG_BLOCK, SG_CAT_LINK_LOCAL, "iana:fe80::/10"},
	{"febf::1", SG_BLOCK, SG_CAT_LINK_LOCAL, "iana:fe80::/10"},
	{"fec0::1", SG_BLOCK, SG_CAT_PRIVATE, "iana:fec0::/10"},
	{"ff02::1", SG_BLOCK, SG_CAT_MULTICAST, "iana:ff00::/8"},
	{"4000::1", SG_BLOCK, SG_CAT_RESERVED, "iana:not-2000::/3"},
	{"1::1", SG_BLOCK, SG_CAT_RESERVED, "iana:not-2000::/3"},
	{"2606:4700:4700::1111", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
	{"2a00:1450:4001:80b::200e", SG_ALLOW, SG_CAT_PUBLIC, "iana:global"},
};

TEST(iana_table)
{
	for (size_t i = 0; i < sizeof iana_cases / sizeof iana_cases[0]; i++) {
		sg_ip ip = ip_of(iana_cases[i].addr);
		sg_class c;
		sg_iana_classify(&ip, &c);
		CHECKF(c.action == iana_cases[i].action && c.cat == iana_cases[i].cat &&
		       !strcmp(c.rule, iana_cases[i].rule),
		       "%s: got %d %s %s", iana_cases[i].addr, c.action, sg_category_name(c.cat), c.rule);
	}
}

static const struct {
	const char *addr;
	size_t n;
	const char *v4[2];
	const char *form;
} embed_cases[] = {
	{"::ffff:169.254.169.254", 1, {"169.254.169.254"}, "IPv4-mapped"},
	{"::ffff:0:a9fe:a9fe", 1, {"169.254.169.254"}, "IPv4-translated"},
	{"::a9fe:a9fe", 1, {"169.254.169.254"}, "IPv4-compatible"},
	{"64:ff9b::a9fe:a9fe", 1, {"169.254.169.254"}, "NAT64"},
	{"64:ff9b:1::a9fe:a9fe", 1, {"169.254.169.254"}, "local-use NAT64"},
	{"2002:a9fe:a9fe::", 1, {"169.254.169.254"}, "6to4"},
	{"2002:7f00:1:1::1", 1, {"127.0.0.1"}, "6to4"},
	/* RFC 4380's example: server 65.54.227.120, client 192.0.2.45 (NOT of 3fff:fdd2). */
	{"2001:0:4136:e378:8000:63bf:3fff:fdd2", 2, {"65.54.227.120", "192.0.2.45"}, "Teredo"},
	{"2001:0:a9fe:a9fe::ffff:ffff", 2, {"169.254.169.254", "0.0.0.0"}, "Teredo"},
	{"2001:0:808:808:0:0:5601:5601", 2, {"8.8.8.8", "169.254.169.254"}, "Teredo"},
	{"::1", 0, {NULL}, NULL},
	{"::", 0, {NULL}, NULL},
	{"2001:db8::1", 0, {NULL}, NULL},
	{"127.0.0.1", 0, {NULL}, NULL},
};

TEST(embed_table)
{
	for (size_t i = 0; i < sizeof embed_cases / sizeof embed_cases[0]; i++) {
		sg_ip ip = ip_of(embed_cases[i].addr), out[2];
		const char *form = NULL;
		size_t n = sg_embed_v4(&ip, out, &form);
		CHECKF(n == embed_cases[i].n, "%s: %zu embedded", embed_cases[i].addr, n);
		for (size_t k = 0; k < n && k < embed_cases[i].n; k++) {
			char text[64];
			sg_ip_format(&out[k], text, sizeof text);
			CHECKF(!strcmp(text, embed_cases[i].v4[k]), "%s: [%zu] got %s want %s",
			       embed_cases[i].addr, k, text, embed_cases[i].v4[k]);
		}
		if (n)
			CHECKF(form && !strcmp(form, embed_cases[i].form), "%s: form %s",
			       embed_cases[i].addr, form ? form : "(null)");
	}
}

static const struct {
	const char *addr;
	const char *rule; /* NULL: not metadata */
} meta_cases[] = {
	{"169.254.169.254", "metadata:aws-imds"},
	{"169.254.170.2", "metadata:aws-ecs"},
	{"169.254.170.23", "metadata:aws-eks-pod-identity"},
	{"fd00:ec2::254", "metadata:aws-imds-ipv6"},
	{"fd00:ec2::23", "metadata:aws-eks-pod-identity-ipv6"},
	{"100.100.100.200", "metadata:alibaba"},
	{"192.0.0.192", "metadata:oracle"},
	{"168.63.129.16", "metadata:azure-wireserver"},
	{"169.254.169.253", NULL},
	{"::ffff:169.254.169.254", NULL}, /* embeddings are judge.c's job */
	{"8.8.8.8", NULL},
};

static const struct {
	const char *name;
	sg_category cat; /* SG_CAT_PUBLIC: neither */
} name_cases[] = {
	{"metadata.google.internal", SG_CAT_METADATA},
	{"metadata", SG_CAT_METADATA},
	{"instance-data", SG_CAT_METADATA},
	{"instance-data.ec2.internal", SG_CAT_METADATA},
	{"localhost", SG_CAT_LOOPBACK},
	{"foo.localhost", SG_CAT_LOOPBACK},
	{"localhost.example.com", SG_CAT_PUBLIC},
	{"notlocalhost", SG_CAT_PUBLIC},
	{"metadata.google.internal.evil.com", SG_CAT_PUBLIC},
	{"xmetadata", SG_CAT_PUBLIC},
	{"example.com", SG_CAT_PUBLIC},
};

TEST(metadata_tables)
{
	for (size_t i = 0; i < sizeof meta_cases / sizeof meta_cases[0]; i++) {
		sg_ip ip = ip_of(meta_cases[i].addr);
		sg_class c;
		int hit = sg_metadata_addr(&ip, &c);
		CHECKF(hit == (meta_cases[i].rule != NULL), "%s: hit=%d", meta_cases[i].addr, hit);
		if (hit && meta_cases[i].rule)
			CHECKF(c.cat == SG_CAT_METADATA && c.action == SG_BLOCK &&
			       !strcmp(c.rule, meta_cases[i].rule), "%s: %s", meta_cases[i].addr, c.rule);
	}
	for (size_t i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		const char *n = name_cases[i].name;
		sg_class c;
		sg_category got = SG_CAT_PUBLIC;
		if (sg_metadata_name(n, strlen(n), &c) || sg_loopback_name(n, strlen(n), &c))
			got = c.cat;
		CHECKF(got == name_cases[i].cat, "%s: got %s", n, sg_category_name(got));
	}
}

/* The fast paths in iana.c and metadata.c skip addresses by first octet:
 * sweep every first octet (and a few second ones) against the table. */
TEST(first_octet_fast_paths)
{
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b += 17) {
			sg_ip ip = {{(uint8_t)a, (uint8_t)b, 99, 1}, 0};
			sg_class c;
			sg_iana_classify(&ip, &c);
			int special = a == 0 || a == 10 || (a == 100 && (b & 0xc0) == 64) || a == 127 ||
			              (a == 169 && b == 254) || (a == 172 && (b & 0xf0) == 16) ||
			              (a == 192 && b == 168) || (a == 198 && (b & 0xfe) == 18) || a >= 224;
			CHECKF((c.action == SG_BLOCK) == special, "%u.%u.99.1: %s", a, b, c.rule);
		}
	static const char *meta[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23",
	                             "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200",
	                             "192.0.0.192", "168.63.129.16"};
	for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
		sg_ip ip = ip_of(meta[i]);
		sg_class c;
		CHECKF(sg_metadata_addr(&ip, &c), "%s not found", meta[i]);
	}
}

TEST(category_names)
{
	CHECK_STR(sg_category_name(SG_CAT_METADATA), "metadata");
	CHECK_STR(sg_category_name(SG_CAT_LINK_LOCAL), "link-local");
	CHECK_STR(sg_category_name((sg_category)999), "unknown");
	for (int c = 0; c < SG_CAT__COUNT; c++)
		CHECKF(strcmp(sg_category_name((sg_category)c), "unknown"), "category %d unnamed", c);
}

TEST_MAIN(iana_table, embed_table, metadata_tables, first_octet_fast_paths, category_names)
