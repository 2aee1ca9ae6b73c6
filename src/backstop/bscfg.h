/*
 * bscfg.h — the backstop's settings, kept inside the service's config
 * (srvcfg.backstop) so that `serve`, `backstop install` and `backstop watch`
 * read one file.  Prefix: bscfg_.
 *
 * Keys (file `name = value`, flag `--name VALUE`), all starting "backstop":
 *   backstop               on|off  serve reads the kernel's reports (default off)
 *   backstop_user          NAME|UID, repeatable: an app identity
 *   backstop_cgroup        PATH, repeatable: an app cgroup (v2, below the root)
 *   backstop_service_user  NAME|UID, repeatable: exempt (default "ssrfguard"
 *                          when that user exists)
 *   backstop_deny_policy   on|off  also refuse the policy's denied ranges
 *   backstop_egress        any|proxy  proxy: only the proxy and DNS
 *   backstop_proxy         ADDR:PORT, repeatable: what the app may always
 *                          reach (serve's own `listen` is always added)
 *   backstop_dns           ADDR, repeatable (default: /etc/resolv.conf)
 *   backstop_group         N  NFLOG group of the reports (default 5150)
 *   backstop_rate          N  reports a second the kernel hands over (default 20)
 *
 * bscfg_set() takes a key already lower-cased with '_' (srvcfg_set does
 * that) and returns SG_ERR_NOTFOUND for a key that is not the backstop's.
 * Errors SG_ERR_PARSE / SG_ERR_RANGE with err naming the key.
 */
#ifndef SSRFGUARD_BACKSTOP_BSCFG_H
#define SSRFGUARD_BACKSTOP_BSCFG_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define BSCFG_LIST_MAX 64  /* entries of each repeatable key */
#define BSCFG_VALUE_MAX 256 /* bytes of one value */

typedef struct bscfg_list {
	char *v[BSCFG_LIST_MAX];
	size_t n;
} bscfg_list;

typedef struct bscfg {
	int on;
	bscfg_list users, cgroups, service_users, proxies, dns;
	int deny_policy;
	int proxy_only;
	int64_t group, rate;
} bscfg;

/* One row per key for --help: name, argument, help (NULL-terminated). */
extern const struct bscfg_key {
	const char *name, *arg, *help;
} bscfg_keys[];

void bscfg_init(bscfg *c);
void bscfg_free(bscfg *c);
sg_err bscfg_set(bscfg *c, const char *key, const char *value, char *err, size_t errlen);

#endif
