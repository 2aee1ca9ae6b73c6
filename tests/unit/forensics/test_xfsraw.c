/* test_xfsraw.c — XFS read raw: orphan inodes (xfsraw.h) and the log's
 * state (xfslog.h), on the fuzz targets' seeds (fuzz/forensics/mkxfsraw.py
 * and mkxfslog.py; directories in $XFSRAW_SEEDS and $XFSLOG_SEEDS). */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include "forensics/xfslog.h"
#include "forensics/xfsraw.h"

/* The seed NAME of the directory in $env, read whole into a buffer of its
 * own (freed with free((void *)m.p)). */
static fx_mem seed_in(const char *env, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", getenv(env) ? getenv(env) : ".", name);
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

static fx_mem seed(const char *name)
{
	return seed_in("XFSRAW_SEEDS", name);
}

/* The log of seed name, read raw: rc, and when SG_OK its fields. */
static sg_err log_of(const char *name, fx_xfs_log *l)
{
	fx_mem m = seed_in("XFSLOG_SEEDS", name);
	fx_xfs_sb sb;
	sg_err rc = fx_xfs_sb_parse(m.p, m.n, 0, &sb);
	CHECKF(rc == SG_OK, "%s: superblock", name);
	if (!rc)
		rc = fx_xfs_log_read(&sb, fx_mem_read, &m, l);
	free((void *)m.p);
	return rc;
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

TEST(log_clean_or_not)
{
	fx_xfs_log l;
	/* an unmount record last, the head right after it: nothing to replay */
	CHECK_INT(log_of("clean", &l), SG_OK);
	CHECK(l.clean && l.unmount && l.head == 5 && l.tail == 5 && l.last == 3 && !l.pending);
	CHECK(l.off == 8 * 512 && l.bbs == 48);
	/* a transaction after the unmount record: 4 blocks from tail to head */
	CHECK_INT(log_of("dirty", &l), SG_OK);
	CHECK(!l.clean && !l.unmount && l.head == 6 && l.tail == 2 && l.pending == 2048);
	/* around the physical end: the head where cycle 2 gives way to cycle 1 */
	CHECK_INT(log_of("dirty-wrapped", &l), SG_OK);
	CHECK(!l.clean && l.head == 10 && l.tail == 44 && l.cycle == 2 && l.pending == 14 * 512);
	CHECK_INT(log_of("clean-wrapped", &l), SG_OK);
	CHECK(l.clean && l.unmount && l.head == 5 && l.cycle == 2);
	/* a record cut short after an unmount record is no record: clean, as
	   the kernel's recovery finds it */
	CHECK_INT(log_of("torn-after-unmount", &l), SG_OK);
	CHECK(l.clean && l.head == 4 && l.last == 2);
	/* an in-core log not yet written before one that was: the head is the
	   hole, the record after it is not counted */
	CHECK_INT(log_of("hole", &l), SG_OK);
	CHECK(!l.clean && l.head == 6 && l.tail == 2);
	CHECK_INT(log_of("never-written", &l), SG_OK);
	CHECK(l.clean && l.head == 0);
	CHECK_INT(log_of("external", &l), SG_ERR_NOTFOUND);
	CHECK_INT(log_of("bad-header", &l), SG_ERR_CORRUPT);
}

TEST_MAIN(orphans_and_their_extents, damaged_lists_and_extents, log_clean_or_not)
