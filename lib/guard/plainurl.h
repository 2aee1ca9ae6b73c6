/*
 * plainurl.h — the URLs libcurl's parser has nothing to decide about
 * (internal to libssrfguard).
 *
 * sg_check_url() reads a URL's host the way libcurl does, with libcurl's
 * own parser (url.c).  Most URLs a service fetches are plain, and on those
 * libcurl applies none of its rules: no userinfo, no percent-encoding, no
 * IPv4 shorthand to normalise, no IDNA, nothing it refuses.  On such a URL
 * the host libcurl hands back is the authority's text as it stands, so
 * sg_check_url() reads it here, without libcurl's allocations.  A URL is
 * plain when it is, byte for byte:
 *
 *   "http://" or "https://"   (lower case)
 *   the host: a canonical dotted quad (four decimal parts 0-255, no
 *             leading zero), or a name of labels [a-z0-9-]+ joined by
 *             single dots, starting with a letter, at most 253 bytes,
 *             no trailing dot
 *   optionally ":" and a port 1-65535 without a leading zero
 *   then the end, or '/', '?' or '#' followed only by printable ASCII
 *             (0x21-0x7e: no space, no control byte)
 *
 * Anything else goes through libcurl as before.  The claim "libcurl reads
 * exactly this scheme, host and port from every plain URL" is checked by a
 * differential fuzz target against curl_url_set() (fuzz/guard/
 * fuzz_url_plain.c), whose replay runs over the guard's URL corpora.
 */
#ifndef SSRFGUARD_LIB_GUARD_PLAINURL_H
#define SSRFGUARD_LIB_GUARD_PLAINURL_H

#include <stddef.h>
#include <stdint.h>

typedef struct sg_plain_url {
	size_t scheme_len;   /* 4 "http" or 5 "https": the URL's first bytes */
	const char *host;    /* inside the URL, not NUL-terminated */
	size_t host_len;
	uint16_t port;       /* the explicit port, else the scheme's (80, 443) */
} sg_plain_url;

/* 1 and *out when url (len bytes, need not be NUL-terminated) is plain;
 * 0 otherwise (then libcurl decides).  Pure, no allocation. */
int sg_url_plain(const char *url, size_t len, sg_plain_url *out);

#endif
