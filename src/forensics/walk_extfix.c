/* walk_extfix.c — ext2/3/4 as the kernel reads it where libtsk 4.11 falls short (see walk_tsk_int.h). */
#include "forensics/walk_tsk_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>


static int cmp_live(const void *x, const void *y)
{
	const live_name *a = x, *b = y;
	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->name, b->name, a->len);
}

/* ext2/3/4: times as fs/ext4 decodes them (signed seconds, epoch bits,
 * time 0 is a time) and symlink targets libtsk leaves out (60 bytes or
 * more live in a data block), from the raw inode in w->ino. */
sg_err wt_ext_fixup(walker *w, fx_entry *e)
{
	fx_time t[4];
	fx_ext4_times(w->ino, w->ext.sb.inode_size, t);
	e->mtime = t[FX_EXT4_MTIME];
	e->atime = t[FX_EXT4_ATIME];
	e->ctime = t[FX_EXT4_CTIME];
	e->btime = t[FX_EXT4_BTIME];
	sg_buf x = {0};
	sg_err rc = fx_ext4_xattrs(&w->ext.sb, w->ext.rd, w->ext.ctx, w->ino, &x);
	if (rc == SG_ERR_NOMEM)
		return rc;
	if (rc)
		walk_warn(w->st, "inode %" PRIu64 ": extended attributes unreadable (%s)", e->inode,
		          sg_strerror(rc));
	else if (!(e->xattrs = fx_memdup(x.p ? x.p : "", x.len)))
		rc = SG_ERR_NOMEM;
	e->xattrs_len = x.len;
	sg_buf_free(&x);
	if (rc == SG_ERR_NOMEM)
		return rc;
	if (e->type != FX_T_LINK || !e->size || e->size > WALK_PATH_MAX ||
	    (e->target && e->target_len == e->size))
		return SG_OK;
	uint8_t *buf = malloc((size_t)e->size + 1);
	if (!buf)
		return SG_ERR_NOMEM;
	if (walk_ext_read(&w->ext, w->ino, e->size, buf)) {
		free(buf);
		walk_warn(w->st, "symlink inode %" PRIu64 ": target unreadable", e->inode);
		return SG_OK;
	}
	buf[e->size] = 0;
	free(e->target);
	e->target = (char *)buf;
	e->target_len = strlen((char *)buf);
	return SG_OK;
}

/* The content runs of an extent-mapped ext file, read by us (any depth:
 * libtsk 4.11 cannot read two-level trees); NULL when the file is not
 * extent-mapped (then libtsk reads it) or, with *corrupt set, when its
 * tree is damaged. */
hp_run *wt_ext_runs(walker *w, uint64_t size, size_t *nruns, int *corrupt)
{
	*corrupt = 0;
	if (fx_ext4_flags(w->ino) & FX_EXT4_INLINE_FL)
		return NULL;
	sg_err rc = SG_OK;
	hp_run *v = walk_ext_runs(&w->ext, w->ino, size, nruns, &rc);
	*corrupt = !v && rc != SG_ERR_INVAL && rc != SG_ERR_NOMEM;
	return v;
}

int wt_ext_dir_corrupt(walker *w, const dir_item *d)
{
	if (!w->have_ext || walk_ext_inode(&w->ext, d->inum, d->size, w->ino) ||
	    (fx_ext4_flags(w->ino) & FX_EXT4_INLINE_FL))
		return 0;
	size_t n = 0;
	sg_err rc = SG_OK;
	free(walk_ext_runs(&w->ext, w->ino, d->size, &n, &rc));
	return rc != SG_OK && rc != SG_ERR_INVAL && rc != SG_ERR_NOMEM;
}

/* The bytes of directory d: read by us from its raw inode (extent trees
 * of any depth), else through libtsk.  NULL when unreadable. */
#define DIR_READ_MAX (64u << 20)
static uint8_t *dir_bytes(walker *w, const dir_item *d, size_t *size)
{
	*size = 0;
	if (!d->size || d->size > DIR_READ_MAX || w->fs->block_size < 1024 ||
	    d->size % w->fs->block_size)
		return NULL;
	uint8_t *buf = malloc((size_t)d->size);
	if (!buf)
		return NULL;
	if (w->have_ext && !walk_ext_inode(&w->ext, d->inum, d->size, w->ino) &&
	    !walk_ext_read(&w->ext, w->ino, d->size, buf)) {
		*size = (size_t)d->size;
		return buf;
	}
	TSK_FS_FILE *f = tsk_fs_file_open_meta(w->fs, NULL, d->inum);
	ssize_t got = f && wt_meta_size(f) == d->size
	              ? tsk_fs_file_read(f, 0, (char *)buf, (size_t)d->size, TSK_FS_FILE_READ_FLAG_NONE)
	              : -1;
	tsk_fs_file_close(f);
	tsk_error_reset();
	if (got != (ssize_t)d->size) {
		free(buf);
		return NULL;
	}
	*size = (size_t)d->size;
	return buf;
}

/*
 * The live names of an ext2/3/4 directory as the kernel sees them: in every
 * block, follow the rec_len chain and keep entries with a non-zero inode
 * (not "." and "..").  Index blocks of large (htree) directories hold one
 * empty entry spanning the block, so they yield nothing -- libtsk 4.11
 * instead reads names out of them.  Returns a sorted array (*n entries;
 * *data holds the bytes), or NULL when the directory cannot be read this
 * way (then libtsk's listing is taken as it is).
 */
live_name *wt_ext_live_names(walker *w, const dir_item *d, size_t *n, uint8_t **data)
{
	*n = 0;
	*data = NULL;
	size_t size = 0, bs = w->fs->block_size;
	uint8_t *buf = dir_bytes(w, d, &size);
	live_name *v = buf ? malloc((size / 12 + 1) * sizeof *v) : NULL;
	if (!v) {
		free(buf);
		return NULL;
	}
	size_t k = 0;
	for (size_t blk = 0; blk < size; blk += bs) {
		size_t off = 0;
		while (off + 8 <= bs) {
			const uint8_t *e = buf + blk + off;
			uint32_t ino = (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 |
			               (uint32_t)e[3] << 24;
			size_t rec = (size_t)(e[4] | e[5] << 8);
			if (rec == 0 && bs == 65536)
				rec = 65536; /* 64 KiB blocks encode a full-block entry as 0 */
			size_t nl = e[6];
			if (rec < 8 || rec % 4 || off + rec > bs || 8 + nl > rec) {
				/* a damaged block: trust libtsk for this directory */
				free(buf);
				free(v);
				return NULL;
			}
			int dot = (nl == 1 && e[8] == '.') || (nl == 2 && e[8] == '.' && e[9] == '.');
			if (ino && nl && !dot && !memchr(e + 8, 0, nl))
				v[k++] = (live_name){ino, e + 8, (uint8_t)nl, e[7], 0};
			off += rec;
		}
	}
	if (k > 1)
		qsort(v, k, sizeof *v, cmp_live);
	*n = k;
	*data = buf;
	return v;
}

/* Reconcile libtsk's listing of an ext directory with the kernel's view:
 * drop[i] marks allocated names libtsk invented; live names libtsk did not
 * list (a directory whose extent tree libtsk cannot follow) keep
 * listed == 0 and are walked by the caller. */
uint8_t *wt_find_bogus(TSK_FS_DIR *dir, size_t n, live_name *live, size_t nlive)
{
	uint8_t *drop = NULL;
	for (size_t i = 0; i < n; i++) {
		const TSK_FS_NAME *nm = tsk_fs_dir_get_name(dir, i);
		if (!nm || !nm->name || !(nm->flags & TSK_FS_NAME_FLAG_ALLOC) || TSK_FS_ISDOT(nm->name))
			continue;
		size_t len = strlen(nm->name);
		live_name key = {(uint32_t)nm->meta_addr, (const uint8_t *)nm->name,
		                 (uint8_t)(len > 255 ? 255 : len), 0, 0};
		live_name *hit = len <= 255 && nm->meta_addr <= UINT32_MAX
		                 ? bsearch(&key, live, nlive, sizeof *live, cmp_live) : NULL;
		if (hit) {
			hit->listed = 1;
			continue;
		}
		if (!drop && !(drop = calloc(n, 1)))
			break;
		drop[i] = 1;
	}
	return drop;
}

static fx_type dirent_type(uint8_t t)
{
	static const fx_type map[8] = {FX_T_OTHER, FX_T_FILE, FX_T_DIR, FX_T_CHR,
	                               FX_T_BLK, FX_T_FIFO, FX_T_SOCK, FX_T_LINK};
	return t < 8 ? map[t] : FX_T_OTHER;
}

/* A live name of an ext directory that libtsk did not list. */
sg_err wt_visit_unlisted(walker *w, const dir_item *d, const live_name *ln)
{
	TSK_FS_FILE *f = tsk_fs_file_open_meta(w->fs, NULL, ln->inode);
	if (!f || !f->meta) {
		walk_warn(w->st, "inode %" PRIu32 " named in directory %.*s: unreadable", ln->inode,
		          (int)(d->len < 200 ? d->len : 200), d->path);
		tsk_fs_file_close(f);
		tsk_error_reset();
		return SG_OK;
	}
	char name[256];
	memcpy(name, ln->name, ln->len);
	name[ln->len] = 0;
	name_ref nm = {name, ln->len, ln->inode, d->inum, 0, dirent_type(ln->type), 0};
	w->recovered++;
	sg_err err = wt_visit(w, d, f, &nm);
	tsk_fs_file_close(f);
	return err;
}
