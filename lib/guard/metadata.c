/*
 * metadata.c — cloud instance metadata services, by address and by name.
 * They hand out credentials to whoever asks from the instance, so they are
 * their own category, checked before any allow rule.
 */
#include "guard/classify.h"

struct meta_addr {
	sg_ip ip;
	const char *rule, *what;
};

#define V4(a, b, c, d) {{a, b, c, d}, 0}
static const struct meta_addr addrs[] = {
	{V4(169, 254, 169, 254), "metadata:aws-imds", "the AWS instance metadata service (IMDS)"},
	{V4(169, 254, 170, 2), "metadata:aws-ecs", "the AWS ECS task metadata and credentials endpoint"},
	{V4(169, 254, 170, 23), "metadata:aws-eks-pod-identity", "the AWS EKS Pod Identity agent"},
	{{{0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54}, 1}, "metadata:aws-imds-ipv6",
	 "the AWS instance metadata service (IMDS, IPv6)"},
	{{{0xfd, 0, 0x0e, 0xc2, [15] = 0x23}, 1}, "metadata:aws-eks-pod-identity-ipv6",
	 "the AWS EKS Pod Identity agent (IPv6)"},
	{V4(100, 100, 100, 200), "metadata:alibaba", "the Alibaba Cloud metadata service"},
	{V4(192, 0, 0, 192), "metadata:oracle", "the Oracle Cloud metadata service"},
	{V4(168, 63, 129, 16), "metadata:azure-wireserver", "Azure's WireServer (internal inside Azure)"},
};
#undef V4

int sg_metadata_addr(const sg_ip *ip, sg_class *out)
{
	/* Every entry starts with one of these octets: most addresses stop here. */
	if (ip->b[0] != 169 && ip->b[0] != 0xfd && ip->b[0] != 100 && ip->b[0] != 192 &&
	    ip->b[0] != 168)
		return 0;
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		if (addrs[i].ip.v6 == ip->v6 && memcmp(addrs[i].ip.b, ip->b, 16) == 0) {
			*out = (sg_class){SG_BLOCK, SG_CAT_METADATA, addrs[i].rule, addrs[i].what};
			return 1;
		}
	return 0;
}

int sg_metadata_entry(size_t i, sg_ip *net, unsigned *bits, sg_class *out)
{
	if (i >= sizeof addrs / sizeof addrs[0])
		return 0;
	*net = addrs[i].ip;
	*bits = addrs[i].ip.v6 ? 128 : 32;
	*out = (sg_class){SG_BLOCK, SG_CAT_METADATA, addrs[i].rule, addrs[i].what};
	return 1;
}

struct meta_name {
	const char *name, *rule, *what;
};

static const struct meta_name names[] = {
	{"instance-data", "metadata:aws-instance-data", "the AWS instance metadata name"},
	{"instance-data.ec2.internal", "metadata:aws-instance-data", "the AWS instance metadata name"},
	{"metadata.google.internal", "metadata:gcp", "the GCP metadata server name"},
	{"metadata", "metadata:gcp", "the GCP metadata server name"},
};

static int name_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	return alen == blen && memcmp(a, b, blen) == 0;
}

int sg_metadata_name(const char *name, size_t len, sg_class *out)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (name_eq(name, len, names[i].name)) {
			*out = (sg_class){SG_BLOCK, SG_CAT_METADATA, names[i].rule, names[i].what};
			return 1;
		}
	return 0;
}

int sg_loopback_name(const char *name, size_t len, sg_class *out)
{
	static const char suffix[] = ".localhost";
	size_t slen = sizeof suffix - 1;
	if (name_eq(name, len, "localhost") ||
	    (len > slen && memcmp(name + len - slen, suffix, slen) == 0)) {
		*out = (sg_class){SG_BLOCK, SG_CAT_LOOPBACK, "name:localhost",
		                  "a loopback name (RFC 6761)"};
		return 1;
	}
	return 0;
}
