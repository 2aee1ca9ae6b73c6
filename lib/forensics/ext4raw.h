/*
 * ext4raw.h — the kernel's view of an ext2/3/4 inode, read from the raw
 * device through a callback (pure: the callback does the I/O).
 *
 * libtsk 4.11 is the walker's main reader, but where it falls short the
 * examiner must not: it cannot follow extent trees deeper than the inode
 * (a directory of 20,000 names, a file written with holes), it reads times
 * as unsigned 32-bit seconds and drops the epoch bits of *_extra, and it
 * knows nothing of extended attributes.  This module decodes exactly those
 * pieces, as fs/ext4 does:
 *
 *   fx_ext4_sb_parse()     the superblock fields needed to find inodes;
 *   fx_ext4_inode_read()   one inode's bytes (group descriptor -> inode
 *                          table; META_BG and 64-bit descriptors);
 *   fx_ext4_times()        mtime/atime/ctime/btime: signed 32-bit seconds
 *                          plus the two epoch bits of *_extra, nanoseconds
 *                          from *_extra; time 0 is a time, not "absent";
 *   fx_ext4_extents()      the data runs of an extent-mapped inode, any
 *                          depth (index blocks read through rd), holes and
 *                          unwritten extents as zeros;
 *   fx_ext4_xattrs()       its extended attributes (in the inode and in its
 *                          attribute block), e.g. security.capability;
 *   fx_ext4_orphan_block() the inodes one block of the orphan file names.
 *
 * Everything read is bounded: at most FX_EXT4_MAX_DEPTH levels, at most
 * FX_EXT4_MAX_EXTENTS extents, at most FX_EXT4_MAX_TREE_BYTES of tree
 * blocks read per inode, every block number inside the file system.  An
 * extent tree is checked as fs/ext4's ext4_ext_check does: the depth each
 * level expects, index entries in strictly increasing logical order, no
 * empty index node, every entry of a node inside the logical range its
 * index entry gives it.  So a node can be reached by one path only and a
 * tree of N blocks costs at most N reads, however its entries point (the
 * byte budget stops what is left: empty leaves named again and again).
 * A malformed inode or tree is SG_ERR_CORRUPT, never a crash or a loop.
 */
#ifndef SSRFGUARD_FX_EXT4RAW_H
#define SSRFGUARD_FX_EXT4RAW_H

#include "forensics/fx.h"
#include "forensics/part.h" /* fx_read_fn */

#define FX_EXT4_MAX_DEPTH 5
#define FX_EXT4_MAX_EXTENTS (1u << 20)
/* Tree blocks read for one inode: 65,536 nodes of 4 KiB, far more than
 * FX_EXT4_MAX_EXTENTS extents need even in quarter-full leaves of 1 KiB. */
#define FX_EXT4_MAX_TREE_BYTES (256u << 20)
#define FX_EXT4_INODE_MAX 4096

typedef struct fx_ext4_sb {
	uint64_t fs_off;        /* byte offset of the file system on the device */
	uint32_t block_size;
	uint64_t blocks;
	uint32_t inodes, inodes_per_group, blocks_per_group, first_data_block;
	uint32_t inode_size, desc_size;
	uint32_t first_meta_bg; /* META_BG: descriptors of later groups move */
	uint32_t last_orphan;   /* head of the orphan inode list, 0 if none */
	uint32_t orphan_file;   /* COMPAT_ORPHAN_FILE: the orphan file's inode, 0 if none */
	int meta_bg, sparse_super;
} fx_ext4_sb;

/* sb: the 1024 bytes at fs_off + 1024.  SG_ERR_CORRUPT when it is not a
 * usable ext2/3/4 superblock. */
sg_err fx_ext4_sb_parse(const uint8_t *sb, size_t len, uint64_t fs_off, fx_ext4_sb *out);

/* Inode ino (1-based) into buf (sb->inode_size bytes, <= FX_EXT4_INODE_MAX). */
sg_err fx_ext4_inode_read(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, uint32_t ino,
                          uint8_t *buf);

enum { FX_EXT4_MTIME, FX_EXT4_ATIME, FX_EXT4_CTIME, FX_EXT4_BTIME };
/* The four times of an inode of isize bytes (btime unset when the inode
 * has no room for it). */
void fx_ext4_times(const uint8_t *inode, size_t isize, fx_time out[4]);

uint16_t fx_ext4_mode(const uint8_t *inode);
uint64_t fx_ext4_size(const uint8_t *inode);
uint32_t fx_ext4_flags(const uint8_t *inode);
void fx_ext4_owner(const uint8_t *inode, uint32_t *uid, uint32_t *gid, uint32_t *nlink);
/* i_dtime: on an inode of the orphan list, the next orphan's number. */
uint32_t fx_ext4_dtime(const uint8_t *inode);

/* One block of the orphan file (e2fsprogs 1.47, kernel 5.15: the orphan
 * list kept in a file, block_size / 4 - 2 slots per block, a tail of magic
 * and checksum): the inode numbers in its non-empty slots into out (room
 * for block_size / 4), *n of them.  SG_ERR_CORRUPT when the tail's magic is
 * wrong (nothing read) or a slot names no inode of the file system (the
 * others are still read). */
sg_err fx_ext4_orphan_block(const fx_ext4_sb *sb, const uint8_t *blk, uint32_t *out, size_t *n);
#define FX_EXT4_EXTENTS_FL 0x80000u
#define FX_EXT4_INLINE_FL 0x10000000u

typedef struct fx_ext4_run {
	uint64_t file_off, dev_off, len; /* bytes; dev_off absolute on the device */
	int zero;                        /* unwritten extent: reads as zeros */
} fx_ext4_run;

/* The extents of an inode with FX_EXT4_EXTENTS_FL, in file order, clipped
 * to size; *runs is malloc'd (free it), *n may be 0 (all holes). */
sg_err fx_ext4_extents(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *inode,
                       uint64_t size, fx_ext4_run **runs, size_t *n);

/* The extended attributes as canonical text appended to out:
 * "NAME=HEX|NAME=HEX…", sorted by NAME (escaped as escape.h does, so it
 * holds no "|"; with its namespace: "security.capability", "user.x"; it may
 * hold "=": the value starts after the last one), HEX the value's bytes; a
 * value kept in an inode of its own (ea_inode) is "NAME=@inode:N".
 * Nothing is appended when there are none.  SG_ERR_CORRUPT for a damaged
 * attribute area (what was readable is not appended either). */
sg_err fx_ext4_xattrs(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *inode,
                      sg_buf *out);

#endif
