/*
 * xfslog.h — is an XFS log clean?  Read raw from the device (pure: a
 * callback does the I/O), as the kernel's log recovery decides it
 * (fs/xfs/xfs_log_recover.c: xlog_find_head, xlog_find_tail,
 * xlog_check_unmount_rec).
 *
 * A volume snapshotted from a running instance was not unmounted: its log
 * holds the last seconds' changes (new files, unlinks, the unlinked-list
 * updates of files deleted while open) that are not yet written in place.
 * The examination mounts XFS norecovery, so it cannot see them; it must at
 * least say that they exist.
 *
 * The log is a ring of 512-byte basic blocks inside the file system
 * (sb_logstart, sb_logblocks; an external log is not on the device).  Each
 * block starts with the cycle number of the pass that wrote it, so the
 * head (where the next record would go) is where the cycle drops: found
 * by binary search, then moved back to the first block of the older cycle
 * among the last blocks written (iclogs are written out of order), then to
 * the start of a record left incomplete.  The last record before the head
 * is read: the log is clean when it is an unmount record (one operation,
 * XLOG_UNMOUNT_TRANS) ending exactly at the head, or when its tail (the
 * oldest change not yet in place) is the head itself.  A log whose every
 * block has cycle 0 was never written (mkfs zeroed it): clean.
 *
 * Bounded: the log at most 2 GiB and inside one AG; about 22 blocks read
 * by the binary search, at most FX_XFS_LOG_SCAN blocks read (in pieces of
 * 16 KiB) to check the head and to find the last record header; every
 * record header checked (magic, version, length at most 256 KiB, its own
 * block in its LSN).  Fuzz target fx_xfslog.
 */
#ifndef SSRFGUARD_FX_XFSLOG_H
#define SSRFGUARD_FX_XFSLOG_H

#include "forensics/part.h"   /* fx_read_fn */
#include "forensics/xfsraw.h" /* fx_xfs_sb */

/* Blocks looked at around the head: 8 in-core logs of 256 KiB, as the
 * kernel's XLOG_TOTAL_REC_SHIFT. */
#define FX_XFS_LOG_SCAN 4096u

typedef struct fx_xfs_log {
	uint64_t off;        /* the log's first byte on the device */
	uint32_t bbs;        /* its length in 512-byte blocks */
	uint32_t head;       /* the block after the last record */
	uint32_t tail;       /* the first block recovery would replay (== head: clean) */
	uint32_t last;       /* the last record's header block */
	uint32_t cycle;      /* its cycle */
	int unmount;         /* the last record is an unmount record */
	int clean;           /* nothing to replay */
	uint64_t pending;    /* bytes of log from tail to head (0 when clean) */
} fx_xfs_log;

/*
 * The state of sb's log into out.  SG_ERR_NOTFOUND: the log is external
 * (not on this device); SG_ERR_CORRUPT: its place or size is out of
 * bounds, or no valid record is found before the head; rd's error when a
 * block cannot be read.
 */
sg_err fx_xfs_log_read(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, fx_xfs_log *out);

#endif
