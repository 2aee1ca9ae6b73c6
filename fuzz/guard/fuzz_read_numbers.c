/*
 * fuzz_read_numbers.c — the lenient dotted-number reader
 * (lib/guard/read_numbers.c) on arbitrary bytes, against a second, plainly
 * written reading: four parts of 1-32 ASCII digits (one trailing dot
 * allowed), each in decimal — and in octal after a leading 0 when all its
 * digits are octal — modulo 256.
 */
#include <stdint.h>

#include "guard/intent.h"

/* The reference: 0 when the text is not four digit parts. */
static int reference(const char *s, size_t len, uint8_t dec[4], uint8_t oct[4])
{
	if (len && s[len - 1] == '.')
		len--;
	size_t part = 0, i = 0;
	while (part < 4) {
		size_t start = i;
		unsigned d = 0, o = 0, octal = 1;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			d = (d * 10 + (unsigned)(s[i] - '0')) % 256;
			o = (o * 8 + (unsigned)(s[i] - '0')) % 256;
			octal &= s[i] <= '7';
			i++;
		}
		size_t n = i - start;
		if (n == 0 || n > 32)
			return 0;
		dec[part] = (uint8_t)d;
		oct[part] = (uint8_t)(n > 1 && s[start] == '0' && octal ? o : d);
		part++;
		if (part < 4) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	const char *s = (const char *)data;
	sg_ip ip[2];
	const char *what[2];
	uint8_t dec[4], oct[4];
	size_t n = sg_read_numbers(s, size, ip, what);
	int want = reference(s, size, dec, oct);
	if (!want) {
		if (n != 0)
			__builtin_trap();
		return 0;
	}
	int differs = memcmp(dec, oct, 4) != 0;
	if (n != (size_t)(1 + differs) || memcmp(ip[0].b, dec, 4) != 0 || ip[0].v6 ||
	    strcmp(what[0], "numbers-decimal") != 0)
		__builtin_trap();
	if (differs && (memcmp(ip[1].b, oct, 4) != 0 || strcmp(what[1], "numbers-octal") != 0))
		__builtin_trap();
	return 0;
}
