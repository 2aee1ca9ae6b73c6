/*
 * iana.c — the IANA special-purpose address registries as tables.
 *
 * Sources: iana-ipv4-special-registry and iana-ipv6-special-registry
 * ("Globally Reachable" column), the multicast registries, RFC 1112 (240/4)
 * and the IPv6 address space registry (only 2000::/3 is global unicast).
 * Deliberate choices: all of 192.0.0.0/24 is denied (Oracle's metadata
 * service 192.0.0.192 lives there; the anycast PCP/TURN /32s inside it are
 * not fetch targets), and the TEST-NET ranges are denied as the registry
 * says ("not globally reachable"); a policy `allow 203.0.113.0/24` opens one.
 */
#include "guard/classify.h"

struct v4_entry {
	uint32_t net;
	uint8_t bits;
	sg_action action;
	sg_category cat;
	const char *rule, *what;
};

#define B SG_BLOCK
static const struct v4_entry v4_table[] = {
	{0x00000000, 8, B, SG_CAT_UNSPECIFIED, "iana:0.0.0.0/8", "\"this network\" (unspecified)"},
	{0x0a000000, 8, B, SG_CAT_PRIVATE, "iana:10.0.0.0/8", "private-use (RFC 1918)"},
	{0x64400000, 10, B, SG_CAT_PRIVATE, "iana:100.64.0.0/10", "shared address space (carrier-grade NAT)"},
	{0x7f000000, 8, B, SG_CAT_LOOPBACK, "iana:127.0.0.0/8", "loopback"},
	{0xa9fe0000, 16, B, SG_CAT_LINK_LOCAL, "iana:169.254.0.0/16", "link-local"},
	{0xac100000, 12, B, SG_CAT_PRIVATE, "iana:172.16.0.0/12", "private-use (RFC 1918)"},
	{0xc0000000, 24, B, SG_CAT_RESERVED, "iana:192.0.0.0/24", "IETF protocol assignments"},
	{0xc0000200, 24, B, SG_CAT_RESERVED, "iana:192.0.2.0/24", "documentation (TEST-NET-1)"},
	{0xc0586300, 24, B, SG_CAT_RESERVED, "iana:192.88.99.0/24", "deprecated 6to4 relay anycast"},
	{0xc0a80000, 16, B, SG_CAT_PRIVATE, "iana:192.168.0.0/16", "private-use (RFC 1918)"},
	{0xc6120000, 15, B, SG_CAT_RESERVED, "iana:198.18.0.0/15", "benchmarking"},
	{0xc6336400, 24, B, SG_CAT_RESERVED, "iana:198.51.100.0/24", "documentation (TEST-NET-2)"},
	{0xcb007100, 24, B, SG_CAT_RESERVED, "iana:203.0.113.0/24", "documentation (TEST-NET-3)"},
	{0xe0000000, 4, B, SG_CAT_MULTICAST, "iana:224.0.0.0/4", "multicast"},
	{0xf0000000, 4, B, SG_CAT_RESERVED, "iana:240.0.0.0/4", "reserved for future use"},
	{0xffffffff, 32, B, SG_CAT_MULTICAST, "iana:255.255.255.255/32", "limited broadcast"},
};

struct v6_entry {
	uint8_t net[16];
	uint8_t bits;
	sg_action action;
	sg_category cat;
	const char *rule, *what;
};

#define A SG_ALLOW
#define P SG_CAT_PUBLIC
static const struct v6_entry v6_table[] = {
	{{0}, 128, B, SG_CAT_UNSPECIFIED, "iana:::/128", "unspecified"},
	{{[15] = 1}, 128, B, SG_CAT_LOOPBACK, "iana:::1/128", "loopback"},
	{{0}, 96, B, SG_CAT_RESERVED, "iana:::/96", "IPv4-compatible (deprecated)"},
	{{[10] = 0xff, [11] = 0xff}, 96, A, P, "iana:::ffff:0:0/96", "IPv4-mapped"},
	{{[8] = 0xff, [9] = 0xff}, 96, B, SG_CAT_RESERVED, "iana:::ffff:0:0:0/96", "IPv4-translated"},
	{{0, 0x64, 0xff, 0x9b}, 96, A, P, "iana:64:ff9b::/96", "NAT64 well-known prefix"},
	{{0, 0x64, 0xff, 0x9b, 0, 1}, 48, B, SG_CAT_RESERVED, "iana:64:ff9b:1::/48", "local-use NAT64"},
	{{0x01, 0x00}, 64, B, SG_CAT_RESERVED, "iana:100::/64", "discard-only"},
	{{0x01, 0x00, 0, 0, 0, 0, 0, 1}, 64, B, SG_CAT_RESERVED, "iana:100:0:0:1::/64", "dummy prefix"},
	{{0x20, 0x01}, 23, B, SG_CAT_RESERVED, "iana:2001::/23", "IETF protocol assignments"},
	{{0x20, 0x01}, 32, A, P, "iana:2001::/32", "Teredo"},
	{{0x20, 0x01, 0, 1, [15] = 1}, 128, A, P, "iana:2001:1::1/128", "PCP anycast"},
	{{0x20, 0x01, 0, 1, [15] = 2}, 128, A, P, "iana:2001:1::2/128", "TURN anycast"},
	{{0x20, 0x01, 0, 1, [15] = 3}, 128, A, P, "iana:2001:1::3/128", "DNS-SD SRP anycast"},
	{{0x20, 0x01, 0, 2}, 48, B, SG_CAT_RESERVED, "iana:2001:2::/48", "benchmarking"},
	{{0x20, 0x01, 0, 3}, 32, A, P, "iana:2001:3::/32", "AMT"},
	{{0x20, 0x01, 0, 4, 0x01, 0x12}, 48, A, P, "iana:2001:4:112::/48", "AS112-v6"},
	{{0x20, 0x01, 0, 0x10}, 28, B, SG_CAT_RESERVED, "iana:2001:10::/28", "deprecated ORCHID"},
	{{0x20, 0x01, 0, 0x20}, 28, A, P, "iana:2001:20::/28", "ORCHIDv2"},
	{{0x20, 0x01, 0, 0x30}, 28, A, P, "iana:2001:30::/28", "drone remote ID"},
	{{0x20, 0x01, 0x0d, 0xb8}, 32, B, SG_CAT_RESERVED, "iana:2001:db8::/32", "documentation"},
	{{0x20, 0x02}, 16, A, P, "iana:2002::/16", "6to4"},
	{{0x3f, 0xff}, 20, B, SG_CAT_RESERVED, "iana:3fff::/20", "documentation"},
	{{0x5f, 0x00}, 16, B, SG_CAT_RESERVED, "iana:5f00::/16", "segment routing (SRv6) SIDs"},
	{{0xfc}, 7, B, SG_CAT_PRIVATE, "iana:fc00::/7", "unique local (ULA)"},
	{{0xfe, 0x80}, 10, B, SG_CAT_LINK_LOCAL, "iana:fe80::/10", "link-local"},
	{{0xfe, 0xc0}, 10, B, SG_CAT_PRIVATE, "iana:fec0::/10", "site-local (deprecated)"},
	{{0xff}, 8, B, SG_CAT_MULTICAST, "iana:ff00::/8", "multicast"},
};
#undef A
#undef P
#undef B

static int v6_in(const uint8_t a[16], const uint8_t net[16], unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, net, full) != 0)
		return 0;
	return !rest || ((a[full] ^ net[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int sg_iana_entry(size_t i, sg_ip *net, unsigned *bits, sg_class *out)
{
	size_t n4 = sizeof v4_table / sizeof v4_table[0];
	size_t n6 = sizeof v6_table / sizeof v6_table[0];
	*net = (sg_ip){{0}, 0};
	if (i < n4) {
		const struct v4_entry *e = &v4_table[i];
		for (int k = 0; k < 4; k++)
			net->b[k] = (uint8_t)(e->net >> (24 - 8 * k));
		*bits = e->bits;
		*out = (sg_class){e->action, e->cat, e->rule, e->what};
		return 1;
	}
	if (i - n4 >= n6)
		return 0;
	const struct v6_entry *e = &v6_table[i - n4];
	memcpy(net->b, e->net, 16);
	net->v6 = 1;
	*bits = e->bits;
	*out = (sg_class){e->action, e->cat, e->rule, e->what};
	return 1;
}

void sg_iana_classify(const sg_ip *ip, sg_class *out)
{
	int best = -1;
	unsigned best_bits = 0;

	if (!ip->v6) {
		uint32_t a = (uint32_t)ip->b[0] << 24 | (uint32_t)ip->b[1] << 16 |
		             (uint32_t)ip->b[2] << 8 | ip->b[3];
		/* Most addresses are global: skip the table unless the first octet
		 * is one an entry starts with (test_classify checks this list). */
		switch (ip->b[0]) {
		case 0: case 10: case 100: case 127: case 169: case 172: case 192: case 198: case 203:
			break;
		default:
			if (ip->b[0] < 224) {
				*out = (sg_class){SG_ALLOW, SG_CAT_PUBLIC, "iana:global", "globally reachable"};
				return;
			}
		}
		for (size_t i = 0; i < sizeof v4_table / sizeof v4_table[0]; i++) {
			const struct v4_entry *e = &v4_table[i];
			if (((a ^ e->net) >> (32 - e->bits)) == 0 && (best < 0 || e->bits > best_bits)) {
				best = (int)i;
				best_bits = e->bits;
			}
		}
		if (best < 0) {
			*out = (sg_class){SG_ALLOW, SG_CAT_PUBLIC, "iana:global", "globally reachable"};
			return;
		}
		const struct v4_entry *e = &v4_table[best];
		*out = (sg_class){e->action, e->cat, e->rule, e->what};
		return;
	}
	for (size_t i = 0; i < sizeof v6_table / sizeof v6_table[0]; i++) {
		const struct v6_entry *e = &v6_table[i];
		if (v6_in(ip->b, e->net, e->bits) && (best < 0 || e->bits > best_bits)) {
			best = (int)i;
			best_bits = e->bits;
		}
	}
	if (best >= 0) {
		const struct v6_entry *e = &v6_table[best];
		*out = (sg_class){e->action, e->cat, e->rule, e->what};
		return;
	}
	if ((ip->b[0] & 0xe0) != 0x20) {
		*out = (sg_class){SG_BLOCK, SG_CAT_RESERVED, "iana:not-2000::/3",
		                  "outside IPv6 global unicast (2000::/3)"};
		return;
	}
	*out = (sg_class){SG_ALLOW, SG_CAT_PUBLIC, "iana:global", "globally reachable"};
}
