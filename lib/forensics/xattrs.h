/*
 * xattrs.h — a file's extended attributes as the manifest records them,
 * and the NTFS $EA attribute read into attributes (pure).
 *
 * The text is "NAME=HEX|NAME=HEX…", sorted by the names' bytes, each name
 * escaped (escape.h: '\', '|' and unprintable bytes), each value in
 * lower-case hex; "" for a file with none.  ext (ext4raw.c), XFS (through
 * the kernel) and NTFS (its $EA, names "ea.NAME") all write this one text,
 * and the diff compares it attribute by attribute (diff.c), so an
 * attribute added, removed or changed is named in the finding, and
 * security.capability is of special interest.
 *
 * NTFS keeps extended attributes (WSL's $LXUID/$LXMOD, the kernel's
 * $KERNEL.* code-integrity cache, or anything an intruder hides there) in
 * an $EA attribute: entries of NextEntryOffset (le32, from this entry; 0
 * ends the list), Flags (u8), NameLength (u8), ValueLength (le16), the
 * name, a NUL, the value.  fx_ntfs_ea_parse() reads it, bounded: every
 * entry inside len, at most max entries, names and values pointing into p.
 */
#ifndef SSRFGUARD_FX_XATTRS_H
#define SSRFGUARD_FX_XATTRS_H

#include "forensics/fx.h"

#define FX_XATTR_MAX 4096 /* attributes of one file: far beyond any real one */

typedef struct fx_xattr {
	const char *name;     /* the full name, e.g. "security.capability" */
	size_t name_len;
	const uint8_t *value; /* NULL: kept elsewhere (see value_inode) */
	size_t size;
	uint64_t value_inode; /* ext4 EA_INODE: the value lives in this inode */
} fx_xattr;

/* Append the text of v[0..n) to out; sorts v. */
sg_err fx_xattrs_text(sg_buf *out, fx_xattr *v, size_t n);

/* Names are "ea." + the entry's name; SG_ERR_CORRUPT on a malformed list
 * (names[] must hold max * (3 + 255) bytes for them). */
sg_err fx_ntfs_ea_parse(const uint8_t *p, size_t len, fx_xattr *v, size_t max, size_t *n,
                        char *names);

#endif
