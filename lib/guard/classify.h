/*
 * classify.h — what the registries say about one address (internal).
 *
 *   sg_iana_classify()  the IANA IPv4/IPv6 special-purpose registries (plus
 *                       multicast, 240/4 and IPv6 outside 2000::/3): the
 *                       longest matching entry decides.  Embedding prefixes
 *                       that are transparent on the wire (IPv4-mapped, NAT64
 *                       64:ff9b::/96, 6to4, Teredo) answer SG_ALLOW here: the
 *                       IPv4 addresses they carry decide (sg_embed_v4).
 *   sg_embed_v4()       the IPv4 addresses an IPv6 address carries.
 *   sg_metadata_addr()  cloud metadata services, by address
 *   sg_metadata_name()  ... and by name (lower-case, no trailing dot)
 *   sg_loopback_name()  "localhost" and "*.localhost" (RFC 6761)
 *
 * Every string returned is static.  All functions are pure and thread-safe.
 */
#ifndef SSRFGUARD_LIB_GUARD_CLASSIFY_H
#define SSRFGUARD_LIB_GUARD_CLASSIFY_H

#include "guard/ip.h"
#include "ssrfguard/guard.h"

typedef struct sg_class {
	sg_action action;
	sg_category cat;
	const char *rule; /* "iana:10.0.0.0/8" */
	const char *what; /* "private-use (RFC 1918)" */
} sg_class;

void sg_iana_classify(const sg_ip *ip, sg_class *out);

/*
 * Up to two IPv4 addresses carried by ip (Teredo carries the server and
 * the client).  Returns how many; *form names the embedding ("IPv4-mapped",
 * ...) when > 0.
 */
size_t sg_embed_v4(const sg_ip *ip, sg_ip out[2], const char **form);

/* 1 and *out filled (action SG_BLOCK, SG_CAT_METADATA) if it is one, else 0. */
int sg_metadata_addr(const sg_ip *ip, sg_class *out);
int sg_metadata_name(const char *name, size_t len, sg_class *out);
int sg_loopback_name(const char *name, size_t len, sg_class *out);

/*
 * The tables themselves, for code that must enforce the same ranges
 * elsewhere (lib/backstop writes them into kernel rules).  Entry i (from 0)
 * is written to *net / *bits / *out and 1 returned; 0 past the last entry.
 *   sg_metadata_entry()  every metadata address (bits 32 or 128)
 *   sg_iana_entry()      every registry entry, IPv4 then IPv6, blocks and
 *                        the allow entries inside them (the longest
 *                        matching prefix decides, as in sg_iana_classify)
 * Addresses outside IPv6 2000::/3 are blocked without an entry (see above).
 */
int sg_metadata_entry(size_t i, sg_ip *net, unsigned *bits, sg_class *out);
int sg_iana_entry(size_t i, sg_ip *net, unsigned *bits, sg_class *out);

#endif
