/* walk_tsk.c — libtsk walk of the raw device, no mount (see walk.h): the
 * directory walk and each entry; the pieces for NTFS (walk_ntfs.c), for
 * ext where libtsk falls short (walk_extfix.c, walk_orphan.c), file
 * content (walk_tskdata.c) and the image (walk_tskimg.c) live beside it. */
#include "forensics/walk_tsk_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forensics/walk_tskimg.h"

#define MAX_PENDING 8 /* batches of up to HP_BATCH files */

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

static name_ref name_of(const TSK_FS_NAME *nm)
{
	name_ref r = {nm->name, strlen(nm->name), nm->meta_addr, nm->par_addr,
	              (nm->flags & TSK_FS_NAME_FLAG_UNALLOC) != 0, name_type(nm->type), 0};
	return r;
}

/* What the inode m says of the entry: type, size, mode, owner, times, a
 * symlink's target. */
static sg_err from_meta(fx_entry *e, const TSK_FS_META *m)
{
	e->type = meta_type(m->type);
	e->size = m->size > 0 ? (uint64_t)m->size : 0;
	e->mode = (uint32_t)m->mode & 07777;
	e->uid = (uint32_t)m->uid;
	e->gid = (uint32_t)m->gid;
	e->nlink = (uint32_t)m->nlink;
	e->has_meta = 1;
	e->mtime = mk_time(m->mtime, m->mtime_nano, m->mtime != 0);
	e->atime = mk_time(m->atime, m->atime_nano, m->atime != 0);
	e->ctime = mk_time(m->ctime, m->ctime_nano, m->ctime != 0);
	e->btime = mk_time(m->crtime, m->crtime_nano, m->crtime != 0);
	if (e->type == FX_T_LINK && m->link) {
		size_t tl = strnlen(m->link, WALK_PATH_MAX);
		e->target = fx_memdup(m->link, tl);
		if (!e->target)
			return SG_ERR_NOMEM;
		e->target_len = tl;
	}
	return SG_OK;
}

static void count_entry(walker *w, const fx_entry *e)
{
	walk_stats *st = w->st;
	st->entries++;
	PROGRESS_ADD(w->o->progress, entries, 1);
	st->deleted += e->deleted;
	switch (e->type) {
	case FX_T_FILE: st->files++; break;
	case FX_T_DIR: st->dirs++; break;
	case FX_T_LINK: st->links++; break;
	default: st->specials++; break;
	}
}

/* What the report says of a deleted file's content. */
static const char *deleted_file_note(const fx_entry *e, int freed_record)
{
	return !freed_record ? "not hashed: deleted"
	       : e->orphan ? "orphan MFT record: deleted, no directory names it; hashed from "
	                     "the record's runs (its clusters are free: they may hold other "
	                     "data now)"
	                   : "deleted: hashed from its freed MFT record's runs (its clusters "
	                     "are free: they may hold other data now)";
}

static sg_err add_entry(walker *w, TSK_FS_FILE *f, const name_ref *nm, const char *parent,
                        size_t plen, int *is_dir_to_walk)
{
	*is_dir_to_walk = 0;
	size_t nlen = nm->len;
	sg_buf *p = &w->path;
	sg_buf_reset(p);
	sg_err err;
	if ((err = sg_buf_puts(p, w->o->prefix)) || (err = sg_buf_append(p, parent, plen)) ||
	    (err = sg_buf_append(p, "/", 1)) || (err = sg_buf_append(p, nm->name, nlen)))
		return err;
	if (p->len > WALK_PATH_MAX) {
		walk_warn(w->st, "path longer than %u bytes skipped", WALK_PATH_MAX);
		return SG_OK;
	}
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.fs = w->o->fs_index;
	e.deleted = (uint8_t)nm->deleted;
	e.orphan = (uint8_t)nm->orphan;
	e.inode = nm->meta_addr;
	e.type = nm->type;
	/* NTFS system files: MFT records 0-15 named in the root (record 5),
	   and the contents of $Extend (record 11: $ObjId, $UsnJrnl, ...) */
	e.fs_meta = TSK_FS_TYPE_ISNTFS(w->fs->ftype) &&
	            ((nm->par_addr == 5 && nm->meta_addr < 16) || nm->par_addr == 11);
	TSK_FS_META *m = f->meta;
	/* a deleted name whose inode was reused describes another file */
	int meta_ok = m && !(e.deleted && (m->flags & TSK_FS_META_FLAG_ALLOC));
	if (meta_ok && (err = from_meta(&e, m)))
		return err;
	if (meta_ok && TSK_FS_TYPE_ISNTFS(w->fs->ftype) && (err = wt_ntfs_xattrs(w, f, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	int raw = meta_ok && w->have_ext &&
	          walk_ext_inode(&w->ext, e.inode, m->size > 0 ? (uint64_t)m->size : 0, w->ino) == 0;
	if (raw && (err = wt_ext_fixup(w, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	e.path = fx_memdup(p->p, p->len);
	if (!e.path) {
		fx_entry_clear(&e);
		return SG_ERR_NOMEM;
	}
	e.path_len = p->len;
	count_entry(w, &e);
	size_t index = w->out->n;
	/* a deleted NTFS file whose freed MFT record is still its own keeps
	   its data runs: hashed (ext clears a deleted inode's block map) */
	int freed_record = e.deleted && meta_ok && TSK_FS_TYPE_ISNTFS(w->fs->ftype);
	int hash_it = e.type == FX_T_FILE && meta_ok && (!e.deleted || freed_record) &&
	              !w->o->no_hash;
	if (e.type == FX_T_FILE && e.deleted)
		e.note = deleted_file_note(&e, freed_record);
	if ((err = fx_list_push(w->out, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	if (hash_it && (err = wt_hash_entry(w, f, index, raw)))
		return err;
	if (meta_ok && !e.deleted && !w->out->v[index].fs_meta && TSK_FS_TYPE_ISNTFS(w->fs->ftype) &&
	    (e.type == FX_T_FILE || e.type == FX_T_DIR) && (err = wt_ntfs_streams(w, f, index)))
		return err;
	if (meta_ok && !e.orphan && TSK_FS_IS_DIR_META(m->type) && m->type == TSK_FS_META_TYPE_DIR) {
		/* deleted directories are walked only while their inode is still free */
		if (!e.deleted || (m->flags & TSK_FS_META_FLAG_UNALLOC))
			*is_dir_to_walk = 1;
	}
	return SG_OK;
}

uint64_t wt_meta_size(const TSK_FS_FILE *f)
{
	return f && f->meta && f->meta->size > 0 ? (uint64_t)f->meta->size : 0;
}

/* A directory larger than the whole file system is corrupt, and libtsk
 * would spend minutes building and reading its (sparse) block list: a
 * fuzzed 38 KB ext2 image whose root claimed 4 GiB took 75 s.  1 when the
 * directory may be opened. */
static int dir_size_sane(walker *w, const dir_item *d)
{
	if (d->size <= wt_fs_bytes(w))
		return 1;
	walk_warn(w->st, "directory inode %" PRIuINUM " (%.*s) claims %" PRIu64 " bytes, more than "
	          "the whole file system (%" PRIu64 "): corrupt, not read", d->inum,
	          (int)(d->len < 200 ? d->len : 200), d->path, d->size, wt_fs_bytes(w));
	return 0;
}

/* Add one named file of directory d, and queue it when it is a directory
 * (walk_tsk_int.h). */
sg_err wt_visit(walker *w, const dir_item *d, TSK_FS_FILE *f, const name_ref *nm)
{
	int walk_it = 0;
	TSK_FS_FILE *rec = wt_ntfs_deleted_record(w, f, nm, d->inum);
	if (rec)
		f = rec;
	sg_err err = add_entry(w, f, nm, d->path, d->len, &walk_it);
	if (err || !walk_it) {
		tsk_fs_file_close(rec);
		return err;
	}
	int fresh = inum_set_add(&w->seen, nm->meta_addr);
	if (fresh <= 0) {
		tsk_fs_file_close(rec);
		return fresh < 0 ? SG_ERR_NOMEM : SG_OK;
	}
	sg_buf sub = {0};
	if (sg_buf_append(&sub, d->path, d->len) || sg_buf_append(&sub, "/", 1) ||
	    sg_buf_append(&sub, nm->name, nm->len))
		err = SG_ERR_NOMEM;
	else if (sub.len <= WALK_PATH_MAX)
		err = push_dir(w, nm->meta_addr, sub.p, sub.len, wt_meta_size(f));
	sg_buf_free(&sub);
	tsk_fs_file_close(rec);
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
	if (wt_ext_dir_corrupt(w, d)) {
		walk_warn(w->st, "directory inode %" PRIuINUM " (%.*s): its extent tree is corrupt, not "
		          "read", d->inum, (int)(d->len < 200 ? d->len : 200), d->path);
		return SG_OK;
	}
	size_t nlive = 0;
	uint8_t *data = NULL;
	live_name *live = w->ext_filetype ? wt_ext_live_names(w, d, &nlive, &data) : NULL;
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
	uint8_t *drop = live && dir ? wt_find_bogus(dir, n, live, nlive) : NULL;
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
			err = wt_visit(w, d, f, &nm);
		}
		tsk_fs_file_close(f);
	}
	for (size_t i = 0; i < nlive && !err; i++)
		if (!live[i].listed)
			err = wt_visit_unlisted(w, d, &live[i]);
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

/* The file system at offset, as libtsk reads it (ext2/3 as ext4, which
 * reads more of each inode), with the raw ext reader beside it. */
static sg_err open_fs(walker *w, TSK_IMG_INFO *img, uint64_t offset, char *err, size_t errlen)
{
	w->fs = tsk_fs_open_img(img, (TSK_OFF_T)offset, TSK_FS_TYPE_DETECT);
	if (!w->fs) {
		snprintf(err, errlen, "no file system libtsk can read at offset %" PRIu64 ": %s",
		         offset, tsk_error_get());
		tsk_error_reset();
		return SG_ERR_CORRUPT;
	}
	snprintf(w->st->fstype, sizeof w->st->fstype, "%s", tsk_fs_type_toname(w->fs->ftype));
	if (w->fs->ftype == TSK_FS_TYPE_EXT2 || w->fs->ftype == TSK_FS_TYPE_EXT3) {
		/* libtsk reads the nanosecond and birth-time fields of large
		   inodes only for ext4; ext2/3 with 256-byte inodes have them too */
		TSK_FS_INFO *as4 = tsk_fs_open_img(img, (TSK_OFF_T)offset, TSK_FS_TYPE_EXT4);
		if (as4) {
			tsk_fs_close(w->fs);
			w->fs = as4;
		} else {
			tsk_error_reset();
		}
	}
	if (TSK_FS_TYPE_ISEXT(w->fs->ftype)) {
		uint8_t incompat[4];
		if (tsk_img_read(img, (TSK_OFF_T)offset + 1024 + 0x60, (char *)incompat, 4) == 4)
			w->ext_filetype = (incompat[0] & 0x2) != 0;
		w->have_ext = walk_ext_open(&w->ext, rd_img, img, offset) == 0;
	}
	return SG_OK;
}

/* The walk starts at the root directory (a warning when it is damaged);
 * nonzero when out of memory. */
static int start_at_root(walker *w)
{
	TSK_FS_FILE *root = tsk_fs_file_open_meta(w->fs, NULL, w->fs->root_inum);
	uint64_t root_size = wt_meta_size(root); /* 0 unreadable: tsk_fs_dir_open_meta says why */
	if (!root || !root->meta || root->meta->type != TSK_FS_META_TYPE_DIR)
		walk_warn(w->st, "the root directory (inode %" PRIuINUM ") is %s: the inode table "
		          "or its group descriptors are damaged", w->fs->root_inum,
		          root && root->meta ? "not a directory" : "unreadable");
	tsk_fs_file_close(root);
	tsk_error_reset();
	return inum_set_add(&w->seen, w->fs->root_inum) < 0 ||
	       push_dir(w, w->fs->root_inum, "", 0, root_size);
}

/* The names libtsk invented or could not list, said in the warnings. */
static void warn_names(walker *w)
{
	walk_stats *st = w->st;
	if (w->bogus) {
		size_t len = strlen(st->warn);
		snprintf(st->warn + len, sizeof st->warn - len,
		         "%s%" PRIu64 " names invented by libtsk from directory index blocks ignored",
		         len ? "; " : "", w->bogus);
	}
	if (w->recovered) {
		size_t len = strlen(st->warn);
		snprintf(st->warn + len, sizeof st->warn - len,
		         "%s%" PRIu64 " names libtsk could not list read from the directory blocks",
		         len ? "; " : "", w->recovered);
	}
}

sg_err walk_tsk(int dev_fd, const uint8_t *mem, uint64_t dev_size, uint64_t offset,
                const walk_opts *opts, fx_list *out, walk_stats *st, char *err, size_t errlen)
{
	walker w;
	memset(&w, 0, sizeof w);
	w.dev_fd = dev_fd;
	w.o = opts;
	w.out = out;
	w.first = out->n;
	w.st = st;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sg_err rc = SG_OK;
	TSK_IMG_INFO *img = NULL;
	if ((rc = walk_tsk_img(dev_fd, mem, dev_size, &img, err, errlen)))
		return rc;
	if ((rc = open_fs(&w, img, offset, err, errlen)))
		goto done;
	check_fs_fits(&w, offset, dev_size);
	w.buf = malloc(TSK_READ_CHUNK);
	if (!w.buf || (rc = hpool_new(mem ? 0 : opts->workers, MAX_PENDING, opts->progress, opts->feed,
	                                &w.pool))) {
		snprintf(err, errlen, "out of memory");
		rc = SG_ERR_NOMEM;
		goto done;
	}
	if (start_at_root(&w)) {
		rc = SG_ERR_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	while (w.sn && !rc) {
		dir_item d = w.stack[--w.sn];
		rc = walk_dir(&w, &d);
		free(d.path);
	}
	if (!rc)
		rc = wt_walk_orphans(&w);
	if (rc)
		snprintf(err, errlen, "walk stopped: %s", sg_strerror(rc));
	warn_names(&w);
done:
	if (w.pool)
		walk_apply_hashes(out, hpool_finish(w.pool), st);
	for (size_t i = 0; i < w.sn; i++)
		free(w.stack[i].path);
	free(w.stack);
	inum_set_free(&w.seen);
	sg_buf_free(&w.path);
	free(w.buf);
	if (w.fs)
		tsk_fs_close(w.fs);
	tsk_img_close(img);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	st->journal = FX_J_UNKNOWN;
	return rc;
}
