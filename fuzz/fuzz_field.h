/* fuzz_field.h — inputs made of '\n'-separated fields, for the targets
 * whose parser takes several strings (header values, names, documents). */
#ifndef SSRFGUARD_FUZZ_FIELD_H
#define SSRFGUARD_FUZZ_FIELD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The next field of [*p, end) as a malloc'd NUL-terminated copy: up to the
 * next '\n' (consumed) when line, else all that is left.  NULL when
 * nothing is left (an absent field). */
static inline char *fuzz_field(const uint8_t **p, const uint8_t *end, int line)
{
	if (*p >= end)
		return NULL;
	const uint8_t *nl = line ? memchr(*p, '\n', (size_t)(end - *p)) : NULL;
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, *p, n);
	s[n] = 0;
	*p += n + (nl != NULL);
	return s;
}

#endif
