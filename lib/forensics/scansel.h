/*
 * scansel.h — which files of an examination the YARA scan reads.
 *
 * A file is read when it is a regular file whose content the walk can
 * still reach: a live one, or a deleted one whose data it kept (an NTFS
 * deleted file whose freed MFT record is still its own, an ext orphan
 * inode: fx_entry.data_kept).  A deleted file is chosen exactly as a live
 * one would be, by the rules below; a deleted name whose data is lost
 * (ext clears a freed inode's block map) never is.
 *
 * Scope "changed" (the default) with a baseline: the image's side of every
 * finding whose content is new or differs from the baseline (added,
 * modified, timestomped, type_changed, moved, unverified, and
 * deleted_in_image: a deleted file the baseline did not have) and that is
 * such a file (fx_scan_finding).  Without a baseline there is nothing to
 * compare, so "changed" means the files an intruder leaves behind
 * (fx_scan_unbaselined), by the first reason that applies:
 *   a persistence place (persist.h: cron, units, startup files, keys,
 *   sudoers, setuid/setgid)
 *   "writable place"  below a web root (/var/www, /srv,
 *                     /usr/share/nginx/html), /opt, /usr/local, a temporary
 *                     directory (/tmp, /var/tmp, /dev/shm), a home (/root,
 *                     /home), /var/spool
 *   "script"          a name ending in a script or server-page extension
 *                     (.php .phtml .phar .jsp .jspx .asp .aspx .ashx .asmx
 *                     .cfm .cgi .sh .bash .py .pl .rb .js .ps1 .vbs .lua)
 *   "executable"      any execute bit set
 * Scope "all": every such file (fx_scan_content).
 * In every scope but "off", also every orphan that is a regular file
 * (fx_scan_orphan, "orphan inode": an ext or XFS orphan inode, an NTFS
 * orphan MFT record): a program unlinked while it ran (a miner, an intruder's tool)
 * has no name, but its content is intact.
 * Pure; a "pN:" prefix is ignored.
 */
#ifndef SSRFGUARD_FX_SCANSEL_H
#define SSRFGUARD_FX_SCANSEL_H

#include "forensics/diff.h"
#include "forensics/fx.h"

typedef enum fx_scan_scope { FX_SCAN_OFF = 0, FX_SCAN_CHANGED, FX_SCAN_ALL } fx_scan_scope;

/* "off" "changed" "all"; static. */
const char *fx_scan_scope_name(fx_scan_scope s);

/* 1 when e is a regular file whose content can be read: live, or
 * deleted with its data kept (see above). */
int fx_scan_content(const fx_entry *e);

/* 1 when f's image file is content to scan (see above). */
int fx_scan_finding(const fx_finding *f);

/* "orphan inode" when e is an orphan regular file, scanned in every
 * scope; NULL otherwise. */
const char *fx_scan_orphan(const fx_entry *e);

/* Why e is scanned without a baseline (static text), or NULL. */
const char *fx_scan_unbaselined(const fx_entry *e);

#endif
