/*
 * host.h — what a URL's host denotes (internal to libssrfguard).
 *
 * Input is the host as curl_url() hands it back: percent-decoded, IPv6 in
 * brackets, possibly non-ASCII.  A non-ASCII host is mapped the way libcurl
 * maps it before resolving (libidn2, UTS #46 non-transitional, NFC; then
 * transitional), so "１２７．０．０．１", "①②⑦.⓪.⓪.①" and "127。0。0。1" are
 * 127.0.0.1 here exactly as they are for the fetcher.  libcurl reads the host
 * in the process locale's charset; UTF-8 is judged, and the Latin-1 reading
 * too (alt), so a locale cannot turn "¹⁰.0.0.1"-style bytes into an address
 * we never saw.  Trailing dots are dropped; names are lower-cased.
 */
#ifndef SSRFGUARD_LIB_GUARD_HOST_H
#define SSRFGUARD_LIB_GUARD_HOST_H

#include "guard/ip.h"
#include "ssrfguard/guard.h"

#define SG_NAME_MAX 253

typedef struct sg_host {
	int is_ip;                /* ip holds the host's address */
	sg_ip ip;
	size_t nalt;              /* addresses of other readings (Latin-1) */
	sg_ip alt[1];
	size_t name_len;          /* the name, or the address text */
	char name[SG_HOST_MAX];
} sg_host;

/*
 * SG_OK, or SG_ERR_PARSE with *why set to a static phrase, or SG_ERR_NOMEM
 * (libidn2 allocation).  Pure; allocates only for non-ASCII hosts.
 */
sg_err sg_host_normalise(const char *host, size_t len, sg_host *out, const char **why);

#endif
