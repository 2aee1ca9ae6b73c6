/*
 * pin.h — the judged address set of one hop, its CURLOPT_RESOLVE pin and
 * the service's cache of judged sets.  Pure: no sockets, no clock (the
 * caller passes "now"), no globals.  Prefix: pin_ / dnsc_.
 *
 * The service resolves a name itself (evdns), judges every answer with
 * sg_check_resolved, and hands exactly that set to libcurl as a pin
 * ("+host:port:addr,[v6addr]").  The cache holds only sets that were
 * judged; every use judges them again for the hop's port and policy.
 */
#ifndef SSRFGUARD_SRV_PIN_H
#define SSRFGUARD_SRV_PIN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PIN_ADDRS 16  /* addresses pinned per name (all answers are judged) */

typedef union pin_sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
} pin_sa;

typedef struct pin_set {
	size_t n;
	pin_sa a[PIN_ADDRS];
} pin_set;

/* Add an AF_INET/AF_INET6 address (port ignored, stored as 0).  0 added,
 * 1 already there, -1 set full or not an IP family. */
int pin_set_add(pin_set *set, const struct sockaddr *sa, socklen_t len);

/* 1 if sa's address (not port) is in the set.  An IPv4-mapped IPv6
 * address matches only itself: libcurl dials what it was given. */
int pin_set_has(const pin_set *set, const struct sockaddr *sa, socklen_t len);

/* Canonical text of entry i ("203.0.113.10", "2001:db8::10") into out
 * (at least 46 bytes).  0 on success. */
int pin_addr_text(const pin_set *set, size_t i, char *out, size_t cap);

/* "+host:port:a1,[a2]" for CURLOPT_RESOLVE.  The '+' makes the entry
 * expire with libcurl's DNS cache timeout instead of living forever, so
 * the pins of many names do not pile up; each transfer pins again before
 * it resolves.  Length, or -1 if it does not fit, the set is empty, or
 * host holds a ':' or ',' (a name never does). */
int pin_line(char *out, size_t cap, const char *host, unsigned port, const pin_set *set);

/* "-host:port": removes an earlier pin from libcurl's DNS cache. */
int pin_unline(char *out, size_t cap, const char *host, unsigned port);

/* The name a judged set is dialled by: "sgpin-" and 32 hex digits of the
 * SHA-256 of its addresses in order (the same set, the same name; another
 * set, another name).  A hop is sent there with CURLOPT_CONNECT_TO
 * ("::NAME:") and NAME is pinned to the set.  libcurl reuses a kept
 * connection only for a request whose connect-to name is the same (its
 * connection cache compares conn_to_host as well as the URL's host), so a
 * connection made for one answer never serves a request whose own
 * resolution judged another: the hop dials only its pinned set.  0, or -1
 * if the set is empty or cap < PIN_TOKEN_SIZE. */
#define PIN_TOKEN_SIZE 39 /* "sgpin-" + 32 hex + NUL */
int pin_token(char *out, size_t cap, const pin_set *set);

/* The cache: a fixed number of slots, direct-mapped by a hash of the
 * (normalised, lower-case) host; a new entry replaces whatever held its
 * slot.  Negative answers are never cached. */
typedef struct dnsc dnsc;

dnsc *dnsc_new(size_t slots);             /* NULL on OOM or slots == 0 */
void dnsc_free(dnsc *c);                  /* NULL-safe */
/* 1 and *out filled if host has an entry with expires_ms > now_ms. */
int dnsc_get(dnsc *c, const char *host, int64_t now_ms, pin_set *out);
void dnsc_put(dnsc *c, const char *host, const pin_set *set, int64_t expires_ms);

#endif
