/* judge.c — the verdict for one address or name (order in judge.h). */
#include "guard/classify.h"
#include "guard/judge.h"
#include "guard/text.h"

typedef struct one {
	sg_action action;
	sg_category cat;
	const char *rule; /* static, or a policy rule's text */
	const char *what;
} one;

static void judge_one(const sg_policy *p, const sg_ip *ip, uint16_t port,
                      const char *name, size_t nlen, one *o)
{
	const sg_rule *r = sg_policy_match_ip(p, 1, ip, port, NULL);
	if (r) {
		*o = (one){SG_BLOCK, SG_CAT_DENIED, r->text, "denied by the policy"};
		return;
	}
	sg_class c;
	int exact = 0;
	const sg_rule *allow = sg_policy_match_ip(p, 0, ip, port, &exact);
	if (sg_metadata_addr(ip, &c) && !(allow && exact)) {
		*o = (one){c.action, c.cat, c.rule, c.what};
		return;
	}
	if (!allow)
		allow = sg_policy_match_name(p, 0, name, nlen, port, NULL);
	if (allow) {
		*o = (one){SG_ALLOW, SG_CAT_ALLOWED, allow->text, "allowed by the policy"};
		return;
	}
	sg_iana_classify(ip, &c);
	*o = (one){c.action, c.cat, c.rule, c.what};
}

static int rank(const one *o)
{
	if (o->action == SG_ALLOW)
		return o->cat == SG_CAT_ALLOWED ? 1 : 0;
	return o->cat == SG_CAT_DENIED ? 4 : o->cat == SG_CAT_METADATA ? 3 : 2;
}

void sg_judge_ip(const sg_policy *p, const sg_ip *ip, uint16_t port,
                 const char *name, size_t nlen, sg_verdict *out)
{
	sg_judge_ip_text(p, ip, NULL, port, name, nlen, out);
}

void sg_judge_ip_text(const sg_policy *p, const sg_ip *ip, const char *text, uint16_t port,
                      const char *name, size_t nlen, sg_verdict *out)
{
	one best, e;
	sg_ip emb[2];
	const char *form = NULL;
	const sg_ip *via = NULL;

	judge_one(p, ip, port, name, nlen, &best);
	size_t n = sg_embed_v4(ip, emb, &form);
	for (size_t k = 0; k < n; k++) {
		judge_one(p, &emb[k], port, name, nlen, &e);
		/* An embedded block outranks the prefix's own ("reserved") one. */
		if (rank(&e) > rank(&best) || (e.action == SG_BLOCK && rank(&e) == rank(&best) &&
		                               best.cat == SG_CAT_RESERVED && via == NULL)) {
			best = e;
			via = &emb[k];
		}
	}
	out->action = best.action;
	out->category = best.cat;
	if (text)
		sg_put(out->addr, sizeof out->addr, 0, text);
	else
		sg_ip_format(ip, out->addr, sizeof out->addr);

	size_t at = sg_put(out->rule, sizeof out->rule, 0, best.rule);
	char v4[16];
	if (via) {
		sg_ip_format(via, v4, sizeof v4);
		at = sg_put(out->rule, sizeof out->rule, at, " via ");
		at = sg_put(out->rule, sizeof out->rule, at, form);
		at = sg_put(out->rule, sizeof out->rule, at, " ");
		sg_put(out->rule, sizeof out->rule, at, v4);
	}
	at = sg_put(out->reason, sizeof out->reason, 0, out->addr);
	if (via) {
		at = sg_put(out->reason, sizeof out->reason, at, " carries ");
		at = sg_put(out->reason, sizeof out->reason, at, v4);
		at = sg_put(out->reason, sizeof out->reason, at, " (");
		at = sg_put(out->reason, sizeof out->reason, at, form);
		at = sg_put(out->reason, sizeof out->reason, at, "), which is ");
	} else {
		at = sg_put(out->reason, sizeof out->reason, at, " is ");
	}
	sg_put(out->reason, sizeof out->reason, at, best.what);
}

int sg_judge_name(const sg_policy *p, const char *name, size_t len, uint16_t port,
                  sg_verdict *out)
{
	const sg_rule *r = sg_policy_match_name(p, 1, name, len, port, NULL);
	sg_class c;
	int exact = 0;
	const sg_rule *allow = sg_policy_match_name(p, 0, name, len, port, &exact);
	const char *rule, *what;

	if (r) {
		out->action = SG_BLOCK;
		out->category = SG_CAT_DENIED;
		rule = r->text;
		what = " is denied by the policy";
	} else if ((sg_metadata_name(name, len, &c) || sg_loopback_name(name, len, &c)) &&
	           !(allow && exact)) {
		out->action = SG_BLOCK;
		out->category = c.cat;
		rule = c.rule;
		what = c.cat == SG_CAT_METADATA ? " is a cloud metadata service name"
		                                : " is a loopback name (RFC 6761)";
	} else {
		out->action = SG_ALLOW;
		out->category = allow ? SG_CAT_ALLOWED : SG_CAT_PUBLIC;
		rule = allow ? allow->text : "dns:judge-every-address";
		what = allow ? " is allowed by the policy; every address it resolves to is still judged"
		             : " is a name; every address it resolves to is judged before connecting";
	}
	sg_put(out->rule, sizeof out->rule, 0, rule);
	size_t at = sg_put_n(out->reason, sizeof out->reason, 0, name, len < 100 ? len : 100);
	sg_put(out->reason, sizeof out->reason, at, what);
	return out->action == SG_BLOCK;
}
