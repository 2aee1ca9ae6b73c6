/* resolve.c — pins, getaddrinfo, and a verdict for every answer (resolve.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include "resolve/resolve.h"

typedef struct pin {
	char host[SG_HOST_MAX];
	uint16_t port; /* 0: any */
	size_t naddrs;
	struct sockaddr_storage addrs[SG_RESOLVE_ADDRS];
} pin;

struct sg_resolver {
	pin *pins;
	size_t npins, cap;
};

sg_err sg_resolver_new(sg_resolver **out)
{
	if (!out)
		return SG_ERR_INVAL;
	*out = calloc(1, sizeof **out);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

void sg_resolver_free(sg_resolver *r)
{
	if (!r)
		return;
	free(r->pins);
	free(r);
}

static sg_err bad(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "--resolve: %s (want HOST:PORT:ADDR[,ADDR...] or HOST:ADDR)", why);
	return SG_ERR_PARSE;
}

/* One ADDR of a pin: "203.0.113.10", "2001:db8::1", "[2001:db8::1]". */
static int parse_addr(const char *s, size_t len, struct sockaddr_storage *ss)
{
	char buf[64];
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, buf, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* The host of a pin, normalised the way stage 1 normalises hosts. */
static int pin_host(const char *s, size_t len, char *out, sg_err *e)
{
	char url[SG_HOST_MAX + 16];
	sg_policy *p = NULL;
	sg_verdict v;
	*e = SG_OK;
	if (len == 0 || len > SG_HOST_MAX - 1)
		return -1;
	int n = snprintf(url, sizeof url, "http://%.*s/", (int)len, s);
	if (n < 0 || (size_t)n >= sizeof url)
		return -1;
	*e = sg_policy_new(&p);
	if (*e != SG_OK)
		return -1;
	*e = sg_check_url(p, url, (size_t)n, &v);
	sg_policy_free(p);
	if (*e != SG_OK || v.category == SG_CAT_MALFORMED || !v.host[0])
		return -1;
	memcpy(out, v.host, sizeof v.host);
	return 0;
}

sg_err sg_resolver_pin(sg_resolver *r, const char *spec, size_t len, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!r || (!spec && len))
		return SG_ERR_INVAL;
	if (len && spec[0] == '+') { /* curl's "+HOST:..." (timeout-only pin) */
		spec++;
		len--;
	}
	const char *colon = memchr(spec, ':', len);
	if (!colon || colon == spec)
		return bad(err, errlen, "missing HOST:");
	size_t hlen = (size_t)(colon - spec);
	const char *rest = colon + 1;
	size_t rlen = len - hlen - 1;

	pin pn;
	memset(&pn, 0, sizeof pn);
	/* "PORT:" follows when the text up to the next ':' is all digits. */
	size_t d = 0;
	while (d < rlen && rest[d] >= '0' && rest[d] <= '9')
		d++;
	if (d > 0 && d < rlen && rest[d] == ':') {
		unsigned port = 0;
		if (d > 5)
			return bad(err, errlen, "invalid port");
		for (size_t i = 0; i < d; i++)
			port = port * 10 + (unsigned)(rest[i] - '0');
		if (port == 0 || port > 65535)
			return bad(err, errlen, "invalid port");
		pn.port = (uint16_t)port;
		rest += d + 1;
		rlen -= d + 1;
	}
	sg_err e;
	if (pin_host(spec, hlen, pn.host, &e) != 0)
		return e == SG_ERR_NOMEM ? SG_ERR_NOMEM : bad(err, errlen, "invalid HOST");
	size_t i = 0;
	while (i <= rlen) {
		size_t j = i;
		while (j < rlen && rest[j] != ',')
			j++;
		if (pn.naddrs >= SG_RESOLVE_ADDRS)
			return bad(err, errlen, "too many addresses");
		if (parse_addr(rest + i, j - i, &pn.addrs[pn.naddrs]) != 0)
			return bad(err, errlen, "invalid ADDR");
		pn.naddrs++;
		i = j + 1;
	}
	/* Another pin for the same HOST:PORT adds its addresses: libcurl may
	 * connect to any of them, so every one is judged. */
	for (size_t k = 0; k < r->npins; k++) {
		pin *same = &r->pins[k];
		if (same->port != pn.port || strcmp(same->host, pn.host) != 0)
			continue;
		if (same->naddrs + pn.naddrs > SG_RESOLVE_ADDRS)
			return bad(err, errlen, "too many addresses");
		memcpy(&same->addrs[same->naddrs], pn.addrs, pn.naddrs * sizeof pn.addrs[0]);
		same->naddrs += pn.naddrs;
		return SG_OK;
	}
	if (r->npins == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		pin *np = realloc(r->pins, cap * sizeof *np);
		if (!np)
			return SG_ERR_NOMEM;
		r->pins = np;
		r->cap = cap;
	}
	r->pins[r->npins++] = pn;
	return SG_OK;
}

static const pin *find_pin(const sg_resolver *r, const char *host, uint16_t port)
{
	const pin *any = NULL;
	for (size_t i = 0; r && i < r->npins; i++) {
		const pin *p = &r->pins[i];
		if (strcmp(p->host, host) != 0)
			continue;
		if (p->port == port)
			return p;
		if (p->port == 0 && !any)
			any = p;
	}
	return any;
}

sg_err sg_resolver_check(const sg_resolver *r, const sg_policy *policy,
                         const sg_verdict *named, sg_verdict *out)
{
	const struct sockaddr *list[SG_RESOLVE_ADDRS];
	size_t n = 0;

	if (!out)
		return SG_ERR_INVAL;
	if (!policy || !named) {
		memset(out, 0, sizeof *out);
		out->action = SG_BLOCK;
		out->category = SG_CAT_MALFORMED;
		return SG_ERR_INVAL;
	}
	if (named->action == SG_BLOCK || !named->needs_resolve) {
		*out = *named;
		return SG_OK;
	}
	const pin *p = find_pin(r, named->host, named->port);
	if (p) {
		for (size_t i = 0; i < p->naddrs; i++)
			list[n++] = (const struct sockaddr *)&p->addrs[i];
		return sg_check_resolved(policy, named, list, n, out);
	}
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	int rc = getaddrinfo(named->host, NULL, &hints, &res);
	if (rc != 0) {
		sg_err e = sg_check_resolved(policy, named, NULL, 0, out);
		snprintf(out->reason, sizeof out->reason, "%.60s does not resolve: %s",
		         named->host, gai_strerror(rc));
		return rc == EAI_MEMORY ? SG_ERR_NOMEM : e;
	}
	int too_many = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (n == SG_RESOLVE_ADDRS) {
			too_many = 1;
			break;
		}
		list[n++] = ai->ai_addr;
	}
	sg_err e = sg_check_resolved(policy, named, list, n, out);
	freeaddrinfo(res);
	if (too_many && out->action == SG_ALLOW) {
		out->action = SG_BLOCK;
		out->category = SG_CAT_UNRESOLVED;
		snprintf(out->rule, sizeof out->rule, "dns:too-many-addresses");
		snprintf(out->reason, sizeof out->reason,
		         "the name resolved to more than %d addresses", SG_RESOLVE_ADDRS);
	}
	return e;
}
