/*
 * fuzz_read_whatwg.c — the WHATWG URL reader (lib/guard/read_whatwg.c) on
 * arbitrary bytes: no crash, leak or overflow, and a reading is well formed:
 * a name is lower-case ASCII of at most 253 octets with no forbidden domain
 * code point; an address formats; reading twice gives the same answer.
 */
#include <stdint.h>

#include "guard/intent.h"

static int forbidden(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '#' || c == '%' || c == '/' || c == ':' ||
	       c == '<' || c == '>' || c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' ||
	       c == '^' || c == '|' || (c >= 'A' && c <= 'Z');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	sg_reading r, again;
	int rc = sg_read_whatwg((const char *)data, size, &r);
	if (rc < -1 || rc > 1)
		__builtin_trap();
	if (rc != 1)
		return 0;
	if (strcmp(r.reader, "whatwg") != 0 || !memchr(r.text, 0, sizeof r.text))
		__builtin_trap();
	if (r.is_ip) {
		sg_reading_format(&r);
		if (r.host_len == 0 || strlen(r.host) != r.host_len)
			__builtin_trap();
	} else {
		if (r.host_len == 0 || r.host_len > SG_NAME_MAX || strlen(r.host) != r.host_len)
			__builtin_trap();
		for (size_t i = 0; i < r.host_len; i++)
			if (forbidden((unsigned char)r.host[i]))
				__builtin_trap();
	}
	if (sg_read_whatwg((const char *)data, size, &again) != 1 || again.is_ip != r.is_ip ||
	    (r.is_ip ? memcmp(&again.ip, &r.ip, sizeof r.ip) != 0 : strcmp(again.host, r.host) != 0))
		__builtin_trap();
	return 0;
}
