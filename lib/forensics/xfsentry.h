/*
 * xfsentry.h — an XFS file as the kernel describes it, made a manifest
 * entry (pure).  The XFS walker (src/forensics/walk_xfs.c) mounts the
 * evidence read-only and asks the kernel (statx, llistxattr, lgetxattr,
 * readlinkat); what comes back is the attacker's: any name, any mode and
 * time the intruder set, any attribute.  Decoded here, bounded, so it can
 * be fuzzed (fuzz target fx_xfs).
 */
#ifndef SSRFGUARD_FX_XFSENTRY_H
#define SSRFGUARD_FX_XFSENTRY_H

#include <sys/stat.h>

#include "forensics/fx.h"
#include "forensics/xattrs.h"

/* The file type of a mode's S_IFMT bits. */
fx_type fx_mode_type(uint32_t mode);

/* e's inode, type, size, mode (07777), owner, link count and times from
 * one statx answer (STATX_BASIC_STATS | STATX_BTIME asked; the birth time
 * only when stx_mask says the file system gave it; a nanosecond field
 * beyond 999999999 read as 0).  Marks e->has_meta. */
void fx_entry_from_statx(fx_entry *e, const struct statx *sx);

/*
 * The names of an llistxattr answer list[0..len) ("NAME\0NAME\0..."),
 * into v[0..max) (name and name_len, pointing into list; value NULL) and
 * *n; v may be NULL to count only.  SG_ERR_CORRUPT when the list does not
 * end with a NUL or holds an empty name, SG_ERR_RANGE beyond
 * FX_XATTR_MAX names or beyond max (when v is given).
 */
sg_err fx_xattr_list_split(const char *list, size_t len, fx_xattr *v, size_t max, size_t *n);

#endif
