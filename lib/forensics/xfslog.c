/* xfslog.c — is an XFS log clean? (see xfslog.h). */
#include "forensics/xfslog.h"

#include <string.h>

#include "forensics/bytes.h"

#define BB 512u
#define LOG_MAGIC 0xfeedbabeu      /* XLOG_HEADER_MAGIC_NUM */
#define UNMOUNT_TRANS 0x20u        /* XLOG_UNMOUNT_TRANS */
#define VERSION_2 2u               /* XLOG_VERSION_2 */
#define MAX_RECORD (256u << 10)    /* XLOG_MAX_RECORD_BSIZE */
#define CYCLE_SIZE (32u << 10)     /* XLOG_HEADER_CYCLE_SIZE */
#define MAX_LOG_BYTES (2ull << 30) /* XFS_MAX_LOG_BYTES */
#define PIECE 32u                  /* blocks read at a time */
#define NONE UINT32_MAX

typedef struct ring {
	const fx_xfs_log *l;
	fx_read_fn rd;
	void *ctx;
	uint8_t buf[PIECE * BB];
} ring;

/* A record header, checked. */
typedef struct rec {
	uint32_t blk, cycle, len, ops, hblks, tail;
} rec;

/* n <= PIECE blocks from blk (blk + n <= bbs) into r->buf. */
static sg_err read_blocks(ring *r, uint32_t blk, uint32_t n)
{
	return r->rd(r->ctx, r->l->off + (uint64_t)blk * BB, r->buf, (size_t)n * BB);
}

/* The cycle that wrote block p: its first word, the second of a record
 * header (xlog_get_cycle). */
static uint32_t block_cycle(const uint8_t *p)
{
	return fx_be32(p) == LOG_MAGIC ? fx_be32(p + 4) : fx_be32(p);
}

static sg_err cycle_at(ring *r, uint32_t blk, uint32_t *cycle)
{
	sg_err rc = read_blocks(r, blk, 1);
	*cycle = rc ? 0 : block_cycle(r->buf);
	return rc;
}

/* The first block of [start, start + n) whose cycle is want, or NONE. */
static sg_err find_cycle(ring *r, uint32_t start, uint32_t n, uint32_t want, uint32_t *at)
{
	*at = NONE;
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < PIECE ? n - done : PIECE;
		sg_err rc = read_blocks(r, start + done, k);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < k; i++)
			if (block_cycle(r->buf + (size_t)i * BB) == want) {
				*at = start + done + i;
				return SG_OK;
			}
		done += k;
	}
	return SG_OK;
}

/* Where the cycle drops (xlog_find_head, before the record check): in
 * [0, bbs]; bbs when every block has the same cycle. */
static sg_err find_head(ring *r, uint32_t first, uint32_t last, uint32_t *head)
{
	uint32_t bbs = r->l->bbs, h = bbs, stop = last - 1, at;
	sg_err rc;
	if (first != last) { /* x+1 ... x+1 x ... x: the first block of cycle x */
		uint32_t lo = 0, hi = bbs - 1;
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2, c;
			if ((rc = cycle_at(r, mid, &c)))
				return rc;
			*(c == last ? &hi : &lo) = mid;
		}
		h = hi;
		stop = last;
	}
	/* the in-core logs are written out of order: the head is the first
	   block of the older cycle among the last ones written */
	uint32_t scan = bbs < FX_XFS_LOG_SCAN ? bbs : FX_XFS_LOG_SCAN;
	if (h >= scan) {
		rc = find_cycle(r, h - scan, scan, stop, &at);
	} else {
		rc = find_cycle(r, bbs - (scan - h), scan - h, stop - 1, &at);
		if (!rc && at == NONE)
			rc = find_cycle(r, 0, h, stop, &at);
	}
	*head = !rc && at != NONE ? at : h;
	return rc;
}

/* The last block before end (wrapping) holding a record header's magic, at
 * most FX_XFS_LOG_SCAN blocks back. */
static sg_err header_before(ring *r, uint32_t end, uint32_t *at)
{
	uint32_t bbs = r->l->bbs, limit = bbs < FX_XFS_LOG_SCAN ? bbs : FX_XFS_LOG_SCAN;
	for (uint32_t back = 0; back < limit;) {
		uint32_t top = (uint32_t)(((uint64_t)end + bbs - back) % bbs);
		if (!top)
			top = bbs;
		uint32_t k = limit - back < PIECE ? limit - back : PIECE;
		if (k > top)
			k = top;
		sg_err rc = read_blocks(r, top - k, k);
		if (rc)
			return rc;
		for (uint32_t i = k; i-- > 0;)
			if (fx_be32(r->buf + (size_t)i * BB) == LOG_MAGIC) {
				*at = top - k + i;
				return SG_OK;
			}
		back += k;
	}
	return SG_ERR_CORRUPT;
}

/* The record header at blk, checked as the kernel's xlog_valid_rec_header
 * does, and its number of header blocks (xlog_logrec_hblks). */
static sg_err rec_read(ring *r, uint32_t blk, rec *out)
{
	sg_err rc = read_blocks(r, blk, 1);
	if (rc)
		return rc;
	const uint8_t *h = r->buf;
	uint32_t version = fx_be32(h + 8), size = fx_be32(h + 320);
	uint64_t lsn = fx_be64(h + 16), tail = fx_be64(h + 24);
	*out = (rec){blk, fx_be32(h + 4), fx_be32(h + 12), fx_be32(h + 40), 1, (uint32_t)tail};
	if (fx_be32(h) != LOG_MAGIC || !version || (version & ~3u) || out->len > MAX_RECORD ||
	    (uint32_t)lsn != blk || lsn >> 32 != out->cycle || out->tail >= r->l->bbs)
		return SG_ERR_CORRUPT;
	if ((version & VERSION_2) && size > CYCLE_SIZE) {
		if (size > MAX_RECORD)
			return SG_ERR_CORRUPT;
		out->hblks = (size + CYCLE_SIZE - 1) / CYCLE_SIZE;
	}
	return SG_OK;
}

/* The block after record x. */
static uint32_t rec_end(const ring *r, const rec *x)
{
	return (uint32_t)(((uint64_t)x->blk + x->hblks + (x->len + BB - 1) / BB) % r->l->bbs);
}

/* Whether x is an unmount record: one operation, XLOG_UNMOUNT_TRANS in
 * its header's flags (the first data block, byte 9). */
static sg_err is_unmount(ring *r, const rec *x, int *yes)
{
	*yes = 0;
	if (x->ops != 1 || !x->len)
		return SG_OK;
	sg_err rc = read_blocks(r, (uint32_t)(((uint64_t)x->blk + x->hblks) % r->l->bbs), 1);
	*yes = !rc && (r->buf[9] & UNMOUNT_TRANS);
	return rc;
}

/* The log's place on the device, checked: inside one AG, at most 2 GiB. */
static sg_err locate(const fx_xfs_sb *sb, fx_xfs_log *out)
{
	if (!sb->log_start)
		return SG_ERR_NOTFOUND;
	uint64_t agno = sb->log_start >> sb->agblklog;
	uint64_t agbno = sb->log_start & (((uint64_t)1 << sb->agblklog) - 1);
	uint64_t bytes = (uint64_t)sb->log_blocks * sb->block_size;
	if (agno >= sb->ag_count || agbno >= sb->ag_blocks || !sb->log_blocks ||
	    sb->log_blocks > sb->ag_blocks - agbno || bytes > MAX_LOG_BYTES || bytes < 2 * BB)
		return SG_ERR_CORRUPT;
	out->off = sb->fs_off + (agno * sb->ag_blocks + agbno) * sb->block_size;
	out->bbs = (uint32_t)(bytes / BB);
	return SG_OK;
}

/* The last complete record before the head; the head moves back to the
 * start of a record left incomplete (xlog_find_verify_log_record). */
static sg_err last_record(ring *r, fx_xfs_log *out, rec *x)
{
	uint32_t at;
	sg_err rc = header_before(r, out->head, &at);
	if (!rc)
		rc = rec_read(r, at, x);
	if (!rc && rec_end(r, x) != out->head) {
		out->head = at;
		rc = header_before(r, out->head, &at);
		if (!rc)
			rc = rec_read(r, at, x);
	}
	return rc;
}

sg_err fx_xfs_log_read(const fx_xfs_sb *sb, fx_read_fn rd, void *ctx, fx_xfs_log *out)
{
	memset(out, 0, sizeof *out);
	sg_err rc = locate(sb, out);
	if (rc)
		return rc;
	ring r = {.l = out, .rd = rd, .ctx = ctx}; /* 16 KiB */
	uint32_t first, last;
	if ((rc = cycle_at(&r, 0, &first)) || (rc = cycle_at(&r, out->bbs - 1, &last)))
		return rc;
	if (!first) { /* zeroed (mkfs, xfs_repair -L): never written since */
		out->clean = 1;
		return SG_OK;
	}
	if ((rc = find_head(&r, first, last, &out->head)))
		return rc;
	out->head %= out->bbs;
	rec x;
	int unmount = 0;
	if ((rc = last_record(&r, out, &x)) || (rc = is_unmount(&r, &x, &unmount)))
		return rc;
	out->last = x.blk;
	out->cycle = x.cycle;
	out->unmount = unmount && rec_end(&r, &x) == out->head;
	out->tail = out->unmount ? out->head : x.tail;
	out->clean = out->tail == out->head;
	out->pending = (uint64_t)((out->head + (uint64_t)out->bbs - out->tail) % out->bbs) * BB;
	return SG_OK;
}
