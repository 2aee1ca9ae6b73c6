/*
 * rules.h — the kernel backstop's nftables ruleset, written from the guard's
 * own tables (pure).  Prefix: bs_.
 *
 * One table, `inet ssrfguard_backstop`.  Its base chain `output` (hook
 * output, priority filter) first looks at the destination: a packet to a
 * metadata address goes to chain metadata4 / metadata6, which lets exempt
 * uids pass and refuses it for an app identity (a uid, or a cgroup v2
 * path); every other packet costs one set lookup.  With deny_policy or
 * proxy_only, packets of the app's identities (exempt uids first) then go
 * to chain `app`, which classifies the destination (below).  A refused
 * packet is counted by its rule and handed to the action chain of its kind
 * and family (guard4, guard6, egress4, egress6).  An action chain:
 *
 *   1. resets a retransmitted SYN of a held flow (below);
 *   2. logs a TCP SYN to NFLOG `group` with the prefix "ssrfguard:guard" or
 *      "ssrfguard:egress", at most `rate` reports a second shared by all
 *      rules (a named limit), and *holds* it: drops it and remembers its
 *      flow (daddr, sport) for 10 s, so the socket stays in SYN-SENT while
 *      the reader finds the process that owns it (after a reset the socket
 *      is gone before any reader could look) and aborts it: the app's
 *      connect fails with ECONNABORTED within milliseconds.  With no reader,
 *      the kernel's first SYN retransmission (1 s) is reset by step 1;
 *   3. logs anything else within the rate;
 *   4. refuses: TCP with a reset, everything else with ICMP
 *      administratively prohibited, so the app fails at once.
 *
 * So refusal never depends on the reader: an absent or crashed reader only
 * loses the report (and costs a held connect one second).  Beyond the
 * rate, nothing is logged or held: packets are refused at once.
 *
 * What is refused, for a packet whose socket belongs to an app uid or an app
 * cgroup (cgroup v2) and not to an exempt uid, first match wins:
 *   1. every address of the guard's metadata table (sg_metadata_entry), as
 *      itself and, for IPv4, in the IPv6 forms that carry it on the wire
 *      (IPv4-compatible, NAT64 64:ff9b::/96, 6to4) plus IPv4-mapped (which
 *      the kernel sends as IPv4, listed for clarity);
 *   2. (proxy_only or deny_policy) the proxies (TCP to their port) and, with
 *      proxy_only, DNS (TCP and UDP port 53 to the listed resolvers) are let
 *      through;
 *   3. (deny_policy) the policy's own deny rules, then its allow rules let
 *      through, then every range the IANA registries deny (sg_iana_entry),
 *      with the same IPv6 carriers of each IPv4 range, IPv6 outside
 *      2000::/3 included.  Name rules cannot be enforced on packets: they
 *      are counted in bs_stats.names_skipped;
 *   4. (proxy_only) everything else, except packets of connections the app
 *      accepted (conntrack reply direction: its own server keeps working).
 *
 * The script starts with `table ...; delete table ...;` so that handed to
 * nft in one buffer (one transaction) it replaces any earlier table or
 * creates it: installing twice is harmless, a half-applied state cannot
 * exist.
 *
 * Errors: SG_ERR_INVAL (no app identity, an app uid also exempt, a cgroup
 * path that is not a plain relative path, rate 0, proxy_only
 * without a proxy), SG_ERR_NOMEM; err says which.
 */
#ifndef SSRFGUARD_LIB_BACKSTOP_RULES_H
#define SSRFGUARD_LIB_BACKSTOP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "guard/ip.h"
#include "ssrfguard/guard.h"

#define BS_TABLE "ssrfguard_backstop"
#define BS_IDS_MAX 64
#define BS_CGROUP_MAX 256
#define BS_ENDPOINTS_MAX 16

typedef struct bs_endpoint {
	sg_ip ip;
	uint16_t port;
} bs_endpoint;

typedef struct bs_spec {
	uint32_t app_uids[BS_IDS_MAX];
	size_t n_app_uids;
	/* cgroup v2 paths below the cgroup root, e.g. "app.slice" or
	 * "system.slice/web.service"; nft resolves them when installing. */
	const char *app_cgroups[BS_IDS_MAX];
	size_t n_app_cgroups;
	uint32_t exempt_uids[BS_IDS_MAX]; /* the service's own identity */
	size_t n_exempt_uids;
	const sg_policy *policy;  /* deny_policy: the guard's policy */
	int deny_policy;
	int proxy_only;
	bs_endpoint proxies[BS_ENDPOINTS_MAX];
	size_t n_proxies;
	sg_ip dns[BS_ENDPOINTS_MAX];
	size_t n_dns;
	uint16_t group;           /* NFLOG group of the reports */
	uint32_t rate;            /* reports per second (burst: twice that) */
} bs_spec;

typedef struct bs_stats {
	size_t rules;             /* refusing rules written */
	size_t names_skipped;     /* policy name rules not enforceable */
} bs_stats;

/* A report's kind, told by its log prefix (BS_PREFIX_GUARD, _EGRESS). */
typedef enum bs_kind { BS_KIND_GUARD = 0, BS_KIND_EGRESS = 1 } bs_kind;
#define BS_PREFIX_GUARD "ssrfguard:guard"
#define BS_PREFIX_EGRESS "ssrfguard:egress"

/*
 * Append the whole nft script for spec to out (sg_buf: check its error
 * once).  stats may be NULL.
 */
sg_err bs_ruleset(const bs_spec *spec, sg_buf *out, bs_stats *stats,
                  char *err, size_t errlen);

/* The command that removes the table (for one nft transaction). */
#define BS_REMOVE_CMD "delete table inet " BS_TABLE "\n"

/* Whether path is a cgroup path bs_ruleset accepts: 1..BS_CGROUP_MAX-1
 * bytes of [A-Za-z0-9._@:-] components separated by single '/', no leading
 * or trailing '/', no "." or ".." component. */
int bs_cgroup_ok(const char *path);

#endif
