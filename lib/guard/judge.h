/*
 * judge.h — one address or one name against a policy (internal).
 *
 * Order, first match wins:
 *   1. a deny rule (address, name, with port)          SG_CAT_DENIED
 *   2. cloud metadata by address or name, unless an allow rule names
 *      exactly that address (/32, /128) or that name    SG_CAT_METADATA
 *   3. an allow rule (address or name)                 SG_CAT_ALLOWED
 *   4. the IANA registries                              category of the range
 * An IPv6 address that carries IPv4 addresses (sg_embed_v4) is judged as
 * itself and as each IPv4 address; any block blocks.
 *
 * Both fill action, category, rule, reason and addr of *out and leave
 * scheme, host, port and needs_resolve alone.
 */
#ifndef SSRFGUARD_LIB_GUARD_JUDGE_H
#define SSRFGUARD_LIB_GUARD_JUDGE_H

#include "guard/policy.h"

void sg_judge_ip(const sg_policy *p, const sg_ip *ip, uint16_t port,
                 const char *name, size_t nlen, sg_verdict *out);

/* The same, given ip's canonical text (sg_ip_format) to save formatting it. */
void sg_judge_ip_text(const sg_policy *p, const sg_ip *ip, const char *text, uint16_t port,
                      const char *name, size_t nlen, sg_verdict *out);

/*
 * A name on its own (before resolution).  Returns 1 with *out a block when
 * the name alone decides (deny rule, metadata or loopback name), else 0 with
 * *out an allow naming the allow rule if one matched.
 */
int sg_judge_name(const sg_policy *p, const char *name, size_t len, uint16_t port,
                  sg_verdict *out);

#endif
