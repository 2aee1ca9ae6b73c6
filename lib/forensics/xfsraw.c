/* xfsraw.c — XFS orphan inodes read raw (see xfsraw.h). */
#include "forensics/xfsraw.h"

#include <stdlib.h>
#include <string.h>

#include "forensics/bytes.h"

#define SB_MAGIC 0x58465342u  /* "XFSB" */
#define AGI_MAGIC 0x58414749u /* "XAGI" */
#define DINODE_MAGIC 0x494eu  /* "IN" */
#define NULLAGINO 0xffffffffu
#define INCOMPAT_BIGTIME (1u << 3)
#define DIFLAG2_BIGTIME (1ull << 3)
#define DIFLAG2_NREXT64 (1ull << 4)
#define CORE_V2 100u  /* di_next_unlinked ends the v1/v2 core */
#define CORE_V3 176u
#define AGI_UNLINKED 40u
#define FMT_EXTENTS 2
#define FMT_BTREE 3
#define BMAP_MAGIC 0x424d4150u /* "BMAP": a v4 extent map B+tree block */
#define BMA3_MAGIC 0x424d4133u /* "BMA3": v5 */
#define BMBT_MAX_LEVELS 9      /* the kernel's XFS_BM_MAXLEVELS bound */
#define BMBT_MAX_BLOCKS 65536u /* tree blocks read for one inode */

static int pow2_log(uint32_t v, unsigned *log)
{
	if (!v || (v & (v - 1)))
		return -1;
	unsigned l = 0;
	while ((1u << l) != v)
		l++;
	*log = l;
	return 0;
}

/* The smallest l with 2^l >= v (the kernel's agblklog). */
static unsigned log_roundup(uint32_t v)
{
	unsigned l = 0;
	while (l < 32 && ((uint64_t)1 << l) < v)
		l++;
	return l;
}

sg_err fx_xfs_sb_parse(const uint8_t *sb, size_t len, uint64_t fs_off, fx_xfs_sb *out)
{
	memset(out, 0, sizeof *out);
	if (len < 512 || fx_be32(sb) != SB_MAGIC)
		return SG_ERR_CORRUPT;
	unsigned blog, slog, ilog, plog;
	out->fs_off = fs_off;
	out->block_size = fx_be32(sb + 4);
	out->dblocks = fx_be64(sb + 8);
	out->ag_blocks = fx_be32(sb + 84);
	out->ag_count = fx_be32(sb + 88);
	out->sect_size = fx_be16(sb + 102);
	out->inode_size = fx_be16(sb + 104);
	out->inopblock = fx_be16(sb + 106);
	out->inopblog = sb[123];
	out->agblklog = sb[124];
	out->v5 = (fx_be16(sb + 100) & 0xf) == 5;
	out->bigtime = out->v5 && (fx_be32(sb + 216) & INCOMPAT_BIGTIME);
	out->log_start = fx_be64(sb + 48);
	out->log_blocks = fx_be32(sb + 96);
	/* the kernel's bounds (xfs_validate_sb_common) */
	if (pow2_log(out->block_size, &blog) || blog < 9 || blog > 16 || sb[120] != blog ||
	    pow2_log(out->sect_size, &slog) || slog < 9 || slog > 15 ||
	    pow2_log(out->inode_size, &ilog) || ilog < 8 || ilog > 11 || sb[122] != ilog ||
	    out->inode_size > out->block_size || out->inopblock != out->block_size / out->inode_size ||
	    pow2_log(out->inopblock, &plog) || plog != out->inopblog || out->ag_blocks < 64 ||
	    !out->ag_count || out->agblklog != log_roundup(out->ag_blocks) ||
	    out->agblklog + out->inopblog > 32 || !out->dblocks ||
	    out->dblocks > (uint64_t)out->ag_count * out->ag_blocks ||
	    (uint64_t)(out->ag_count - 1) * out->ag_blocks >= out->dblocks ||
	    2u * out->sect_size > out->block_size * (uint64_t)out->ag_blocks)
		return SG_ERR_CORRUPT;
	return SG_OK;
}

uint64_t fx_xfs_ino(const fx_xfs_sb *sb, uint32_t agno, uint32_t agino)
{
	return (uint64_t)agno << (sb->agblklog + sb->inopblog) | agino;
}

/* Where AG agno's block agbno starts on the device. */
static uint64_t ag_block_off(const fx_xfs_sb *sb, uint64_t agno, uint64_t agbno)
{
	return sb->fs_off + (agno * sb->ag_blocks + agbno) * sb->block_size;
}

sg_err fx_xfs_inode_read(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, uint64_t ino,
                         uint8_t *buf)
{
	unsigned shift = sb->agblklog + sb->inopblog;
	uint64_t agno = ino >> shift, agino = ino & (((uint64_t)1 << shift) - 1);
	uint64_t agbno = agino >> sb->inopblog, slot = agino & (sb->inopblock - 1);
	if (agno >= sb->ag_count || agbno >= sb->ag_blocks)
		return SG_ERR_CORRUPT;
	sg_err rc = rd(ctx, ag_block_off(sb, agno, agbno) + slot * sb->inode_size, buf,
	               sb->inode_size);
	if (rc)
		return rc;
	return fx_be16(buf) == DINODE_MAGIC ? SG_OK : SG_ERR_CORRUPT;
}

static fx_time xfs_time(const uint8_t *p, int bigtime)
{
	fx_time t = {0, 0, 1};
	if (bigtime) { /* nanoseconds since the 32-bit epoch's start, 1901 */
		uint64_t v = fx_be64(p);
		t.sec = (int64_t)(v / 1000000000u) - 2147483648ll;
		t.nsec = (uint32_t)(v % 1000000000u);
	} else {
		t.sec = (int32_t)fx_be32(p);
		t.nsec = fx_be32(p + 4);
		if (t.nsec >= 1000000000u)
			t.nsec = 0;
	}
	return t;
}

sg_err fx_xfs_inode_parse(const fx_xfs_sb *sb, const uint8_t *buf, fx_xfs_inode *out)
{
	memset(out, 0, sizeof *out);
	uint8_t version = buf[4];
	if (fx_be16(buf) != DINODE_MAGIC || version < 1 || version > 3 || (version == 3) != sb->v5)
		return SG_ERR_CORRUPT;
	uint64_t flags2 = version == 3 ? fx_be64(buf + 120) : 0;
	int big = sb->bigtime && (flags2 & DIFLAG2_BIGTIME);
	out->mode = fx_be16(buf + 2);
	out->format = buf[5];
	out->uid = fx_be32(buf + 8);
	out->gid = fx_be32(buf + 12);
	out->nlink = version == 1 ? fx_be16(buf + 6) : fx_be32(buf + 16);
	out->atime = xfs_time(buf + 32, big);
	out->mtime = xfs_time(buf + 40, big);
	out->ctime = xfs_time(buf + 48, big);
	if (version == 3)
		out->btime = xfs_time(buf + 144, big);
	out->size = fx_be64(buf + 56);
	out->nextents = (flags2 & DIFLAG2_NREXT64) ? fx_be64(buf + 24) : fx_be32(buf + 76);
	out->next_unlinked = fx_be32(buf + 96);
	if (out->size > INT64_MAX)
		return SG_ERR_CORRUPT;
	return SG_OK;
}

/* The device offset of file system block fsb (AG number and block in it);
 * SG_ERR_CORRUPT outside the file system or when count blocks overrun its AG. */
static sg_err fsb_off(const fx_xfs_sb *sb, uint64_t fsb, uint64_t count, uint64_t *off)
{
	uint64_t agno = fsb >> sb->agblklog, agbno = fsb & (((uint64_t)1 << sb->agblklog) - 1);
	if (!count || agno >= sb->ag_count || agbno >= sb->ag_blocks ||
	    count > sb->ag_blocks - agbno)
		return SG_ERR_CORRUPT;
	*off = ag_block_off(sb, agno, agbno);
	return SG_OK;
}

/* The runs of one file, gathered in file order from its extent records. */
typedef struct runs {
	const fx_xfs_sb *sb;
	const fx_xfs_inode *in;
	fx_ext4_run *v;
	size_t n, cap;
	uint64_t recs, end; /* records seen; file blocks before end are taken */
} runs;

/* One 16-byte extent record: in file order after the last, inside the
 * file system; kept (clipped) when it holds bytes of the file. */
static sg_err add_rec(runs *rs, const uint8_t *p)
{
	const fx_xfs_sb *sb = rs->sb;
	uint64_t l0 = fx_be64(p), l1 = fx_be64(p + 8);
	uint64_t off = (l0 & (((uint64_t)1 << 63) - 1)) >> 9;
	uint64_t fsb = (l0 & 0x1ff) << 43 | l1 >> 21, count = l1 & 0x1fffff;
	fx_ext4_run r = {0, 0, count * sb->block_size, (int)(l0 >> 63)}; /* unwritten: zeros */
	if (++rs->recs > rs->in->nextents || off < rs->end || fsb_off(sb, fsb, count, &r.dev_off))
		return SG_ERR_CORRUPT;
	rs->end = off + count;
	/* off < 2^54 blocks of at most 2^16 bytes: past the file (and past
	   2^63) when it does not fit */
	if (off >= (rs->in->size + sb->block_size - 1) / sb->block_size)
		return SG_OK;
	r.file_off = off * sb->block_size;
	if (r.len > rs->in->size - r.file_off)
		r.len = rs->in->size - r.file_off;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 16;
		fx_ext4_run *v = realloc(rs->v, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = r;
	return SG_OK;
}

/* A B+tree block of the extent map at fsb, of the level its parent says,
 * into blk (and its subtrees' into the blocks after it), its subtrees
 * left to right: their records must come in file order, so a block reached
 * twice is refused; *budget blocks may still be read. */
static sg_err bmbt_block(runs *rs, fx_read_fn rd, void *ctx, uint64_t fsb, unsigned level,
                         unsigned *budget, uint8_t *blk)
{
	const fx_xfs_sb *sb = rs->sb;
	uint64_t off;
	sg_err rc;
	if (!*budget || fsb_off(sb, fsb, 1, &off))
		return SG_ERR_CORRUPT;
	--*budget;
	if ((rc = rd(ctx, off, blk, sb->block_size)))
		return rc;
	size_t hdr = sb->v5 ? 72 : 24, maxrecs = (sb->block_size - hdr) / 16;
	unsigned n = fx_be16(blk + 6);
	if (fx_be32(blk) != (sb->v5 ? BMA3_MAGIC : BMAP_MAGIC) || fx_be16(blk + 4) != level || !n ||
	    n > maxrecs)
		return SG_ERR_CORRUPT;
	for (unsigned i = 0; !rc && i < n; i++)
		rc = level ? bmbt_block(rs, rd, ctx, fx_be64(blk + hdr + maxrecs * 8 + i * 8), level - 1,
		                        budget, blk + sb->block_size)
		           : add_rec(rs, blk + hdr + i * 16);
	return rc;
}

/* The root of a B+tree extent map, in the inode's data fork. */
static sg_err bmbt_root(runs *rs, fx_read_fn rd, void *ctx, const uint8_t *fork, size_t len)
{
	if (len < 20)
		return SG_ERR_CORRUPT;
	unsigned level = fx_be16(fork), n = fx_be16(fork + 2);
	size_t maxrecs = (len - 4) / 16;
	if (!level || level > BMBT_MAX_LEVELS || !n || n > maxrecs)
		return SG_ERR_CORRUPT;
	/* one block per level below the root, each level's after the last */
	uint8_t *blk = malloc((size_t)rs->sb->block_size * level);
	if (!blk)
		return SG_ERR_NOMEM;
	unsigned budget = BMBT_MAX_BLOCKS;
	sg_err rc = SG_OK;
	for (unsigned i = 0; !rc && i < n; i++)
		rc = bmbt_block(rs, rd, ctx, fx_be64(fork + 4 + maxrecs * 8 + i * 8), level - 1, &budget,
		                blk);
	free(blk);
	return rc;
}

sg_err fx_xfs_extents(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *buf,
                      const fx_xfs_inode *in, fx_ext4_run **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (in->format != FMT_EXTENTS && in->format != FMT_BTREE)
		return SG_ERR_CORRUPT;
	size_t core = sb->v5 ? CORE_V3 : CORE_V2;
	size_t fork = buf[82] ? (size_t)buf[82] * 8 : sb->inode_size - core;
	if (fork > sb->inode_size - core || in->nextents > FX_XFS_MAX_EXTENTS ||
	    (in->format == FMT_EXTENTS && in->nextents > fork / 16))
		return SG_ERR_CORRUPT;
	runs rs = {sb, in, NULL, 0, 0, 0, 0};
	sg_err rc = SG_OK;
	if (in->format == FMT_BTREE)
		rc = bmbt_root(&rs, rd, ctx, buf + core, fork);
	for (uint64_t i = 0; in->format == FMT_EXTENTS && !rc && i < in->nextents; i++)
		rc = add_rec(&rs, buf + core + i * 16);
	if (!rc && rs.recs != in->nextents)
		rc = SG_ERR_CORRUPT; /* the map holds fewer extents than the inode says */
	if (rc) {
		free(rs.v);
		return rc;
	}
	*out = rs.v ? rs.v : malloc(sizeof *rs.v);
	*n = rs.n;
	return *out ? SG_OK : SG_ERR_NOMEM;
}

/* ---- the unlinked lists ---- */

typedef struct ino_set {
	uint64_t *v; /* open addressing; 0 is free (inode 0 is never an inode) */
	size_t cap;
} ino_set;

/* 1 when added, 0 when already there. */
static int set_add(ino_set *s, uint64_t ino)
{
	size_t i = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (s->cap - 1);
	while (s->v[i]) {
		if (s->v[i] == ino)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->v[i] = ino;
	return 1;
}

typedef struct walk {
	const fx_xfs_sb *sb;
	fx_read_fn rd;
	void *ctx;
	uint64_t *inos;
	size_t max, n;
	unsigned broken;
	ino_set seen;
	uint8_t *ibuf;
} walk;

/* One bucket's chain from head: 1 when the list is full. */
static int chain(walk *w, uint32_t agno, uint32_t agino)
{
	uint64_t per_ag = (uint64_t)w->sb->ag_blocks << w->sb->inopblog;
	while (agino != NULLAGINO) {
		fx_xfs_inode in;
		uint64_t ino = fx_xfs_ino(w->sb, agno, agino);
		if (agino >= per_ag || !ino || !set_add(&w->seen, ino) ||
		    fx_xfs_inode_read(w->sb, w->rd, w->ctx, ino, w->ibuf) ||
		    fx_xfs_inode_parse(w->sb, w->ibuf, &in)) {
			w->broken++; /* leaves its AG, loops, or unreadable */
			return 0;
		}
		if (w->n == w->max)
			return 1;
		w->inos[w->n++] = ino;
		agino = in.next_unlinked;
	}
	return 0;
}

sg_err fx_xfs_orphans(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, uint64_t *inos,
                      size_t max, size_t *n, unsigned *broken)
{
	*n = 0;
	*broken = 0;
	walk w = {sb, rd, ctx, inos, max, 0, 0, {NULL, 1}, NULL};
	while (w.seen.cap < 2 * (max + 1))
		w.seen.cap <<= 1;
	w.seen.v = calloc(w.seen.cap, sizeof *w.seen.v);
	w.ibuf = malloc(FX_XFS_INODE_MAX);
	uint8_t *agi = malloc(sb->sect_size);
	sg_err rc = w.seen.v && w.ibuf && agi ? SG_OK : SG_ERR_NOMEM;
	int full = 0;
	for (uint32_t agno = 0; !rc && !full && agno < sb->ag_count; agno++) {
		sg_err r = rd(ctx, ag_block_off(sb, agno, 0) + 2ull * sb->sect_size, agi, sb->sect_size);
		if (r == SG_ERR_RANGE) { /* the device ends before this AG */
			w.broken += sb->ag_count - agno;
			break;
		}
		if (r || fx_be32(agi) != AGI_MAGIC || fx_be32(agi + 8) != agno) {
			w.broken++;
			continue;
		}
		for (unsigned b = 0; !full && b < FX_XFS_BUCKETS; b++)
			full = chain(&w, agno, fx_be32(agi + AGI_UNLINKED + 4 * b));
	}
	free(agi);
	free(w.ibuf);
	free(w.seen.v);
	*n = w.n;
	*broken = w.broken;
	return rc ? rc : full ? SG_ERR_RANGE : SG_OK;
}
