/*
 * bscfg.h — the backstop's settings.  They are rows of serve's one option
 * table (srvcfg_opts, section "Kernel backstop") stored in srvcfg.backstop,
 * so that `serve`, `backstop install` and `backstop watch` read one [serve]
 * section of one config file.  Prefix: bscfg_.
 *
 *   backstop               serve records the kernel's refusals (default off)
 *   backstop-user          NAME|UID, repeatable: an app identity
 *   backstop-cgroup        PATH, repeatable: an app cgroup (v2, below the root)
 *   backstop-service-user  NAME|UID, repeatable: exempt (default "ssrfguard"
 *                          when that user exists)
 *   backstop-deny-policy   also refuse the policy's denied ranges
 *   backstop-egress        any|proxy  proxy: only the proxy and DNS
 *   backstop-proxy         ADDR:PORT, repeatable: what the app may always
 *                          reach (serve's own `listen` is always added)
 *   backstop-dns           ADDR, repeatable (default: /etc/resolv.conf)
 *   backstop-group         N  NFLOG group of the reports (default 5150)
 *   backstop-rate          N  reports a second the kernel hands over (default 20)
 *
 * Strings are owned by the table's lists (opt_free releases them).  The
 * limits of lib/backstop/rules.h (BS_IDS_MAX, BS_ENDPOINTS_MAX) are checked
 * when the rules are written (src/backstop/spec.c).
 */
#ifndef SSRFGUARD_BACKSTOP_BSCFG_H
#define SSRFGUARD_BACKSTOP_BSCFG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/opt.h"

typedef struct bscfg {
	bool on;
	opt_list users, cgroups, service_users, proxies, dns;
	bool deny_policy;
	int proxy_only;          /* OPT_CHOICE any|proxy: 1 = proxy */
	int64_t group, rate;
} bscfg;

/* The rows, for srvcfg_opts: base is offsetof(srvcfg, backstop). */
#define BSCFG_ROWS(base)                                                                     \
	{.type = OPT_SECTION, .help = "Kernel backstop (ssrfguard backstop --help)"},            \
	{.type = OPT_SWITCH, .name = "backstop", .dflt = "off", .off = (base) + offsetof(bscfg, on), \
	 .help = "serve: record the kernel backstop's refusals as attempts (needs CAP_NET_ADMIN)"}, \
	{.type = OPT_LIST, .name = "backstop-user", .arg = "NAME|UID", .flags = OPT_NONEMPTY,     \
	 .off = (base) + offsetof(bscfg, users),                                                \
	 .help = "an app user whose connections the kernel checks (repeatable)"},                \
	{.type = OPT_LIST, .name = "backstop-cgroup", .arg = "PATH", .flags = OPT_NONEMPTY,       \
	 .off = (base) + offsetof(bscfg, cgroups),                                              \
	 .help = "an app cgroup v2 path below the root, e.g. app.slice (repeatable)"},           \
	{.type = OPT_LIST, .name = "backstop-service-user", .arg = "NAME|UID",                    \
	 .flags = OPT_NONEMPTY, .off = (base) + offsetof(bscfg, service_users),                 \
	 .help = "exempt user, the service's own (default: ssrfguard if it exists; repeatable)"}, \
	{.type = OPT_SWITCH, .name = "backstop-deny-policy", .dflt = "off",                       \
	 .off = (base) + offsetof(bscfg, deny_policy),                                          \
	 .help = "also refuse the policy's denied ranges (the guard's policy and rules)"},       \
	{.type = OPT_CHOICE, .name = "backstop-egress", .arg = "any|proxy", .dflt = "any",        \
	 .off = (base) + offsetof(bscfg, proxy_only),                                           \
	 .help = "proxy: the app may reach only the proxy and DNS"},                             \
	{.type = OPT_LIST, .name = "backstop-proxy", .arg = "ADDR:PORT", .flags = OPT_NONEMPTY,   \
	 .off = (base) + offsetof(bscfg, proxies),                                              \
	 .help = "a proxy the app may always reach; listen is always one (repeatable)"},         \
	{.type = OPT_LIST, .name = "backstop-dns", .arg = "ADDR", .flags = OPT_NONEMPTY,          \
	 .off = (base) + offsetof(bscfg, dns),                                                  \
	 .help = "a resolver the app may reach with egress proxy (default: /etc/resolv.conf; "   \
	         "repeatable)"},                                                                 \
	{.type = OPT_INT, .name = "backstop-group", .arg = "N", .dflt = "5150", .lo = 1,          \
	 .hi = 65535, .off = (base) + offsetof(bscfg, group),                                   \
	 .help = "NFLOG group of the refusal reports"},                                          \
	{.type = OPT_INT, .name = "backstop-rate", .arg = "N", .dflt = "20", .lo = 1,             \
	 .hi = 100000, .off = (base) + offsetof(bscfg, rate),                                   \
	 .help = "reports a second the kernel hands over; beyond, refused unreported"}

#endif
