/*
 * fsread.h — read back the content of files the walk listed, for scanning.
 *
 * fsread_open() opens file system fsj (one object of the report's
 * "filesystems", as walkdev.c wrote it: "offset", "length", "method") of
 * the evidence ev again, the way the walk read it: through libtsk on the
 * raw device (ext2/3/4 extent trees of any depth as the kernel reads them,
 * walk_ext.h), or an XFS read-only loop mount.  Nothing is ever written.
 *
 * fsread_fopen() opens live regular file e (its path with the "pN:"
 * prefix, its inode) of that file system, or deleted regular file e whose
 * data the walk kept (e->data_kept): an ext orphan inode (unlinked while
 * open; read from its inode, its extent tree as the walk hashed it, a block
 * map through libtsk), an XFS orphan inode (its extent list read raw,
 * walk_xfsorphan.h), an NTFS deleted file or orphan MFT record (read
 * from its freed record's runs, through libtsk, while that record is still
 * free); fsread_pread() then reads any
 * range of its e->size bytes, as often as asked (a scanner reads a file in
 * windows, and may come back to one).  fsread_fopen() returns
 *   SG_OK            open
 *   SG_ERR_INVAL     not a regular file whose content can be read (not a
 *                    file, deleted with its data lost)
 *   SG_ERR_NOTFOUND  the file is not where the walk saw it (XFS: the name
 *                    now leads to another inode, or through a symlink;
 *                    NTFS: the deleted file's record is in use again; an
 *                    XFS orphan's inode changed)
 *   SG_ERR_IO / SG_ERR_CORRUPT / SG_ERR_NOMEM  unreadable
 * and fsread_pread() SG_OK when all len bytes were read, SG_ERR_RANGE for
 * a range past e->size, SG_ERR_IO when fewer could be; *why is a short
 * static reason whenever they fail.  Reads follow no symlink: a path
 * through one is refused, never resolved.
 *
 * One fsread, and its open files, are used by one thread; an open file is
 * closed before its fsread.  fsread_close(NULL), fsread_fclose(NULL): no-ops.
 */
#ifndef SSRFGUARD_FORENSICS_FSREAD_H
#define SSRFGUARD_FORENSICS_FSREAD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "forensics/evidence.h"
#include "forensics/fx.h"

typedef struct fsread fsread;
typedef struct fsread_fh fsread_fh;

sg_err fsread_open(const evid *ev, const json_t *fsj, fsread **out, char *err, size_t errlen);
void fsread_close(fsread *r);

sg_err fsread_fopen(fsread *r, const fx_entry *e, fsread_fh **out, const char **why);
sg_err fsread_pread(fsread_fh *f, uint64_t off, uint8_t *buf, size_t len, const char **why);
void fsread_fclose(fsread_fh *f);

#endif
