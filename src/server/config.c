/* config.c — `ssrfguard serve` settings; see config.h. */
#include "server/config.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt/cmdline.h"
#include "ssrfguard/guard.h"

static sg_err set_contain(void *dst, const opt_def *d, const opt_value *v, char *err,
                          size_t errlen);
static sg_err add_rule(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen);

#define AT(f) .off = offsetof(srvcfg, f)
#define LIM(f) AT(lim.f) /* a limit: a reload takes it (srvcfg_limits) */
const opt_def srvcfg_opts[] = {
	{.type = OPT_STR, .name = "listen", .arg = "ADDR:PORT", .dflt = "127.0.0.1:5001", AT(listen),
	 .flags = OPT_NONEMPTY, .help = "listen address ([::1]:5001 for IPv6)"},
	{.type = OPT_STR, .name = "store", .arg = "PATH", AT(store), .flags = OPT_NONEMPTY,
	 .help = "SQLite incident store (default: $SSRFGUARD_STORE, else " CMDLINE_STORE_PATH ")"},
	{.type = OPT_INCLUDE, .include = cmdline_store_opts, AT(where)},
	{.type = OPT_INCLUDE, .include = cmdline_aws_access_opts, AT(aws)},
	{.type = OPT_CHOICE, .name = "store-sync", .arg = "full|normal", .dflt = "full",
	 AT(store_sync_normal), .help = "fsync every commit (full) or rely on WAL (normal)"},
	{.type = OPT_INT, .name = "store-busy-ms", .arg = "MS", .dflt = "5000", .lo = 1, .hi = 600000,
	 AT(store_busy_ms),
	 .help = "wait this long for another process's store lock, then the write fails (serve "
	         "answers the blocked request 503)"},
	{.type = OPT_INT, .name = "store-max-bytes", .arg = "BYTES", .dflt = "1073741824", .lo = 0,
	 .hi = INT64_C(1) << 50, AT(store_max_bytes),
	 .help = "store size past which attempts are counted in their incident, not stored in "
	         "detail (0 = no cap); serve's /healthz and metrics say when it is near"},
	{.type = OPT_INT, .name = "store-detail-max", .arg = "N", .dflt = "100", .lo = 0,
	 .hi = INT64_C(1) << 40, AT(store_detail_max),
	 .help = "attempts stored in detail per incident; later ones are counted (0 = all)"},
	{.type = OPT_SWITCH, .name = "check-config", AT(check_config), .flags = OPT_ARGV_ONLY,
	 .help = "serve: check the settings and the files they name (policy, proxy roles, proxy "
	         "TLS files, the embedded responder's), print the effective [serve] settings and "
	         "exit: 0 valid, 2 not"},
	{.type = OPT_SECTION, .help = "Guard policy"},
	{.type = OPT_STR, .name = "policy", .arg = "FILE", .dflt = "", AT(policy),
	 .help = "guard policy file: allow/deny rules, one a line; read again (with `rule`) on "
	         "SIGHUP and when it or a --config file changes"},
	{.type = OPT_LIST, .name = "rule", .arg = "RULE", .set = add_rule,
	 .help = "one more policy rule, e.g. \"allow 203.0.113.0/24\" (repeatable)"},
	{.type = OPT_STR, .name = "contain", .arg = "CATS", .dflt = "metadata", .set = set_contain,
	 .help = "categories whose attempts ask for containment (comma list, \"all\" or \"none\"); "
	         "the rest are blocked and logged; read again with the policy"},
	{.type = OPT_SECTION, .help = "Limits and timeouts (read again on SIGHUP, as the proxy's)"},
	{.type = OPT_INT, .name = "max-body", .arg = "BYTES", .dflt = "8388608", .lo = 0,
	 .hi = INT64_C(1) << 32, LIM(max_body), .help = "largest upstream body, else 502"},
	{.type = OPT_INT, .name = "max-header-bytes", .arg = "BYTES", .dflt = "65536", .lo = 1024,
	 .hi = 1 << 24, LIM(max_header_bytes), .help = "largest upstream header block, else 502"},
	{.type = OPT_INT, .name = "total-timeout-ms", .arg = "MS", .dflt = "10000", .lo = 1,
	 .hi = 3600 * 1000, LIM(total_timeout_ms), .help = "whole fetch, every hop, else 504"},
	{.type = OPT_INT, .name = "connect-timeout-ms", .arg = "MS", .dflt = "3000", .lo = 1,
	 .hi = 3600 * 1000, LIM(connect_timeout_ms), .help = "one connect, else 504"},
	{.type = OPT_INT, .name = "max-redirects", .arg = "N", .dflt = "5", .lo = 0, .hi = 50,
	 LIM(max_redirects), .help = "redirect hops followed, each judged, else 502"},
	{.type = OPT_INT, .name = "workers", .arg = "N", .dflt = "0", .lo = 0, .hi = 64,
	 AT(workers), .help = "event loops, one a thread, sharing the listen address (SO_REUSEPORT) "
	                      "and the store (0: one per CPU); the limits are shared out"},
	{.type = OPT_SWITCH, .name = "pin-loops", .dflt = "on", AT(pin_loops),
	 .help = "with one loop per CPU (workers 0, or as many as the CPUs allowed), keep each "
	         "loop on its own CPU"},
	{.type = OPT_INT, .name = "max-concurrent", .arg = "N", .dflt = "256", .lo = 1, .hi = 100000,
	 LIM(max_concurrent), .help = "fetches in flight; more wait"},
	{.type = OPT_INT, .name = "max-queue", .arg = "N", .dflt = "4096", .lo = 0, .hi = 1000000,
	 LIM(max_queue), .help = "fetches waiting; beyond that 503"},
	{.type = OPT_INT, .name = "client-timeout-s", .arg = "S", .dflt = "10", .lo = 1, .hi = 3600,
	 LIM(client_timeout_s), .help = "client idle timeout and deadline for a whole request head"},
	{.type = OPT_INT, .name = "max-request-bytes", .arg = "BYTES", .dflt = "8192", .lo = 256,
	 .hi = 1 << 20, LIM(max_request_bytes),
	 .help = "client request line + headers, else 400/413"},
	{.type = OPT_INT, .name = "max-connections", .arg = "N", .dflt = "0", .lo = 0,
	 .hi = 10000000, LIM(max_connections),
	 .help = "client connections held open (0: the descriptor limit less what fetches need); "
	         "at the limit the oldest idle one is closed"},
	{.type = OPT_INT, .name = "max-reply-bytes", .arg = "BYTES", .dflt = "268435456",
	 .lo = 1 << 20, .hi = INT64_C(1) << 40, LIM(max_reply_bytes),
	 .help = "upstream bodies and answers not yet written to clients, the proxy's too, all "
	         "together; past it /go answers 503; the proxy shares it between its clients (a "
	         "client that does not read holds its share, at least 16 KiB, at most 256 KiB)"},
	{.type = OPT_INT, .name = "dns-cache-s", .arg = "S", .dflt = "60", .lo = 0, .hi = 86400,
	 LIM(dns_cache_s),
	 .help = "reuse judged DNS answers this long (at most 300 used; 0 = never)"},
	{.type = OPT_INT, .name = "drain-s", .arg = "S", .dflt = "15", .lo = 0, .hi = 3600,
	 LIM(drain_s), .help = "on SIGTERM wait at most this long for in-flight fetches"},
	{.type = OPT_STR, .name = "ca-file", .arg = "FILE", .dflt = "", AT(ca_file),
	 .help = "CA bundle for upstream TLS (default: the system's)"},
	{.type = OPT_SECTION, .help = "Logging and identity"},
	{.type = OPT_STR, .name = "log", .arg = "PATH|-", .dflt = "-", AT(log),
	 .help = "JSON log lines to PATH (appended) or - for stderr"},
	{.type = OPT_INT, .name = "log-max-bytes", .arg = "BYTES", .dflt = "104857600", .lo = 0,
	 .hi = INT64_C(1) << 50, AT(log_max_bytes),
	 .help = "rotate the log file to PATH.1 past this size (0 = never)"},
	{.type = OPT_STR, .name = "instance-id", .arg = "i-ID", .dflt = "", AT(instance_id),
	 .help = "this instance's id (default: ask IMDSv2)"},
	{.type = OPT_STR, .name = "region", .arg = "REGION", AT(region),
	 .help = "this instance's region, also the --state-table's (default: IMDSv2, else "
	         "AWS_REGION or AWS_DEFAULT_REGION)"},
	{.type = OPT_STR, .name = "az", .arg = "AZ", .dflt = "", AT(az),
	 .help = "this instance's availability zone (default: IMDSv2)"},
	{.type = OPT_STR, .name = "imds-endpoint", .arg = "URL", AT(imds_endpoint),
	 .help = "IMDSv2 endpoint (default: AWS_EC2_METADATA_SERVICE_ENDPOINT, else "
	         "http://169.254.169.254)"},
	{.type = OPT_SWITCH, .name = "imds", AT(imds),
	 .help = "ask IMDSv2 for missing identity (default: on unless AWS_EC2_METADATA_DISABLED=true)"},
	{.type = OPT_SECTION, .help = "Embedded responder"},
	{.type = OPT_SWITCH, .name = "respond", .dflt = "off", AT(respond),
	 .help = "run the responder in this process; it reads the [respond] section of the same "
	         "--config files"},
	{.type = OPT_INT, .name = "lease-ms", .arg = "MS", .dflt = "60000", .lo = 1000,
	 .hi = 86400 * 1000, AT(lease_ms), .help = "embedded responder's claim lease"},
	{.type = OPT_STR, .name = "deliver-to", .arg = "URL", .dflt = "", AT(deliver_to),
	 .help = "the detector side, instead of --respond: send each incident to a remote responder "
	         "(https://HOST:PORT/v1/incidents, signed) or an SQS queue URL, retried until "
	         "acknowledged and kept in the store until then; detector, key-file, ca-bundle, region "
	         "and endpoint-url come from the [respond] section (docs/fleet.md)"},
	BSCFG_ROWS(offsetof(srvcfg, backstop)),
	{.type = OPT_SECTION, .help = "Egress proxy (docs/proxy.md)"},
	{.type = OPT_STR, .name = "proxy-listen", .arg = "ADDR:PORT|unix:PATH", .dflt = "",
	 AT(proxy_listen), .help = "also serve as an egress proxy (HTTP_PROXY / HTTPS_PROXY) here: "
	                           "absolute-form HTTP and CONNECT, every destination judged "
	                           "(default: off)"},
	{.type = OPT_STR, .name = "proxy-roles", .arg = "FILE", .dflt = "", AT(proxy_roles),
	 .help = "the proxy's roles and their policies, read again on SIGHUP and when the file "
	         "changes (default: every client in role default, mode open)"},
	{.type = OPT_SWITCH, .name = "proxy-protocol", .dflt = "off", AT(proxy_protocol),
	 .help = "the proxy listener expects a PROXY protocol v1/v2 header (behind a load "
	         "balancer)"},
	{.type = OPT_INT, .name = "proxy-idle-s", .arg = "S", .dflt = "60", .lo = 1, .hi = 86400,
	 LIM(proxy_idle_s), .help = "proxy connections, kept upstreams and tunnels idle this long "
	                           "are closed"},
	{.type = OPT_INT, .name = "proxy-stall-s", .arg = "S", .dflt = "15", .lo = 1, .hi = 86400,
	 LIM(proxy_stall_s), .help = "a proxy client that takes none of the bytes held for it this "
	                            "long while the reply budget (max-reply-bytes) is short is "
	                            "closed"},
	{.type = OPT_INT, .name = "proxy-tunnel-s", .arg = "S", .dflt = "3600", .lo = 1,
	 .hi = 7 * 86400, LIM(proxy_tunnel_s), .help = "longest life of a CONNECT tunnel"},
	{.type = OPT_INT, .name = "proxy-drain-s", .arg = "S", .dflt = "25", .lo = 0, .hi = 86400,
	 LIM(proxy_drain_s), .help = "on SIGTERM, open tunnels and proxied requests get this long "
	                            "to finish; then they are cut (and counted in the log)"},
	{.type = OPT_STR, .name = "proxy-tls-cert", .arg = "FILE", .dflt = "", AT(proxy_tls_cert),
	 .help = "the proxy listener speaks TLS with this certificate chain (PEM)"},
	{.type = OPT_STR, .name = "proxy-tls-key", .arg = "FILE", .dflt = "", AT(proxy_tls_key),
	 .help = "... and this private key (PEM)"},
	{.type = OPT_STR, .name = "proxy-client-ca", .arg = "FILE", .dflt = "", AT(proxy_client_ca),
	 .help = "require proxy client certificates issued by these CAs (PEM); roles by "
	         "certificate name"},
	{.type = OPT_STR, .name = "proxy-client-crl", .arg = "FILE", .dflt = "",
	 AT(proxy_client_crl), .help = "refuse proxy client certificates revoked by these CRLs (PEM); "
	                               "the files are read again on SIGHUP and when they change"},
	{.type = OPT_END},
};
#undef LIM
#undef AT

static const opt_command serve_file = {.name = "serve", .opts = srvcfg_opts};

sg_err srvcfg_init(srvcfg *c)
{
	char err[256];
	memset(c, 0, sizeof *c);
	if (opt_defaults(srvcfg_opts, c, err, sizeof err) != SG_OK)
		goto nomem; /* the table's defaults are valid: only memory can fail */
	const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
	c->imds = !(dis && !strcasecmp(dis, "true"));
	const char *region = getenv("AWS_REGION");
	if (!region || !*region)
		region = getenv("AWS_DEFAULT_REGION");
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (opt_set_str(&c->store, cmdline_default_store()) ||
	    opt_set_str(&c->region, region ? region : "") ||
	    opt_set_str(&c->imds_endpoint, ep && *ep ? ep : "http://169.254.169.254"))
		goto nomem;
	return SG_OK;
nomem:
	srvcfg_free(c);
	return SG_ERR_NOMEM;
}

void srvcfg_free(srvcfg *c)
{
	if (!c)
		return;
	opt_free(srvcfg_opts, c);
	for (size_t i = 0; i < c->nrules; i++)
		free(c->rules[i]);
	free(c->rules);
	for (size_t i = 0; i < c->configs.n; i++)
		free(c->configs.v[i]);
	free(c->configs.v);
	memset(c, 0, sizeof *c);
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

static sg_err set_contain(void *dst, const opt_def *d, const opt_value *v, char *err,
                          size_t errlen)
{
	srvcfg *c = dst;
	(void)d;
	if (categories(v->text, &c->contain_mask) != SG_OK) {
		snprintf(err, errlen, "contain: unknown category in '%.64s'", v->text);
		return SG_ERR_PARSE;
	}
	return SG_OK;
}

static sg_err add_rule(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen)
{
	srvcfg *c = dst;
	(void)d;
	if (c->nrules >= SRVCFG_RULES_MAX) {
		snprintf(err, errlen, "rule: more than %d rules", SRVCFG_RULES_MAX);
		return SG_ERR_RANGE;
	}
	char **r = realloc(c->rules, (c->nrules + 1) * sizeof *r);
	if (!r)
		return SG_ERR_NOMEM;
	c->rules = r;
	r[c->nrules] = NULL;
	if (opt_set_str(&r[c->nrules], v->text) != SG_OK)
		return SG_ERR_NOMEM;
	c->nrules++;
	return SG_OK;
}

sg_err srvcfg_parse(srvcfg *c, const char *text, size_t len, const char *name, char *err,
                    size_t errlen)
{
	return opt_parse_text(&serve_file, c, text, len, name, err, errlen);
}

/* A value in double quotes, as the config file reads it back. */
static void print_quoted(const char *name, const char *v, FILE *to)
{
	fprintf(to, "%s = \"", name);
	for (; v && *v; v++)
		fprintf(to, "%s%c", *v == '"' || *v == '\\' ? "\\" : "", *v);
	fprintf(to, "\"\n");
}

static void print_contain(unsigned mask, FILE *to)
{
	int n = 0;
	fprintf(to, "contain = ");
	for (int i = 0; i < SG_CAT__COUNT; i++)
		if (mask & (1u << i))
			fprintf(to, "%s%s", n++ ? "," : "", sg_category_name((sg_category)i));
	fprintf(to, "%s\n", n ? "" : "none");
}

static sg_err copy_rules(const srvcfg *c, srvcfg *to)
{
	char err[64];
	to->contain_mask = c->contain_mask; /* reloaded with the rules too */
	to->lim = c->lim;
	if (opt_set_str(&to->policy, c->policy) != SG_OK)
		return SG_ERR_NOMEM;
	for (size_t i = 0; i < c->nrules; i++) {
		opt_value v = {.text = c->rules[i]};
		if (add_rule(to, NULL, &v, err, sizeof err) != SG_OK)
			return SG_ERR_NOMEM;
	}
	return SG_OK;
}

sg_err srvcfg_reread(const srvcfg *c, srvcfg *fresh, char *err, size_t errlen)
{
	sg_err e = srvcfg_init(fresh);
	if (e != SG_OK) {
		snprintf(err, errlen, "out of memory");
		return e;
	}
	if (!c->cmd)
		e = copy_rules(c, fresh);
	else if (cmdline_parse(c->cmd, fresh, c->argc, c->argv, NULL, NULL, err, errlen) !=
	         CMDLINE_OK)
		return SG_ERR_PARSE;
	if (e != SG_OK)
		snprintf(err, errlen, "out of memory");
	return e;
}

sg_err srvcfg_policy(const srvcfg *c, sg_policy **out, char *err, size_t errlen)
{
	char msg[256];
	sg_policy *p = NULL;
	char *buf = NULL;
	sg_err e = sg_policy_new(&p);
	*out = NULL;
	if (e != SG_OK) {
		snprintf(err, errlen, "policy: %s", sg_strerror(e));
		return e;
	}
	if (c->policy[0]) {
		FILE *f = fopen(c->policy, "rb");
		if (!f) {
			snprintf(err, errlen, "policy %s: %s", c->policy, strerror(errno));
			e = SG_ERR_IO;
			goto fail;
		}
		buf = malloc(1 << 20);
		size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
		if (!buf) {
			e = SG_ERR_NOMEM;
			goto fail;
		}
		if (n == 1 << 20) {
			snprintf(err, errlen, "policy %s: larger than 1 MiB", c->policy);
			e = SG_ERR_RANGE;
			goto fail;
		}
		if ((e = sg_policy_parse(p, buf, n, msg, sizeof msg)) != SG_OK) {
			snprintf(err, errlen, "policy %s: %s", c->policy, msg);
			goto fail;
		}
	}
	for (size_t i = 0; i < c->nrules; i++) {
		const char *r = c->rules[i];
		if ((e = sg_policy_add(p, r, strlen(r), msg, sizeof msg)) != SG_OK) {
			snprintf(err, errlen, "rule '%.100s': %s", r, msg);
			goto fail;
		}
	}
	free(buf);
	*out = p;
	return SG_OK;
fail:
	free(buf);
	sg_policy_free(p);
	return e;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool same_list(const opt_list *a, const opt_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_str(a->v[i], b->v[i]))
			return false;
	return true;
}

/* Whether row d (at offset base) holds the same value in a and b. */
static bool same_setting(const opt_def *d, size_t base, const srvcfg *a, const srvcfg *b)
{
	const void *x = (const char *)a + base + d->off, *y = (const char *)b + base + d->off;
	if (d->set == set_contain)
		return a->contain_mask == b->contain_mask;
	switch (d->type) {
	case OPT_SWITCH:
		return *(const bool *)x == *(const bool *)y;
	case OPT_INT:
		return *(const int64_t *)x == *(const int64_t *)y;
	case OPT_CHOICE:
		return *(const int *)x == *(const int *)y;
	case OPT_STR:
		return same_str(*(char *const *)x, *(char *const *)y);
	case OPT_LIST:
		return same_list(x, y);
	default:
		return true;
	}
}

/* Whether row d (at offset base) is one of the limits (srvcfg_limits). */
static bool is_limit(const opt_def *d, size_t base)
{
	size_t at = base + d->off, lim = offsetof(srvcfg, lim);
	return d->type == OPT_INT && at >= lim && at < lim + sizeof(srvcfg_limits);
}

/* name appended to the comma list out (*n bytes so far); 0 when there is no
 * room left, and the list then ends in "...". */
static int add_name(char *out, size_t cap, size_t *n, const char *name)
{
	size_t need = strlen(name) + (*n ? 1 : 0);
	if (*n + need + 4 > cap) { /* room for "..." and the NUL */
		if (*n + 4 <= cap)
			snprintf(out + *n, cap - *n, "...");
		return 0;
	}
	snprintf(out + *n, cap - *n, "%s%s", *n ? "," : "", name);
	*n += need;
	return 1;
}

/* Whether row d (at offset base) is a setting only a restart takes. */
static bool needs_restart(const opt_def *d, size_t base)
{
	return d->type >= OPT_SWITCH && !(d->flags & OPT_ARGV_ONLY) && d->set != add_rule &&
	       d->set != set_contain && strcmp(d->name, "policy") && !is_limit(d, base);
}

/* The rows pick chooses whose values differ between a and b: their names,
 * comma-separated, into out. */
static void name_differing(const srvcfg *a, const srvcfg *b,
                           bool (*pick)(const opt_def *, size_t), char *out, size_t cap)
{
	opt_iter it;
	size_t base, n = 0;
	if (cap)
		out[0] = '\0';
	opt_iter_init(&it, srvcfg_opts);
	for (const opt_def *d; (d = opt_iter_next(&it, &base));)
		if (pick(d, base) && !same_setting(d, base, a, b) && !add_name(out, cap, &n, d->name))
			return;
}

void srvcfg_restart_needed(const srvcfg *c, const srvcfg *fresh, char *out, size_t cap)
{
	name_differing(c, fresh, needs_restart, out, cap);
}

void srvcfg_limits_changed(const srvcfg_limits *a, const srvcfg_limits *b, char *out,
                           size_t cap)
{
	srvcfg x = {.lim = *a}, y = {.lim = *b}; /* the limit rows read only lim */
	name_differing(&x, &y, is_limit, out, cap);
}

/* The index-th word of a choice row's "a|b|c". */
static void print_choice(const opt_def *d, int index, FILE *to)
{
	const char *w = d->arg;
	for (int i = 0; i < index && w; i++)
		w = strchr(w, '|') ? strchr(w, '|') + 1 : NULL;
	size_t n = w ? strcspn(w, "|") : 0;
	fprintf(to, "%s = %.*s\n", d->name, (int)n, w ? w : "");
}

void srvcfg_print(const srvcfg *c, FILE *to)
{
	fprintf(to, "[serve]\n");
	opt_iter it;
	size_t base;
	opt_iter_init(&it, srvcfg_opts);
	for (const opt_def *d; (d = opt_iter_next(&it, &base));) {
		if (d->type < OPT_SWITCH || (d->flags & OPT_ARGV_ONLY))
			continue;
		const void *f = (const char *)c + base + d->off;
		if (d->set == add_rule)
			for (size_t i = 0; i < c->nrules; i++)
				print_quoted(d->name, c->rules[i], to);
		else if (d->set == set_contain)
			print_contain(c->contain_mask, to);
		else if (d->type == OPT_SWITCH)
			fprintf(to, "%s = %s\n", d->name, *(const bool *)f ? "on" : "off");
		else if (d->type == OPT_INT)
			fprintf(to, "%s = %lld\n", d->name, (long long)*(const int64_t *)f);
		else if (d->type == OPT_CHOICE)
			print_choice(d, *(const int *)f, to);
		else if (d->type == OPT_LIST)
			for (size_t i = 0; i < ((const opt_list *)f)->n; i++)
				print_quoted(d->name, ((const opt_list *)f)->v[i], to);
		else if (*(char *const *)f) /* unset (NULL): nothing to say */
			print_quoted(d->name, *(char *const *)f, to);
	}
}

store_opts srvcfg_store_opts(const srvcfg *c)
{
	store_opts so = {.sync = c->store_sync_normal ? STORE_SYNC_NORMAL : STORE_SYNC_FULL,
	                 .busy_ms = (int)c->store_busy_ms,
	                 .detail_max = c->store_detail_max,
	                 .max_bytes = c->store_max_bytes,
	                 .state_table = c->where.state_table,
	                 .region = c->region && *c->region ? c->region : NULL,
	                 .profile = c->aws.profile,
	                 .endpoint_url = c->aws.endpoint_url,
	                 .ca_bundle = c->aws.ca_bundle};
	return so;
}
