/*
 * xfsraw.h — XFS orphan inodes read raw from the device (pure: a callback
 * does the I/O).
 *
 * A file unlinked while a process still holds it open (a miner, an
 * intruder's tool deleted as it ran) has no name, so the read-only mount
 * the XFS walker uses cannot show it; XFS keeps it on its AG's unlinked
 * lists until the last close.  libtsk 4.11 (Debian 12) has no XFS support,
 * so this module reads those lists as the kernel's log recovery does
 * (xlog_recover_process_iunlinks):
 *
 *   fx_xfs_sb_parse()   the primary superblock's geometry;
 *   fx_xfs_orphans()    every AG's AGI (sector 2 of the AG): its 64
 *                       unlinked buckets, each the head of a chain of
 *                       inodes linked by di_next_unlinked;
 *   fx_xfs_inode_read() one inode's bytes, fx_xfs_inode_parse() its core
 *                       (mode, owner, size, times: bigtime too), and
 *   fx_xfs_extents()    the data runs of its data fork: an extent list in
 *                       the inode, or a B+tree of extent records (bmbt).
 *
 * Everything read is bounded and checked: the geometry against the
 * kernel's limits, every AG inode number inside its AG, each bucket's
 * chain at most FX_XFS_ORPHANS_MAX long in all (a chain that loops ends
 * there, said), every extent inside the file system, in file order (so a
 * tree block reached twice is refused), at most FX_XFS_MAX_EXTENTS of
 * them and exactly as many as the inode says, a B+tree at most the
 * kernel's 9 levels deep and 65,536 blocks read.  Fuzz target fx_xfsraw.
 */
#ifndef SSRFGUARD_FX_XFSRAW_H
#define SSRFGUARD_FX_XFSRAW_H

#include "forensics/ext4raw.h" /* fx_ext4_run: the same runs */
#include "forensics/fx.h"
#include "forensics/part.h"    /* fx_read_fn */

#define FX_XFS_ORPHANS_MAX 100000u
#define FX_XFS_INODE_MAX 2048u
#define FX_XFS_BUCKETS 64u
#define FX_XFS_MAX_EXTENTS (1u << 20)

typedef struct fx_xfs_sb {
	uint64_t fs_off;       /* the file system's first byte on the device */
	uint64_t dblocks;
	uint32_t block_size, ag_blocks, ag_count, sect_size;
	uint32_t inode_size, inopblock;
	uint8_t agblklog, inopblog;
	uint8_t v5;            /* version 5: v3 inodes (176-byte core, crtime) */
	uint8_t bigtime;       /* times may be bigtime (the inode's flag says) */
	uint64_t log_start;    /* the internal log's first block (AG-relative form), 0: external */
	uint32_t log_blocks;   /* its length in blocks (xfslog.h checks both) */
} fx_xfs_sb;

/* The superblock at the start of sb[0..len) (len >= 512), of a file system
 * starting at fs_off.  SG_ERR_CORRUPT when it is not XFS's or its geometry
 * is out of the kernel's bounds. */
sg_err fx_xfs_sb_parse(const uint8_t *sb, size_t len, uint64_t fs_off, fx_xfs_sb *out);

/* The inode number of AG inode agino of AG agno. */
uint64_t fx_xfs_ino(const fx_xfs_sb *sb, uint32_t agno, uint32_t agino);

/*
 * Every inode on an unlinked list, into inos[0..max) and *n, in AG and
 * bucket order.  *broken counts what could not be followed: an AGI that
 * is unreadable or not an AGI, a chain that leaves its AG, reaches an
 * unreadable inode or loops (each ends there; what came before it is
 * listed).  SG_ERR_RANGE when there were more than max (the first max are
 * listed).
 */
sg_err fx_xfs_orphans(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, uint64_t *inos,
                      size_t max, size_t *n, unsigned *broken);

/* Inode ino's sb->inode_size bytes into buf (>= FX_XFS_INODE_MAX);
 * SG_ERR_CORRUPT when ino is outside the file system or its magic is not
 * an inode's. */
sg_err fx_xfs_inode_read(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, uint64_t ino,
                         uint8_t *buf);

typedef struct fx_xfs_inode {
	uint32_t mode;         /* with the S_IFMT bits */
	uint32_t uid, gid, nlink;
	uint64_t size;
	fx_time atime, mtime, ctime, btime; /* btime: v3 inodes only */
	uint8_t format;        /* data fork: 1 local, 2 extents, 3 btree */
	uint64_t nextents;
	uint32_t next_unlinked; /* the next AG inode on its list, or 0xffffffff */
} fx_xfs_inode;

/* The core of inode buf (read by fx_xfs_inode_read). */
sg_err fx_xfs_inode_parse(const fx_xfs_sb *sb, const uint8_t *buf, fx_xfs_inode *out);

/* The data runs of inode buf (extents or B+tree format; tree blocks read
 * through rd), in file order, clipped to its size (unwritten extents read
 * as zeros, holes absent); *runs is malloc'd (free it), *n may be 0.
 * SG_ERR_CORRUPT for another format, records out of order or outside the
 * file system, a damaged tree; rd's error when a block cannot be read. */
sg_err fx_xfs_extents(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *buf,
                      const fx_xfs_inode *in, fx_ext4_run **runs, size_t *n);

#endif
