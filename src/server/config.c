/* config.c — `ssrfguard serve` settings; see config.h. */
#include "server/config.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssrfguard/guard.h"

const srvcfg_key srvcfg_keys[] = {
	{"config", "FILE", "read settings from FILE first (name = value lines)"},
	{"listen", "ADDR:PORT", "listen address (default 127.0.0.1:5001; [::1]:5001 for IPv6)"},
	{"store", "PATH", "SQLite incident store (default ./ssrfguard.db)"},
	{"store_sync", "full|normal", "fsync every commit (full, default) or rely on WAL (normal)"},
	{"store_busy_ms", "MS", "wait for another process's store lock (default 5000); then the"
	                        " blocked request gets 503"},
	{"policy", "FILE", "guard policy file: allow/deny rules, one a line"},
	{"rule", "RULE", "one more policy rule, e.g. \"allow 203.0.113.0/24\" (repeatable)"},
	{"contain", "CATS", "categories whose attempts ask for containment (default metadata;"
	                    " comma list, \"all\" or \"none\"); the rest are blocked and logged"},
	{"max_body", "BYTES", "largest upstream body (default 8388608), else 502"},
	{"max_header_bytes", "BYTES", "largest upstream header block (default 65536), else 502"},
	{"total_timeout_ms", "MS", "whole fetch, every hop (default 10000), else 504"},
	{"connect_timeout_ms", "MS", "one connect (default 3000), else 504"},
	{"max_redirects", "N", "redirect hops followed, each judged (default 5), else 502"},
	{"max_concurrent", "N", "fetches in flight (default 256); more wait"},
	{"max_queue", "N", "fetches waiting (default 4096); beyond that 503"},
	{"client_timeout_s", "S", "client idle timeout and deadline for a whole request head"
	                           " (default 10)"},
	{"max_request_bytes", "BYTES", "client request line + headers (default 8192), else 400/413"},
	{"dns_cache_s", "S", "reuse judged DNS answers this long (default 60, at most 300;"
	                     " 0 = never)"},
	{"drain_s", "S", "on SIGTERM wait at most this long for in-flight fetches (default 15)"},
	{"ca_file", "PATH", "CA bundle for upstream TLS (default: the system's)"},
	{"log", "PATH|-", "JSON log lines to PATH (appended) or - for stderr (default -)"},
	{"instance_id", "ID", "this instance's id (default: ask IMDSv2)"},
	{"region", "REGION", "this instance's region (default: IMDSv2, else AWS_REGION)"},
	{"az", "AZ", "this instance's availability zone (default: IMDSv2)"},
	{"imds_endpoint", "URL", "IMDSv2 endpoint (default AWS_EC2_METADATA_SERVICE_ENDPOINT"
	                         " or http://169.254.169.254)"},
	{"imds", "on|off", "ask IMDSv2 for missing identity (default on unless"
	                   " AWS_EC2_METADATA_DISABLED=true)"},
	{"respond", "on|off", "run the embedded responder in this process (default off)"},
	{"lease_ms", "MS", "embedded responder's claim lease (default 60000)"},
	{"proxy_listen", "ADDR:PORT|unix:PATH", "also serve as an egress proxy (HTTP_PROXY /"
	                                        " HTTPS_PROXY) here (default: off)"},
	{"proxy_roles", "FILE", "the proxy's roles and their policies (docs/proxy.md; default:"
	                        " every client in role default, mode open)"},
	{"proxy_protocol", "on|off", "the proxy listener expects a PROXY protocol v1/v2 header"
	                             " (behind a load balancer; default off)"},
	{"proxy_idle_s", "S", "proxy connections and tunnels idle this long are closed"
	                      " (default 60)"},
	{"proxy_tunnel_s", "S", "longest life of a CONNECT tunnel (default 3600)"},
	{"proxy_tls_cert", "PATH", "the proxy listener speaks TLS with this certificate chain (PEM)"},
	{"proxy_tls_key", "PATH", "... and this private key (PEM)"},
	{"proxy_client_ca", "PATH", "require client certificates issued by these CAs (PEM); roles"
	                            " by certificate name"},
	{"proxy_client_crl", "PATH", "refuse client certificates revoked by these CRLs (PEM)"},
	{NULL, NULL, NULL},
};

static char *dup(const char *s)
{
	size_t n = strlen(s);
	char *p = malloc(n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

static sg_err set_str(char **slot, const char *v)
{
	char *p = dup(v);
	if (!p)
		return SG_ERR_NOMEM;
	free(*slot);
	*slot = p;
	return SG_OK;
}

sg_err srvcfg_init(srvcfg *c)
{
	memset(c, 0, sizeof *c);
	c->contain_mask = 1u << SG_CAT_METADATA;
	c->max_body = 8 << 20;
	c->max_header_bytes = 64 << 10;
	c->total_timeout_ms = 10000;
	c->connect_timeout_ms = 3000;
	c->max_redirects = 5;
	c->max_concurrent = 256;
	c->max_queue = 4096;
	c->client_timeout_s = 10;
	c->max_request_bytes = 8192;
	c->dns_cache_s = 60;
	c->drain_s = 15;
	c->lease_ms = 60000;
	c->store_busy_ms = 5000;
	c->proxy_idle_s = 60;
	c->proxy_tunnel_s = 3600;
	const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
	c->imds = !(dis && !strcasecmp(dis, "true"));
	const char *region = getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (set_str(&c->listen, "127.0.0.1:5001") || set_str(&c->store, "ssrfguard.db") ||
	    set_str(&c->policy, "") || set_str(&c->ca_file, "") || set_str(&c->log, "-") ||
	    set_str(&c->instance_id, "") || set_str(&c->region, region ? region : "") ||
	    set_str(&c->az, "") ||
	    set_str(&c->imds_endpoint, ep && *ep ? ep : "http://169.254.169.254") ||
	    set_str(&c->proxy_listen, "") || set_str(&c->proxy_roles, "") ||
	    set_str(&c->proxy_tls_cert, "") || set_str(&c->proxy_tls_key, "") ||
	    set_str(&c->proxy_client_ca, "") || set_str(&c->proxy_client_crl, "")) {
		srvcfg_free(c);
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

void srvcfg_free(srvcfg *c)
{
	if (!c)
		return;
	free(c->listen);
	free(c->store);
	free(c->policy);
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	free(c->ca_file);
	free(c->log);
	free(c->instance_id);
	free(c->region);
	free(c->az);
	free(c->imds_endpoint);
	free(c->proxy_listen);
	free(c->proxy_roles);
	free(c->proxy_tls_cert);
	free(c->proxy_tls_key);
	free(c->proxy_client_ca);
	free(c->proxy_client_crl);
	memset(c, 0, sizeof *c);
}

static sg_err num(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return SG_ERR_PARSE;
	if (x < lo || x > hi)
		return SG_ERR_RANGE;
	*out = x;
	return SG_OK;
}

static sg_err onoff(const char *v, int *out)
{
	if (!v || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*out = 1;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
		*out = 0;
	else
		return SG_ERR_PARSE;
	return SG_OK;
}

static sg_err categories(const char *v, unsigned *mask)
{
	unsigned m = 0;
	const char *p = v;
	if (!strcmp(v, "none")) {
		*mask = 0;
		return SG_OK;
	}
	if (!strcmp(v, "all")) {
		*mask = ~0u & ~(1u << SG_CAT_PUBLIC) & ~(1u << SG_CAT_ALLOWED);
		return SG_OK;
	}
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int found = 0;
		for (int i = 0; i < SG_CAT__COUNT; i++) {
			const char *name = sg_category_name((sg_category)i);
			if (strlen(name) == n && !memcmp(name, p, n)) {
				m |= 1u << i;
				found = 1;
			}
		}
		if (!found)
			return SG_ERR_PARSE;
		p += n + (e ? 1 : 0);
	}
	*mask = m;
	return SG_OK;
}

struct numkey {
	const char *name;
	size_t off;
	int64_t lo, hi;
};

#define NK(f, lo, hi) {#f, offsetof(srvcfg, f), lo, hi}
static const struct numkey numkeys[] = {
	NK(max_body, 0, (int64_t)1 << 32),
	NK(max_header_bytes, 1024, 1 << 24),
	NK(total_timeout_ms, 1, 3600 * 1000),
	NK(connect_timeout_ms, 1, 3600 * 1000),
	NK(max_redirects, 0, 50),
	NK(max_concurrent, 1, 100000),
	NK(max_queue, 0, 1000000),
	NK(client_timeout_s, 1, 3600),
	NK(max_request_bytes, 256, 1 << 20),
	NK(dns_cache_s, 0, 86400),
	NK(drain_s, 0, 3600),
	NK(lease_ms, 1000, 86400 * 1000),
	NK(store_busy_ms, 1, 600000),
	NK(proxy_idle_s, 1, 86400),
	NK(proxy_tunnel_s, 1, 7 * 86400),
};

struct strkey {
	const char *name;
	size_t off;
};
#define SK(f) {#f, offsetof(srvcfg, f)}
static const struct strkey strkeys[] = {
	SK(listen), SK(store), SK(policy), SK(ca_file), SK(log), SK(instance_id),
	SK(region), SK(az), SK(imds_endpoint), SK(proxy_listen), SK(proxy_roles),
	SK(proxy_tls_cert), SK(proxy_tls_key), SK(proxy_client_ca), SK(proxy_client_crl),
};

sg_err srvcfg_set(srvcfg *c, const char *key, const char *v, char *err, size_t errlen)
{
	sg_err e = SG_ERR_PARSE;
	char k[64];
	size_t kn = strlen(key);

	if (kn == 0 || kn >= sizeof k) {
		snprintf(err, errlen, "unknown setting");
		return SG_ERR_PARSE;
	}
	for (size_t i = 0; i <= kn; i++)
		k[i] = key[i] == '-' ? '_' : key[i];

	int is_switch = !strcmp(k, "imds") || !strcmp(k, "respond") || !strcmp(k, "proxy_protocol");
	if (!v && !is_switch) {
		snprintf(err, errlen, "%s needs a value", k);
		return SG_ERR_PARSE;
	}
	for (size_t i = 0; i < sizeof numkeys / sizeof numkeys[0]; i++)
		if (!strcmp(k, numkeys[i].name)) {
			e = num(v, numkeys[i].lo, numkeys[i].hi,
			        (int64_t *)(void *)((char *)c + numkeys[i].off));
			if (e != SG_OK)
				snprintf(err, errlen, "%s: '%.64s' is not a number in %lld..%lld", k, v,
				         (long long)numkeys[i].lo, (long long)numkeys[i].hi);
			return e;
		}
	for (size_t i = 0; i < sizeof strkeys / sizeof strkeys[0]; i++)
		if (!strcmp(k, strkeys[i].name)) {
			if (!strcmp(k, "listen") || !strcmp(k, "store")) {
				if (!*v) {
					snprintf(err, errlen, "%s must not be empty", k);
					return SG_ERR_PARSE;
				}
			}
			return set_str((char **)(void *)((char *)c + strkeys[i].off), v);
		}
	if (!strcmp(k, "store_sync")) {
		if (!strcmp(v, "full") || !strcmp(v, "normal")) {
			c->store_sync_normal = !strcmp(v, "normal");
			return SG_OK;
		}
		snprintf(err, errlen, "store_sync: want full or normal");
		return SG_ERR_PARSE;
	}
	if (!strcmp(k, "imds") || !strcmp(k, "respond") || !strcmp(k, "proxy_protocol")) {
		int *slot = !strcmp(k, "imds") ? &c->imds : !strcmp(k, "respond") ? &c->respond
		                                                                   : &c->proxy_protocol;
		if ((e = onoff(v, slot)) != SG_OK)
			snprintf(err, errlen, "%s: want on or off", k);
		return e;
	}
	if (!strcmp(k, "contain")) {
		if ((e = categories(v, &c->contain_mask)) != SG_OK)
			snprintf(err, errlen, "contain: unknown category in '%.64s'", v);
		return e;
	}
	if (!strcmp(k, "rule")) {
		if (c->nrules >= SRVCFG_RULES_MAX) {
			snprintf(err, errlen, "too many rules");
			return SG_ERR_RANGE;
		}
		char **r = realloc(c->rules, (c->nrules + 1) * sizeof *r);
		if (!r)
			return SG_ERR_NOMEM;
		c->rules = r;
		if (!(r[c->nrules] = dup(v)))
			return SG_ERR_NOMEM;
		c->nrules++;
		return SG_OK;
	}
	snprintf(err, errlen, "unknown setting '%.64s'", key);
	return SG_ERR_PARSE;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

sg_err srvcfg_parse(srvcfg *c, const char *text, size_t len, const char *name,
                    char *err, size_t errlen)
{
	char line[SRVCFG_LINE_MAX + 1], msg[256];
	size_t pos = 0;
	int lineno = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n > SRVCFG_LINE_MAX) {
			snprintf(err, errlen, "%s:%d: line longer than %d bytes", name, lineno,
			         SRVCFG_LINE_MAX);
			return SG_ERR_RANGE;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			snprintf(err, errlen, "%s:%d: NUL byte", name, lineno);
			return SG_ERR_PARSE;
		}
		char *p = line;
		while (is_space(*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		char *eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected name = value", name, lineno);
			return SG_ERR_PARSE;
		}
		char *ke = eq;
		while (ke > p && is_space(ke[-1]))
			ke--;
		*ke = '\0';
		char *v = eq + 1;
		while (is_space(*v))
			v++;
		char *ve = v + strlen(v);
		while (ve > v && is_space(ve[-1]))
			ve--;
		*ve = '\0';
		if (!strcmp(p, "config")) {
			snprintf(err, errlen, "%s:%d: config cannot be nested", name, lineno);
			return SG_ERR_PARSE;
		}
		sg_err e = srvcfg_set(c, p, v, msg, sizeof msg);
		if (e != SG_OK) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, msg);
			return e;
		}
	}
	return SG_OK;
}

sg_err srvcfg_load(srvcfg *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	sg_err e = SG_ERR_IO;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	buf = malloc(1 << 20);
	if (!buf) {
		e = SG_ERR_NOMEM;
		goto fail;
	}
	n = fread(buf, 1, 1 << 20, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (n == 1 << 20) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		e = SG_ERR_RANGE;
		goto fail;
	}
	e = srvcfg_parse(c, buf, n, path, err, errlen);
fail:
	free(buf);
	fclose(f);
	return e;
}

sg_err srvcfg_args(srvcfg *c, int argc, char **argv, int *help, char *err, size_t errlen)
{
	char msg[512];
	sg_err e;
	*help = 0;
	/* --config first, so flags override the file wherever they appear. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			*help = 1;
			return SG_OK;
		}
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--config needs a FILE");
				return SG_ERR_PARSE;
			}
			if ((e = srvcfg_load(c, argv[i + 1], err, errlen)) != SG_OK)
				return e;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) || !a[2]) {
			snprintf(err, errlen, "unexpected argument '%.64s'", a);
			return SG_ERR_PARSE;
		}
		a += 2;
		const char *v = NULL;
		char key[64];
		const char *eq = strchr(a, '=');
		size_t kn = eq ? (size_t)(eq - a) : strlen(a);
		if (kn >= sizeof key) {
			snprintf(err, errlen, "unknown option '%.64s'", argv[i]);
			return SG_ERR_PARSE;
		}
		memcpy(key, a, kn);
		key[kn] = '\0';
		for (size_t j = 0; j < kn; j++)
			if (key[j] == '-')
				key[j] = '_';
		int is_switch = !strcmp(key, "imds") || !strcmp(key, "respond") ||
		                !strcmp(key, "proxy_protocol");
		if (!strcmp(key, "no_imds") || !strcmp(key, "no_respond") ||
		    !strcmp(key, "no_proxy_protocol")) {
			if ((e = srvcfg_set(c, key + 3, "off", msg, sizeof msg)) != SG_OK)
				goto bad;
			continue;
		}
		if (eq)
			v = eq + 1;
		else if (!is_switch) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "--%s needs a value", key);
				return SG_ERR_PARSE;
			}
			v = argv[++i];
		}
		if (!strcmp(key, "config"))
			continue; /* already read */
		if ((e = srvcfg_set(c, key, v, msg, sizeof msg)) != SG_OK)
			goto bad;
	}
	return SG_OK;
bad:
	snprintf(err, errlen, "%s", msg);
	return e;
}

void srvcfg_usage(FILE *to)
{
	for (const srvcfg_key *k = srvcfg_keys; k->name; k++) {
		char flag[64];
		int n = snprintf(flag, sizeof flag, "--%s", k->name);
		for (int i = 2; i < n; i++)
			if (flag[i] == '_')
				flag[i] = '-';
		fprintf(to, "  %s %s\n      %s\n", flag, k->arg ? k->arg : "", k->help);
	}
}
