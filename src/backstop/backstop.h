/*
 * backstop.h — the kernel backstop: install, remove and show its nftables
 * table (through libnftables, one transaction each), and read the kernel's
 * reports of refused connections into the incident store.  Prefix: bs_.
 * docs/backstop.md is the user's guide; lib/backstop/rules.h says exactly
 * what the rules refuse.
 *
 * Everything here needs CAP_NET_ADMIN in the network namespace it acts on
 * (the reader also reads every process's /proc/PID/fd: root, or
 * CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH).
 *
 * Errors: SG_ERR_INVAL for a config that cannot become rules, SG_ERR_IO
 * for what nft or the kernel refused (err carries nft's own message),
 * SG_ERR_NOTFOUND for remove/status when no table is installed,
 * SG_ERR_NOMEM.
 */
#ifndef SSRFGUARD_BACKSTOP_H
#define SSRFGUARD_BACKSTOP_H

#include <stddef.h>

#include "backstop/rules.h"
#include "server/config.h"
#include "ssrfguard/error.h"

/* ---- the rules ---- */

/*
 * The spec for cfg: users resolved to uids (getpwnam, or numbers), the
 * service user (default "ssrfguard" when it exists), proxies (cfg->listen
 * first), resolvers (cfg or /etc/resolv.conf), the policy when
 * backstop-deny-policy is on.  *policy receives the policy the spec points
 * to (free it after the spec, NULL-safe).
 */
sg_err bs_spec_from_cfg(const srvcfg *cfg, bs_spec *spec, sg_policy **policy,
                        char *err, size_t errlen);

/* The nft script for cfg (malloc'd, caller frees); stats may be NULL. */
sg_err bs_script(const srvcfg *cfg, char **script, bs_stats *stats, char *err, size_t errlen);

/*
 * Replace or create the table with script in ONE nft transaction.  Either
 * every rule is in place or nothing changed.  check = 1 asks nft to
 * validate only (dry run).
 */
sg_err bs_nft_apply(const char *script, int check, char *err, size_t errlen);

/* Delete the table (one transaction).  SG_ERR_NOTFOUND if there is none. */
sg_err bs_nft_remove(char *err, size_t errlen);

/* The table as nft lists it, counters included (malloc'd, caller frees).
 * SG_ERR_NOTFOUND if there is none. */
sg_err bs_nft_list(char **text, char *err, size_t errlen);

#endif
