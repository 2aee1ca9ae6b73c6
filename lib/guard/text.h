/*
 * text.h — bounded string building for verdict fields (internal).
 * sg_put(dst, cap, at, src) appends src at dst[at], truncating to fit cap
 * with a NUL always written (cap > 0), and returns the new length.  Cheaper
 * than snprintf on the hot path.
 */
#ifndef SSRFGUARD_LIB_GUARD_TEXT_H
#define SSRFGUARD_LIB_GUARD_TEXT_H

#include <stddef.h>
#include <string.h>

static inline size_t sg_put_n(char *dst, size_t cap, size_t at, const char *src, size_t n)
{
	if (at >= cap)
		return at;
	if (n > cap - 1 - at)
		n = cap - 1 - at;
	memcpy(dst + at, src, n);
	dst[at + n] = '\0';
	return at + n;
}

static inline size_t sg_put(char *dst, size_t cap, size_t at, const char *src)
{
	return sg_put_n(dst, cap, at, src, strlen(src));
}

#endif
