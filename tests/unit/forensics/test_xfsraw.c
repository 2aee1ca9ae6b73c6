/* test_xfsraw.c — XFS orphan inodes read raw (xfsraw.h), on the fuzz
 * target's seeds (fuzz/forensics/mkxfsraw.py; directory in $XFSRAW_SEEDS). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include "forensics/xfsraw.h"

typedef struct mem {
	uint8_t *p;
	size_t n;
} mem;

static sg_err rd(void *ctx, uint64_t off, void *buf, size_t len)
{
	mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return SG_ERR_RANGE;
	memcpy(buf, m->p + off, len);
	return SG_OK;
}

static mem seed(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", getenv("XFSRAW_SEEDS") ? getenv("XFSRAW_SEEDS") : ".",
	         name);
	mem m = {malloc(1 << 16), 0};
	FILE *f = fopen(path, "rb");
	if (f && m.p)
		m.n = fread(m.p, 1, 1 << 16, f);
	if (f)
		fclose(f);
	CHECKF(m.n == 32768, "seed %s", path);
	return m;
}

TEST(orphans_and_their_extents)
{
	mem m = seed("extents-and-btree-v5");
	fx_xfs_sb sb;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK(sb.v5 && sb.bigtime && sb.block_size == 512 && sb.inopblog == 1);
	uint64_t inos[8];
	size_t n = 0;
	unsigned broken = 9;
	CHECK_INT(fx_xfs_orphans(&sb, rd, &m, inos, 8, &n, &broken), SG_OK);
	CHECK(n == 2 && inos[0] == 20 && inos[1] == 21 && broken == 0);
	uint8_t ibuf[FX_XFS_INODE_MAX];
	fx_xfs_inode in;
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK(in.mode == 0100755 && in.size == 1000 && in.nlink == 0 && in.next_unlinked == 21);
	CHECK(in.mtime.set && in.mtime.sec == 1733390000 && in.mtime.nsec == 5); /* bigtime */
	CHECK(in.btime.set && in.btime.sec == 1733390000);
	fx_ext4_run *r = NULL;
	CHECK_INT(fx_xfs_extents(&sb, rd, &m, ibuf, &in, &r, &n), SG_OK);
	CHECK(n == 2 && r && r[0].file_off == 0 && r[0].dev_off == 30 * 512 && r[0].len == 512 &&
	      !r[0].zero);
	CHECK(n == 2 && r && r[1].file_off == 512 && r[1].dev_off == 21 * 512 &&
	      r[1].len == 488 /* clipped to the size */ && r[1].zero /* unwritten */);
	free(r);
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, 21, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, rd, &m, ibuf, &in, &r, &n), SG_OK); /* B+tree, 2 levels */
	CHECK(n == 2 && r && r[0].file_off == 0 && r[0].dev_off == 31 * 512 && r[0].len == 512);
	CHECK(n == 2 && r && r[1].file_off == 3 * 512 && r[1].dev_off == 32 * 512 &&
	      r[1].len == 1024);
	free(r);
	CHECK_INT(fx_xfs_orphans(&sb, rd, &m, inos, 1, &n, &broken), SG_ERR_RANGE);
	CHECK(n == 1 && inos[0] == 20);
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, (uint64_t)1 << 40, ibuf), SG_ERR_CORRUPT);
	m.p[0] = 'Y';
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_ERR_CORRUPT);
	free(m.p);
}

TEST(damaged_lists_and_extents)
{
	mem m = seed("chain-loops");
	fx_xfs_sb sb;
	uint64_t inos[8];
	size_t n = 0;
	unsigned broken = 0;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_orphans(&sb, rd, &m, inos, 8, &n, &broken), SG_OK);
	CHECK(n == 2 && broken == 1); /* 20 -> 21 -> 20: listed once, said */
	free(m.p);
	m = seed("extent-outside-the-ag");
	uint8_t ibuf[FX_XFS_INODE_MAX];
	fx_xfs_inode in;
	fx_ext4_run *r = NULL;
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, rd, &m, ibuf, &in, &r, &n), SG_ERR_CORRUPT);
	CHECK(!r);
	free(m.p);
	m = seed("btree-block-twice"); /* its leaf's records would come twice */
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, 21, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK_INT(fx_xfs_extents(&sb, rd, &m, ibuf, &in, &r, &n), SG_ERR_CORRUPT);
	CHECK(!r);
	free(m.p);
	m = seed("v4-inodes");
	CHECK_INT(fx_xfs_sb_parse(m.p, m.n, 0, &sb), SG_OK);
	CHECK(!sb.v5);
	CHECK_INT(fx_xfs_inode_read(&sb, rd, &m, 20, ibuf), SG_OK);
	CHECK_INT(fx_xfs_inode_parse(&sb, ibuf, &in), SG_OK);
	CHECK(in.mtime.sec == 1733390000 && in.mtime.nsec == 5 && !in.btime.set);
	CHECK_INT(fx_xfs_extents(&sb, rd, &m, ibuf, &in, &r, &n), SG_OK); /* a 100-byte core */
	CHECK(n == 2 && r && r[0].dev_off == 30 * 512);
	free(r);
	free(m.p);
}

TEST_MAIN(orphans_and_their_extents, damaged_lists_and_extents)
