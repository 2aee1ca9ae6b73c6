/*
 * ip.h — textual IP addresses, parsed the way the C library's resolver
 * parses them (internal to libssrfguard).
 *
 * What connects is getaddrinfo(): a host string it reads as a number is a
 * number, whatever a URL parser thought.  So sg_ipv4_parse() accepts exactly
 * what glibc's inet_aton() accepts without trailing text (1-4 parts, each
 * decimal, octal with a leading 0 or hex with 0x, the last part filling the
 * remaining bytes), which is a superset of curl's own IPv4 normaliser, and
 * sg_ipv6_parse() accepts what inet_pton(AF_INET6) accepts plus the
 * "%zone" suffix getaddrinfo() allows.  Both are differential-fuzzed
 * against glibc (fuzz/guard/fuzz_ip.c).
 *
 * Inputs are (ptr, len), need no NUL and are never read past len.
 */
#ifndef SSRFGUARD_LIB_GUARD_IP_H
#define SSRFGUARD_LIB_GUARD_IP_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

/* One address.  IPv4 lives in b[0..3]; the rest of b is zero. */
typedef struct sg_ip {
	uint8_t b[16];
	uint8_t v6; /* 0: IPv4, 1: IPv6 */
} sg_ip;

/* SG_OK and out set, or SG_ERR_PARSE (out untouched). */
sg_err sg_ipv4_parse(const char *s, size_t len, uint8_t out[4]);

/*
 * inet_pton(AF_INET6) syntax, then an optional "%ZONE" (1..64 bytes, not
 * validated: the address is what is judged).  *zone_at, if not NULL, gets
 * the offset of '%' or len when there is none.
 */
sg_err sg_ipv6_parse(const char *s, size_t len, uint8_t out[16], size_t *zone_at);

/* Either form: IPv4 first (as getaddrinfo tries it), then IPv6. */
sg_err sg_ip_parse(const char *s, size_t len, sg_ip *out);

/*
 * Canonical text (dotted quad; RFC 5952 IPv6, mapped IPv4 as ::ffff:a.b.c.d),
 * NUL-terminated.  cap >= 46 always suffices.  Returns the length, or 0 if
 * cap is too small (buf then holds "").
 */
size_t sg_ip_format(const sg_ip *ip, char *buf, size_t cap);

/* Whether ip lies in prefix/bits of the same family. */
int sg_ip_in(const sg_ip *ip, const sg_ip *prefix, unsigned bits);

#endif
