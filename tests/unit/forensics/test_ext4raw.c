/* test_ext4raw.c — inodes, times and extent trees read as fs/ext4 does,
 * from a hand-built 1 KiB-block image in memory. */
#include <stdlib.h>

#include "test.h"
#include "forensics/ext4raw.h"

#define BS 1024
#define NBLOCKS 64
static uint8_t img[NBLOCKS * BS];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static sg_err rd(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	if (off > sizeof img || len > sizeof img - off)
		return SG_ERR_RANGE;
	memcpy(buf, img + off, len);
	return SG_OK;
}

/* Superblock at 1024, descriptors in block 2, inode table at block 5,
 * 16 inodes of 256 bytes, one group. */
static uint8_t *build(fx_ext4_sb *sb)
{
	memset(img, 0, sizeof img);
	uint8_t *s = img + 1024;
	put32(s + 0x00, 16);       /* inodes */
	put32(s + 0x04, NBLOCKS);  /* blocks */
	put32(s + 0x14, 1);        /* first data block */
	put32(s + 0x18, 0);        /* 1 KiB blocks */
	put32(s + 0x20, 8192);
	put32(s + 0x28, 16);
	put16(s + 0x38, 0xEF53);
	put32(s + 0x4C, 1);
	put16(s + 0x58, 256);
	put32(img + 2 * BS + 0x08, 5); /* inode table */
	CHECK_INT(fx_ext4_sb_parse(s, 1024, 0, sb), SG_OK);
	return img + 5 * BS + (12 - 1) * 256; /* inode 12 */
}

static void extent_header(uint8_t *p, uint16_t entries, uint16_t max, uint16_t depth)
{
	put16(p, 0xF30A);
	put16(p + 2, entries);
	put16(p + 4, max);
	put16(p + 6, depth);
}

static void leaf(uint8_t *p, uint32_t lblk, uint16_t len, uint32_t start)
{
	put32(p, lblk);
	put16(p + 4, len);
	put32(p + 8, start);
}

static void index_entry(uint8_t *p, uint32_t lblk, uint32_t child)
{
	put32(p, lblk);
	put32(p + 4, child);
}

TEST(times_as_the_kernel_decodes_them)
{
	fx_ext4_sb sb;
	uint8_t *ino = build(&sb);
	put16(ino + 0x80, 32);                   /* extra_isize: all extra fields */
	put32(ino + 0x10, 0xFFFFFFFF);           /* mtime -1 ... */
	put32(ino + 0x88, 999999999u << 2);      /* ... + 999999999 ns */
	put32(ino + 0x08, 0);                    /* atime 0: a time */
	put32(ino + 0x0C, 0xF4865700);           /* ctime 2100-01-01 ... */
	put32(ino + 0x84, 1);                    /* ... needs epoch bit 1 */
	put32(ino + 0x90, (uint32_t)-31536000);  /* btime 1969-01-01 */
	uint8_t buf[256];
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 12, buf), SG_OK);
	fx_time t[4];
	fx_ext4_times(buf, 256, t);
	CHECK_INT(t[FX_EXT4_MTIME].sec, -1);
	CHECK_INT(t[FX_EXT4_MTIME].nsec, 999999999);
	CHECK_INT(t[FX_EXT4_ATIME].set, 1);
	CHECK_INT(t[FX_EXT4_ATIME].sec, 0);
	CHECK_INT(t[FX_EXT4_CTIME].sec, 4102444800);
	CHECK_INT(t[FX_EXT4_BTIME].sec, -31536000);
	/* a 128-byte inode has no extra fields and no birth time */
	fx_ext4_times(buf, 128, t);
	CHECK_INT(t[FX_EXT4_CTIME].sec, (int32_t)0xF4865700);
	CHECK_INT(t[FX_EXT4_BTIME].set, 0);
}

TEST(two_level_extent_tree)
{
	fx_ext4_sb sb;
	uint8_t *ino = build(&sb);
	put32(ino + 0x20, FX_EXT4_EXTENTS_FL);
	put32(ino + 0x04, 10 * BS + 100);        /* size: 10 blocks and a bit */
	extent_header(ino + 0x28, 1, 4, 2);      /* root: depth 2 */
	index_entry(ino + 0x28 + 12, 0, 20);
	extent_header(img + 20 * BS, 2, 84, 1);  /* depth 1 */
	index_entry(img + 20 * BS + 12, 0, 21);
	index_entry(img + 20 * BS + 24, 5, 22);
	extent_header(img + 21 * BS, 1, 84, 0);  /* leaf: blocks 0-1 at 30 */
	leaf(img + 21 * BS + 12, 0, 2, 30);
	extent_header(img + 22 * BS, 2, 84, 0);  /* leaf: 5-6 unwritten, 8-12 at 40 */
	leaf(img + 22 * BS + 12, 5, 32768 + 2, 35);
	leaf(img + 22 * BS + 24, 8, 5, 40);
	uint8_t buf[256];
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 12, buf), SG_OK);
	fx_ext4_run *r = NULL;
	size_t n = 0;
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_OK);
	CHECK_INT(n, 3);
	CHECK_INT(r[0].file_off, 0);
	CHECK_INT(r[0].dev_off, 30 * BS);
	CHECK_INT(r[0].len, 2 * BS);
	CHECK_INT(r[1].file_off, 5 * BS);
	CHECK_INT(r[1].zero, 1);
	CHECK_INT(r[2].file_off, 8 * BS);
	CHECK_INT(r[2].len, 2 * BS + 100);       /* clipped to the size */
	free(r);
	/* a child that claims the wrong depth, a loop back to itself */
	extent_header(img + 21 * BS, 1, 84, 1);
	index_entry(img + 21 * BS + 12, 0, 21);
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	/* extents out of order */
	extent_header(img + 21 * BS, 1, 84, 0);
	leaf(img + 21 * BS + 12, 6, 2, 30);
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	/* a block past the end of the file system */
	leaf(img + 21 * BS + 12, 0, 2, NBLOCKS - 1);
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	/* a depth beyond any the kernel writes */
	extent_header(buf + 0x28, 1, 4, 6);
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
}

TEST(bad_superblocks_and_inodes)
{
	fx_ext4_sb sb;
	build(&sb);
	uint8_t buf[256];
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 0, buf), SG_ERR_RANGE);
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 17, buf), SG_ERR_RANGE);
	put32(img + 2 * BS + 0x08, NBLOCKS); /* inode table past the end */
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 12, buf), SG_ERR_CORRUPT);
	put32(img + 1024 + 0x18, 7);         /* 128 KiB blocks */
	CHECK_INT(fx_ext4_sb_parse(img + 1024, 1024, 0, &sb), SG_ERR_CORRUPT);
	put32(img + 1024 + 0x18, 0);
	put16(img + 1024 + 0x58, 100);       /* inode size not a power of two */
	CHECK_INT(fx_ext4_sb_parse(img + 1024, 1024, 0, &sb), SG_ERR_CORRUPT);
	put16(img + 1024 + 0x38, 0);         /* no magic */
	CHECK_INT(fx_ext4_sb_parse(img + 1024, 1024, 0, &sb), SG_ERR_CORRUPT);
}

/* One block of the orphan file: its non-empty slots, the tail's magic
 * checked, a slot naming no inode refused while the others still count. */
TEST(orphan_file_block)
{
	fx_ext4_sb sb;
	memset(&sb, 0, sizeof sb);
	sb.block_size = 1024;
	sb.inodes = 1000;
	static uint8_t blk[1024];
	uint32_t out[256];
	size_t n = 9;
	const uint32_t slots[] = {0, 13, 0, 999};
	for (size_t i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			blk[i * 4 + (size_t)b] = (uint8_t)(slots[i] >> (8 * b));
	CHECK_INT(fx_ext4_orphan_block(&sb, blk, out, &n), SG_ERR_CORRUPT); /* no magic */
	CHECK_INT(n, 0);
	const uint8_t magic[4] = {0x04, 0xca, 0x10, 0x0b};
	memcpy(blk + 1024 - 8, magic, 4);
	CHECK_INT(fx_ext4_orphan_block(&sb, blk, out, &n), SG_OK);
	CHECK(n == 2 && out[0] == 13 && out[1] == 999);
	blk[12] = 0xe9; /* slot 3: 1001, past the last inode */
	CHECK_INT(fx_ext4_orphan_block(&sb, blk, out, &n), SG_ERR_CORRUPT);
	CHECK(n == 1 && out[0] == 13);
}

/* ---- hostile trees on 4 KiB blocks, generated by the reader ---- */

#define FAN ((4096 - 12) / 12) /* index entries in one 4 KiB block */
static unsigned long long fan_reads;
static int fan_kind;

/* fan_kind 0 (the auditor's tree): block k (1..4) an index node of depth
 * 5-k whose FAN entries, all at logical block 0, name block k+1; block 5
 * an empty leaf.  fan_kind 1: the same with the entries at 0, 1, 2, ...
 * fan_kind 2: keeps every ordering rule yet names FAN^2 * 4 empty leaves:
 * block 10+i (depth 2) names blocks 100+i*FAN+j (depth 1), each naming
 * block 5 FAN times, every entry inside its parent's logical range. */
static sg_err fan_rd(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	fan_reads++;
	if (fan_reads > 100000000ull || len != 4096)
		return SG_ERR_RANGE;
	uint64_t blk = off / 4096;
	uint8_t *p = buf;
	memset(p, 0, len);
	if (blk == 5) {
		extent_header(p, 0, FAN, 0);
		return SG_OK;
	}
	if (fan_kind < 2) {
		extent_header(p, FAN, FAN, (uint16_t)(5 - blk));
		for (uint32_t i = 0; i < FAN; i++)
			index_entry(p + 12 + 12 * i, fan_kind ? i : 0, (uint32_t)blk + 1);
		return SG_OK;
	}
	int two = blk < 100;
	uint64_t n = two ? blk - 10 : blk - 100;       /* i, or i*FAN+j */
	uint32_t base = two ? (uint32_t)n << 30 : (uint32_t)(n / FAN) << 30 | (uint32_t)(n % FAN) << 20;
	extent_header(p, FAN, FAN, two ? 2 : 1);
	for (uint32_t k = 0; k < FAN; k++)
		index_entry(p + 12 + 12 * k, base + (k << (two ? 20 : 10)),
		            two ? 100 + (uint32_t)n * FAN + k : 5);
	return SG_OK;
}

/* A few blocks whose index entries all name the same child asked for
 * 4 * 340^4 reads (5e10) and hung the examination; refused at once now,
 * and a tree that keeps every rule but names empty leaves without end
 * stops at FX_EXT4_MAX_TREE_BYTES. */
TEST(fan_out_trees_are_bounded)
{
	fx_ext4_sb sb;
	memset(&sb, 0, sizeof sb);
	sb.block_size = 4096;
	sb.blocks = 1u << 20;
	uint8_t inode[256] = {0};
	fx_ext4_run *r = NULL;
	size_t n = 0;
	for (fan_kind = 0; fan_kind < 3; fan_kind++) {
		int depth = fan_kind < 2 ? 5 : 3;
		extent_header(inode + 0x28, 4, 4, (uint16_t)depth);
		for (uint32_t i = 0; i < 4; i++)
			index_entry(inode + 0x28 + 12 + 12 * i, fan_kind == 0 ? 0 : i << 30,
			            fan_kind < 2 ? 1 : 10 + i);
		fan_reads = 0;
		CHECK_INT(fx_ext4_extents(&sb, fan_rd, NULL, inode, 1u << 20, &r, &n), SG_ERR_CORRUPT);
		/* 0 and 1 break the index order at once; 2 stops at the budget */
		unsigned long long most = fan_kind < 2 ? 5 : FX_EXT4_MAX_TREE_BYTES / 4096;
		CHECKF(fan_reads <= most && (fan_kind < 2 || fan_reads == most), "kind %d: %llu reads",
		       fan_kind, fan_reads);
		CHECK(r == NULL && n == 0);
	}
	/* one root entry: the second entry of the deepest index lies outside its range */
	fan_kind = 1;
	extent_header(inode + 0x28, 1, 4, 5);
	index_entry(inode + 0x28 + 12, 0, 1);
	fan_reads = 0;
	CHECK_INT(fx_ext4_extents(&sb, fan_rd, NULL, inode, 1u << 20, &r, &n), SG_ERR_CORRUPT);
	CHECKF(fan_reads <= 5, "%llu reads", fan_reads);
}

/* An index node with no entries, index entries out of order, a child whose
 * first entry lies before its index entry: refused as the kernel does. */
TEST(index_rules_of_ext4_ext_check)
{
	fx_ext4_sb sb;
	uint8_t *ino = build(&sb);
	put32(ino + 0x20, FX_EXT4_EXTENTS_FL);
	put32(ino + 0x04, 20 * BS);
	extent_header(ino + 0x28, 2, 4, 1);
	index_entry(ino + 0x28 + 12, 0, 21);
	index_entry(ino + 0x28 + 24, 10, 22);
	extent_header(img + 21 * BS, 1, 84, 0);
	leaf(img + 21 * BS + 12, 0, 2, 30);
	extent_header(img + 22 * BS, 1, 84, 0);
	leaf(img + 22 * BS + 12, 10, 2, 40);
	uint8_t buf[256];
	fx_ext4_run *r = NULL;
	size_t n = 0;
	CHECK_INT(fx_ext4_inode_read(&sb, rd, NULL, 12, buf), SG_OK);
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_OK);
	CHECK_INT(n, 2);
	free(r);
	index_entry(buf + 0x28 + 24, 0, 22);           /* not after the first */
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	index_entry(buf + 0x28 + 24, 12, 22);          /* child starts at 10 < 12 */
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	index_entry(buf + 0x28 + 24, 10, 22);
	leaf(img + 21 * BS + 12, 9, 2, 30);            /* first child reaches past 10 */
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
	leaf(img + 21 * BS + 12, 0, 2, 30);
	extent_header(buf + 0x28, 0, 4, 1);            /* an index node with no entries */
	CHECK_INT(fx_ext4_extents(&sb, rd, NULL, buf, fx_ext4_size(buf), &r, &n), SG_ERR_CORRUPT);
}

TEST_MAIN(times_as_the_kernel_decodes_them, two_level_extent_tree, bad_superblocks_and_inodes,
          orphan_file_block, fan_out_trees_are_bounded, index_rules_of_ext4_ext_check)
