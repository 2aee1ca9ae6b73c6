/*
 * verdict.c — stages 2 and 3 of guard.h (a socket address; a name's every
 * address), category names, and the fail-closed starting verdict.
 */
#include <netinet/in.h>

#include "guard/judge.h"
#include "guard/text.h"
#include "guard/verdict.h"

static const char *const cat_names[SG_CAT__COUNT] = {
	[SG_CAT_PUBLIC] = "public",
	[SG_CAT_ALLOWED] = "allowed",
	[SG_CAT_METADATA] = "metadata",
	[SG_CAT_LOOPBACK] = "loopback",
	[SG_CAT_PRIVATE] = "private",
	[SG_CAT_LINK_LOCAL] = "link-local",
	[SG_CAT_UNSPECIFIED] = "unspecified",
	[SG_CAT_MULTICAST] = "multicast",
	[SG_CAT_RESERVED] = "reserved",
	[SG_CAT_DENIED] = "denied",
	[SG_CAT_SCHEME] = "scheme",
	[SG_CAT_MALFORMED] = "malformed",
	[SG_CAT_UNRESOLVED] = "unresolved",
	[SG_CAT_INTENT] = "intent",
};

const char *sg_category_name(sg_category cat)
{
	if ((unsigned)cat >= SG_CAT__COUNT || !cat_names[cat])
		return "unknown";
	return cat_names[cat];
}

void sg_verdict_block(sg_verdict *out, sg_category cat, const char *rule, const char *reason)
{
	out->action = SG_BLOCK;
	out->category = cat;
	out->needs_resolve = 0;
	sg_put(out->rule, sizeof out->rule, 0, rule);
	sg_put(out->reason, sizeof out->reason, 0, reason);
}

void sg_verdict_reset(sg_verdict *out)
{
	out->action = SG_BLOCK;
	out->category = SG_CAT_MALFORMED;
	out->needs_resolve = 0;
	out->port = 0;
	out->scheme[0] = out->host[0] = out->addr[0] = '\0';
	out->rule[0] = out->reason[0] = '\0';
}

/* sockaddr to sg_ip + port; -1 for anything but a complete AF_INET(6). */
static int from_sockaddr(const struct sockaddr *sa, socklen_t salen, sg_ip *ip, uint16_t *port)
{
	*ip = (sg_ip){0};
	if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		memcpy(ip->b, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		memcpy(ip->b, &in6->sin6_addr, 16);
		ip->v6 = 1;
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

/* The name part of a host argument: lower-case, no trailing dots. */
static size_t clean_name(const char *host, char *buf, size_t cap)
{
	size_t len = strnlen(host, cap);
	if (len >= cap)
		return 0;
	while (len && host[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	buf[len] = '\0';
	return len;
}

static sg_err check_addr(const sg_policy *p, const struct sockaddr *sa, socklen_t salen,
                         const char *host, int use_port, uint16_t port, sg_verdict *out)
{
	sg_ip ip;
	uint16_t sport = 0;
	char name[SG_HOST_MAX];
	size_t nlen = host ? clean_name(host, name, sizeof name) : 0;

	if (from_sockaddr(sa, salen, &ip, &sport) != 0) {
		sg_verdict_block(out, SG_CAT_MALFORMED, "addr:family",
		                 "not an IPv4 or IPv6 socket address");
		return SG_OK;
	}
	if (!use_port)
		port = sport;
	out->port = port;
	if (nlen) {
		memcpy(out->host, name, nlen + 1);
		/* A name that decides on its own (deny, metadata) decides here too. */
		sg_verdict tmp;
		if (sg_judge_name(p, name, nlen, port, &tmp)) {
			out->action = tmp.action;
			out->category = tmp.category;
			memcpy(out->rule, tmp.rule, sizeof out->rule);
			memcpy(out->reason, tmp.reason, sizeof out->reason);
			sg_ip_format(&ip, out->addr, sizeof out->addr);
			return SG_OK;
		}
	}
	sg_judge_ip(p, &ip, port, nlen ? name : NULL, nlen, out);
	if (!nlen)
		memcpy(out->host, out->addr, sizeof out->addr);
	return SG_OK;
}

sg_err sg_check_addr(const sg_policy *policy, const struct sockaddr *sa, socklen_t salen,
                     const char *host, sg_verdict *out)
{
	if (!out)
		return SG_ERR_INVAL;
	sg_verdict_reset(out);
	if (!policy || !sa) {
		sg_verdict_block(out, SG_CAT_MALFORMED, "guard:inval", "invalid arguments");
		return SG_ERR_INVAL;
	}
	return check_addr(policy, sa, salen, host, 0, 0, out);
}

sg_err sg_check_resolved(const sg_policy *policy, const sg_verdict *named,
                         const struct sockaddr *const *addrs, size_t naddrs,
                         sg_verdict *out)
{
	if (!out)
		return SG_ERR_INVAL;
	if (!policy || !named || (naddrs && !addrs)) {
		sg_verdict_reset(out);
		sg_verdict_block(out, SG_CAT_MALFORMED, "guard:inval", "invalid arguments");
		return SG_ERR_INVAL;
	}
	sg_verdict first = *named;
	*out = *named;
	if (named->action == SG_BLOCK || !named->needs_resolve)
		return SG_OK;
	out->needs_resolve = 0;
	for (size_t i = 0; i < naddrs; i++) {
		sg_verdict v = *named;
		const struct sockaddr *sa = addrs[i];
		socklen_t len = !sa ? 0 : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                    : sizeof(struct sockaddr_in);
		if (!sa) {
			sg_verdict_block(out, SG_CAT_MALFORMED, "guard:inval", "a NULL address");
			return SG_ERR_INVAL;
		}
		check_addr(policy, sa, len, named->host, 1, named->port, &v);
		v.needs_resolve = 0;
		if (v.action == SG_BLOCK) {
			*out = v;
			return SG_OK;
		}
		if (i == 0)
			first = v;
	}
	if (naddrs == 0) {
		sg_verdict_block(out, SG_CAT_UNRESOLVED, "dns:no-address",
		                 "the name resolved to no usable address");
		return SG_OK;
	}
	*out = first;
	return SG_OK;
}
