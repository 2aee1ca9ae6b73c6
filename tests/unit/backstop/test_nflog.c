/* test_nflog.c — NFLOG netlink messages: a logged TCP SYN (IPv4 and IPv6)
 * parsed into addresses, ports, uid, prefix; acks and errors; truncated or
 * inconsistent messages refused; the bind message's shape. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>

#include "backstop/nflog.h"
#include "test.h"

struct builder {
	uint8_t b[512];
	size_t len;
};

static void put(struct builder *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += NLMSG_ALIGN(n);
}

static void attr(struct builder *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + n), .nla_type = type};
	put(m, &a, sizeof a);
	put(m, p, n);
}

static void begin(struct builder *m)
{
	memset(m, 0, sizeof *m);
	struct nlmsghdr h = {.nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET};
	struct nfgenmsg g = {.res_id = htons(5150)};
	put(m, &h, sizeof h);
	put(m, &g, sizeof g);
}

static void end(struct builder *m)
{
	uint32_t len = (uint32_t)m->len;
	memcpy(m->b, &len, 4);
}

static void tcp_ports(uint8_t *p, uint16_t sport, uint16_t dport)
{
	p[0] = (uint8_t)(sport >> 8), p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8), p[3] = (uint8_t)dport;
}

TEST(tcp4_packet)
{
	struct builder m;
	begin(&m);
	attr(&m, NFULA_PREFIX, "ssrfguard:guard", 16);
	uint8_t ip[40] = {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, IPPROTO_TCP, 0, 0, 127, 0, 0, 1,
	                  169, 254, 169, 254};
	tcp_ports(ip + 20, 40000, 80);
	attr(&m, NFULA_PAYLOAD, ip, sizeof ip);
	uint32_t uid = htonl(4242), gid = htonl(4243);
	attr(&m, NFULA_UID, &uid, 4);
	attr(&m, NFULA_GID, &gid, 4);
	end(&m);

	bs_nflog_packet p;
	size_t used;
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_OK);
	CHECK_INT(used, m.len);
	CHECK_INT(p.kind, BS_NFLOG_PACKET);
	CHECK_INT(p.group, 5150);
	CHECK_STR(p.prefix, "ssrfguard:guard");
	CHECK_INT(p.has_uid, 1);
	CHECK_INT(p.uid, 4242);
	CHECK_INT(p.gid, 4243);
	CHECK_INT(p.proto, IPPROTO_TCP);
	CHECK_INT(p.dst.v6, 0);
	CHECK(p.dst.b[0] == 169 && p.dst.b[3] == 254 && p.src.b[0] == 127);
	CHECK_INT(p.sport, 40000);
	CHECK_INT(p.dport, 80);

	/* Every truncation is refused, never read past. */
	for (size_t n = 0; n < m.len; n++)
		CHECKF(bs_nflog_parse(m.b, n, &used, &p) == SG_ERR_PARSE, "length %zu", n);
}

TEST(tcp6_packet_and_fragments)
{
	struct builder m;
	begin(&m);
	uint8_t ip[44] = {0x60, 0, 0, 0, 0, 20, IPPROTO_TCP, 64};
	ip[23] = 1;                                           /* ::1 */
	static const uint8_t dst[16] = {0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
	memcpy(ip + 24, dst, 16);
	tcp_ports(ip + 40, 40001, 443);
	attr(&m, NFULA_PAYLOAD, ip, sizeof ip);
	end(&m);
	bs_nflog_packet p;
	size_t used;
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_OK);
	CHECK_INT(p.dst.v6, 1);
	CHECK(!memcmp(p.dst.b, dst, 16));
	CHECK_INT(p.dport, 443);
	CHECK_INT(p.has_uid, 0);
	CHECK_STR(p.prefix, "");

	/* A later IPv4 fragment carries no ports. */
	begin(&m);
	uint8_t frag[28] = {0x45, 0, 0, 28, 0, 0, 0x00, 0x10, 64, IPPROTO_UDP, 0, 0, 10, 0, 0, 1,
	                    169, 254, 170, 2};
	tcp_ports(frag + 20, 1, 2);
	attr(&m, NFULA_PAYLOAD, frag, sizeof frag);
	end(&m);
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_OK);
	CHECK_INT(p.dport, 0);
	CHECK_INT(p.proto, IPPROTO_UDP);
}

TEST(refused_messages)
{
	struct builder m;
	bs_nflog_packet p;
	size_t used;
	/* No payload. */
	begin(&m);
	attr(&m, NFULA_PREFIX, "x", 2);
	end(&m);
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_ERR_PARSE);
	/* An attribute longer than the message. */
	begin(&m);
	struct nlattr a = {.nla_len = 200, .nla_type = NFULA_PAYLOAD};
	put(&m, &a, sizeof a);
	end(&m);
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_ERR_PARSE);
	/* IP version 5, an IHL past the payload. */
	uint8_t bad[20] = {0x55};
	begin(&m);
	attr(&m, NFULA_PAYLOAD, bad, sizeof bad);
	end(&m);
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_ERR_PARSE);
	bad[0] = 0x4f;
	begin(&m);
	attr(&m, NFULA_PAYLOAD, bad, sizeof bad);
	end(&m);
	CHECK_INT(bs_nflog_parse(m.b, m.len, &used, &p), SG_ERR_PARSE);
	/* nlmsg_len beyond what was received. */
	CHECK_INT(bs_nflog_parse(m.b, m.len - 1, &used, &p), SG_ERR_PARSE);
	CHECK_INT(bs_nflog_parse(NULL, 0, &used, &p), SG_ERR_PARSE);
}

TEST(errors_and_acks)
{
	uint8_t b[36] = {0};
	struct nlmsghdr h = {.nlmsg_len = 36, .nlmsg_type = NLMSG_ERROR};
	memcpy(b, &h, sizeof h);
	int err = -16;
	memcpy(b + 16, &err, 4);
	bs_nflog_packet p;
	size_t used;
	CHECK_INT(bs_nflog_parse(b, sizeof b, &used, &p), SG_OK);
	CHECK_INT(p.kind, BS_NFLOG_ERROR);
	CHECK_INT(p.error, -16);
	h.nlmsg_type = NLMSG_DONE;
	memcpy(b, &h, sizeof h);
	CHECK_INT(bs_nflog_parse(b, sizeof b, &used, &p), SG_OK);
	CHECK_INT(p.kind, BS_NFLOG_OTHER);
}

TEST(bind_message)
{
	uint8_t b[BS_NFLOG_MSG_MAX];
	size_t n = bs_nflog_bind_msg(b, sizeof b, 5150, 7);
	CHECK(n > sizeof(struct nlmsghdr));
	struct nlmsghdr h;
	memcpy(&h, b, sizeof h);
	CHECK_INT(h.nlmsg_len, n);
	CHECK_INT(h.nlmsg_type, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
	CHECK(h.nlmsg_flags & NLM_F_ACK);
	CHECK_INT(h.nlmsg_seq, 7);
	CHECK_INT(bs_nflog_bind_msg(b, 20, 5150, 7), 0); /* too small: nothing */
}

TEST_MAIN(tcp4_packet, tcp6_packet_and_fragments, refused_messages, errors_and_acks, bind_message)
