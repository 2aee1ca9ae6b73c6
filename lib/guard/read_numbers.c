/*
 * read_numbers.c — four dotted numbers as lenient address parsers read
 * them, where the resolver (inet_aton) would not: each part in decimal even
 * with leading zeros ("010.0.0.1" is 10.0.0.1, not 8.0.0.1), or in octal
 * after a leading 0, and either way wrapped modulo 256 instead of refused
 * ("425.510.425.510", "0651.0376.0651.0376" -> 169.254.169.254).
 */
#include "guard/intent.h"

#define PART_DIGITS_MAX 32

size_t sg_read_numbers(const char *s, size_t len, sg_ip out[2], const char *what[2])
{
	uint8_t dec[4], oct[4];
	size_t parts = 0, i = 0;
	int octal_differs = 0, ended = 0;

	if (len && s[len - 1] == '.')
		len--;
	while (parts < 4) {
		size_t j = i;
		unsigned d = 0, o = 0;
		int octal_ok = 1;
		while (j < len && s[j] >= '0' && s[j] <= '9') {
			unsigned digit = (unsigned)(s[j] - '0');
			d = (d * 10 + digit) & 0xff; /* exact modulo 256 */
			o = (o * 8 + digit) & 0xff;
			if (digit > 7)
				octal_ok = 0;
			j++;
		}
		if (j == i || j - i > PART_DIGITS_MAX)
			return 0;
		int leading_zero = s[i] == '0' && j - i > 1;
		dec[parts] = (uint8_t)d;
		oct[parts] = (uint8_t)(leading_zero && octal_ok ? o : d);
		octal_differs |= oct[parts] != dec[parts];
		parts++;
		if (j == len) {
			ended = 1;
			break;
		}
		if (s[j] != '.')
			return 0;
		i = j + 1;
	}
	if (parts != 4 || !ended)
		return 0;
	size_t n = 0;
	out[n] = (sg_ip){0};
	memcpy(out[n].b, dec, 4);
	what[n++] = "numbers-decimal";
	if (octal_differs) {
		out[n] = (sg_ip){0};
		memcpy(out[n].b, oct, 4);
		what[n++] = "numbers-octal";
	}
	return n;
}
