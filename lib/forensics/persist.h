/*
 * persist.h — the places an intruder uses to come back, listed whatever
 * their hash says: a persistence entry in the report is there because of
 * where it is, not because it changed, so an analyst reads every cron
 * entry and authorized_keys line even when a baseline is missing, stale
 * or matches.
 *
 * Kinds (fx_persistence_kind), for regular files and symlinks, any "pN:"
 * partition prefix set aside:
 *   cron          /etc/crontab, /etc/anacrontab, /etc/cron.{d,hourly,daily,
 *                 weekly,monthly}/…, /var/spool/cron/…
 *   systemd unit  /etc/systemd/{system,user}/…, ~/.config/systemd/user/…
 *                 (the vendor's /usr/lib/systemd and /lib/systemd units are
 *                 left to the diff: hundreds of files on a stock system)
 *   init script   /etc/init.d/…, /etc/rc.d/…, /etc/rc.local
 *   shell startup /etc/profile, /etc/profile.d/…, /etc/bashrc,
 *                 /etc/bash.bashrc, ~/.bashrc, ~/.bash_profile, ~/.bash_login,
 *                 ~/.profile, ~/.zshrc
 *   ssh authorized_keys   …/.ssh/authorized_keys, …/.ssh/authorized_keys2
 *   preload       /etc/ld.so.preload
 *   sudoers       /etc/sudoers, /etc/sudoers.d/…
 *   setuid/setgid any regular file with mode 04000 or 02000
 * Deleted names are not listed (the diff reports them).  Pure.
 */
#ifndef SSRFGUARD_FX_PERSIST_H
#define SSRFGUARD_FX_PERSIST_H

#include <jansson.h>

#include "forensics/diff.h"
#include "forensics/fx.h"

/* The kind of e (static text), or NULL when it is no persistence place. */
const char *fx_persistence_kind(const fx_entry *e);

/*
 * The persistence places of cur, in cur's order: each fx_entry_json(e)
 * plus "path" (escaped), "kind" and, when d is not NULL (d ran on cur),
 * "baseline": the class of its finding ("added", "modified", …) or
 * "unchanged".  max 0: all; else at most max, and *omitted (may be NULL)
 * gets how many more there were.  NULL on OOM.
 */
json_t *fx_persistence_json(const fx_list *cur, const fx_diff *d, size_t max, size_t *omitted);

#endif
