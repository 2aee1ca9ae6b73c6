/* walk_tsk.c — libtsk walk of the raw device, no mount (see walk.h). */
#include "forensics/walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tsk/libtsk.h>

#include <openssl/evp.h>

#include "forensics/hpool.h"
#include "forensics/walk_ext.h"
#include "forensics/walk_tskimg.h"

#define TSK_READ_CHUNK (1u << 20)
#define MAX_PENDING 8 /* batches of up to HP_BATCH files */

/* Our image: TSK_IMG_INFO must come first (libtsk casts). */
typedef struct fx_img {
	TSK_IMG_INFO img;
	int fd;
	const uint8_t *mem;
	uint64_t size;
} fx_img;

static ssize_t img_read(TSK_IMG_INFO *img, TSK_OFF_T off, char *buf, size_t len)
{
	fx_img *fi = (fx_img *)img;
	if (off < 0 || (uint64_t)off >= fi->size)
		return -1;
	if (len > fi->size - (uint64_t)off)
		len = (size_t)(fi->size - (uint64_t)off);
	if (fi->mem) {
		memcpy(buf, fi->mem + off, len);
		return (ssize_t)len;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fi->fd, buf + done, len - done, (off_t)off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* a vanished device: libtsk reports a read error */
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void img_close(TSK_IMG_INFO *img)
{
	free(img);
}

static void img_stat(TSK_IMG_INFO *img, FILE *f)
{
	(void)img;
	(void)f;
}

sg_err walk_tsk_img(int dev_fd, const uint8_t *mem, uint64_t dev_size, TSK_IMG_INFO **out,
                    char *err, size_t errlen)
{
	fx_img *fi = calloc(1, sizeof *fi);
	if (!fi || dev_size == 0 || dev_size > INT64_MAX) {
		free(fi);
		snprintf(err, errlen, "%s", fi ? "empty device" : "out of memory");
		return fi ? SG_ERR_INVAL : SG_ERR_NOMEM;
	}
	fi->fd = dev_fd;
	fi->mem = mem;
	fi->size = dev_size;
	*out = tsk_img_open_external(fi, (TSK_OFF_T)dev_size, 512, img_read, img_close, img_stat);
	if (!*out) {
		free(fi);
		snprintf(err, errlen, "libtsk: cannot open the image: %s", tsk_error_get());
		tsk_error_reset();
		return SG_ERR_IO;
	}
	return SG_OK;
}

static fx_type meta_type(int t)
{
	switch (t) {
	case TSK_FS_META_TYPE_REG: return FX_T_FILE;
	case TSK_FS_META_TYPE_DIR: return FX_T_DIR;
	case TSK_FS_META_TYPE_LNK: return FX_T_LINK;
	case TSK_FS_META_TYPE_FIFO: return FX_T_FIFO;
	case TSK_FS_META_TYPE_CHR: return FX_T_CHR;
	case TSK_FS_META_TYPE_BLK: return FX_T_BLK;
	case TSK_FS_META_TYPE_SOCK: return FX_T_SOCK;
	default: return FX_T_OTHER;
	}
}

static fx_type name_type(int t)
{
	switch (t) {
	case TSK_FS_NAME_TYPE_REG: return FX_T_FILE;
	case TSK_FS_NAME_TYPE_DIR: return FX_T_DIR;
	case TSK_FS_NAME_TYPE_LNK: return FX_T_LINK;
	case TSK_FS_NAME_TYPE_FIFO: return FX_T_FIFO;
	case TSK_FS_NAME_TYPE_CHR: return FX_T_CHR;
	case TSK_FS_NAME_TYPE_BLK: return FX_T_BLK;
	case TSK_FS_NAME_TYPE_SOCK: return FX_T_SOCK;
	default: return FX_T_OTHER;
	}
}

static fx_time mk_time(time_t s, uint32_t ns, int present)
{
	fx_time t = {(int64_t)s, ns < 1000000000u ? ns : 0, (uint8_t)(present ? 1 : 0)};
	return t;
}

typedef struct dir_item {
	TSK_INUM_T inum;
	char *path; /* without prefix, "" for the root */
	size_t len;
	uint64_t size; /* what its inode claims, checked before libtsk opens it */
} dir_item;

typedef struct walker {
	TSK_FS_INFO *fs;
	int dev_fd;
	const walk_opts *o;
	fx_list *out;
	walk_stats *st;
	hpool *pool;
	dir_item *stack;
	size_t sn, scap;
	inum_set seen;
	uint8_t *buf;
	fx_buf path;
	int ext_filetype;   /* ext2/3/4 whose entries carry their file type */
	uint64_t bogus;     /* untyped names dropped (htree index blocks) */
	uint64_t recovered; /* live names libtsk did not list, added */
	int have_ext;       /* ext2/3/4: inodes are also read as the kernel does */
	walk_ext ext;
	uint8_t ino[FX_EXT4_INODE_MAX];
} walker;

static sg_err rd_img(void *ctx, uint64_t off, void *buf, size_t len)
{
	if (off > INT64_MAX || len > INT64_MAX)
		return SG_ERR_RANGE;
	return tsk_img_read(ctx, (TSK_OFF_T)off, buf, len) == (ssize_t)len ? SG_OK : SG_ERR_IO;
}

static sg_err push_dir(walker *w, TSK_INUM_T inum, const char *path, size_t len, uint64_t size)
{
	if (w->sn == w->scap) {
		size_t cap = w->scap ? w->scap * 2 : 64;
		dir_item *v = realloc(w->stack, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		w->stack = v;
		w->scap = cap;
	}
	char *p = fx_memdup(path, len);
	if (!p)
		return SG_ERR_NOMEM;
	w->stack[w->sn].inum = inum;
	w->stack[w->sn].path = p;
	w->stack[w->sn].len = len;
	w->stack[w->sn].size = size;
	w->sn++;
	return SG_OK;
}

/* Hash through libtsk in this thread (resident data, compressed, memory
 * images): the file's default data, or attr (an NTFS named stream). */
static void hash_via_tsk(walker *w, TSK_FS_FILE *f, const TSK_FS_ATTR *attr, fx_entry *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t off = 0;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		e->note = "unreadable";
		goto out;
	}
	while (off < e->size) {
		size_t want = e->size - off < TSK_READ_CHUNK ? (size_t)(e->size - off) : TSK_READ_CHUNK;
		ssize_t n = attr ? tsk_fs_attr_read(attr, (TSK_OFF_T)off, (char *)w->buf, want,
		                                    TSK_FS_FILE_READ_FLAG_NONE)
		                 : tsk_fs_file_read(f, (TSK_OFF_T)off, (char *)w->buf, want,
		                                    TSK_FS_FILE_READ_FLAG_NONE);
		if (n <= 0) {
			e->note = "read error";
			tsk_error_reset();
			goto out;
		}
		EVP_DigestUpdate(md, w->buf, (size_t)n);
		off += (uint64_t)n;
	}
	unsigned l = 0;
	EVP_DigestFinal_ex(md, e->sha256, &l);
	e->has_hash = 1;
	w->st->hashed++;
	w->st->bytes_hashed += off;
	PROGRESS_ADD(w->o->progress, files_hashed, 1);
	PROGRESS_ADD(w->o->progress, bytes_hashed, off);
out:
	if (!e->has_hash)
		w->st->hash_errors++;
	EVP_MD_CTX_free(md);
}

/* The file's data runs in bytes, or NULL when libtsk must read it itself. */
static hp_run *runs_of(walker *w, TSK_FS_FILE *f, uint64_t size, size_t *nruns)
{
	const TSK_FS_ATTR *a = tsk_fs_file_attr_get(f);
	*nruns = 0;
	if (!a) {
		tsk_error_reset();
		return NULL;
	}
	if (!(a->flags & TSK_FS_ATTR_NONRES) || (a->flags & (TSK_FS_ATTR_COMP | TSK_FS_ATTR_ENC)) ||
	    a->nrd.initsize != a->size || (uint64_t)a->size != size)
		return NULL;
	uint64_t bs = w->fs->block_size;
	size_t n = 0;
	for (const TSK_FS_ATTR_RUN *r = a->nrd.run; r; r = r->next) {
		if (r->flags & (TSK_FS_ATTR_RUN_FLAG_FILLER | TSK_FS_ATTR_RUN_FLAG_ENCRYPTED))
			return NULL;
		if (++n > 1000000)
			return NULL;
	}
	hp_run *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	uint64_t devmax = (uint64_t)w->fs->img_info->size;
	for (const TSK_FS_ATTR_RUN *r = a->nrd.run; r; r = r->next) {
		if (r->offset > UINT64_MAX / bs || r->len > UINT64_MAX / bs ||
		    r->addr > (UINT64_MAX - (uint64_t)w->fs->offset) / bs) {
			free(v);
			return NULL;
		}
		hp_run *h = &v[k++];
		h->file_off = r->offset * bs;
		h->len = r->len * bs;
		h->dev_off = (uint64_t)w->fs->offset + r->addr * bs;
		h->sparse = (r->flags & TSK_FS_ATTR_RUN_FLAG_SPARSE) != 0;
		if (k > 1 && h->file_off < v[k - 2].file_off + v[k - 2].len) {
			free(v);
			return NULL; /* unsorted or overlapping: let libtsk decide */
		}
		if (!h->sparse && (h->dev_off > devmax || h->len > devmax - h->dev_off)) {
			uint64_t need = h->file_off < size ? size - h->file_off : 0;
			if (need > h->len)
				need = h->len;
			if (h->dev_off > devmax || need > devmax - h->dev_off) {
				free(v);
				return NULL; /* points outside the device: corrupt */
			}
		}
	}
	*nruns = k;
	return v;
}

/*
 * NTFS named $DATA streams (alternate data streams, "file:stream") of the
 * file or directory at out->v[base]: one file entry each, with its owner's
 * inode, mode and owner (no times), hashed through libtsk, so data hidden in
 * a stream is listed, hashed and diffed like any file.
 */
static sg_err add_streams(walker *w, TSK_FS_FILE *f, size_t base)
{
	int n = tsk_fs_file_attr_getsize(f);
	for (int i = 0; i < n; i++) {
		const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);
		if (!a || a->type != TSK_FS_ATTR_TYPE_NTFS_DATA || !a->name || !a->name[0])
			continue;
		const fx_entry *b = &w->out->v[base];
		size_t nl = strnlen(a->name, WALK_PATH_MAX);
		if (b->path_len + 1 + nl > WALK_PATH_MAX) {
			walk_warn(w->st, "path longer than %u bytes skipped", WALK_PATH_MAX);
			continue;
		}
		fx_entry e;
		memset(&e, 0, sizeof e);
		e.fs = b->fs;
		e.inode = b->inode;
		e.type = FX_T_FILE;
		e.size = a->size > 0 ? (uint64_t)a->size : 0;
		e.mode = b->mode;
		e.uid = b->uid;
		e.gid = b->gid;
		e.nlink = b->nlink;
		e.has_meta = b->has_meta;
		/* no times: a stream has none of its own, and its owner's change
		   with the owner's content (a stream would read as changed) */
		if (!(e.path = malloc(b->path_len + 1 + nl)))
			return SG_ERR_NOMEM;
		memcpy(e.path, b->path, b->path_len);
		e.path[b->path_len] = ':';
		memcpy(e.path + b->path_len + 1, a->name, nl);
		e.path_len = b->path_len + 1 + nl;
		size_t index = w->out->n;
		sg_err err = fx_list_push(w->out, &e);
		if (err) {
			fx_entry_clear(&e);
			return err;
		}
		w->st->entries++;
		PROGRESS_ADD(w->o->progress, entries, 1);
		w->st->files++;
		if (!w->o->no_hash)
			hash_via_tsk(w, f, a, &w->out->v[index]);
	}
	tsk_error_reset();
	return SG_OK;
}

/* What the file system can hold: its blocks, but no more than the device
 * has after its start (a corrupt superblock claims 10^19 blocks). */
static uint64_t fs_bytes(const walker *w)
{
	uint64_t bs = w->fs->block_size;
	uint64_t fs = bs && (uint64_t)w->fs->block_count <= UINT64_MAX / bs
	              ? (uint64_t)w->fs->block_count * bs : UINT64_MAX;
	uint64_t dev = w->fs->img_info->size > 0 ? (uint64_t)w->fs->img_info->size : 0;
	uint64_t off = w->fs->offset > 0 ? (uint64_t)w->fs->offset : 0;
	dev = dev > off ? dev - off : 0;
	return fs < dev ? fs : dev;
}

/* An ext2/3-style file (block pointers, not extents) larger than the whole
 * file system: libtsk lists it block by block, quadratic in its runs — a
 * fuzzed 38 KB ext2 image with a file claiming 1.4 GB took 12 s.  Such a
 * file is reported unhashed instead.  Extent files are cheap to list and
 * are hashed whatever their size (a sparse lastlog is legitimate). */
static int blockmap_absurd(const walker *w, const TSK_FS_FILE *f, uint64_t size)
{
	return TSK_FS_TYPE_ISEXT(w->fs->ftype) && f->meta &&
	       f->meta->content_type == TSK_FS_META_CONTENT_TYPE_DEFAULT && size > fs_bytes(w);
}

/* ext2/3/4: times as fs/ext4 decodes them (signed seconds, epoch bits,
 * time 0 is a time) and symlink targets libtsk leaves out (60 bytes or
 * more live in a data block), from the raw inode in w->ino. */
static sg_err ext_fixup(walker *w, fx_entry *e)
{
	fx_time t[4];
	fx_ext4_times(w->ino, w->ext.sb.inode_size, t);
	e->mtime = t[FX_EXT4_MTIME];
	e->atime = t[FX_EXT4_ATIME];
	e->ctime = t[FX_EXT4_CTIME];
	e->btime = t[FX_EXT4_BTIME];
	fx_buf x = {0};
	sg_err rc = fx_ext4_xattrs(&w->ext.sb, w->ext.rd, w->ext.ctx, w->ino, &x);
	if (rc == SG_ERR_NOMEM)
		return rc;
	if (rc)
		walk_warn(w->st, "inode %" PRIu64 ": extended attributes unreadable (%s)", e->inode,
		          sg_strerror(rc));
	else if (!(e->xattrs = fx_memdup(x.p ? x.p : "", x.len)))
		rc = SG_ERR_NOMEM;
	e->xattrs_len = x.len;
	fx_buf_free(&x);
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
static hp_run *ext_runs(walker *w, uint64_t size, size_t *nruns, int *corrupt)
{
	*corrupt = 0;
	if (fx_ext4_flags(w->ino) & FX_EXT4_INLINE_FL)
		return NULL;
	sg_err rc = SG_OK;
	hp_run *v = walk_ext_runs(&w->ext, w->ino, size, nruns, &rc);
	*corrupt = !v && rc != SG_ERR_INVAL && rc != SG_ERR_NOMEM;
	return v;
}

/* One directory entry: its name as libtsk listed it, or as the walker
 * read it from an ext directory block that libtsk could not read. */
typedef struct name_ref {
	const char *name;
	size_t len;
	TSK_INUM_T meta_addr, par_addr;
	int deleted;
	fx_type type;
} name_ref;

static name_ref name_of(const TSK_FS_NAME *nm)
{
	name_ref r = {nm->name, strlen(nm->name), nm->meta_addr, nm->par_addr,
	              (nm->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0, name_type(nm->type)};
	return r;
}

/* Hash entry index of out from its data runs on the pool (takes runs). */
static sg_err submit_runs(walker *w, size_t index, hp_run *runs, size_t nruns)
{
	hp_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(runs);
		return SG_ERR_NOMEM;
	}
	j->entry = index;
	j->fd = -1;
	j->dev_fd = w->dev_fd;
	j->size = w->out->v[index].size;
	j->runs = runs;
	j->nruns = nruns;
	return hpool_submit(w->pool, j);
}

static sg_err add_entry(walker *w, TSK_FS_FILE *f, const name_ref *nm, const char *parent,
                        size_t plen, int *is_dir_to_walk)
{
	*is_dir_to_walk = 0;
	size_t nlen = nm->len;
	fx_buf *p = &w->path;
	fx_buf_reset(p);
	sg_err err;
	if ((err = fx_buf_str(p, w->o->prefix)) || (err = fx_buf_add(p, parent, plen)) ||
	    (err = fx_buf_add(p, "/", 1)) || (err = fx_buf_add(p, nm->name, nlen)))
		return err;
	if (p->len > WALK_PATH_MAX) {
		walk_warn(w->st, "path longer than %u bytes skipped", WALK_PATH_MAX);
		return SG_OK;
	}
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.fs = w->o->fs_index;
	e.deleted = (uint8_t)nm->deleted;
	e.inode = nm->meta_addr;
	e.type = nm->type;
	/* NTFS system files: MFT records 0-15 named in the root (record 5),
	   and the contents of $Extend (record 11: $ObjId, $UsnJrnl, ...) */
	e.fs_meta = TSK_FS_TYPE_ISNTFS(w->fs->ftype) &&
	            ((nm->par_addr == 5 && nm->meta_addr < 16) || nm->par_addr == 11);
	TSK_FS_META *m = f->meta;
	/* a deleted name whose inode was reused describes another file */
	int meta_ok = m && !(e.deleted && (m->flags & TSK_FS_META_FLAG_ALLOC));
	if (meta_ok) {
		e.type = meta_type(m->type);
		e.size = m->size > 0 ? (uint64_t)m->size : 0;
		e.mode = (uint32_t)m->mode & 07777;
		e.uid = (uint32_t)m->uid;
		e.gid = (uint32_t)m->gid;
		e.nlink = (uint32_t)m->nlink;
		e.has_meta = 1;
		e.mtime = mk_time(m->mtime, m->mtime_nano, m->mtime != 0);
		e.atime = mk_time(m->atime, m->atime_nano, m->atime != 0);
		e.ctime = mk_time(m->ctime, m->ctime_nano, m->ctime != 0);
		e.btime = mk_time(m->crtime, m->crtime_nano, m->crtime != 0);
		if (e.type == FX_T_LINK && m->link) {
			size_t tl = strnlen(m->link, WALK_PATH_MAX);
			e.target = fx_memdup(m->link, tl);
			if (!e.target)
				return SG_ERR_NOMEM;
			e.target_len = tl;
		}
	}
	int raw = meta_ok && w->have_ext &&
	          walk_ext_inode(&w->ext, e.inode, m->size > 0 ? (uint64_t)m->size : 0, w->ino) == 0;
	if (raw && (err = ext_fixup(w, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	e.path = fx_memdup(p->p, p->len);
	if (!e.path) {
		fx_entry_clear(&e);
		return SG_ERR_NOMEM;
	}
	e.path_len = p->len;
	walk_stats *st = w->st;
	st->entries++;
	PROGRESS_ADD(w->o->progress, entries, 1);
	st->deleted += e.deleted;
	switch (e.type) {
	case FX_T_FILE: st->files++; break;
	case FX_T_DIR: st->dirs++; break;
	case FX_T_LINK: st->links++; break;
	default: st->specials++; break;
	}
	size_t index = w->out->n;
	int hash_it = e.type == FX_T_FILE && meta_ok && !e.deleted && !w->o->no_hash;
	if (e.type == FX_T_FILE && e.deleted)
		e.note = "not hashed: deleted";
	if ((err = fx_list_push(w->out, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	if (hash_it && blockmap_absurd(w, f, w->out->v[index].size)) {
		w->out->v[index].note = "not hashed: its block map claims more bytes than the whole "
		                        "file system (corrupt, or sparse beyond reason)";
		w->st->hash_errors++;
		hash_it = 0;
	}
	if (hash_it) {
		fx_entry *ep = &w->out->v[index];
		size_t nruns = 0;
		hp_run *runs = NULL;
		int corrupt = 0;
		if (w->dev_fd >= 0 && ep->size && raw)
			runs = ext_runs(w, ep->size, &nruns, &corrupt);
		if (w->dev_fd >= 0 && ep->size && !runs && !corrupt)
			runs = runs_of(w, f, ep->size, &nruns);
		if (corrupt) {
			/* libtsk fails on it too, and leaks doing so */
			ep->note = "not hashed: its extent tree is corrupt";
			w->st->hash_errors++;
		} else if (!runs)
			hash_via_tsk(w, f, NULL, ep);
		else if ((err = submit_runs(w, index, runs, nruns)))
			return err;
	}
	if (meta_ok && !e.deleted && !w->out->v[index].fs_meta && TSK_FS_TYPE_ISNTFS(w->fs->ftype) &&
	    (e.type == FX_T_FILE || e.type == FX_T_DIR) && (err = add_streams(w, f, index)))
		return err;
	if (meta_ok && TSK_FS_IS_DIR_META(m->type) && m->type == TSK_FS_META_TYPE_DIR) {
		/* deleted directories are walked only while their inode is still free */
		if (!e.deleted || (m->flags & TSK_FS_META_FLAG_UNALLOC))
			*is_dir_to_walk = 1;
	}
	return SG_OK;
}

typedef struct live_name {
	uint32_t inode;
	const uint8_t *name;
	uint8_t len;
	uint8_t type;   /* the entry's file-type byte */
	uint8_t listed; /* libtsk listed it too */
} live_name;

static int cmp_live(const void *x, const void *y)
{
	const live_name *a = x, *b = y;
	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->name, b->name, a->len);
}

static uint64_t meta_size(const TSK_FS_FILE *f)
{
	return f && f->meta && f->meta->size > 0 ? (uint64_t)f->meta->size : 0;
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
	ssize_t got = f && meta_size(f) == d->size
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
static live_name *ext_live_names(walker *w, const dir_item *d, size_t *n, uint8_t **data)
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
static uint8_t *find_bogus(TSK_FS_DIR *dir, size_t n, live_name *live, size_t nlive)
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

/* A directory larger than the whole file system is corrupt, and libtsk
 * would spend minutes building and reading its (sparse) block list: a
 * fuzzed 38 KB ext2 image whose root claimed 4 GiB took 75 s.  1 when the
 * directory may be opened. */
static int dir_size_sane(walker *w, const dir_item *d)
{
	if (d->size <= fs_bytes(w))
		return 1;
	walk_warn(w->st, "directory inode %" PRIuINUM " (%.*s) claims %" PRIu64 " bytes, more than "
	          "the whole file system (%" PRIu64 "): corrupt, not read", d->inum,
	          (int)(d->len < 200 ? d->len : 200), d->path, d->size, fs_bytes(w));
	return 0;
}

/* Add one named file of directory d, and queue it when it is a directory. */
static sg_err visit(walker *w, const dir_item *d, TSK_FS_FILE *f, const name_ref *nm)
{
	int walk_it = 0;
	sg_err err = add_entry(w, f, nm, d->path, d->len, &walk_it);
	if (err || !walk_it)
		return err;
	int fresh = inum_set_add(&w->seen, nm->meta_addr);
	if (fresh <= 0)
		return fresh < 0 ? SG_ERR_NOMEM : SG_OK;
	fx_buf sub = {0};
	if (fx_buf_add(&sub, d->path, d->len) || fx_buf_add(&sub, "/", 1) ||
	    fx_buf_add(&sub, nm->name, nm->len))
		err = SG_ERR_NOMEM;
	else if (sub.len <= WALK_PATH_MAX)
		err = push_dir(w, nm->meta_addr, sub.p, sub.len, meta_size(f));
	fx_buf_free(&sub);
	return err;
}

static fx_type dirent_type(uint8_t t)
{
	static const fx_type map[8] = {FX_T_OTHER, FX_T_FILE, FX_T_DIR, FX_T_CHR,
	                               FX_T_BLK, FX_T_FIFO, FX_T_SOCK, FX_T_LINK};
	return t < 8 ? map[t] : FX_T_OTHER;
}

/* A live name of an ext directory that libtsk did not list. */
static sg_err visit_unlisted(walker *w, const dir_item *d, const live_name *ln)
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
	name_ref nm = {name, ln->len, ln->inode, d->inum, 0, dirent_type(ln->type)};
	w->recovered++;
	sg_err err = visit(w, d, f, &nm);
	tsk_fs_file_close(f);
	return err;
}

/* libtsk's name, filtered: dots, virtual entries and ext index debris. */
static int skip_name(walker *w, const TSK_FS_FILE *f)
{
	const TSK_FS_NAME *nm = f->name;
	/* a "deleted" name with no inode and no type is index-block debris
	   (real ext entries keep their type byte) */
	if (nm && w->ext_filetype && (nm->flags & TSK_FS_NAME_FLAG_UNALLOC) &&
	    nm->type == TSK_FS_NAME_TYPE_UNDEF && nm->meta_addr == 0) {
		w->bogus++;
		return 1;
	}
	return !nm || !nm->name || TSK_FS_ISDOT(nm->name) || nm->name[0] == 0 ||
	       nm->type == TSK_FS_NAME_TYPE_VIRT || nm->type == TSK_FS_NAME_TYPE_VIRT_DIR ||
	       (f->meta && (f->meta->type == TSK_FS_META_TYPE_VIRT ||
	                    f->meta->type == TSK_FS_META_TYPE_VIRT_DIR));
}

static sg_err walk_dir(walker *w, dir_item *d)
{
	if (!dir_size_sane(w, d))
		return SG_OK;
	size_t nlive = 0;
	uint8_t *data = NULL;
	live_name *live = w->ext_filetype ? ext_live_names(w, d, &nlive, &data) : NULL;
	TSK_FS_DIR *dir = tsk_fs_dir_open_meta(w->fs, d->inum);
	if (!dir && !live) {
		walk_warn(w->st, "cannot read directory inode %" PRIuINUM " (%.*s): %s", d->inum,
		          (int)(d->len < 200 ? d->len : 200), d->path,
		          tsk_error_get() ? tsk_error_get() : "libtsk gave no reason");
		tsk_error_reset();
		return SG_OK;
	}
	tsk_error_reset();
	size_t n = dir ? tsk_fs_dir_getsize(dir) : 0;
	sg_err err = SG_OK;
	uint8_t *drop = live && dir ? find_bogus(dir, n, live, nlive) : NULL;
	for (size_t i = 0; i < n && !err; i++) {
		if (drop && drop[i]) {
			w->bogus++;
			continue;
		}
		TSK_FS_FILE *f = tsk_fs_dir_get(dir, i);
		if (!f) {
			tsk_error_reset();
			continue;
		}
		if (!skip_name(w, f)) {
			name_ref nm = name_of(f->name);
			err = visit(w, d, f, &nm);
		}
		tsk_fs_file_close(f);
	}
	for (size_t i = 0; i < nlive && !err; i++)
		if (!live[i].listed)
			err = visit_unlisted(w, d, &live[i]);
	if (dir)
		tsk_fs_dir_close(dir);
	free(drop);
	free(live);
	free(data);
	return err;
}

/* A file system larger than what the device holds after its start: the
 * image is truncated, and whatever lay beyond (files, deleted data, backup
 * metadata) cannot be examined. */
static void check_fs_fits(walker *w, uint64_t offset, uint64_t dev_size)
{
	uint64_t bs = w->fs->block_size, blocks = (uint64_t)w->fs->block_count;
	uint64_t have = dev_size > offset ? dev_size - offset : 0;
	if (bs && blocks <= UINT64_MAX / bs && blocks * bs > have)
		walk_warn(w->st, "the file system claims %" PRIu64 " bytes but the device holds %" PRIu64
		          " after its start: truncated, the rest cannot be examined", blocks * bs, have);
}

static fx_type mode_type(uint16_t mode)
{
	switch (mode & 0170000) {
	case 0100000: return FX_T_FILE;
	case 0040000: return FX_T_DIR;
	case 0120000: return FX_T_LINK;
	case 0010000: return FX_T_FIFO;
	case 0020000: return FX_T_CHR;
	case 0060000: return FX_T_BLK;
	case 0140000: return FX_T_SOCK;
	default: return FX_T_OTHER;
	}
}

/*
 * ext2/3/4 orphan inodes: files unlinked while still open (a process of
 * the attacker's, say) when the snapshot was taken.  No directory names
 * them, so no walk sees them; the superblock heads a list of them chained
 * through i_dtime.  Each is listed as "/$OrphanFiles/OrphanFile-N" (the
 * name fls gives unnamed inodes), deleted, with its metadata, and its
 * content hashed: it is intact until the file is closed.
 */
#define ORPHANS_MAX 100000
static sg_err walk_orphans(walker *w)
{
	inum_set seen = {0};
	sg_err err = SG_OK;
	uint32_t ino = w->ext.sb.last_orphan;
	for (unsigned n = 0; ino && !err; n++) {
		int fresh = inum_set_add(&seen, ino);
		if (fresh <= 0 || n == ORPHANS_MAX) {
			if (fresh >= 0)
				walk_warn(w->st, "the orphan inode list loops or runs on past %u entries",
				          ORPHANS_MAX);
			err = fresh < 0 ? SG_ERR_NOMEM : SG_OK;
			break;
		}
		if (fx_ext4_inode_read(&w->ext.sb, w->ext.rd, w->ext.ctx, ino, w->ino)) {
			walk_warn(w->st, "orphan inode %" PRIu32 ": unreadable", ino);
			break;
		}
		fx_entry e;
		memset(&e, 0, sizeof e);
		char path[64];
		int pl = snprintf(path, sizeof path, "%s/$OrphanFiles/OrphanFile-%" PRIu32,
		                  w->o->prefix, ino);
		e.fs = w->o->fs_index;
		e.inode = ino;
		e.deleted = 1;
		e.has_meta = 1;
		e.type = mode_type(fx_ext4_mode(w->ino));
		e.size = fx_ext4_size(w->ino);
		e.mode = fx_ext4_mode(w->ino) & 07777u;
		fx_ext4_owner(w->ino, &e.uid, &e.gid, &e.nlink);
		e.note = "orphan inode: deleted while a process held it open";
		uint32_t next = fx_ext4_dtime(w->ino);
		if (!(e.path = fx_memdup(path, (size_t)pl)) || (err = ext_fixup(w, &e))) {
			fx_entry_clear(&e);
			err = err ? err : SG_ERR_NOMEM;
			break;
		}
		e.path_len = (size_t)pl;
		size_t index = w->out->n;
		if ((err = fx_list_push(w->out, &e))) {
			fx_entry_clear(&e);
			break;
		}
		w->st->entries++;
		PROGRESS_ADD(w->o->progress, entries, 1);
		w->st->deleted++;
		w->st->files += e.type == FX_T_FILE;
		size_t nruns = 0;
		int corrupt = 0;
		hp_run *runs = e.type == FX_T_FILE && e.size && w->dev_fd >= 0 && !w->o->no_hash
		               ? ext_runs(w, e.size, &nruns, &corrupt) : NULL;
		if (runs)
			err = submit_runs(w, index, runs, nruns);
		ino = next;
	}
	inum_set_free(&seen);
	return err;
}

sg_err walk_tsk(int dev_fd, const uint8_t *mem, uint64_t dev_size, uint64_t offset,
                const walk_opts *opts, fx_list *out, walk_stats *st, char *err, size_t errlen)
{
	walker w;
	memset(&w, 0, sizeof w);
	w.dev_fd = dev_fd;
	w.o = opts;
	w.out = out;
	w.st = st;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sg_err rc = SG_OK;
	TSK_IMG_INFO *img = NULL;
	if ((rc = walk_tsk_img(dev_fd, mem, dev_size, &img, err, errlen)))
		return rc;
	w.fs = tsk_fs_open_img(img, (TSK_OFF_T)offset, TSK_FS_TYPE_DETECT);
	if (!w.fs) {
		snprintf(err, errlen, "no file system libtsk can read at offset %" PRIu64 ": %s",
		         offset, tsk_error_get());
		tsk_error_reset();
		rc = SG_ERR_CORRUPT;
		goto done;
	}
	snprintf(st->fstype, sizeof st->fstype, "%s", tsk_fs_type_toname(w.fs->ftype));
	if (w.fs->ftype == TSK_FS_TYPE_EXT2 || w.fs->ftype == TSK_FS_TYPE_EXT3) {
		/* libtsk reads the nanosecond and birth-time fields of large
		   inodes only for ext4; ext2/3 with 256-byte inodes have them too */
		TSK_FS_INFO *as4 = tsk_fs_open_img(img, (TSK_OFF_T)offset, TSK_FS_TYPE_EXT4);
		if (as4) {
			tsk_fs_close(w.fs);
			w.fs = as4;
		} else {
			tsk_error_reset();
		}
	}
	if (TSK_FS_TYPE_ISEXT(w.fs->ftype)) {
		uint8_t incompat[4];
		if (tsk_img_read(img, (TSK_OFF_T)offset + 1024 + 0x60, (char *)incompat, 4) == 4)
			w.ext_filetype = (incompat[0] & 0x2) != 0;
		w.have_ext = walk_ext_open(&w.ext, rd_img, img, offset) == 0;
	}
	check_fs_fits(&w, offset, dev_size);
	w.buf = malloc(TSK_READ_CHUNK);
	if (!w.buf || (rc = hpool_new(mem ? 0 : opts->workers, MAX_PENDING, opts->progress, &w.pool))) {
		snprintf(err, errlen, "out of memory");
		rc = SG_ERR_NOMEM;
		goto done;
	}
	TSK_FS_FILE *root = tsk_fs_file_open_meta(w.fs, NULL, w.fs->root_inum);
	uint64_t root_size = meta_size(root); /* 0 unreadable: tsk_fs_dir_open_meta says why */
	if (!root || !root->meta || root->meta->type != TSK_FS_META_TYPE_DIR)
		walk_warn(st, "the root directory (inode %" PRIuINUM ") is %s: the inode table "
		          "or its group descriptors are damaged", w.fs->root_inum,
		          root && root->meta ? "not a directory" : "unreadable");
	tsk_fs_file_close(root);
	tsk_error_reset();
	if (inum_set_add(&w.seen, w.fs->root_inum) < 0 ||
	    push_dir(&w, w.fs->root_inum, "", 0, root_size)) {
		rc = SG_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	while (w.sn && !rc) {
		dir_item d = w.stack[--w.sn];
		rc = walk_dir(&w, &d);
		free(d.path);
	}
	if (!rc && w.have_ext)
		rc = walk_orphans(&w);
	if (rc)
		snprintf(err, errlen, "walk stopped: %s", sg_strerror(rc));
	if (w.bogus) {
		size_t len = strlen(st->warn);
		snprintf(st->warn + len, sizeof st->warn - len,
		         "%s%" PRIu64 " names invented by libtsk from directory index blocks ignored",
		         len ? "; " : "", w.bogus);
	}
	if (w.recovered) {
		size_t len = strlen(st->warn);
		snprintf(st->warn + len, sizeof st->warn - len,
		         "%s%" PRIu64 " names libtsk could not list read from the directory blocks",
		         len ? "; " : "", w.recovered);
	}
done:
	if (w.pool)
		walk_apply_hashes(out, hpool_finish(w.pool), st);
	for (size_t i = 0; i < w.sn; i++)
		free(w.stack[i].path);
	free(w.stack);
	inum_set_free(&w.seen);
	fx_buf_free(&w.path);
	free(w.buf);
	if (w.fs)
		tsk_fs_close(w.fs);
	tsk_img_close(img);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	st->journal = FX_J_UNKNOWN;
	return rc;
}
