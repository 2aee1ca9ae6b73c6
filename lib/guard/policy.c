/*
 * policy.c — building an sg_policy: defaults, rules from text, policy files.
 * Matching lives in policy_match.c.
 */
#include <errno.h>

#include "guard/policy.h"

static void errf(char *err, size_t errlen, const char *what, const char *text, size_t len)
{
	if (!err || !errlen)
		return;
	/* Quote a bounded, printable excerpt of the input. */
	char ex[48];
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < sizeof ex; i++) {
		unsigned char c = (unsigned char)text[i];
		ex[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	ex[n] = '\0';
	snprintf(err, errlen, "%s: \"%s%s\"", what, ex, n < len ? "..." : "");
}

sg_err sg_policy_new(sg_policy **out)
{
	if (!out)
		return SG_ERR_INVAL;
	sg_policy *p = calloc(1, sizeof *p);
	*out = p;
	if (!p)
		return SG_ERR_NOMEM;
	memcpy(p->schemes[0], "http", 5);
	memcpy(p->schemes[1], "https", 6);
	p->nschemes = 2;
	return SG_OK;
}

sg_err sg_policy_copy(const sg_policy *src, sg_policy **out)
{
	if (!out)
		return SG_ERR_INVAL;
	*out = NULL;
	if (!src || src->nrules > SG_POLICY_RULES_MAX)
		return SG_ERR_INVAL;
	sg_policy *p = malloc(sizeof *p);
	if (!p)
		return SG_ERR_NOMEM;
	*p = *src;
	p->rules = NULL;
	p->cap = 0;
	if (src->nrules) { /* at most SG_POLICY_RULES_MAX: the product fits */
		if (!(p->rules = malloc(src->nrules * sizeof *p->rules))) {
			free(p);
			return SG_ERR_NOMEM;
		}
		memcpy(p->rules, src->rules, src->nrules * sizeof *p->rules);
		p->cap = src->nrules;
	}
	*out = p;
	return SG_OK;
}

void sg_policy_free(sg_policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int all_digits(const char *s, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A decimal in [lo, hi] of at most 5 digits. */
static int parse_num(const char *s, size_t len, unsigned lo, unsigned hi, unsigned *out)
{
	if (!all_digits(s, len) || len > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Strict dotted quad (a policy should not need inet_aton's shorthands). */
static int strict_v4(const char *s, size_t len, sg_ip *ip)
{
	size_t dots = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.')
			dots++;
		else if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	*ip = (sg_ip){0};
	return dots == 3 && sg_ipv4_parse(s, len, ip->b) == SG_OK ? 0 : -1;
}

/*
 * Whether a host name's last label is a number ("1.2.3.4.5", "300.1.1.1",
 * "10.0.0.256", "example.123", "0x1f"): such a name is an address written
 * wrong, never a DNS name (no top-level domain is numeric) — the WHATWG URL
 * standard's "ends in a number" test.
 */
static int ends_in_number(const char *s, size_t len)
{
	while (len && s[len - 1] == '.')
		len--;
	size_t start = len;
	while (start && s[start - 1] != '.')
		start--;
	const char *last = s + start;
	size_t n = len - start;
	if (n >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
		for (size_t i = 2; i < n; i++)
			if (!((last[i] >= '0' && last[i] <= '9') || (last[i] >= 'a' && last[i] <= 'f') ||
			      (last[i] >= 'A' && last[i] <= 'F')))
				return 0;
		return 1;
	}
	return all_digits(last, n);
}

static int host_bits_zero(const sg_ip *ip, unsigned bits)
{
	unsigned max = ip->v6 ? 128 : 32;
	for (unsigned b = bits; b < max; b++)
		if (ip->b[b / 8] & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

/* "[V6]" or "[V6]:PORT" into r; *port and *plen get the port's text. */
static int parse_bracketed(const char *t, size_t len, sg_rule *r, const char **port,
                           size_t *plen, const char **why)
{
	const char *close = memchr(t, ']', len);
	if (!close) {
		*why = "missing ']'";
		return -1;
	}
	const char *addr = t + 1;
	size_t alen = (size_t)(close - addr);
	size_t rest = len - (size_t)(close - t) - 1;
	if (rest) {
		if (close[1] != ':') {
			*why = "expected ':PORT' after ']'";
			return -1;
		}
		*port = close + 2;
		*plen = rest - 1;
	}
	r->ip = (sg_ip){0};
	if (sg_ipv6_parse(addr, alen, r->ip.b, NULL) != SG_OK || memchr(addr, '%', alen)) {
		*why = "invalid IPv6 address";
		return -1;
	}
	r->ip.v6 = 1;
	r->bits = 128;
	return 0;
}

/* A name into r: "*.example.com", "example.com", "bücher.de" (normalised as
 * a URL's host is, so that it matches what the guard compares it with). */
static int parse_name(const char *addr, size_t alen, sg_rule *r, const char **why)
{
	r->is_name = 1;
	if (alen >= 2 && addr[0] == '*' && addr[1] == '.') {
		r->wildcard = 1;
		addr += 2;
		alen -= 2;
	}
	if (alen == 0 || memchr(addr, '*', alen) || memchr(addr, '/', alen) ||
	    memchr(addr, '@', alen)) {
		*why = "invalid host name";
		return -1;
	}
	sg_host h;
	const char *hw = NULL;
	sg_err e = sg_host_normalise(addr, alen, &h, &hw);
	if (e != SG_OK) {
		*why = e == SG_ERR_NOMEM ? "out of memory" : hw;
		return -1;
	}
	if (h.is_ip) {
		*why = "an address must be written as a dotted quad or IPv6 (use CIDR)";
		return -1;
	}
	if (ends_in_number(h.name, h.name_len)) {
		*why = "neither an IP address (4 parts of 0-255) nor a host name "
		       "(its last label is a number)";
		return -1;
	}
	for (size_t i = 0; i < h.name_len; i++) {
		char c = h.name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_')) {
			*why = "invalid character in host name";
			return -1;
		}
	}
	memcpy(r->name, h.name, h.name_len + 1);
	r->name_len = h.name_len;
	return 0;
}

/* Without brackets: V4, V4/BITS, V6, V6/BITS, V4:PORT, NAME or NAME:PORT into
 * r (one colon is a port, more are an IPv6 address); *port and *plen get the
 * port's text. */
static int parse_bare(const char *t, size_t len, sg_rule *r, const char **port, size_t *plen,
                      const char **why)
{
	size_t alen = len;
	const char *slash = memchr(t, '/', len);
	const char *colon = memchr(t, ':', len);
	const char *lastcolon = NULL;
	for (size_t i = len; i > 0; i--)
		if (t[i - 1] == ':') {
			lastcolon = t + i - 1;
			break;
		}
	if (colon && colon == lastcolon && !slash) { /* v4:port or name:port */
		alen = (size_t)(colon - t);
		*port = colon + 1;
		*plen = len - alen - 1;
	}
	unsigned bits = 0;
	if (slash) {
		alen = (size_t)(slash - t);
		size_t blen = len - alen - 1;
		if (parse_num(slash + 1, blen, 0, 128, &bits) != 0) {
			*why = "invalid prefix length";
			return -1;
		}
	}
	if (strict_v4(t, alen, &r->ip) == 0) {
		if (slash && bits > 32) {
			*why = "IPv4 prefix length above 32";
			return -1;
		}
		r->bits = (uint8_t)(slash ? bits : 32);
	} else if (colon && (!*port || slash) && sg_ipv6_parse(t, alen, r->ip.b, NULL) == SG_OK &&
	           !memchr(t, '%', alen)) {
		r->ip.v6 = 1;
		r->bits = (uint8_t)(slash ? bits : 128);
	} else if (colon && !*port) {
		*why = "invalid IPv6 address (write [ADDR]:PORT for a port)";
		return -1;
	} else if (slash) {
		*why = "a prefix length needs an IP address";
		return -1;
	} else if (parse_name(t, alen, r, why) != 0) {
		return -1;
	}
	if (!r->is_name && !host_bits_zero(&r->ip, r->bits)) {
		*why = "address has bits set beyond the prefix length";
		return -1;
	}
	return 0;
}

/* Parse the target of allow/deny into r.  0, or -1 with *why set. */
static int parse_target(const char *t, size_t len, sg_rule *r, const char **why)
{
	const char *port = NULL;
	size_t plen = 0;
	int rc = len && t[0] == '[' ? parse_bracketed(t, len, r, &port, &plen, why)
	                            : parse_bare(t, len, r, &port, &plen, why);
	if (rc != 0)
		return -1;
	if (port) {
		unsigned pv;
		if (parse_num(port, plen, 1, 65535, &pv) != 0) {
			*why = "invalid port (1-65535)";
			return -1;
		}
		r->port = (uint16_t)pv;
	}
	return 0;
}

static sg_err add_scheme(sg_policy *p, const char *s, size_t len, char *err, size_t errlen)
{
	char name[SG_SCHEME_MAX];
	if (len == 0 || len >= SG_SCHEME_MAX) {
		errf(err, errlen, "scheme name must be 1-15 characters", s, len);
		return SG_ERR_PARSE;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+' ||
		                                           c == '-' || c == '.')))) {
			errf(err, errlen, "invalid scheme name", s, len);
			return SG_ERR_PARSE;
		}
		name[i] = c;
	}
	name[len] = '\0';
	if (sg_policy_scheme_ok(p, name, len))
		return SG_OK;
	if (p->nschemes >= SG_POLICY_SCHEMES) {
		errf(err, errlen, "too many schemes (at most 8)", s, len);
		return SG_ERR_RANGE;
	}
	memcpy(p->schemes[p->nschemes++], name, len + 1);
	return SG_OK;
}

sg_err sg_policy_add(sg_policy *p, const char *rule, size_t len, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p || (!rule && len))
		return SG_ERR_INVAL;
	while (len && is_space(rule[0])) {
		rule++;
		len--;
	}
	while (len && is_space(rule[len - 1]))
		len--;
	size_t kw = 0;
	while (kw < len && !is_space(rule[kw]))
		kw++;
	size_t t = kw;
	while (t < len && is_space(rule[t]))
		t++;
	const char *target = rule + t;
	size_t tlen = len - t;
	if (tlen == 0) {
		errf(err, errlen, "expected 'allow TARGET', 'deny TARGET', 'scheme NAME' or 'intent block|off'",
		     rule, len);
		return SG_ERR_PARSE;
	}
	for (size_t i = 0; i < tlen; i++)
		if (is_space(target[i]) || (unsigned char)target[i] < 0x20) {
			errf(err, errlen, "one target per rule", rule, len);
			return SG_ERR_PARSE;
		}
	if (kw == 6 && !memcmp(rule, "scheme", 6))
		return add_scheme(p, target, tlen, err, errlen);
	if (kw == 6 && !memcmp(rule, "intent", 6)) {
		if ((tlen == 5 && !memcmp(target, "block", 5)) || (tlen == 3 && !memcmp(target, "off", 3))) {
			p->intent_off = tlen == 3;
			return SG_OK;
		}
		errf(err, errlen, "expected 'intent block' or 'intent off'", rule, len);
		return SG_ERR_PARSE;
	}
	int deny;
	if (kw == 4 && !memcmp(rule, "deny", 4))
		deny = 1;
	else if (kw == 5 && !memcmp(rule, "allow", 5))
		deny = 0;
	else {
		errf(err, errlen, "unknown keyword (allow, deny, scheme, intent)", rule, len);
		return SG_ERR_PARSE;
	}
	if (p->nrules >= SG_POLICY_RULES_MAX) {
		errf(err, errlen, "too many rules", rule, len);
		return SG_ERR_RANGE;
	}
	if (p->nrules == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		sg_rule *nr = realloc(p->rules, cap * sizeof *nr);
		if (!nr)
			return SG_ERR_NOMEM;
		p->rules = nr;
		p->cap = cap;
	}
	sg_rule r;
	memset(&r, 0, sizeof r);
	r.deny = (uint8_t)deny;
	const char *why = "invalid target";
	if (parse_target(target, tlen, &r, &why) != 0) {
		errf(err, errlen, why, rule, len);
		return SG_ERR_PARSE;
	}
	/* Canonical spacing: the text lands in TSV columns and logs. */
	int n = snprintf(r.text, sizeof r.text, "policy:%s %.*s", deny ? "deny" : "allow",
	                 (int)tlen, target);
	if (n < 0)
		r.text[0] = '\0';
	p->rules[p->nrules++] = r;
	return SG_OK;
}

sg_err sg_policy_parse(sg_policy *p, const char *text, size_t len, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!p || (!text && len))
		return SG_ERR_INVAL;
	size_t line = 0, i = 0;
	/* A byte-order mark (editors on Windows write one) is not part of a rule. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < len) {
		line++;
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i;
		if (i < len)
			i++;
		const char *hash = memchr(text + start, '#', end - start);
		if (hash)
			end = (size_t)(hash - text);
		size_t s = start;
		while (s < end && is_space(text[s]))
			s++;
		if (s == end)
			continue;
		char msg[SG_REASON_MAX];
		sg_err e = sg_policy_add(p, text + s, end - s, msg, sizeof msg);
		if (e != SG_OK) {
			if (err && errlen)
				snprintf(err, errlen, "line %zu: %s", line,
				         e == SG_ERR_NOMEM ? "out of memory" : msg);
			return e;
		}
	}
	return SG_OK;
}
