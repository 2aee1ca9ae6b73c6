/*
 * fuzz_ip.c — the IP parsers against glibc's, byte for byte.
 *
 * getaddrinfo() decides what a host string means, so sg_ipv4_parse must
 * agree with inet_aton (minus its tolerance for trailing whitespace) and
 * sg_ipv6_parse with inet_pton(AF_INET6); canonical text must parse back to
 * the same address.  Any disagreement traps.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include "guard/ip.h"

#define MAXLEN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAXLEN + 1];
	if (size > MAXLEN)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int clean = !memchr(data, 0, size);
	for (size_t i = 0; i < size; i++)
		if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))
			clean = 0; /* inet_aton ignores text after whitespace */

	uint8_t v4[4];
	sg_err e4 = sg_ipv4_parse((const char *)data, size, v4);
	if (clean) {
		struct in_addr a;
		int ok = inet_aton(s, &a);
		if (ok != (e4 == SG_OK) || (ok && memcmp(&a, v4, 4) != 0))
			__builtin_trap();
	}

	uint8_t v6[16];
	size_t zone = 0;
	sg_err e6 = sg_ipv6_parse((const char *)data, size, v6, &zone);
	if (clean && !memchr(data, '%', size)) {
		uint8_t ref[16];
		int ok = inet_pton(AF_INET6, s, ref);
		if (ok != (e6 == SG_OK) || (ok && memcmp(ref, v6, 16) != 0))
			__builtin_trap();
	}
	if (e6 == SG_OK && zone > size)
		__builtin_trap();

	sg_ip ip;
	if (sg_ip_parse((const char *)data, size, &ip) == SG_OK) {
		char text[64];
		size_t n = sg_ip_format(&ip, text, sizeof text);
		sg_ip back;
		if (n == 0 || sg_ip_parse(text, n, &back) != SG_OK || memcmp(&back, &ip, sizeof ip))
			__builtin_trap();
		char ref[INET6_ADDRSTRLEN];
		if (!inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.b, ref, sizeof ref) || strcmp(ref, text))
			__builtin_trap(); /* the same text as glibc's formatter */
	}
	return 0;
}
