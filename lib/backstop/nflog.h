/*
 * nflog.h — the netlink messages of an NFLOG reader, built and parsed
 * without a socket (pure).  Prefix: bs_nflog_.
 *
 * The backstop's rules (rules.h) log each reported refusal to an NFLOG
 * group with a prefix naming its kind; the reader (src/backstop/reader.c)
 * binds the group with bs_nflog_bind_msg() and reads the packets with
 * bs_nflog_parse().
 *
 * Input to bs_nflog_parse comes from the kernel, but is parsed as
 * untrusted: every length is checked against the bytes received, nothing
 * is read past len, and a malformed message is SG_ERR_PARSE, never a crash
 * (fuzz/backstop/fuzz_nflog.c).
 */
#ifndef SSRFGUARD_LIB_BACKSTOP_NFLOG_H
#define SSRFGUARD_LIB_BACKSTOP_NFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "guard/ip.h"
#include "ssrfguard/error.h"

/* Bytes of each packet the kernel copies: IPv6 header + TCP header fit. */
#define BS_NFLOG_COPY 128
/* A buffer that always holds the message bs_nflog_bind_msg builds. */
#define BS_NFLOG_MSG_MAX 128
#define BS_NFLOG_PREFIX_MAX 64

typedef enum bs_nflog_kind {
	BS_NFLOG_PACKET = 0, /* a logged packet: out is filled */
	BS_NFLOG_ERROR,      /* a netlink error or ack: out->error = -errno or 0 */
	BS_NFLOG_OTHER,      /* anything else (done, noop): skip */
} bs_nflog_kind;

typedef struct bs_nflog_packet {
	bs_nflog_kind kind;
	int error;           /* BS_NFLOG_ERROR: 0 (ack) or -errno */
	uint16_t group;      /* res_id of the message */
	char prefix[BS_NFLOG_PREFIX_MAX]; /* the rule's log prefix, "" if none */
	int has_uid;         /* the socket's owner was known */
	uint32_t uid, gid;
	uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP, ...; 0 if unknown */
	sg_ip src, dst;      /* from the IP header */
	uint16_t sport, dport; /* TCP/UDP only, else 0 */
} bs_nflog_packet;

/*
 * Parse the netlink message at the start of buf (len bytes received).
 * *used gets the aligned length of that message (continue at buf + *used;
 * never 0 on SG_OK).  SG_ERR_PARSE for a truncated or inconsistent message
 * (stop reading this datagram).
 */
sg_err bs_nflog_parse(const void *buf, size_t len, size_t *used, bs_nflog_packet *out);

/*
 * The message that binds group: copy BS_NFLOG_COPY bytes of each packet,
 * deliver each message at once (queue threshold 1), ask for an ack.  Built
 * into buf (cap >= BS_NFLOG_MSG_MAX); returns its length, 0 if cap is too
 * small.
 */
size_t bs_nflog_bind_msg(void *buf, size_t cap, uint16_t group, uint32_t seq);

#endif
