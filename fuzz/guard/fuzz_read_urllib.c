/*
 * fuzz_read_urllib.c — the Python urllib reader (lib/guard/read_urllib.c)
 * on arbitrary bytes: no crash, leak or overflow; at most the two readings,
 * urllib.parse first; a name is lower-case ASCII of at most 253 octets
 * without '@' (a host holding '@' never resolves); an address formats.
 */
#include <stdint.h>

#include "guard/intent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	sg_reading r[2];
	size_t n = 99;
	int rc = sg_read_urllib((const char *)data, size, r, &n);
	if (rc != 0 && rc != -1)
		__builtin_trap();
	if (rc != 0)
		return 0;
	if (n > 2)
		__builtin_trap();
	for (size_t k = 0; k < n; k++) {
		if (strcmp(r[k].reader, "urllib.parse") != 0 && strcmp(r[k].reader, "urllib.request") != 0)
			__builtin_trap();
		if (k == 1 && strcmp(r[k].reader, "urllib.request") != 0)
			__builtin_trap();
		if (r[k].is_ip) {
			sg_reading_format(&r[k]);
			if (r[k].host_len == 0)
				__builtin_trap();
			continue;
		}
		if (r[k].host_len == 0 || r[k].host_len > SG_NAME_MAX || memchr(r[k].host, '@', r[k].host_len))
			__builtin_trap();
		for (size_t i = 0; i < r[k].host_len; i++) {
			unsigned char c = (unsigned char)r[k].host[i];
			if (c >= 0x80 || (c >= 'A' && c <= 'Z') || c == 0)
				__builtin_trap();
		}
	}
	return 0;
}
