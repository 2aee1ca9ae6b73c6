/*
 * walk_xfsorphan.h — XFS orphan inodes (files unlinked while open, kept
 * on the AGI's unlinked lists), read raw from the device beside the
 * read-only mount's walk, which cannot see them (lib/forensics/xfsraw.h).
 *
 * xfs_orphans_walk() lists each as "/$OrphanFiles/OrphanFile-N" (N its
 * inode number; after opts->prefix), deleted, an orphan whose data is
 * kept, with its metadata from the raw inode, and hands its content runs
 * to pool to be hashed (entries indexed as walk_apply_hashes expects).  A
 * corrupt extent map is listed, not hashed (its note says so); what could
 * not be read (an AGI, a chain) is a walk warning.
 *
 * xfs_orphan_runs() gives the runs of orphan inode ino again (fsread.c:
 * YARA reads it), NULL with *rc set when they cannot be had.
 *
 * xfs_raw_open() parses the superblock of the XFS at [offset, offset +
 * length) of ev, and sets d to read the device up to its end.
 *
 * xfs_log_state() (walk_xfslog.c) reads its log raw (xfslog.h) and sets
 * st->journal from it and from the kernel's word (the probe mount's: kernel):
 * dirty when either finds it dirty (the caveat is then said, never
 * wrongly left out), clean when the raw read finds it clean and the kernel
 * does not disagree, else the kernel's; st->log_pending: the bytes of log
 * not replayed.
 */
#ifndef SSRFGUARD_FORENSICS_WALK_XFSORPHAN_H
#define SSRFGUARD_FORENSICS_WALK_XFSORPHAN_H

#include "forensics/evidence.h"
#include "forensics/hpool.h"
#include "forensics/walk.h"
#include "forensics/xfsraw.h"

sg_err xfs_orphans_walk(const evid *ev, uint64_t offset, uint64_t length, const walk_opts *opts,
                        hpool *pool, fx_list *out, walk_stats *st);

sg_err xfs_raw_open(const evid *ev, uint64_t offset, uint64_t length, evid_reader *d,
                    fx_xfs_sb *sb);

void xfs_log_state(const evid *ev, uint64_t offset, uint64_t length, fx_journal kernel,
                   walk_stats *st);

hp_run *xfs_orphan_runs(const evid *ev, uint64_t offset, uint64_t length, uint64_t ino,
                        uint64_t size, size_t *n, sg_err *rc);

#endif
