/*
 * policy.h — the rules of an sg_policy and how they match (internal).
 *
 * A rule is a CIDR (optionally with a port: "10.0.0.5:8080",
 * "[2001:db8::1]:443") or a name (exact, or "*.example.com" for any name
 * below it, optionally with a port).  Port 0 means any port.
 */
#ifndef SSRFGUARD_LIB_GUARD_POLICY_H
#define SSRFGUARD_LIB_GUARD_POLICY_H

#include "guard/host.h"
#include "guard/ip.h"
#include "ssrfguard/guard.h"

#define SG_POLICY_SCHEMES 8
#define SG_POLICY_RULES_MAX 100000

typedef struct sg_rule {
	uint8_t deny;
	uint8_t is_name;
	uint8_t wildcard; /* "*.NAME": below NAME, not NAME itself */
	uint8_t bits;
	uint16_t port;
	sg_ip ip;
	size_t name_len;
	char name[SG_NAME_MAX + 1];
	char text[SG_RULE_MAX]; /* "policy:deny 10.0.0.0/8" */
} sg_rule;

struct sg_policy {
	sg_rule *rules;
	size_t nrules, cap;
	size_t nschemes;
	char schemes[SG_POLICY_SCHEMES][SG_SCHEME_MAX];
	int intent_off; /* "intent off": other parsers' readings not judged */
};

/*
 * The first rule of the given kind (deny 1 / allow 0) matching the address
 * or the name (name may be NULL), or NULL.  *exact (if not NULL) tells
 * whether it names exactly this destination (a full-length prefix or a
 * non-wildcard name): only such an allow opens a metadata destination.
 */
const sg_rule *sg_policy_match_ip(const sg_policy *p, int deny, const sg_ip *ip,
                                  uint16_t port, int *exact);
const sg_rule *sg_policy_match_name(const sg_policy *p, int deny, const char *name,
                                    size_t len, uint16_t port, int *exact);

/* Whether scheme (lower case) is allowed. */
int sg_policy_scheme_ok(const sg_policy *p, const char *scheme, size_t len);

#endif
