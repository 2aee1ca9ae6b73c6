/*
 * fsread.h — read back the content of files the walk listed, for scanning.
 *
 * fsread_open() opens file system fsj (one object of the report's
 * "filesystems", as walkdev.c wrote it: "offset", "length", "method") of
 * the evidence ev again, the way the walk read it: through libtsk on the
 * raw device (ext2/3/4 extent trees of any depth as the kernel reads them,
 * walk_ext.h), or an XFS read-only loop mount.  Nothing is ever written.
 *
 * fsread_file() reads the first cap bytes (or all, when smaller) of live
 * regular file e (its path with the "pN:" prefix, its inode) into buf and
 * sets *got.  It returns
 *   SG_OK            read (fewer than e->size bytes only when cap < size)
 *   SG_ERR_INVAL     not a live regular file (deleted, a stream of NTFS
 *                    left to libtsk's default data) — nothing to read
 *   SG_ERR_NOTFOUND  the file is not where the walk saw it (XFS: the name
 *                    now leads to another inode, or through a symlink)
 *   SG_ERR_IO / SG_ERR_CORRUPT  unreadable
 * with *why a short static reason when not SG_OK.  Reads follow no
 * symlink: a path through one is refused, never resolved.
 *
 * One fsread is used by one thread; fsread_close(NULL) is a no-op.
 */
#ifndef SSRFGUARD_FORENSICS_FSREAD_H
#define SSRFGUARD_FORENSICS_FSREAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "forensics/evidence.h"
#include "forensics/fx.h"

typedef struct fsread fsread;

sg_err fsread_open(const evid *ev, const json_t *fsj, fsread **out, char *err, size_t errlen);
sg_err fsread_file(fsread *r, const fx_entry *e, uint8_t *buf, size_t cap, size_t *got,
                   const char **why);
void fsread_close(fsread *r);

#endif
