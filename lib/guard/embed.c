/*
 * embed.c — IPv4 addresses carried inside IPv6 ones.  A denied IPv4 must
 * stay denied in every IPv6 spelling: ::ffff:169.254.169.254 reaches IMDS
 * through a dual-stack socket, 64:ff9b::a9fe:a9fe through a NAT64, and so on.
 */
#include "guard/classify.h"

static void v4_at(const uint8_t *p, int invert, sg_ip *out)
{
	*out = (sg_ip){0};
	for (int k = 0; k < 4; k++)
		out->b[k] = invert ? (uint8_t)~p[k] : p[k];
}

static int zero(const uint8_t *p, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (p[k])
			return 0;
	return 1;
}

size_t sg_embed_v4(const sg_ip *ip, sg_ip out[2], const char **form)
{
	const uint8_t *b = ip->b;
	if (!ip->v6)
		return 0;
	if (zero(b, 10) && b[10] == 0xff && b[11] == 0xff) {
		*form = "IPv4-mapped";
		v4_at(b + 12, 0, &out[0]);
		return 1;
	}
	if (zero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) {
		*form = "IPv4-translated";
		v4_at(b + 12, 0, &out[0]);
		return 1;
	}
	if (zero(b, 12) && !zero(b + 12, 3)) { /* not :: or ::1 */
		*form = "IPv4-compatible";
		v4_at(b + 12, 0, &out[0]);
		return 1;
	}
	if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
	    ((zero(b + 4, 8)) || (b[4] == 0 && b[5] == 1))) {
		*form = b[5] == 1 ? "local-use NAT64" : "NAT64";
		v4_at(b + 12, 0, &out[0]);
		return 1;
	}
	if (b[0] == 0x20 && b[1] == 0x02) {
		*form = "6to4";
		v4_at(b + 2, 0, &out[0]);
		return 1;
	}
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
		*form = "Teredo";
		v4_at(b + 4, 0, &out[0]);  /* server */
		v4_at(b + 12, 1, &out[1]); /* client, stored inverted */
		return 2;
	}
	return 0;
}
