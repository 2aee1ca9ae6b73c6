/* spec.c — the backstop's rules spec from the service config: user names
 * to uids, addresses parsed, resolvers from /etc/resolv.conf, the policy. */
#include "backstop/backstop.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"

#define SERVICE_USER_DEFAULT "ssrfguard"


/* A user name or a decimal uid. */
static sg_err user_uid(const char *name, uint32_t *uid, char *err, size_t errlen)
{
	char *end = NULL;
	errno = 0;
	unsigned long long n = strtoull(name, &end, 10);
	if (!errno && end != name && !*end && n < UINT32_MAX) {
		*uid = (uint32_t)n;
		return SG_OK;
	}
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwnam_r(name, &pw, buf, sizeof buf, &found) != 0 || !found) {
		snprintf(err, errlen, "no such user '%.64s'", name);
		return SG_ERR_NOTFOUND;
	}
	*uid = (uint32_t)found->pw_uid;
	return SG_OK;
}

static sg_err uids(const opt_list *l, const char *key, uint32_t *out, size_t *n, char *err,
                   size_t errlen)
{
	if (l->n > BS_IDS_MAX) {
		snprintf(err, errlen, "%s: at most %d", key, BS_IDS_MAX);
		return SG_ERR_RANGE;
	}
	for (size_t i = 0; i < l->n; i++) {
		sg_err e = user_uid(l->v[i], &out[i], err, errlen);
		if (e != SG_OK)
			return e;
	}
	*n = l->n;
	return SG_OK;
}

/* nft resolves a cgroup path below /sys/fs/cgroup when the rules load: a
 * missing one is named here rather than in nft's words.  (A path that is
 * not a plain relative one is refused by bs_ruleset.) */
static sg_err cgroup_exists(const char *path, char *err, size_t errlen)
{
	char full[BS_CGROUP_MAX + 32];
	struct stat st;
	snprintf(full, sizeof full, "/sys/fs/cgroup/%s", path);
	if (!bs_cgroup_ok(path) || (stat(full, &st) == 0 && S_ISDIR(st.st_mode)))
		return SG_OK;
	snprintf(err, errlen, "backstop-cgroup '%.64s': no such cgroup v2 directory under "
	                      "/sys/fs/cgroup (start its slice or unit first)", path);
	return SG_ERR_NOTFOUND;
}

/* "ADDR:PORT" or "[V6]:PORT". */
static sg_err endpoint(const char *text, bs_endpoint *out)
{
	const char *colon = strrchr(text, ':');
	if (!colon)
		return SG_ERR_PARSE;
	const char *host = text, *host_end = colon;
	if (text[0] == '[') {
		if (colon == text || colon[-1] != ']')
			return SG_ERR_PARSE;
		host = text + 1;
		host_end = colon - 1;
	}
	char *end = NULL;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
		return SG_ERR_PARSE;
	if (sg_ip_parse(host, (size_t)(host_end - host), &out->ip) != SG_OK)
		return SG_ERR_PARSE;
	out->port = (uint16_t)port;
	return SG_OK;
}

static sg_err proxies(const srvcfg *cfg, bs_spec *sp, char *err, size_t errlen)
{
	const char *first = cfg->listen;
	for (size_t i = 0; i <= cfg->backstop.proxies.n; i++) {
		const char *t = i == 0 ? first : cfg->backstop.proxies.v[i - 1];
		if (sp->n_proxies >= BS_ENDPOINTS_MAX) {
			snprintf(err, errlen, "backstop-proxy: at most %d", BS_ENDPOINTS_MAX - 1);
			return SG_ERR_RANGE;
		}
		if (endpoint(t, &sp->proxies[sp->n_proxies]) != SG_OK) {
			snprintf(err, errlen, "%s '%.64s' is not ADDR:PORT",
			         i == 0 ? "listen" : "backstop-proxy", t);
			return SG_ERR_PARSE;
		}
		sp->n_proxies++;
	}
	return SG_OK;
}

/* `nameserver ADDR` lines of /etc/resolv.conf. */
static void resolv_conf(bs_spec *sp)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[512];
	if (!f)
		return;
	while (fgets(line, sizeof line, f) && sp->n_dns < BS_ENDPOINTS_MAX) {
		char *p = line;
		if (strncmp(p, "nameserver", 10) != 0 || (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10;
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t\r\n%");
		if (sg_ip_parse(p, n, &sp->dns[sp->n_dns]) == SG_OK)
			sp->n_dns++;
	}
	fclose(f);
}

static sg_err resolvers(const bscfg *b, bs_spec *sp, char *err, size_t errlen)
{
	if (b->dns.n == 0) {
		resolv_conf(sp);
		return SG_OK;
	}
	for (size_t i = 0; i < b->dns.n; i++) {
		if (i >= BS_ENDPOINTS_MAX ||
		    sg_ip_parse(b->dns.v[i], strlen(b->dns.v[i]), &sp->dns[i]) != SG_OK) {
			snprintf(err, errlen, "backstop-dns '%.64s' is not an address (at most %d)",
			         b->dns.v[i], BS_ENDPOINTS_MAX);
			return SG_ERR_PARSE;
		}
		sp->n_dns = i + 1;
	}
	return SG_OK;
}

sg_err bs_spec_from_cfg(const srvcfg *cfg, bs_spec *sp, sg_policy **policy, char *err,
                        size_t errlen)
{
	const bscfg *b = &cfg->backstop;
	sg_err e;
	memset(sp, 0, sizeof *sp);
	*policy = NULL;
	if ((e = uids(&b->users, "backstop-user", sp->app_uids, &sp->n_app_uids, err, errlen)))
		return e;
	if (b->service_users.n) {
		if ((e = uids(&b->service_users, "backstop-service-user", sp->exempt_uids,
		              &sp->n_exempt_uids, err, errlen)))
			return e;
	} else {
		char ignored[64];
		if (user_uid(SERVICE_USER_DEFAULT, &sp->exempt_uids[0], ignored, sizeof ignored) ==
		    SG_OK)
			sp->n_exempt_uids = 1;
	}
	if (b->cgroups.n > BS_IDS_MAX) {
		snprintf(err, errlen, "backstop-cgroup: at most %d", BS_IDS_MAX);
		return SG_ERR_RANGE;
	}
	for (size_t i = 0; i < b->cgroups.n; i++) {
		sp->app_cgroups[i] = b->cgroups.v[i];
		if ((e = cgroup_exists(b->cgroups.v[i], err, errlen)) != SG_OK)
			return e;
	}
	sp->n_app_cgroups = b->cgroups.n;
	sp->deny_policy = b->deny_policy;
	sp->proxy_only = b->proxy_only;
	sp->group = (uint16_t)b->group;
	sp->rate = (uint32_t)b->rate;
	if ((e = proxies(cfg, sp, err, errlen)) != SG_OK)
		return e;
	if (b->proxy_only && (e = resolvers(b, sp, err, errlen)) != SG_OK)
		return e;
	if (b->deny_policy) {
		if ((e = srvcfg_policy(cfg, policy, err, errlen)) != SG_OK)
			return e;
		sp->policy = *policy;
	}
	return SG_OK;
}

sg_err bs_script(const srvcfg *cfg, char **script, bs_stats *stats, char *err, size_t errlen)
{
	bs_spec sp;
	sg_policy *policy = NULL;
	*script = NULL;
	sg_err e = bs_spec_from_cfg(cfg, &sp, &policy, err, errlen);
	if (e == SG_OK) {
		sg_buf b;
		sg_buf_init(&b, 0);
		e = bs_ruleset(&sp, &b, stats, err, errlen);
		if (e == SG_OK && !(*script = sg_buf_take(&b, NULL)))
			e = SG_ERR_NOMEM;
		sg_buf_free(&b);
	}
	sg_policy_free(policy);
	return e;
}
