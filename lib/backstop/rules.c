/*
 * rules.c — the backstop's nft script from the guard's metadata table, the
 * IANA registries and the policy (see rules.h for what it refuses and why
 * two chains).
 */
#include "backstop/rules.h"

#include <string.h>

#include "guard/classify.h"
#include "guard/policy.h"

/* The element lists of the table's sets, filled before the text is written. */
struct sets {
	sg_buf meta4, meta6; /* metadata and its IPv6 carriers */
	sg_buf deny4, deny6; /* registry and policy denies, carriers */
	sg_buf open6;        /* registry allow entries inside IPv6 denies */
};

/* "10.0.0.0/8", "fd00:ec2::254": host bits cleared, no /len when full. */
static void format_prefix(char *out, size_t cap, const sg_ip *ip, unsigned bits)
{
	sg_ip net = *ip;
	unsigned full = ip->v6 ? 128 : 32;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits > i * 8 ? bits - i * 8 : 0;
		if (keep < 8)
			net.b[i] &= (uint8_t)(0xff00u >> keep);
	}
	char text[SG_ADDR_MAX];
	sg_ip_format(&net, text, sizeof text);
	if (bits < full)
		snprintf(out, cap, "%s/%u", text, bits);
	else
		snprintf(out, cap, "%s", text);
}

static void put_prefix(sg_buf *b, const sg_ip *ip, unsigned bits)
{
	char text[SG_ADDR_MAX + 8];
	format_prefix(text, sizeof text, ip, bits);
	if (b->len)
		sg_buf_puts(b, ", ");
	sg_buf_puts(b, text);
}

/* The IPv6 forms an IPv4 prefix travels in (rules.h, item 1). */
static void put_carriers(sg_buf *b6, const sg_ip *v4, unsigned bits)
{
	static const uint8_t at96[][12] = {
		{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, /* IPv4-mapped */
		{0},                                        /* IPv4-compatible */
		{0, 0x64, 0xff, 0x9b},                      /* NAT64 */
	};
	sg_ip c = {{0}, 1};
	for (size_t k = 0; k < sizeof at96 / sizeof at96[0]; k++) {
		memcpy(c.b, at96[k], 12);
		memcpy(c.b + 12, v4->b, 4);
		put_prefix(b6, &c, 96 + bits);
	}
	memset(c.b, 0, 16);
	c.b[0] = 0x20, c.b[1] = 0x02; /* 6to4: 2002:AABB:CCDD::/48 */
	memcpy(c.b + 2, v4->b, 4);
	put_prefix(b6, &c, 16 + bits);
}

static void add_deny(struct sets *s, const sg_ip *ip, unsigned bits)
{
	if (ip->v6) {
		put_prefix(&s->deny6, ip, bits);
	} else {
		put_prefix(&s->deny4, ip, bits);
		put_carriers(&s->deny6, ip, bits);
	}
}

static void fill_metadata(struct sets *s)
{
	sg_ip ip;
	unsigned bits;
	sg_class c;
	for (size_t i = 0; sg_metadata_entry(i, &ip, &bits, &c); i++) {
		if (ip.v6) {
			put_prefix(&s->meta6, &ip, bits);
		} else {
			put_prefix(&s->meta4, &ip, bits);
			put_carriers(&s->meta6, &ip, bits);
		}
	}
}

static void fill_registry(struct sets *s)
{
	sg_ip ip;
	unsigned bits;
	sg_class c;
	for (size_t i = 0; sg_iana_entry(i, &ip, &bits, &c); i++) {
		if (c.action == SG_BLOCK)
			add_deny(s, &ip, bits);
		else if (ip.v6)
			put_prefix(&s->open6, &ip, bits);
	}
	/* IPv6 outside 2000::/3: ::/3, 4000::/2, 8000::/1. */
	static const uint8_t first[][2] = {{0x00, 3}, {0x40, 2}, {0x80, 1}};
	for (size_t k = 0; k < 3; k++) {
		sg_ip n = {{first[k][0]}, 1};
		put_prefix(&s->deny6, &n, first[k][1]);
	}
}

/* Policy CIDR denies without a port join the deny sets. */
static void fill_policy_denies(struct sets *s, const sg_policy *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const sg_rule *r = &p->rules[i];
		if (r->deny && !r->is_name && r->port == 0)
			add_deny(s, &r->ip, r->bits);
	}
}

/* A set of addresses; an interval set only when some element is a prefix
 * (a plain hash set is the cheaper lookup on every packet). */
static void put_set(sg_buf *b, const char *name, const char *type,
                    const sg_buf *elems)
{
	if (!elems->len)
		return;
	int interval = strchr(elems->p, '/') != NULL;
	sg_buf_printf(b, "\tset %s {\n\t\ttype %s;%s\n\t\telements = { %s }\n\t}\n", name, type,
	              interval ? " flags interval; auto-merge;" : "", elems->p);
}

/* ---- the app chain: classify, then jump to the kind's action chain ---- */

struct chain_out {
	sg_buf *b;
	size_t rules;
};

static const char *const kind_name[] = {"guard", "egress"};

/* One refusing rule: count, then the action chain of its kind and family. */
static void rule(struct chain_out *o, bs_kind kind, int family, const char *match,
                 const char *why)
{
	o->rules++;
	sg_buf_printf(o->b, "\t\t%s counter jump %s%d comment \"%s\"\n", match, kind_name[kind],
	              family, why);
}

static void pass(struct chain_out *o, const char *match)
{
	sg_buf_printf(o->b, "\t\t%s return\n", match);
}

/* "ip daddr 10.0.0.0/8" or "ip6 daddr ...", plus the port when not 0. */
static void daddr_match(char *out, size_t cap, const sg_ip *ip, unsigned bits, uint16_t port)
{
	char pfx[SG_ADDR_MAX + 8];
	format_prefix(pfx, sizeof pfx, ip, bits);
	if (port)
		snprintf(out, cap, "%s daddr %s meta l4proto { tcp, udp } th dport %u",
		         ip->v6 ? "ip6" : "ip", pfx, (unsigned)port);
	else
		snprintf(out, cap, "%s daddr %s", ip->v6 ? "ip6" : "ip", pfx);
}

static void passes(struct chain_out *o, const bs_spec *sp)
{
	char m[192];
	for (size_t i = 0; i < sp->n_proxies; i++) {
		daddr_match(m, sizeof m, &sp->proxies[i].ip, sp->proxies[i].ip.v6 ? 128 : 32, 0);
		sg_buf_printf(o->b, "\t\t%s tcp dport %u return\n", m, (unsigned)sp->proxies[i].port);
	}
	for (size_t i = 0; sp->proxy_only && i < sp->n_dns; i++) {
		daddr_match(m, sizeof m, &sp->dns[i], sp->dns[i].v6 ? 128 : 32, 0);
		sg_buf_printf(o->b, "\t\t%s meta l4proto { tcp, udp } th dport 53 return\n", m);
	}
}

/* Name rules: a packet carries no name, so they are not enforced here. */
static size_t name_rules(const sg_policy *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nrules; i++)
		n += p->rules[i].is_name;
	return n;
}

static void policy_rules(struct chain_out *o, const sg_policy *p, int deny)
{
	char m[192];
	for (size_t i = 0; i < p->nrules; i++) {
		const sg_rule *r = &p->rules[i];
		if (r->deny != deny || r->is_name)
			continue;
		if (deny && r->port == 0)
			continue; /* in the deny sets */
		daddr_match(m, sizeof m, &r->ip, r->bits, r->port);
		if (deny)
			rule(o, BS_KIND_GUARD, r->ip.v6 ? 6 : 4, m, "policy deny");
		else
			pass(o, m);
	}
}

/* The app chain: the policy's ranges and egress (metadata is refused in
 * the base chain, before any identity is asked: see rules.h). */
static void app_rules(struct chain_out *o, const bs_spec *sp, const struct sets *s)
{
	if (sp->proxy_only)
		pass(o, "ct direction reply");
	passes(o, sp);
	if (sp->deny_policy) {
		policy_rules(o, sp->policy, 1);
		policy_rules(o, sp->policy, 0);
		if (s->deny4.len)
			rule(o, BS_KIND_GUARD, 4, "ip daddr @deny4", "denied range (IPv4)");
		pass(o, "ip6 daddr @open6");
		if (s->deny6.len)
			rule(o, BS_KIND_GUARD, 6, "ip6 daddr @deny6", "denied range (IPv6)");
	}
	if (sp->proxy_only) {
		rule(o, BS_KIND_EGRESS, 4, "meta nfproto ipv4", "egress outside the proxy (IPv4)");
		rule(o, BS_KIND_EGRESS, 6, "meta nfproto ipv6", "egress outside the proxy (IPv6)");
	}
}

/* Each app identity as a match: "meta skuid 1001", "meta skuid { 1, 2 }",
 * "socket cgroupv2 level 1 \"app.slice\""; calls put for each. */
static void identities(const bs_spec *sp, void (*put)(void *, const char *), void *ctx)
{
	char m[BS_CGROUP_MAX + 64];
	if (sp->n_app_uids == 1) {
		snprintf(m, sizeof m, "meta skuid %u", (unsigned)sp->app_uids[0]);
		put(ctx, m);
	} else if (sp->n_app_uids) {
		size_t len = (size_t)snprintf(m, sizeof m, "meta skuid {");
		for (size_t i = 0; i < sp->n_app_uids && len < sizeof m; i++)
			len += (size_t)snprintf(m + len, sizeof m - len, "%s %u", i ? "," : "",
			                        (unsigned)sp->app_uids[i]);
		if (len < sizeof m)
			snprintf(m + len, sizeof m - len, " }");
		put(ctx, m);
	}
	for (size_t i = 0; i < sp->n_app_cgroups; i++) {
		const char *cg = sp->app_cgroups[i];
		unsigned level = 1;
		for (const char *c = cg; *c; c++)
			level += *c == '/';
		snprintf(m, sizeof m, "socket cgroupv2 level %u \"%s\"", level, cg);
		put(ctx, m);
	}
}

static void exempt(sg_buf *b, const bs_spec *sp)
{
	for (size_t i = 0; i < sp->n_exempt_uids; i++)
		sg_buf_printf(b, "\t\tmeta skuid %u return comment \"exempt: the service\"\n",
		              (unsigned)sp->exempt_uids[i]);
}

struct metadata_out {
	struct chain_out *o;
	int family;
};

static void metadata_identity(void *ctx, const char *match)
{
	struct metadata_out *m = ctx;
	rule(m->o, BS_KIND_GUARD, m->family, match,
	     m->family == 4 ? "metadata (IPv4)" : "metadata (IPv6, IPv4 carried in IPv6)");
}

/* Chain metadataN: only packets to a metadata address get here; whose are
 * they?  The app's are refused. */
static void metadata_chain(struct chain_out *o, const bs_spec *sp, int family)
{
	sg_buf_printf(o->b, "\tchain metadata%d {\n", family);
	exempt(o->b, sp);
	struct metadata_out m = {o, family};
	identities(sp, metadata_identity, &m);
	sg_buf_puts(o->b, "\t}\n");
}

static void app_identity(void *ctx, const char *match)
{
	sg_buf_printf(ctx, "\t\t%s jump app\n", match);
}

/* The base chain: the destination first (one set lookup for every packet
 * of every process), the identity only for what could be refused. */
static void base_chain(sg_buf *b, const bs_spec *sp)
{
	sg_buf_puts(b, "\tchain output {\n\t\ttype filter hook output priority filter; "
	                "policy accept;\n"
	                "\t\tip daddr @metadata4 jump metadata4\n"
	                "\t\tip6 daddr @metadata6 jump metadata6\n");
	if (sp->deny_policy || sp->proxy_only) {
		exempt(b, sp);
		identities(sp, app_identity, b);
	}
	sg_buf_puts(b, "\t}\n");
}

/*
 * The action chain of one kind and family (rules.h): a retransmitted held
 * SYN is reset; a SYN within the report rate is logged and held; anything
 * else within the rate is logged; then refused.
 */
static void action_chain(sg_buf *b, bs_kind kind, int family, uint16_t group)
{
	const char *ip = family == 6 ? "ip6" : "ip";
	const char *prefix = kind == BS_KIND_EGRESS ? BS_PREFIX_EGRESS : BS_PREFIX_GUARD;
	sg_buf_printf(b, "\tchain %s%d {\n", kind_name[kind], family);
	sg_buf_printf(b, "\t\t%s daddr . tcp sport @held%d reject with tcp reset\n", ip, family);
	sg_buf_printf(b, "\t\ttcp flags & (syn | ack) == syn limit name \"report\" "
	                  "add @held%d { %s daddr . tcp sport } log group %u prefix \"%s\" drop\n",
	               family, ip, (unsigned)group, prefix);
	sg_buf_printf(b, "\t\tlimit name \"report\" log group %u prefix \"%s\"\n", (unsigned)group,
	              prefix);
	sg_buf_puts(b, "\t\tmeta l4proto tcp reject with tcp reset\n"
	                "\t\treject with icmpx admin-prohibited\n\t}\n");
}

int bs_cgroup_ok(const char *path)
{
	size_t n = path ? strlen(path) : 0, comp = 0;
	if (n == 0 || n >= BS_CGROUP_MAX || path[0] == '/' || path[n - 1] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = path[i];
		if (c == '/' || c == '\0') {
			const char *start = path + i - comp;
			if (comp == 0 || (comp == 1 && start[0] == '.') ||
			    (comp == 2 && start[0] == '.' && start[1] == '.'))
				return 0;
			comp = 0;
			continue;
		}
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		         c == '.' || c == '_' || c == '@' || c == ':' || c == '-';
		if (!ok)
			return 0;
		comp++;
	}
	return 1;
}

static sg_err check_spec(const bs_spec *sp, char *err, size_t errlen)
{
	if (sp->n_app_uids > BS_IDS_MAX || sp->n_app_cgroups > BS_IDS_MAX ||
	    sp->n_exempt_uids > BS_IDS_MAX || sp->n_proxies > BS_ENDPOINTS_MAX ||
	    sp->n_dns > BS_ENDPOINTS_MAX) {
		snprintf(err, errlen, "too many identities or endpoints");
		return SG_ERR_INVAL;
	}
	if (sp->n_app_uids + sp->n_app_cgroups == 0) {
		snprintf(err, errlen, "no app identity: name a backstop-user or backstop-cgroup");
		return SG_ERR_INVAL;
	}
	for (size_t i = 0; i < sp->n_app_uids; i++)
		for (size_t k = 0; k < sp->n_exempt_uids; k++)
			if (sp->app_uids[i] == sp->exempt_uids[k]) {
				snprintf(err, errlen,
				         "uid %u is both an app identity and the service's own (exempt): "
				         "run ssrfguard as its own user",
				         (unsigned)sp->app_uids[i]);
				return SG_ERR_INVAL;
			}
	for (size_t i = 0; i < sp->n_app_cgroups; i++)
		if (!bs_cgroup_ok(sp->app_cgroups[i])) {
			snprintf(err, errlen, "cgroup '%.64s' is not a relative cgroup v2 path",
			         sp->app_cgroups[i] ? sp->app_cgroups[i] : "");
			return SG_ERR_INVAL;
		}
	if (sp->rate == 0 || sp->rate > 1000000) {
		snprintf(err, errlen, "rate must be in 1..1000000");
		return SG_ERR_INVAL;
	}
	if (sp->proxy_only && sp->n_proxies == 0) {
		snprintf(err, errlen, "egress through the proxy only, but no proxy address given");
		return SG_ERR_INVAL;
	}
	if (sp->deny_policy && !sp->policy) {
		snprintf(err, errlen, "deny_policy without a policy");
		return SG_ERR_INVAL;
	}
	return SG_OK;
}

static void sets_init(struct sets *s)
{
	sg_buf_init(&s->meta4, 0);
	sg_buf_init(&s->meta6, 0);
	sg_buf_init(&s->deny4, 0);
	sg_buf_init(&s->deny6, 0);
	sg_buf_init(&s->open6, 0);
}

/* The first error of any set (an append failed), then frees them all. */
static sg_err sets_free(struct sets *s)
{
	sg_buf *all[] = {&s->meta4, &s->meta6, &s->deny4, &s->deny6, &s->open6};
	sg_err e = SG_OK;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (e == SG_OK)
			e = sg_buf_err(all[i]);
		sg_buf_free(all[i]);
	}
	return e;
}

static void put_table(sg_buf *b, const bs_spec *sp, const struct sets *s, bs_stats *st)
{
	sg_buf_puts(b, "table inet " BS_TABLE "\ndelete table inet " BS_TABLE "\n"
	                "table inet " BS_TABLE " {\n");
	sg_buf_printf(b, "\tlimit report { rate %u/second burst %u packets }\n",
	              (unsigned)sp->rate, (unsigned)sp->rate * 2);
	put_set(b, "metadata4", "ipv4_addr", &s->meta4);
	put_set(b, "metadata6", "ipv6_addr", &s->meta6);
	put_set(b, "deny4", "ipv4_addr", &s->deny4);
	put_set(b, "deny6", "ipv6_addr", &s->deny6);
	put_set(b, "open6", "ipv6_addr", &s->open6);
	sg_buf_puts(b, "\tset held4 {\n\t\ttype ipv4_addr . inet_service; flags dynamic, timeout; "
	                "timeout 10s;\n\t}\n"
	                "\tset held6 {\n\t\ttype ipv6_addr . inet_service; flags dynamic, timeout; "
	                "timeout 10s;\n\t}\n");
	base_chain(b, sp);
	struct chain_out o = {b, 0};
	metadata_chain(&o, sp, 4);
	metadata_chain(&o, sp, 6);
	if (sp->deny_policy || sp->proxy_only) {
		sg_buf_puts(b, "\tchain app {\n");
		app_rules(&o, sp, s);
		sg_buf_puts(b, "\t}\n");
	}
	bs_kind last = sp->proxy_only ? BS_KIND_EGRESS : BS_KIND_GUARD;
	for (int kind = BS_KIND_GUARD; kind <= (int)last; kind++)
		for (int family = 4; family <= 6; family += 2)
			action_chain(b, (bs_kind)kind, family, sp->group);
	sg_buf_puts(b, "}\n");
	st->rules = o.rules;
	st->names_skipped = sp->deny_policy ? name_rules(sp->policy) : 0;
}

sg_err bs_ruleset(const bs_spec *sp, sg_buf *b, bs_stats *stats, char *err,
                  size_t errlen)
{
	if (!sp || !b)
		return SG_ERR_INVAL;
	sg_err e = check_spec(sp, err, errlen);
	if (e != SG_OK)
		return e;
	struct sets s;
	sets_init(&s);
	fill_metadata(&s);
	if (sp->deny_policy) {
		fill_registry(&s);
		fill_policy_denies(&s, sp->policy);
	}
	bs_stats st = {0, 0};
	put_table(b, sp, &s, &st);
	e = sets_free(&s);
	if (e == SG_OK)
		e = sg_buf_err(b);
	if (e != SG_OK) {
		snprintf(err, errlen, "out of memory writing the rules");
		return e;
	}
	if (stats)
		*stats = st;
	return SG_OK;
}
