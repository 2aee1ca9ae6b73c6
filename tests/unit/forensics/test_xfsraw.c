/* test_xfsraw.c — XFS orphan inodes read raw (xfsraw.h), on the fuzz
 * target's seeds (fuzz/forensics/mkxfsraw.py; directory in $XFSRAW_SEEDS). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include "forensics/xfsraw.h"

/* The seed NAME, read whole into a buffer of its own (freed with
 * free((void *)m.p)). */
static fx_mem seed(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", getenv("XFSRAW_SEEDS") ? getenv("XFSRAW_SEEDS") : ".",
	         name);
	uint8_t *buf = malloc(1 << 16);
	fx_mem m = {buf, 0};
	FILE *f = fopen(path, "rb");
	if (f && buf)
		m.n = fread(buf, 1, 1 << 16, f);
	if (f)
		fclose(f);
	CHECKF(m.n == 32768, "seed %s", path);
	return m;
}

TEST(orphans_and_their_extents)
{
	fx_mem m = seed("extents-and-btree-v5");
	fx_xfs_sb sb;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK(sb.v5 && sb.bigtime && sb.block_size == 512 && sb.inopblog == 1);
	uint64_t inos[8];
	size_t n = 0;
	unsigned broken = 9;
	CHECK_INT(fx_xfs_orphans(&sb, fx_mem_read, &m, inos, 8, &n, &broken), SG_OK);
	CHECK(n == 2 && inos[0] == 20 && inos[1] == 21 && broken == 0);
	uint8_t ibuf[FX_XFS_INODE_MAX];
	fx_xfs_inode in;
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK(in.mode == 0100755 && in.size == 1000 && in.nlink == 0 && in.next_unlinked == 21);
	CHECK(in.mtime.set && in.mtime.sec == 1733390000 && in.mtime.nsec == 5); /* bigtime */
	CHECK(in.btime.set && in.btime.sec == 1733390000);
	fx_ext4_run *r = NULL;
	CHECK_INT(fx_xfs_extents(&sb, fx_mem_read, &m, ibuf, &in, &r, &n), SG_OK);
	CHECK(n == 2 && r && r[0].file_off == 0 && r[0].dev_off == 30 * 512 && r[0].len == 512 &&
	      !r[0].zero);
	CHECK(n == 2 && r && r[1].file_off == 512 && r[1].dev_off == 21 * 512 &&
	      r[1].len == 488 /* clipped to the size */ && r[1].zero /* unwritten */);
	free(r);
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, 21, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, fx_mem_read, &m, ibuf, &in, &r, &n), SG_OK); /* B+tree, 2 levels */
	CHECK(n == 2 && r && r[0].file_off == 0 && r[0].dev_off == 31 * 512 && r[0].len == 512);
	CHECK(n == 2 && r && r[1].file_off == 3 * 512 && r[1].dev_off == 32 * 512 &&
	      r[1].len == 1024);
	free(r);
	CHECK_INT(fx_xfs_orphans(&sb, fx_mem_read, &m, inos, 1, &n, &broken), SG_ERR_RANGE);
	CHECK(n == 1 && inos[0] == 20);
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, (uint64_t)1 << 40, ibuf), SG_ERR_CORRUPT);
	((uint8_t *)m.p)[0] = 'Y';
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_ERR_CORRUPT);
	free((void *)m.p);
}

TEST(damaged_lists_and_extents)
{
	fx_mem m = seed("chain-loops");
	fx_xfs_sb sb;
	uint64_t inos[8];
	size_t n = 0;
	unsigned broken = 0;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_orphans(&sb, fx_mem_read, &m, inos, 8, &n, &broken), SG_OK);
	CHECK(n == 2 && broken == 1); /* 20 -> 21 -> 20: listed once, said */
	free((void *)m.p);
	m = seed("extent-outside-the-ag");
	uint8_t ibuf[FX_XFS_INODE_MAX];
	fx_xfs_inode in;
	fx_ext4_run *r = NULL;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, fx_mem_read, &m, ibuf, &in, &r, &n), SG_ERR_CORRUPT);
	CHECK(!r);
	free((void *)m.p);
	m = seed("btree-block-twice"); /* its leaf's records would come twice */
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, 21, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, fx_mem_read, &m, ibuf, &in, &r, &n), SG_ERR_CORRUPT);
	CHECK(!r);
	free((void *)m.p);
	m = seed("v4-inodes");
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK(!sb.v5);
	CHECK_INT(fx_xfs_inode_read(&sb, fx_mem_read, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK(in.mtime.sec == 1733390000 && in.mtime.nsec == 5 && !in.btime.set);
	CHECK_INT(fx_xfs_extents(&sb, fx_mem_read, &m, ibuf, &in, &r, &n), SG_OK); /* a 100-byte core */
	CHECK(n == 2 && r && r[0].dev_off == 30 * 512);
	free(r);
	free((void *)m.p);
}

TEST_MAIN(orphans_and_their_extents, damaged_lists_and_extents)
