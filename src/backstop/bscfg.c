/* bscfg.c — the backstop's settings; see bscfg.h. */
#include "backstop/bscfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct bscfg_key bscfg_keys[] = {
	{"backstop", "on|off", "serve: record the kernel backstop's refusals (default off;"
	                       " see ssrfguard backstop --help)"},
	{"backstop_user", "NAME|UID", "backstop: an app user whose connections the kernel checks"
	                              " (repeatable)"},
	{"backstop_cgroup", "PATH", "backstop: an app cgroup v2 path, e.g. app.slice (repeatable)"},
	{"backstop_service_user", "NAME|UID", "backstop: exempt user, the service's own"
	                                      " (default ssrfguard if it exists; repeatable)"},
	{"backstop_deny_policy", "on|off", "backstop: also refuse the policy's denied ranges"
	                                   " (default off)"},
	{"backstop_egress", "any|proxy", "backstop: proxy = the app may reach only the proxy and"
	                                 " DNS (default any)"},
	{"backstop_proxy", "ADDR:PORT", "backstop: a proxy the app may reach; serve's listen is"
	                                " always one (repeatable)"},
	{"backstop_dns", "ADDR", "backstop: a resolver the app may reach with egress = proxy"
	                         " (default: /etc/resolv.conf; repeatable)"},
	{"backstop_group", "N", "backstop: NFLOG group of the refusal reports (default 5150)"},
	{"backstop_rate", "N", "backstop: reports a second the kernel hands over (default 20)"},
	{NULL, NULL, NULL},
};

void bscfg_init(bscfg *c)
{
	memset(c, 0, sizeof *c);
	c->group = 5150;
	c->rate = 20;
}

static void list_free(bscfg_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

void bscfg_free(bscfg *c)
{
	if (!c)
		return;
	list_free(&c->users);
	list_free(&c->cgroups);
	list_free(&c->service_users);
	list_free(&c->proxies);
	list_free(&c->dns);
}

static sg_err list_add(bscfg_list *l, const char *key, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (n == 0 || n >= BSCFG_VALUE_MAX) {
		snprintf(err, errlen, "%s: want 1..%d bytes", key, BSCFG_VALUE_MAX - 1);
		return SG_ERR_PARSE;
	}
	if (l->n >= BSCFG_LIST_MAX) {
		snprintf(err, errlen, "%s: at most %d", key, BSCFG_LIST_MAX);
		return SG_ERR_RANGE;
	}
	char *p = malloc(n + 1);
	if (!p)
		return SG_ERR_NOMEM;
	memcpy(p, v, n + 1);
	l->v[l->n++] = p;
	return SG_OK;
}

static sg_err flag(const char *key, const char *v, const char *yes, const char *no, int *out,
                   char *err, size_t errlen)
{
	if (!strcmp(v, yes))
		*out = 1;
	else if (!strcmp(v, no))
		*out = 0;
	else {
		snprintf(err, errlen, "%s: want %s or %s", key, yes, no);
		return SG_ERR_PARSE;
	}
	return SG_OK;
}

static sg_err number(const char *key, const char *v, int64_t lo, int64_t hi, int64_t *out,
                     char *err, size_t errlen)
{
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || x < lo || x > hi) {
		snprintf(err, errlen, "%s: '%.32s' is not a number in %lld..%lld", key, v,
		         (long long)lo, (long long)hi);
		return SG_ERR_RANGE;
	}
	*out = x;
	return SG_OK;
}

sg_err bscfg_set(bscfg *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (strncmp(k, "backstop", 8) != 0)
		return SG_ERR_NOTFOUND;
	if (!v) {
		snprintf(err, errlen, "%s needs a value", k);
		return SG_ERR_PARSE;
	}
	if (!strcmp(k, "backstop"))
		return flag(k, v, "on", "off", &c->on, err, errlen);
	if (!strcmp(k, "backstop_deny_policy"))
		return flag(k, v, "on", "off", &c->deny_policy, err, errlen);
	if (!strcmp(k, "backstop_egress"))
		return flag(k, v, "proxy", "any", &c->proxy_only, err, errlen);
	if (!strcmp(k, "backstop_user"))
		return list_add(&c->users, k, v, err, errlen);
	if (!strcmp(k, "backstop_cgroup"))
		return list_add(&c->cgroups, k, v, err, errlen);
	if (!strcmp(k, "backstop_service_user"))
		return list_add(&c->service_users, k, v, err, errlen);
	if (!strcmp(k, "backstop_proxy"))
		return list_add(&c->proxies, k, v, err, errlen);
	if (!strcmp(k, "backstop_dns"))
		return list_add(&c->dns, k, v, err, errlen);
	if (!strcmp(k, "backstop_group"))
		return number(k, v, 1, 65535, &c->group, err, errlen);
	if (!strcmp(k, "backstop_rate"))
		return number(k, v, 1, 100000, &c->rate, err, errlen);
	return SG_ERR_NOTFOUND;
}
