/* policy_match.c — which rule of a policy matches an address or a name. */
#include "guard/policy.h"

const sg_rule *sg_policy_match_ip(const sg_policy *p, int deny, const sg_ip *ip,
                                  uint16_t port, int *exact)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const sg_rule *r = &p->rules[i];
		if (r->deny != deny || r->is_name || (r->port && r->port != port))
			continue;
		if (sg_ip_in(ip, &r->ip, r->bits)) {
			if (exact)
				*exact = r->bits == (r->ip.v6 ? 128 : 32);
			return r;
		}
	}
	return NULL;
}

const sg_rule *sg_policy_match_name(const sg_policy *p, int deny, const char *name,
                                    size_t len, uint16_t port, int *exact)
{
	if (!name || !len)
		return NULL;
	for (size_t i = 0; i < p->nrules; i++) {
		const sg_rule *r = &p->rules[i];
		if (r->deny != deny || !r->is_name || (r->port && r->port != port))
			continue;
		int hit;
		if (r->wildcard)
			hit = len > r->name_len + 1 && name[len - r->name_len - 1] == '.' &&
			      memcmp(name + len - r->name_len, r->name, r->name_len) == 0;
		else
			hit = len == r->name_len && memcmp(name, r->name, len) == 0;
		if (hit) {
			if (exact)
				*exact = !r->wildcard;
			return r;
		}
	}
	return NULL;
}

int sg_policy_scheme_ok(const sg_policy *p, const char *scheme, size_t len)
{
	for (size_t i = 0; i < p->nschemes; i++)
		if (strlen(p->schemes[i]) == len && memcmp(p->schemes[i], scheme, len) == 0)
			return 1;
	return 0;
}
