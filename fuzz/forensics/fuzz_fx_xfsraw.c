/* fuzz_fx_xfsraw.c — XFS orphan inodes read raw from an untrusted image
 * (the input is the image; seeds: mkxfsraw.py): the superblock, every AGI's
 * unlinked lists, each orphan's core and extent map (list or B+tree).  What the walker
 * relies on: at most max inodes, each listed once; runs in file order,
 * inside the file and the image's file system. */
#include <stdint.h>
#include <stdlib.h>

#include "forensics/xfsraw.h"

static void one_inode(const fx_xfs_sb *sb, fx_mem *m, const uint8_t *ibuf)
{
	fx_xfs_inode in;
	if (fx_xfs_inode_parse(sb, ibuf, &in))
		return;
	fx_ext4_run *runs = NULL;
	size_t n = 0;
	if (fx_xfs_extents(sb, fx_mem_read, m, ibuf, &in, &runs, &n) == SG_OK) {
		uint64_t fs_end = sb->fs_off + (uint64_t)sb->ag_count * sb->ag_blocks * sb->block_size;
		for (size_t i = 0; i < n; i++)
			if (!runs[i].len || runs[i].file_off + runs[i].len > in.size ||
			    runs[i].dev_off + runs[i].len > fs_end ||
			    (i && runs[i].file_off < runs[i - 1].file_off + runs[i - 1].len))
				abort();
	} else if (runs || n) {
		abort();
	}
	free(runs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fx_mem m = {data, size};
	fx_xfs_sb sb;
	if (fx_xfs_sb_parse(data, size, 0, &sb))
		return 0;
	enum { MAX = 256 };
	uint64_t inos[MAX];
	size_t n = 0;
	unsigned broken = 0;
	sg_err rc = fx_xfs_orphans(&sb, fx_mem_read, &m, inos, MAX, &n, &broken);
	if (n > MAX || (rc && rc != SG_ERR_RANGE) || (rc == SG_ERR_RANGE && n != MAX))
		abort();
	static uint8_t ibuf[FX_XFS_INODE_MAX];
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < i; k++)
			if (inos[k] == inos[i])
				abort(); /* each orphan once, however the chains point */
		if (fx_xfs_inode_read(&sb, fx_mem_read, &m, inos[i], ibuf) == SG_OK)
			one_inode(&sb, &m, ibuf);
	}
	/* every inode slot of the first blocks as if it were an orphan */
	for (uint64_t ino = 1; ino < 128; ino++)
		if (fx_xfs_inode_read(&sb, fx_mem_read, &m, ino, ibuf) == SG_OK)
			one_inode(&sb, &m, ibuf);
	return 0;
}
