/*
 * ppheader.h — the PROXY protocol header (HAProxy's proxy-protocol.txt,
 * versions 1 and 2) a load balancer puts in front of a connection, so the
 * proxy judges and records the real client.  Prefix: px_pp_.  Pure.
 *
 * v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
 *     at most 107 bytes, addresses as inet_pton reads them (strict), ports
 *     decimal 0..65535 without leading zeros.
 * v2: the 12-byte signature, version 2, command LOCAL or PROXY, family
 *     UNSPEC, TCP over IPv4 or IPv6 (UDP and UNIX are refused), the address
 *     block, TLVs skipped (bounded by the 16-bit length).
 * LOCAL and UNKNOWN mean "a health check from the balancer itself": the
 * connection's own address stands (*local = 1).
 */
#ifndef SSRFGUARD_PROXY_PPHEADER_H
#define SSRFGUARD_PROXY_PPHEADER_H

#include <stddef.h>
#include <sys/socket.h>

#include "proxy/http1.h"

#define PX_PP_MAX (16 + 65535) /* longest v2 header */

/*
 * Parse the header at the start of buf (len bytes).  PX_OK: *used bytes
 * belong to it, *src holds the client (unless *local).  PX_MORE: wait for
 * more bytes.  PX_BAD: no valid header (*why set) — the connection must be
 * closed, never read as HTTP.
 */
px_rc px_pp_parse(const unsigned char *buf, size_t len, struct sockaddr_storage *src,
                  int *local, size_t *used, const char **why);

#endif
