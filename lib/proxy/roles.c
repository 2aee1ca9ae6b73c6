/* roles.c — the proxy's roles file and role verdicts; see roles.h. */
#include "proxy/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "aws/sigv4.h"
#include "guard/ip.h"

const char *px_mode_name(px_mode m)
{
	return m == PX_MODE_OPEN ? "open" : m == PX_MODE_REPORT ? "report" : "enforce";
}

static void strs_free(px_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static sg_err strs_add(px_strs *s, const char *p, size_t n)
{
	if (s->n >= PX_LIST_MAX)
		return SG_ERR_RANGE;
	char **v = realloc(s->v, (s->n + 1) * sizeof *v);
	if (!v)
		return SG_ERR_NOMEM;
	s->v = v;
	char *c = malloc(n + 1);
	if (!c)
		return SG_ERR_NOMEM;
	memcpy(c, p, n);
	c[n] = '\0';
	v[s->n++] = c;
	return SG_OK;
}

static void pats_free(px_pats *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static sg_err pats_add(px_pats *s, const px_pat *p)
{
	if (s->n >= PX_LIST_MAX)
		return SG_ERR_RANGE;
	px_pat *v = realloc(s->v, (s->n + 1) * sizeof *v); /* n < PX_LIST_MAX: no overflow */
	if (!v)
		return SG_ERR_NOMEM;
	s->v = v;
	v[s->n++] = *p;
	return SG_OK;
}

void px_roles_free(px_roles *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		pats_free(&rs->r[i].allow);
		pats_free(&rs->r[i].deny);
		strs_free(&rs->r[i].rules);
		strs_free(&rs->r[i].users);
		strs_free(&rs->r[i].certs);
	}
	free(rs->r);
	pats_free(&rs->allow);
	pats_free(&rs->deny);
	memset(rs, 0, sizeof *rs);
}

static px_role *add_role(px_roles *rs, const char *name, size_t n)
{
	if (rs->n >= PX_ROLES_MAX || n == 0 || n >= PX_ROLE_NAME_MAX)
		return NULL;
	px_role *r = realloc(rs->r, (rs->n + 1) * sizeof *r);
	if (!r)
		return NULL;
	rs->r = r;
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof *r);
	memcpy(r->name, name, n);
	r->name[n] = '\0';
	r->mode = PX_MODE_ENFORCE;
	return r;
}

sg_err px_roles_default(px_roles *rs)
{
	memset(rs, 0, sizeof *rs);
	px_role *r = add_role(rs, "default", 7);
	if (!r)
		return SG_ERR_NOMEM;
	r->mode = PX_MODE_OPEN;
	return SG_OK;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int name_ok(const char *p, size_t n)
{
	if (n == 0 || n >= PX_ROLE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* A certificate name, stored lower case: a host name (no spaces, no
 * controls, no '/', '@' or ','; '*' only as a leading "*."). */
static sg_err add_pattern(px_strs *s, const char *p, size_t n)
{
	if (n == 0 || n > 255)
		return SG_ERR_PARSE;
	char buf[256];
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || (c == '*' && i != 0))
			return SG_ERR_PARSE;
		buf[i] = (char)lower(c);
	}
	if (buf[0] == '*' && n > 1 && (n < 3 || buf[1] != '.'))
		return SG_ERR_PARSE;
	while (n > 1 && buf[n - 1] == '.')
		n--;
	return strs_add(s, buf, n);
}

static int parse_port(const char *p, size_t n, uint16_t *out)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "ADDR" or "ADDR/BITS" (n bytes) into a range entry; -1 if it is neither. */
static int parse_range(const char *p, size_t n, px_pat *out)
{
	const char *slash = memchr(p, '/', n);
	size_t an = slash ? (size_t)(slash - p) : n;
	sg_ip ip;
	if (an == 0 || sg_ip_parse(p, an, &ip) != SG_OK)
		return -1;
	unsigned max = ip.v6 ? 128 : 32, bits = max;
	if (slash) {
		size_t bn = n - an - 1;
		if (bn == 0 || bn > 3)
			return -1;
		bits = 0;
		for (size_t i = an + 1; i < n; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			bits = bits * 10 + (unsigned)(p[i] - '0');
		}
		if (bits > max)
			return -1;
	}
	out->kind = PX_PAT_RANGE;
	out->net = ip;
	out->bits = bits;
	return 0;
}

/* A name entry (n bytes, lower case): "*", "*.suffix" or a name. */
static int parse_name(const char *p, size_t n, px_pat *out)
{
	while (n > 1 && p[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof out->host || memchr(p, '/', n))
		return -1;
	if (n == 1 && p[0] == '*') {
		out->kind = PX_PAT_ANY;
		return 0;
	}
	int suffix = p[0] == '*';
	if ((suffix && (n < 3 || p[1] != '.')) || memchr(p + suffix, '*', n - (size_t)suffix))
		return -1;
	out->kind = suffix ? PX_PAT_SUFFIX : PX_PAT_NAME;
	memcpy(out->host, p + suffix, n - (size_t)suffix); /* SUFFIX keeps the dot */
	out->host[n - (size_t)suffix] = '\0';
	return 0;
}

/* One entry of an allow or deny list (roles.h): a name, "*.suffix", "*",
 * an address or range, each with an optional ":PORT" ("[V6]:PORT"). */
static sg_err add_dest(px_pats *s, const char *p, size_t n)
{
	px_pat pt;
	memset(&pt, 0, sizeof pt);
	if (n == 0 || n >= sizeof pt.text)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c >= 0x7f || c == '@' || c == '%')
			return SG_ERR_PARSE;
		pt.text[i] = (char)lower(c);
	}
	const char *t = pt.text, *colon = NULL, *slash = memchr(t, '/', n);
	size_t colons = 0, an = n;
	for (size_t i = 0; i < n; i++)
		if (t[i] == ':') {
			colons++;
			colon = t + i;
		}
	int bad;
	if (t[0] == '[') { /* "[V6]" or "[V6/BITS]", then ":PORT" or nothing */
		const char *rb = memchr(t, ']', n);
		size_t in = rb ? (size_t)(rb - t) - 1 : 0, rest = rb ? n - in - 2 : 0;
		bad = !rb || !memchr(t + 1, ':', in) || parse_range(t + 1, in, &pt) != 0 ||
		      (rest && (rb[1] != ':' || parse_port(rb + 2, rest - 1, &pt.port) != 0));
	} else if (slash || colons >= 2) { /* a range, or a bare IPv6 address (no port) */
		if (slash && colon > slash)
			an = (size_t)(colon - t);
		bad = parse_range(t, an, &pt) != 0 ||
		      (an < n && parse_port(t + an + 1, n - an - 1, &pt.port) != 0);
	} else { /* a name or an IPv4 address, maybe ":PORT" */
		if (colon)
			an = (size_t)(colon - t);
		bad = (colon && parse_port(colon + 1, n - an - 1, &pt.port) != 0) ||
		      (parse_range(t, an, &pt) != 0 && parse_name(t, an, &pt) != 0);
	}
	return bad ? SG_ERR_PARSE : pats_add(s, &pt);
}

static sg_err add_port(px_role *r, const char *p, size_t n)
{
	unsigned v = 0;
	if (n == 0 || n > 5)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SG_ERR_PARSE;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return SG_ERR_RANGE;
	if (r->nports >= PX_PORTS_MAX)
		return SG_ERR_RANGE;
	r->ports[r->nports++] = (uint16_t)v;
	return SG_OK;
}

static sg_err add_uid(px_role *r, const char *p, size_t n)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SG_ERR_PARSE;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > UINT32_MAX - 1 || r->nuids >= PX_PORTS_MAX)
		return SG_ERR_RANGE;
	r->uids[r->nuids++] = (uint32_t)v;
	return SG_OK;
}

/* "user" or "user:64-hex" */
static sg_err add_user(px_role *r, const char *p, size_t n)
{
	const char *c = memchr(p, ':', n);
	size_t un = c ? (size_t)(c - p) : n;
	if (un == 0 || un > 128)
		return SG_ERR_PARSE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return SG_ERR_PARSE;
	if (c) {
		if (n - un - 1 != 64)
			return SG_ERR_PARSE;
		for (size_t i = un + 1; i < n; i++)
			if (!strchr("0123456789abcdef", p[i]))
				return SG_ERR_PARSE;
	}
	return strs_add(&r->users, p, n);
}

typedef sg_err (*elem_fn)(void *ctx, const char *p, size_t n);

static sg_err pat_fn(void *ctx, const char *p, size_t n) { return add_pattern(ctx, p, n); }
static sg_err dest_fn(void *ctx, const char *p, size_t n) { return add_dest(ctx, p, n); }
static sg_err port_fn(void *ctx, const char *p, size_t n) { return add_port(ctx, p, n); }
static sg_err uid_fn(void *ctx, const char *p, size_t n) { return add_uid(ctx, p, n); }
static sg_err user_fn(void *ctx, const char *p, size_t n) { return add_user(ctx, p, n); }

/* Each comma-separated element of v, blanks trimmed. */
static sg_err each(const char *v, elem_fn fn, void *ctx)
{
	const char *p = v;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		sg_err rc = fn(ctx, p, m);
		if (rc != SG_OK)
			return rc;
		if (!e)
			return SG_OK;
		p = e + 1;
	}
}

static sg_err copy_text(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	if (n >= cap)
		return SG_ERR_RANGE;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return SG_ERR_PARSE;
	memcpy(dst, v, n + 1);
	return SG_OK;
}

static sg_err set_global(px_roles *rs, const char *k, const char *v, const char **what)
{
	if (!strcmp(k, "allow"))
		return each(v, dest_fn, &rs->allow);
	if (!strcmp(k, "deny"))
		return each(v, dest_fn, &rs->deny);
	if (!strcmp(k, "message"))
		return copy_text(rs->message, sizeof rs->message, v);
	if (!strcmp(k, "role_header")) {
		if (!name_ok(v, strlen(v)))
			return SG_ERR_PARSE;
		return copy_text(rs->role_header, sizeof rs->role_header, v);
	}
	*what = "unknown setting in [global] (allow, deny, message, role_header)";
	return SG_ERR_PARSE;
}

static sg_err set_role(px_role *r, const char *k, const char *v, const char **what)
{
	if (!strcmp(k, "mode")) {
		if (!strcmp(v, "open"))
			r->mode = PX_MODE_OPEN;
		else if (!strcmp(v, "report"))
			r->mode = PX_MODE_REPORT;
		else if (!strcmp(v, "enforce"))
			r->mode = PX_MODE_ENFORCE;
		else {
			*what = "mode: want open, report or enforce";
			return SG_ERR_PARSE;
		}
		return SG_OK;
	}
	if (!strcmp(k, "allow"))
		return each(v, dest_fn, &r->allow);
	if (!strcmp(k, "deny"))
		return each(v, dest_fn, &r->deny);
	if (!strcmp(k, "rule"))
		return *v ? strs_add(&r->rules, v, strlen(v)) : SG_ERR_PARSE;
	if (!strcmp(k, "ports"))
		return each(v, port_fn, r);
	if (!strcmp(k, "uids"))
		return each(v, uid_fn, r);
	if (!strcmp(k, "users"))
		return each(v, user_fn, r);
	if (!strcmp(k, "certs"))
		return each(v, pat_fn, &r->certs); /* a name: no '*' past the start, lower case */
	*what = "unknown role setting (mode, allow, deny, rule, ports, users, uids, certs)";
	return SG_ERR_PARSE;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* "[global]" or "[role NAME]" (blanks allowed inside the brackets):
 * 0 global, 1 role (name set), -1 bad. */
static int section(const char *p, const char **name, size_t *nlen)
{
	size_t n = strlen(p);
	if (n < 2 || p[0] != '[' || p[n - 1] != ']')
		return -1;
	const char *s = p + 1, *e = p + n - 1;
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	if (e - s == 6 && !memcmp(s, "global", 6))
		return 0;
	if (e - s < 5 || memcmp(s, "role", 4) || !is_space(s[4]))
		return -1;
	s += 5;
	while (s < e && is_space(*s))
		s++;
	*name = s;
	*nlen = (size_t)(e - s);
	return name_ok(*name, *nlen) ? 1 : -1;
}

/* The line's key and value, trimmed, or -1. */
static int key_value(char *p, char **k, char **v)
{
	char *eq = strchr(p, '=');
	if (!eq)
		return -1;
	char *ke = eq;
	while (ke > p && is_space(ke[-1]))
		ke--;
	*ke = '\0';
	char *val = eq + 1;
	while (is_space(*val))
		val++;
	char *ve = val + strlen(val);
	while (ve > val && is_space(ve[-1]))
		ve--;
	*ve = '\0';
	*k = p;
	*v = val;
	return **k ? 0 : -1;
}

sg_err px_roles_parse(px_roles *rs, const char *text, size_t len, char *err, size_t errlen)
{
	char line[PX_LINE_MAX + 1];
	size_t pos = 0;
	int lineno = 0, in_global = 0;
	px_role *cur = NULL;
	if (errlen)
		err[0] = '\0';
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *what = NULL;
		sg_err e = SG_OK;
		lineno++;
		if (n > PX_LINE_MAX) {
			snprintf(err, errlen, "line %d: longer than %d bytes", lineno, PX_LINE_MAX);
			return SG_ERR_RANGE;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "line %d: NUL byte", lineno);
			return SG_ERR_PARSE;
		}
		char *p = line, *k, *v;
		while (is_space(*p))
			p++;
		char *end = p + strlen(p);
		while (end > p && is_space(end[-1]))
			*--end = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		if (*p == '[') {
			const char *name = NULL;
			size_t nlen = 0;
			int kind = section(p, &name, &nlen);
			if (kind < 0) {
				snprintf(err, errlen, "line %d: want [global] or [role NAME] (NAME of"
				         " letters, digits, - _ .)", lineno);
				return SG_ERR_PARSE;
			}
			in_global = kind == 0;
			cur = NULL;
			if (kind == 1) {
				char nm[PX_ROLE_NAME_MAX];
				memcpy(nm, name, nlen);
				nm[nlen] = '\0';
				if (px_roles_find(rs, nm)) {
					snprintf(err, errlen, "line %d: role %s defined twice", lineno, nm);
					return SG_ERR_PARSE;
				}
				if (!(cur = add_role(rs, name, nlen))) {
					snprintf(err, errlen, "line %d: too many roles", lineno);
					return rs->n >= PX_ROLES_MAX ? SG_ERR_RANGE : SG_ERR_NOMEM;
				}
			}
			continue;
		}
		if (key_value(p, &k, &v) != 0) {
			snprintf(err, errlen, "line %d: expected name = value", lineno);
			return SG_ERR_PARSE;
		}
		if (in_global)
			e = set_global(rs, k, v, &what);
		else if (cur)
			e = set_role(cur, k, v, &what);
		else {
			snprintf(err, errlen, "line %d: a setting before [global] or [role NAME]", lineno);
			return SG_ERR_PARSE;
		}
		if (e != SG_OK) {
			if (!what)
				what = e == SG_ERR_RANGE ? "value out of range or list too long"
				     : e == SG_ERR_NOMEM ? "out of memory" : "malformed value";
			snprintf(err, errlen, "line %d: %.40s: %s", lineno, k, what);
			return e;
		}
	}
	return SG_OK;
}

const px_role *px_roles_find(const px_roles *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->r[i].name, name))
			return &rs->r[i];
	return NULL;
}

const px_role *px_roles_by_user(const px_roles *rs, const char *user, const char *pw,
                                int *bad_password)
{
	size_t un = strlen(user);
	*bad_password = 0;
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->r[i].users.n; k++) {
			const char *e = rs->r[i].users.v[k];
			size_t en = strlen(e);
			if (en < un || memcmp(e, user, un) || (e[un] != '\0' && e[un] != ':'))
				continue;
			if (e[un] == ':') {
				char hex[65];
				aws_sha256_hex(pw ? pw : "", pw ? strlen(pw) : 0, hex);
				if (CRYPTO_memcmp(hex, e + un + 1, 64) != 0) {
					*bad_password = 1;
					return NULL;
				}
			}
			return &rs->r[i];
		}
	return NULL;
}

const px_role *px_roles_by_uid(const px_roles *rs, uint32_t uid)
{
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->r[i].nuids; k++)
			if (rs->r[i].uids[k] == uid)
				return &rs->r[i];
	return NULL;
}

const px_role *px_roles_by_cert(const px_roles *rs, const char *const *names, size_t n)
{
	for (size_t i = 0; i < rs->n; i++)
		for (size_t k = 0; k < rs->r[i].certs.n; k++)
			for (size_t j = 0; j < n; j++)
				if (!strcasecmp(rs->r[i].certs.v[k], names[j]))
					return &rs->r[i];
	return NULL;
}

int px_pat_match(const px_pat *p, const char *host, unsigned port)
{
	size_t hn = strlen(host), sn = strlen(p->host);
	sg_ip ip;
	if (p->port && p->port != port)
		return 0;
	switch (p->kind) {
	case PX_PAT_ANY:
		return 1;
	case PX_PAT_NAME:
		return !strcmp(p->host, host);
	case PX_PAT_SUFFIX: /* host = ".suffix" */
		return hn > sn && !strcmp(host + hn - sn, p->host);
	case PX_PAT_RANGE:
		if (hn > 2 && host[0] == '[' && host[hn - 1] == ']') {
			host++;
			hn -= 2;
		}
		return sg_ip_parse(host, hn, &ip) == SG_OK && sg_ip_in(&ip, &p->net, p->bits);
	}
	return 0;
}

static const char *match_any(const px_pats *s, const char *host, unsigned port)
{
	for (size_t i = 0; i < s->n; i++)
		if (px_pat_match(&s->v[i], host, port))
			return s->v[i].text;
	return NULL;
}

int px_role_port_ok(const px_role *r, unsigned port)
{
	if (!r->nports)
		return port == 443 || port == 80;
	for (size_t i = 0; i < r->nports; i++)
		if (r->ports[i] == port)
			return 1;
	return 0;
}

px_acl px_roles_judge(const px_roles *rs, const px_role *r, const char *host, unsigned port,
                      char *why, size_t whylen)
{
	const char *m;
	if ((m = match_any(&rs->deny, host, port))) {
		snprintf(why, whylen, "global deny %s", m);
		return PX_ACL_DENY;
	}
	if ((m = match_any(&r->deny, host, port))) {
		snprintf(why, whylen, "role %s deny %s", r->name, m);
		return r->mode == PX_MODE_REPORT ? PX_ACL_REPORT : PX_ACL_DENY;
	}
	if ((m = match_any(&rs->allow, host, port))) {
		snprintf(why, whylen, "global allow %s", m);
		return PX_ACL_ALLOW;
	}
	if ((m = match_any(&r->allow, host, port))) {
		snprintf(why, whylen, "role %s allow %s", r->name, m);
		return PX_ACL_ALLOW;
	}
	snprintf(why, whylen, "role %s (%s): not on its allow list", r->name, px_mode_name(r->mode));
	return r->mode == PX_MODE_OPEN ? PX_ACL_ALLOW
	     : r->mode == PX_MODE_REPORT ? PX_ACL_REPORT : PX_ACL_DENY;
}
