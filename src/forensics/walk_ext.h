/*
 * walk_ext.h — what the libtsk walker asks of ext2/3/4 beyond libtsk:
 * each inode as the kernel reads it (ext4raw.h), so that extent trees of
 * any depth are followed (file contents, directory blocks, long symlink
 * targets) and times are decoded as fs/ext4 does.
 *
 * walk_ext_open() reads the superblock through rd; then walk_ext_inode()
 * loads one inode and checks it against what libtsk reported (mode type
 * and size): a raw inode that disagrees with libtsk is not used.
 */
#ifndef SSRFGUARD_FORENSICS_WALK_EXT_H
#define SSRFGUARD_FORENSICS_WALK_EXT_H

#include "forensics/ext4raw.h"
#include "forensics/hpool.h"

#define WALK_EXT_SMALL_MAX (64u << 20) /* directories, symlink targets */

typedef struct walk_ext {
	fx_ext4_sb sb;
	fx_read_fn rd;
	void *ctx;
} walk_ext;

/* 0: ready; -1: no usable ext superblock at fs_off. */
int walk_ext_open(walk_ext *x, fx_read_fn rd, void *ctx, uint64_t fs_off);

/* Inode ino into buf (x->sb.inode_size bytes).  expect_size: libtsk's
 * size; 0 when the raw inode was read and agrees. */
int walk_ext_inode(const walk_ext *x, uint64_t ino, uint64_t expect_size, uint8_t *buf);

/* The content runs of an extent-mapped inode, as hpool takes them; NULL
 * (rc set) when it is not extent-mapped or the tree is corrupt. */
hp_run *walk_ext_runs(const walk_ext *x, const uint8_t *inode, uint64_t size, size_t *n,
                      sg_err *rc);

/* All size bytes (<= WALK_EXT_SMALL_MAX) of an inode's content into out:
 * extents of any depth, inline symlinks, or (ext2/3) the direct blocks. */
sg_err walk_ext_read(const walk_ext *x, const uint8_t *inode, uint64_t size, uint8_t *out);

#endif
