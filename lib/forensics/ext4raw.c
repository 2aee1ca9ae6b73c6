/* ext4raw.c — the kernel's view of an ext2/3/4 inode (see ext4raw.h). */
#include "forensics/ext4raw.h"

#include "forensics/xattrs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/bytes.h"


#define SB_MAGIC 0xEF53
#define INCOMPAT_META_BG 0x10u
#define INCOMPAT_64BIT 0x80u
#define RO_COMPAT_SPARSE_SUPER 0x1u
#define COMPAT_ORPHAN_FILE 0x1000u
#define ORPHAN_BLOCK_MAGIC 0x0b10ca04u

sg_err fx_ext4_sb_parse(const uint8_t *sb, size_t len, uint64_t fs_off, fx_ext4_sb *out)
{
	memset(out, 0, sizeof *out);
	if (len < 1024 || fx_le16(sb + 0x38) != SB_MAGIC)
		return SG_ERR_CORRUPT;
	uint32_t log = fx_le32(sb + 0x18);
	if (log > 6)
		return SG_ERR_CORRUPT;
	out->fs_off = fs_off;
	out->block_size = 1024u << log;
	out->inodes = fx_le32(sb + 0x00);
	out->first_data_block = fx_le32(sb + 0x14);
	out->blocks_per_group = fx_le32(sb + 0x20);
	out->inodes_per_group = fx_le32(sb + 0x28);
	out->inode_size = fx_le32(sb + 0x4C) == 0 ? 128 : fx_le16(sb + 0x58);
	uint32_t incompat = fx_le32(sb + 0x60);
	out->blocks = fx_le32(sb + 0x04);
	if (incompat & INCOMPAT_64BIT) {
		out->blocks |= (uint64_t)fx_le32(sb + 0x150) << 32;
		out->desc_size = fx_le16(sb + 0xFE);
		if (out->desc_size < 32 || out->desc_size > 1024 || out->desc_size & (out->desc_size - 1))
			return SG_ERR_CORRUPT;
	} else {
		out->desc_size = 32;
	}
	out->meta_bg = (incompat & INCOMPAT_META_BG) != 0;
	out->first_meta_bg = fx_le32(sb + 0x104);
	out->sparse_super = (fx_le32(sb + 0x64) & RO_COMPAT_SPARSE_SUPER) != 0;
	out->last_orphan = fx_le32(sb + 0xE8);
	out->orphan_file = fx_le32(sb + 0x5C) & COMPAT_ORPHAN_FILE ? fx_le32(sb + 0x280) : 0;
	if (out->inode_size < 128 || out->inode_size > FX_EXT4_INODE_MAX ||
	    out->inode_size & (out->inode_size - 1) || out->inode_size > out->block_size ||
	    !out->inodes_per_group || !out->blocks_per_group || !out->blocks ||
	    out->first_data_block >= out->blocks || out->blocks > (UINT64_MAX >> 17))
		return SG_ERR_CORRUPT;
	return SG_OK;
}

sg_err fx_ext4_orphan_block(const fx_ext4_sb *sb, const uint8_t *blk, uint32_t *out,
                            size_t *n)
{
	size_t bs = sb->block_size;
	*n = 0;
	if (bs < 8 || fx_le32(blk + bs - 8) != ORPHAN_BLOCK_MAGIC)
		return SG_ERR_CORRUPT;
	sg_err rc = SG_OK;
	for (size_t off = 0; off + 8 < bs; off += 4) {
		uint32_t ino = fx_le32(blk + off);
		if (!ino)
			continue;
		if (ino > sb->inodes)
			rc = SG_ERR_CORRUPT; /* the good ones still count */
		else
			out[(*n)++] = ino;
	}
	return rc;
}

static int is_power_of(uint64_t n, uint64_t b)
{
	while (n > 1 && n % b == 0)
		n /= b;
	return n == 1;
}

/* Does block group g hold a superblock backup (and so descriptors)? */
static int group_has_super(const fx_ext4_sb *sb, uint64_t g)
{
	if (g <= 1 || !sb->sparse_super)
		return 1;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

/* Byte offset of group g's descriptor, as ext2fs_descriptor_block_loc. */
static sg_err desc_offset(const fx_ext4_sb *sb, uint64_t g, uint64_t *off)
{
	uint64_t per_block = sb->block_size / sb->desc_size;
	uint64_t db = g / per_block, block;
	if (!sb->meta_bg || db < sb->first_meta_bg) {
		block = (uint64_t)sb->first_data_block + 1 + db;
	} else {
		uint64_t first = db * per_block; /* the meta group's first group */
		block = (uint64_t)sb->first_data_block + first * sb->blocks_per_group +
		        (group_has_super(sb, first) ? 1 : 0);
	}
	if (block >= sb->blocks)
		return SG_ERR_CORRUPT;
	*off = sb->fs_off + block * sb->block_size + (g % per_block) * sb->desc_size;
	return SG_OK;
}

sg_err fx_ext4_inode_read(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, uint32_t ino,
                          uint8_t *buf)
{
	if (ino == 0 || ino > sb->inodes)
		return SG_ERR_RANGE;
	uint64_t g = (ino - 1) / sb->inodes_per_group, doff;
	sg_err rc = desc_offset(sb, g, &doff);
	uint8_t d[64];
	if (!rc)
		rc = rd(ctx, doff, d, sb->desc_size >= 64 ? 64 : 32);
	if (rc)
		return rc;
	uint64_t table = fx_le32(d + 0x08);
	if (sb->desc_size >= 64)
		table |= (uint64_t)fx_le32(d + 0x28) << 32;
	uint64_t idx = (ino - 1) % sb->inodes_per_group;
	uint64_t rel = idx * sb->inode_size;
	if (table == 0 || table >= sb->blocks ||
	    rel / sb->block_size >= sb->blocks - table)
		return SG_ERR_CORRUPT;
	return rd(ctx, sb->fs_off + table * sb->block_size + rel, buf, sb->inode_size);
}

uint16_t fx_ext4_mode(const uint8_t *inode)
{
	return fx_le16(inode);
}

uint64_t fx_ext4_size(const uint8_t *inode)
{
	return fx_le32(inode + 0x04) | (uint64_t)fx_le32(inode + 0x6C) << 32;
}

uint32_t fx_ext4_flags(const uint8_t *inode)
{
	return fx_le32(inode + 0x20);
}

void fx_ext4_owner(const uint8_t *inode, uint32_t *uid, uint32_t *gid, uint32_t *nlink)
{
	*uid = fx_le16(inode + 0x02) | (uint32_t)fx_le16(inode + 0x78) << 16;
	*gid = fx_le16(inode + 0x18) | (uint32_t)fx_le16(inode + 0x7A) << 16;
	*nlink = fx_le16(inode + 0x1A);
}

uint32_t fx_ext4_dtime(const uint8_t *inode)
{
	return fx_le32(inode + 0x14);
}

/* fs/ext4/ext4.h ext4_decode_extra_time(): seconds are the signed 32-bit
 * field plus the two low bits of extra times 2^32; nanoseconds are the
 * rest of extra. */
static fx_time decode(const uint8_t *inode, size_t isize, size_t sec_off, size_t extra_off)
{
	fx_time t = {(int32_t)fx_le32(inode + sec_off), 0, 1};
	size_t extra_isize = isize > 128 ? fx_le16(inode + 0x80) : 0;
	if (extra_off && extra_off + 4 <= 128 + extra_isize && extra_off + 4 <= isize) {
		uint32_t x = fx_le32(inode + extra_off);
		t.sec += (int64_t)(x & 3u) << 32;
		t.nsec = x >> 2;
		if (t.nsec >= 1000000000u)
			t.nsec = 0; /* as the kernel would show it: out of range */
	}
	return t;
}

void fx_ext4_times(const uint8_t *inode, size_t isize, fx_time out[4])
{
	out[FX_EXT4_MTIME] = decode(inode, isize, 0x10, 0x88);
	out[FX_EXT4_ATIME] = decode(inode, isize, 0x08, 0x8C);
	out[FX_EXT4_CTIME] = decode(inode, isize, 0x0C, 0x84);
	size_t extra_isize = isize > 128 ? fx_le16(inode + 0x80) : 0;
	if (0x94 <= 128 + extra_isize && 0x94 <= isize)
		out[FX_EXT4_BTIME] = decode(inode, isize, 0x90, 0x94);
	else
		out[FX_EXT4_BTIME] = (fx_time){0, 0, 0};
}

/* ---- extent trees ---- */

#define EXT_MAGIC 0xF30A

typedef struct ext_walk {
	const fx_ext4_sb *sb;
	fx_read_fn rd;
	void *ctx;
	uint64_t size;
	fx_ext4_run *v;
	size_t n, cap;
	uint64_t next_lblk; /* extents must come in increasing logical order */
	uint64_t nodes_left; /* tree blocks this walk may still read */
	uint8_t *blk;       /* one block buffer per level */
} ext_walk;

static sg_err push_run(ext_walk *w, uint64_t lblk, uint64_t pblk, uint64_t len, int zero)
{
	uint64_t bs = w->sb->block_size;
	if (lblk < w->next_lblk || len == 0)
		return SG_ERR_CORRUPT;
	if (pblk >= w->sb->blocks || len > w->sb->blocks - pblk)
		return SG_ERR_CORRUPT;
	w->next_lblk = lblk + len;
	uint64_t off = lblk * bs; /* lblk < 2^32, bs <= 2^16: no overflow */
	if (off >= w->size)
		return SG_OK; /* blocks past the end (preallocated): not content */
	uint64_t bytes = len * bs;
	if (bytes > w->size - off)
		bytes = w->size - off;
	if (w->n == w->cap) {
		if (w->n >= FX_EXT4_MAX_EXTENTS)
			return SG_ERR_RANGE;
		size_t cap = w->cap ? w->cap * 2 : 16;
		fx_ext4_run *nv = realloc(w->v, cap * sizeof *nv);
		if (!nv)
			return SG_ERR_NOMEM;
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] = (fx_ext4_run){off, w->sb->fs_off + pblk * bs, bytes, zero};
	return SG_OK;
}

/* The logical range [lo, hi) a node's entries must lie in: its parent's
 * index entry up to the next one (fs/ext4/extents.c
 * ext4_valid_extent_entries: index entries strictly increasing, a child's
 * first entry not before its index entry). */
typedef struct lrange {
	uint64_t lo, hi;
} lrange;

static sg_err walk_node(ext_walk *w, const uint8_t *node, size_t len, int expect, lrange r);

/* Read child block `child` and walk it as a node of depth d over r. */
static sg_err walk_child(ext_walk *w, uint64_t child, int d, lrange r)
{
	if (child >= w->sb->blocks)
		return SG_ERR_CORRUPT;
	if (w->nodes_left == 0)
		return SG_ERR_CORRUPT; /* more tree than any file of this fs needs */
	w->nodes_left--;
	uint8_t *buf = w->blk + (size_t)d * w->sb->block_size;
	sg_err rc = w->rd(w->ctx, w->sb->fs_off + child * w->sb->block_size, buf, w->sb->block_size);
	return rc ? rc : walk_node(w, buf, w->sb->block_size, d, r);
}

/* One node (header + entries) of len bytes; expect is its depth (-1 for
 * the root, whose depth is its own). */
static sg_err walk_node(ext_walk *w, const uint8_t *node, size_t len, int expect, lrange r)
{
	if (len < 12 || fx_le16(node) != EXT_MAGIC)
		return SG_ERR_CORRUPT;
	size_t entries = fx_le16(node + 2), max = fx_le16(node + 4);
	int d = fx_le16(node + 6);
	if ((expect >= 0 && d != expect) || d > FX_EXT4_MAX_DEPTH || max == 0 || entries > max ||
	    12 + max * 12 > len || (d > 0 && entries == 0))
		return SG_ERR_CORRUPT;
	for (size_t i = 0; i < entries; i++) {
		const uint8_t *e = node + 12 + i * 12;
		uint64_t lblk = fx_le32(e);
		if (lblk < r.lo || lblk >= r.hi)
			return SG_ERR_CORRUPT;
		sg_err rc;
		if (d == 0) {
			uint32_t l = fx_le16(e + 4);
			int zero = l > 32768;
			if (zero)
				l -= 32768;
			uint64_t start = (uint64_t)fx_le16(e + 6) << 32 | fx_le32(e + 8);
			rc = push_run(w, lblk, start, l, zero);
		} else {
			uint64_t next = i + 1 < entries ? fx_le32(e + 12) : r.hi;
			if (next <= lblk)
				return SG_ERR_CORRUPT; /* index entries strictly increasing */
			uint64_t child = (uint64_t)fx_le16(e + 8) << 32 | fx_le32(e + 4);
			rc = walk_child(w, child, d - 1, (lrange){lblk, next});
		}
		if (rc)
			return rc;
	}
	return SG_OK;
}

sg_err fx_ext4_extents(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *inode,
                       uint64_t size, fx_ext4_run **runs, size_t *n)
{
	*runs = NULL;
	*n = 0;
	uint64_t budget = FX_EXT4_MAX_TREE_BYTES / sb->block_size;
	ext_walk w = {sb, rd, ctx, size, NULL, 0, 0, 0, budget, NULL};
	w.blk = malloc((size_t)FX_EXT4_MAX_DEPTH * sb->block_size);
	if (!w.blk)
		return SG_ERR_NOMEM;
	sg_err rc = walk_node(&w, inode + 0x28, 60, -1, (lrange){0, (uint64_t)1 << 32});
	free(w.blk);
	if (rc) {
		free(w.v);
		return rc;
	}
	*runs = w.v;
	*n = w.n;
	return SG_OK;
}

/* ---- extended attributes (fs/ext4/xattr.h) ---- */

#define XATTR_MAGIC 0xEA020000u

static const char *xattr_prefix(uint8_t index)
{
	switch (index) {
	case 1: return "user.";
	case 2: return "system.posix_acl_access";
	case 3: return "system.posix_acl_default";
	case 4: return "trusted.";
	case 6: return "security.";
	case 7: return "system.";
	case 8: return "system.richacl";
	default: return NULL;
	}
}

/* The attributes of one inode as they are found; names (prefix and name)
 * in one buffer, each v[i].name an offset into it until xattrs_done(). */
typedef struct xattr_set {
	fx_xattr *v;
	size_t n, cap;
	sg_buf names;
} xattr_set;

static sg_err xattr_add(xattr_set *s, uint8_t index, const uint8_t *name, size_t nlen,
                        fx_xattr x)
{
	if (s->n == FX_XATTR_MAX)
		return SG_ERR_CORRUPT;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		fx_xattr *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		s->v = v;
		s->cap = cap;
	}
	const char *pre = xattr_prefix(index);
	char unknown[24];
	if (!pre) {
		snprintf(unknown, sizeof unknown, "index%u.", (unsigned)index);
		pre = unknown;
	}
	size_t at = s->names.len;
	sg_err rc = sg_buf_puts(&s->names, pre);
	if (!rc)
		rc = sg_buf_append(&s->names, name, nlen);
	if (rc)
		return rc;
	x.name = (const char *)(uintptr_t)at;
	x.name_len = s->names.len - at;
	s->v[s->n++] = x;
	return SG_OK;
}

/* Entries from area[first] on; values at area[vbase + offset]. */
static sg_err xattr_area(const uint8_t *area, size_t len, size_t first, size_t vbase,
                         xattr_set *s)
{
	size_t off = first;
	sg_err rc = SG_OK;
	while (!rc && off + 4 <= len && fx_le32(area + off) != 0) {
		if (off + 16 > len)
			return SG_ERR_CORRUPT;
		const uint8_t *e = area + off;
		size_t nlen = e[0];
		fx_xattr x = {NULL, 0, NULL, fx_le32(e + 8), fx_le32(e + 4)};
		if (nlen == 0 || off + 16 + nlen > len)
			return SG_ERR_CORRUPT;
		if (!x.value_inode) {
			size_t voff = vbase + fx_le16(e + 2);
			if (voff > len || x.size > len - voff)
				return SG_ERR_CORRUPT;
			x.value = area + voff;
		}
		rc = xattr_add(s, e[1], e + 16, nlen, x);
		off += (16 + nlen + 3) & ~(size_t)3;
	}
	return rc;
}

sg_err fx_ext4_xattrs(const fx_ext4_sb *sb, fx_read_fn rd, void *ctx, const uint8_t *inode,
                      sg_buf *out)
{
	size_t isize = sb->inode_size;
	xattr_set s = {0};
	uint8_t *blk = NULL;
	sg_err rc = SG_OK;
	size_t extra = isize > 128 ? fx_le16(inode + 0x80) : 0;
	if (isize > 128 && 128 + extra + 4 <= isize && fx_le32(inode + 128 + extra) == XATTR_MAGIC) {
		const uint8_t *area = inode + 128 + extra + 4; /* values count from here */
		rc = xattr_area(area, isize - 128 - extra - 4, 0, 0, &s);
	}
	uint64_t acl = fx_le32(inode + 0x68) | (uint64_t)fx_le16(inode + 0x76) << 32;
	if (!rc && acl) {
		if (acl >= sb->blocks)
			rc = SG_ERR_CORRUPT;
		else if (!(blk = malloc(sb->block_size)))
			rc = SG_ERR_NOMEM;
		else if (!(rc = rd(ctx, sb->fs_off + acl * sb->block_size, blk, sb->block_size)))
			rc = fx_le32(blk) == XATTR_MAGIC ? xattr_area(blk, sb->block_size, 32, 0, &s)
			                              : SG_ERR_CORRUPT;
	}
	for (size_t i = 0; i < s.n; i++) /* offsets into names become pointers */
		s.v[i].name = s.names.p + (uintptr_t)s.v[i].name;
	sg_buf text = {0};
	if (!rc)
		rc = fx_xattrs_text(&text, s.v, s.n);
	if (!rc && text.len)
		rc = sg_buf_append(out, text.p, text.len);
	sg_buf_free(&text);
	sg_buf_free(&s.names);
	free(s.v);
	free(blk);
	return rc;
}
