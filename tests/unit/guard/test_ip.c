/* test_ip.c — IPv4/IPv6 text parsing and formatting (lib/guard/ipv4.c, ipv6.c, ip.c). */
#include "guard/ip.h"
#include "test.h"

static const struct {
	const char *in;
	const char *want; /* NULL: rejected */
} v4_cases[] = {
	{"127.0.0.1", "127.0.0.1"},
	{"127.1", "127.0.0.1"},
	{"127.0.1", "127.0.0.1"},
	{"2130706433", "127.0.0.1"},
	{"2852039166", "169.254.169.254"},
	{"0xA9FEA9FE", "169.254.169.254"},
	{"0xa9fea9fe", "169.254.169.254"},
	{"0251.0376.0251.0376", "169.254.169.254"},
	{"169.254.43518", "169.254.169.254"},
	{"0xA9.0xFE.0xA9.0xFE", "169.254.169.254"},
	{"0xa9.254.0251.0xfe", "169.254.169.254"},
	{"012.0.0.1", "10.0.0.1"},
	{"0177.0.0.1", "127.0.0.1"},
	{"0x7f.1", "127.0.0.1"},
	{"0X7F.1", "127.0.0.1"},
	{"00000000000000177.1", "127.0.0.1"},
	{"0", "0.0.0.0"},
	{"00", "0.0.0.0"},
	{"4294967295", "255.255.255.255"},
	{"0xffffffff", "255.255.255.255"},
	{"1.2.65535", "1.2.255.255"},
	{"1.16777215", "1.255.255.255"},
	{"4294967296", NULL},
	{"0x100000000", NULL},
	{"1.2.65536", NULL},
	{"1.16777216", NULL},
	{"1.2.3.256", NULL},
	{"256.1.1.1", NULL},
	{"1.2.3.4.5", NULL},
	{"08", NULL},
	{"09.1.1.1", NULL},
	{"0x", NULL},
	{"0x.1", NULL},
	{"1.0x", NULL},
	{"0x0x1", NULL},
	{"1..2", NULL},
	{".1", NULL},
	{"1.2.3.4.", NULL},
	{"1.2.3.4 ", NULL},
	{" 1.2.3.4", NULL},
	{"+1.2.3.4", NULL},
	{"-1", NULL},
	{"1.2.3.4x", NULL},
	{"", NULL},
	{"example.com", NULL},
	{"1e1", NULL},
};

TEST(ipv4_table)
{
	for (size_t i = 0; i < sizeof v4_cases / sizeof v4_cases[0]; i++) {
		sg_ip ip = {0};
		sg_err e = sg_ipv4_parse(v4_cases[i].in, strlen(v4_cases[i].in), ip.b);
		if (!v4_cases[i].want) {
			CHECKF(e == SG_ERR_PARSE, "%s: accepted", v4_cases[i].in);
			continue;
		}
		char text[64];
		CHECKF(e == SG_OK, "%s: rejected", v4_cases[i].in);
		sg_ip_format(&ip, text, sizeof text);
		CHECKF(e != SG_OK || !strcmp(text, v4_cases[i].want), "%s: got %s want %s",
		       v4_cases[i].in, text, v4_cases[i].want);
	}
}

static const struct {
	const char *in;
	const char *want;
	size_t zone_at;
} v6_cases[] = {
	{"::1", "::1", 3},
	{"::", "::", 2},
	{"0:0:0:0:0:0:0:1", "::1", 15},
	{"::ffff:169.254.169.254", "::ffff:169.254.169.254", 22},
	{"::ffff:a9fe:a9fe", "::ffff:169.254.169.254", 16},
	{"0:0:0:0:0:ffff:127.0.0.1", "::ffff:127.0.0.1", 24},
	{"::127.0.0.1", "::127.0.0.1", 11},
	{"64:ff9b::169.254.169.254", "64:ff9b::a9fe:a9fe", 24},
	{"fe80::1%eth0", "fe80::1", 7},
	{"fe80::1%25", "fe80::1", 7},
	{"FD00:EC2::254", "fd00:ec2::254", 13},
	{"2001:db8::", "2001:db8::", 10},
	{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", 15},
	{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", 19},
	{"1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7", 14},
	{"1:2:3:4:5:6:7:8:9", NULL, 0},
	{"1:2:3:4:5:6:7::8", NULL, 0},
	{":::", NULL, 0},
	{"1:::2", NULL, 0},
	{":1::", NULL, 0},
	{"1::2::3", NULL, 0},
	{"12345::", NULL, 0},
	{"1:", NULL, 0},
	{"::ffff:1.2.3", NULL, 0},
	{"::ffff:01.2.3.4", NULL, 0},
	{"::ffff:1.2.3.256", NULL, 0},
	{"::ffff:0x7f.1", NULL, 0},
	{"fe80::1%", NULL, 0},
	{"[::1]", NULL, 0},
	{"g::", NULL, 0},
	{"", NULL, 0},
};

TEST(ipv6_table)
{
	for (size_t i = 0; i < sizeof v6_cases / sizeof v6_cases[0]; i++) {
		sg_ip ip = {.v6 = 1};
		size_t zone = 999;
		sg_err e = sg_ipv6_parse(v6_cases[i].in, strlen(v6_cases[i].in), ip.b, &zone);
		if (!v6_cases[i].want) {
			CHECKF(e == SG_ERR_PARSE, "%s: accepted", v6_cases[i].in);
			continue;
		}
		CHECKF(e == SG_OK, "%s: rejected", v6_cases[i].in);
		char text[64];
		sg_ip_format(&ip, text, sizeof text);
		CHECKF(e != SG_OK || !strcmp(text, v6_cases[i].want), "%s: got %s want %s",
		       v6_cases[i].in, text, v6_cases[i].want);
		CHECKF(e != SG_OK || zone == v6_cases[i].zone_at, "%s: zone at %zu", v6_cases[i].in, zone);
	}
}

TEST(parse_either_and_prefix)
{
	sg_ip ip, net;
	CHECK(sg_ip_parse("10.1.2.3", 8, &ip) == SG_OK && !ip.v6);
	CHECK(sg_ip_parse("10.0.0.0", 8, &net) == SG_OK);
	CHECK(sg_ip_in(&ip, &net, 8));
	CHECK(!sg_ip_in(&ip, &net, 16));
	CHECK(sg_ip_in(&ip, &net, 0));
	CHECK(sg_ip_parse("fc00::", 6, &net) == SG_OK && net.v6);
	CHECK(!sg_ip_in(&ip, &net, 0)); /* families never match */
	CHECK(sg_ip_parse("fd00:ec2::254", 13, &ip) == SG_OK);
	CHECK(sg_ip_in(&ip, &net, 7));
	CHECK(!sg_ip_in(&ip, &net, 129));
	char small[4];
	CHECK_INT(sg_ip_format(&ip, small, sizeof small), 0);
	CHECK_STR(small, "");
	/* Only the given length is read. */
	CHECK(sg_ipv4_parse("127.0.0.1999", 9, ip.b) == SG_OK);
	CHECK(sg_ip_parse("nope", 4, &ip) == SG_ERR_PARSE);
}

TEST_MAIN(ipv4_table, ipv6_table, parse_either_and_prefix)
