/*
 * guard.h — libssrfguard's verdict API: may this destination be fetched?
 *
 * A destination is judged in up to three stages, all pure (no sockets, no
 * DNS, no files, no clocks, no globals):
 *
 *   1. sg_check_url()      parse the URL exactly as libcurl will (curl_url),
 *                          check the scheme, normalise the host (every IPv4
 *                          and IPv6 textual form, IDNA, trailing dots) and
 *                          judge a literal address or a name on its own.
 *   2. sg_check_addr()     judge one socket address — the one libcurl is
 *                          about to connect() to.  This is the verdict that
 *                          enforces; stage 1 is the early, explainable one.
 *   3. sg_check_resolved() judge a name by every address it resolved to:
 *                          any denied address blocks the whole name.
 *
 * Policy.  The default (a fresh sg_policy) allows only globally reachable
 * unicast per the IANA special-purpose registries and denies cloud metadata
 * by address and by name.  Rules added with sg_policy_add() refine it.
 * Precedence, first match wins: an explicit deny; cloud metadata (opened
 * only by an allow naming exactly that address or name, never by a range);
 * an allow; the registries.  An IPv6 address carrying IPv4 addresses
 * (mapped, translated, compatible, NAT64, 6to4, Teredo) is judged as itself
 * and as each IPv4 address; any block blocks.  A policy is immutable in
 * use: build it, then share it read-only between threads.  docs/guard.md
 * lists every range and the policy file format.
 *
 * Ownership.  The caller owns every sg_verdict (plain struct, no pointers
 * inside, nothing to free).  sg_policy_free(NULL) is a no-op.
 *
 * Errors.  A *blocked* destination is not an error: the functions return
 * SG_OK with out->action == SG_BLOCK.  Malformed input is also a verdict
 * (SG_BLOCK, SG_CAT_MALFORMED, reason filled in).  Only caller mistakes
 * (NULL arguments: SG_ERR_INVAL) and allocation failure (SG_ERR_NOMEM)
 * return an error; on error *out is still set to a blocking verdict, so a
 * caller that ignores the return value fails closed.
 */
#ifndef SSRFGUARD_GUARD_H
#define SSRFGUARD_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ssrfguard/error.h"

typedef enum sg_action { SG_ALLOW = 0, SG_BLOCK = 1 } sg_action;

typedef enum sg_category {
	SG_CAT_PUBLIC = 0,   /* allowed: globally reachable unicast */
	SG_CAT_ALLOWED,      /* allowed by an explicit allow rule */
	SG_CAT_METADATA,     /* cloud instance metadata, by address or name */
	SG_CAT_LOOPBACK,
	SG_CAT_PRIVATE,      /* RFC 1918, ULA, CGNAT, site-local */
	SG_CAT_LINK_LOCAL,
	SG_CAT_UNSPECIFIED,  /* 0.0.0.0/8, :: */
	SG_CAT_MULTICAST,    /* and broadcast */
	SG_CAT_RESERVED,     /* every other special-purpose range */
	SG_CAT_DENIED,       /* an explicit deny rule of the policy */
	SG_CAT_SCHEME,       /* scheme not allowed */
	SG_CAT_MALFORMED,    /* the URL or host cannot be parsed */
	SG_CAT_UNRESOLVED,   /* a name with no usable address */
	SG_CAT_INTENT,       /* harmless to libcurl, but another parser (WHATWG
	                        URL, Python's urllib, lenient numbers) reads the
	                        host as metadata or an internal address */
	SG_CAT__COUNT
} sg_category;

/* Stable lower-case names ("metadata", "loopback", ...) for logs and JSON. */
const char *sg_category_name(sg_category cat);

#define SG_SCHEME_MAX 16
#define SG_HOST_MAX   256  /* a DNS name is at most 253 octets */
#define SG_ADDR_MAX   46   /* INET6_ADDRSTRLEN */
#define SG_RULE_MAX   96
#define SG_REASON_MAX 192
#define SG_URL_MAX    65536 /* longer URLs are judged malformed */

typedef struct sg_verdict {
	sg_action action;
	sg_category category;
	int needs_resolve;            /* stage 1 only: host is a name; judge its
	                                 addresses before connecting */
	uint16_t port;                /* effective port (scheme default applied) */
	char scheme[SG_SCHEME_MAX];   /* lower case, "" if unparsable */
	char host[SG_HOST_MAX];       /* normalised: canonical address text or
	                                 lower-case ASCII (punycode) name */
	char addr[SG_ADDR_MAX];       /* the judged address, canonical; "" when
	                                 none was judged (a name, a bad URL) */
	char rule[SG_RULE_MAX];       /* the rule that fired, e.g.
	                                 "metadata:aws-imds", "iana:10.0.0.0/8",
	                                 "policy:deny 203.0.113.7" */
	char reason[SG_REASON_MAX];   /* one sentence for a human; never echoes
	                                 more than a bounded, escaped excerpt of
	                                 the input */
} sg_verdict;

typedef struct sg_policy sg_policy;

/* A new policy holding the defaults.  *out is NULL on error. */
sg_err sg_policy_new(sg_policy **out);
void sg_policy_free(sg_policy *policy);

/* A new policy with every rule and setting of src, to add more rules to
 * without changing src.  *out is NULL on error (SG_ERR_INVAL, _NOMEM). */
sg_err sg_policy_copy(const sg_policy *src, sg_policy **out);

/*
 * Add one rule (len bytes, no NUL needed).  Forms:
 *   allow CIDR | deny CIDR              "deny 10.1.2.0/24", "allow 203.0.113.0/24"
 *   allow HOST | deny HOST              names match exactly, or "*.example.com"
 *   allow HOST:PORT | deny HOST:PORT    "deny [2001:db8::1]:8080"
 *   scheme NAME                         allow another scheme (http, https default)
 *   intent block | intent off           judge other parsers' readings (default
 *                                       block; see sg_check_url)
 * A target whose last label is a number but that is no address
 * ("300.1.1.1", "1.2.3.4.5") is an error, not a host name.
 * On SG_ERR_PARSE a message naming the problem is written to err (always
 * NUL-terminated when errlen > 0).
 */
sg_err sg_policy_add(sg_policy *policy, const char *rule, size_t len,
                     char *err, size_t errlen);

/*
 * Add every rule of a policy file's text: one rule a line, '#' comments,
 * blank lines ignored.  On error, err names the line number; rules before it
 * stay added.
 */
sg_err sg_policy_parse(sg_policy *policy, const char *text, size_t len,
                       char *err, size_t errlen);

/*
 * Stage 1: judge a URL (len bytes, untrusted, need not be NUL-terminated,
 * at most SG_URL_MAX).  Parsed by libcurl's curl_url(); the host is then
 * read the way getaddrinfo() will read it (inet_aton forms, IPv6 with zone,
 * IDNA via libidn2 UTS #46 as libcurl maps it, trailing dots dropped).
 * A literal address gets its final verdict here; a name gets SG_ALLOW with
 * needs_resolve set unless the name alone blocks it (deny rule, metadata or
 * localhost name).
 * Intent: a URL libcurl allows is read again as the WHATWG URL standard
 * (browsers, Node), Python's urllib, lenient dotted-number parsers and a
 * second percent-decoding would read it; if any of those readings is
 * blocked (metadata, loopback, private, ... or a deny rule), the verdict is
 * SG_BLOCK, SG_CAT_INTENT, rule "intent:READER:CATEGORY", the reason naming
 * what that reader and libcurl each read (policy rule "intent off" turns
 * this off).  libcurl's reading still decides what is connected to.
 * Thread-safe; allocates only inside libcurl/libidn2 and for long or
 * non-ASCII hosts.
 */
sg_err sg_check_url(const sg_policy *policy, const char *url, size_t len,
                    sg_verdict *out);

/*
 * Stage 2: judge the socket address about to be connected to (AF_INET or
 * AF_INET6 with salen covering it; anything else blocks).  The port is the
 * sockaddr's.  host is the name it was resolved from, or NULL; it lets name
 * rules (deny NAME, allow NAME, metadata names) apply to the address too.
 * No allocation; about 150 ns (bench/guard).
 */
sg_err sg_check_addr(const sg_policy *policy, const struct sockaddr *sa,
                     socklen_t salen, const char *host, sg_verdict *out);

/*
 * Stage 3: given stage 1's verdict for a name (needs_resolve set) and every
 * address the name resolved to, the final verdict: the first denied address
 * blocks; with no addresses, SG_CAT_UNRESOLVED blocks; all allowed gives the
 * first address's verdict.  named->port is used (sockaddr ports ignored).
 * A named verdict that is already a block, or a literal, is copied as is.
 */
sg_err sg_check_resolved(const sg_policy *policy, const sg_verdict *named,
                         const struct sockaddr *const *addrs, size_t naddrs,
                         sg_verdict *out);

#endif
