/* walk_ext.c — ext2/3/4 inodes as the kernel reads them (see walk_ext.h). */
#include "forensics/walk_ext.h"

#include <stdlib.h>
#include <string.h>

#define S_IFMT_ 0170000u
#define S_IFLNK_ 0120000u

int walk_ext_open(walk_ext *x, fx_read_fn rd, void *ctx, uint64_t fs_off)
{
	uint8_t sb[1024];
	memset(x, 0, sizeof *x);
	if (fs_off > UINT64_MAX - 2048 || rd(ctx, fs_off + 1024, sb, sizeof sb) ||
	    fx_ext4_sb_parse(sb, sizeof sb, fs_off, &x->sb))
		return -1;
	x->rd = rd;
	x->ctx = ctx;
	return 0;
}

int walk_ext_inode(const walk_ext *x, uint64_t ino, uint64_t expect_size, uint8_t *buf)
{
	if (!x->rd || ino > UINT32_MAX ||
	    fx_ext4_inode_read(&x->sb, x->rd, x->ctx, (uint32_t)ino, buf))
		return -1;
	return fx_ext4_size(buf) == expect_size ? 0 : -1;
}

hp_run *walk_ext_runs(const walk_ext *x, const uint8_t *inode, uint64_t size, size_t *n,
                      sg_err *rc)
{
	*n = 0;
	if (!(fx_ext4_flags(inode) & FX_EXT4_EXTENTS_FL)) {
		*rc = SG_ERR_INVAL;
		return NULL;
	}
	fx_ext4_run *r = NULL;
	size_t k = 0;
	if ((*rc = fx_ext4_extents(&x->sb, x->rd, x->ctx, inode, size, &r, &k)))
		return NULL;
	return hp_runs_from_extents(r, k, n, rc);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

sg_err walk_ext_read(const walk_ext *x, const uint8_t *inode, uint64_t size, uint8_t *out)
{
	if (size > WALK_EXT_SMALL_MAX)
		return SG_ERR_RANGE;
	uint32_t flags = fx_ext4_flags(inode);
	if (flags & FX_EXT4_INLINE_FL)
		return SG_ERR_INVAL; /* inline data: libtsk reads it */
	if ((fx_ext4_mode(inode) & S_IFMT_) == S_IFLNK_ && size < 60 &&
	    !(flags & FX_EXT4_EXTENTS_FL)) {
		memcpy(out, inode + 0x28, (size_t)size); /* a fast symlink */
		return SG_OK;
	}
	memset(out, 0, (size_t)size);
	if (flags & FX_EXT4_EXTENTS_FL) {
		size_t n = 0;
		sg_err rc;
		hp_run *v = walk_ext_runs(x, inode, size, &n, &rc);
		for (size_t i = 0; !rc && i < n; i++)
			if (!v[i].sparse)
				rc = x->rd(x->ctx, v[i].dev_off, out + v[i].file_off, (size_t)v[i].len);
		free(v);
		return rc;
	}
	/* block map: the twelve direct blocks are enough for what we read here */
	uint64_t bs = x->sb.block_size;
	if (size > 12 * bs)
		return SG_ERR_RANGE;
	for (uint64_t off = 0, i = 0; off < size; off += bs, i++) {
		uint32_t b = le32(inode + 0x28 + 4 * i);
		if (!b)
			continue; /* a hole */
		if (b >= x->sb.blocks)
			return SG_ERR_CORRUPT;
		size_t len = size - off < bs ? (size_t)(size - off) : (size_t)bs;
		sg_err rc = x->rd(x->ctx, x->sb.fs_off + (uint64_t)b * bs, out + off, len);
		if (rc)
			return rc;
	}
	return SG_OK;
}
