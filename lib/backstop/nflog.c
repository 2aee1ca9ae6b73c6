/* nflog.c — NFLOG netlink messages (see nflog.h). */
#include "backstop/nflog.h"

/* glibc's netinet/in.h before the kernel's headers, which then defer to it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

/* ---- building ---- */

struct msg {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void put(struct msg *m, const void *data, size_t n)
{
	size_t pad = NLMSG_ALIGN(n) - n;
	if (m->bad || n + pad > m->cap - m->len) {
		m->bad = 1;
		return;
	}
	memcpy(m->p + m->len, data, n);
	memset(m->p + m->len + n, 0, pad);
	m->len += n + pad;
}

static void attr(struct msg *m, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type};
	put(m, &a, sizeof a);
	put(m, data, n);
}

static void header(struct msg *m, uint16_t type, uint16_t flags, uint16_t group, uint32_t seq)
{
	struct nlmsghdr h = {
		.nlmsg_type = (uint16_t)((NFNL_SUBSYS_ULOG << 8) | type),
		.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags),
		.nlmsg_seq = seq,
	};
	struct nfgenmsg g = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0,
	                     .res_id = htons(group)};
	put(m, &h, sizeof h);
	put(m, &g, sizeof g);
}

static size_t finish(struct msg *m)
{
	if (m->bad)
		return 0;
	uint32_t len = (uint32_t)m->len;
	memcpy(m->p, &len, sizeof len); /* nlmsg_len is the first field */
	return m->len;
}

size_t bs_nflog_bind_msg(void *buf, size_t cap, uint16_t group, uint32_t seq)
{
	struct msg m = {buf, 0, cap, 0};
	header(&m, NFULNL_MSG_CONFIG, NLM_F_ACK, group, seq);
	struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
	attr(&m, NFULA_CFG_CMD, &cmd, sizeof cmd);
	struct nfulnl_msg_config_mode mode = {.copy_range = htonl(BS_NFLOG_COPY),
	                                      .copy_mode = NFULNL_COPY_PACKET};
	attr(&m, NFULA_CFG_MODE, &mode, sizeof mode);
	uint32_t qthresh = htonl(1);
	attr(&m, NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh);
	return finish(&m);
}

/* ---- parsing ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Ports of a TCP or UDP header at p (n bytes), when present. */
static void ports(bs_nflog_packet *o, const uint8_t *p, size_t n)
{
	if ((o->proto == IPPROTO_TCP || o->proto == IPPROTO_UDP) && n >= 4) {
		o->sport = be16(p);
		o->dport = be16(p + 2);
	}
}

/* The IP header of the payload: addresses, protocol, ports. */
static sg_err payload(bs_nflog_packet *o, const uint8_t *p, size_t n)
{
	if (n < 1)
		return SG_ERR_PARSE;
	unsigned version = p[0] >> 4;
	if (version == 4) {
		size_t ihl = (size_t)(p[0] & 0x0f) * 4;
		if (n < 20 || ihl < 20 || ihl > n)
			return SG_ERR_PARSE;
		o->proto = p[9];
		memcpy(o->src.b, p + 12, 4);
		memcpy(o->dst.b, p + 16, 4);
		o->src.v6 = o->dst.v6 = 0;
		int first_fragment = (be16(p + 6) & 0x1fff) == 0;
		if (first_fragment)
			ports(o, p + ihl, n - ihl);
		return SG_OK;
	}
	if (version == 6) {
		if (n < 40)
			return SG_ERR_PARSE;
		o->proto = p[6]; /* extension headers are not walked: no ports then */
		memcpy(o->src.b, p + 8, 16);
		memcpy(o->dst.b, p + 24, 16);
		o->src.v6 = o->dst.v6 = 1;
		ports(o, p + 40, n - 40);
		return SG_OK;
	}
	return SG_ERR_PARSE;
}

static sg_err packet_attrs(bs_nflog_packet *o, const uint8_t *p, size_t n)
{
	int have_payload = 0;
	while (n >= NLA_HDRLEN) {
		struct nlattr a;
		memcpy(&a, p, sizeof a);
		if (a.nla_len < NLA_HDRLEN || a.nla_len > n)
			return SG_ERR_PARSE;
		const uint8_t *d = p + NLA_HDRLEN;
		size_t dn = a.nla_len - NLA_HDRLEN;
		switch (a.nla_type & NLA_TYPE_MASK) {
		case NFULA_PREFIX: {
			size_t k = 0;
			while (k < dn && d[k] && k + 1 < sizeof o->prefix)
				k++;
			memcpy(o->prefix, d, k);
			o->prefix[k] = '\0';
			break;
		}
		case NFULA_UID:
			if (dn < 4)
				return SG_ERR_PARSE;
			o->uid = be32(d);
			o->has_uid = 1;
			break;
		case NFULA_GID:
			if (dn < 4)
				return SG_ERR_PARSE;
			o->gid = be32(d);
			break;
		case NFULA_PAYLOAD:
			if (payload(o, d, dn) != SG_OK)
				return SG_ERR_PARSE;
			have_payload = 1;
			break;
		default:
			break;
		}
		size_t step = NLA_ALIGN(a.nla_len);
		if (step >= n)
			break;
		p += step;
		n -= step;
	}
	return have_payload ? SG_OK : SG_ERR_PARSE;
}

sg_err bs_nflog_parse(const void *buf, size_t len, size_t *used, bs_nflog_packet *out)
{
	const uint8_t *p = buf;
	struct nlmsghdr h;
	memset(out, 0, sizeof *out);
	*used = 0;
	if (!buf || len < sizeof h)
		return SG_ERR_PARSE;
	memcpy(&h, p, sizeof h);
	if (h.nlmsg_len < sizeof h || h.nlmsg_len > len)
		return SG_ERR_PARSE;
	size_t n = h.nlmsg_len;
	*used = NLMSG_ALIGN(n) < len ? NLMSG_ALIGN(n) : len;
	if (h.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;
		if (n < sizeof h + sizeof e.error)
			return SG_ERR_PARSE;
		memcpy(&e.error, p + sizeof h, sizeof e.error);
		out->kind = BS_NFLOG_ERROR;
		out->error = e.error;
		return SG_OK;
	}
	if (h.nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) {
		out->kind = BS_NFLOG_OTHER;
		return SG_OK;
	}
	size_t hdr = sizeof h + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	if (n < hdr)
		return SG_ERR_PARSE;
	struct nfgenmsg g;
	memcpy(&g, p + sizeof h, sizeof g);
	out->kind = BS_NFLOG_PACKET;
	out->group = ntohs(g.res_id);
	return packet_attrs(out, p + hdr, n - hdr);
}
