/* walk_orphan.c — orphans: ext2/3/4 orphan inodes, from the superblock's
 * list and the orphan file; NTFS freed MFT records no name reaches (see
 * walk_tsk_int.h). */
#include "forensics/walk_tsk_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
 * content hashed like every file's (extents, block maps, inline data): it
 * is intact until the file is closed.
 */
#define ORPHANS_MAX 100000
/* Orphan inode ino (already in w->ino) as /$OrphanFiles/OrphanFile-N:
 * deleted, with its metadata and the hash of its content. */
static sg_err add_orphan(walker *w, uint32_t ino, const char *why)
{
	fx_entry e;
	memset(&e, 0, sizeof e);
	char path[64];
	int pl = snprintf(path, sizeof path, "%s/$OrphanFiles/OrphanFile-%" PRIu32, w->o->prefix,
	                  ino);
	e.fs = w->o->fs_index;
	e.inode = ino;
	e.deleted = 1;
	e.orphan = 1;
	e.data_kept = 1; /* an orphan inode is not freed: its data is intact */
	e.has_meta = 1;
	e.type = mode_type(fx_ext4_mode(w->ino));
	e.size = fx_ext4_size(w->ino);
	e.mode = fx_ext4_mode(w->ino) & 07777u;
	fx_ext4_owner(w->ino, &e.uid, &e.gid, &e.nlink);
	e.note = why;
	sg_err err = SG_OK;
	if (!(e.path = fx_memdup(path, (size_t)pl)) || (err = wt_ext_fixup(w, &e))) {
		fx_entry_clear(&e);
		return err ? err : SG_ERR_NOMEM;
	}
	e.path_len = (size_t)pl;
	size_t index = w->out->n;
	if ((err = fx_list_push(w->out, &e))) {
		fx_entry_clear(&e);
		return err;
	}
	w->st->entries++;
	PROGRESS_ADD(w->o->progress, entries, 1);
	w->st->deleted++;
	w->st->files += e.type == FX_T_FILE;
	if (e.type != FX_T_FILE || w->o->no_hash)
		return SG_OK;
	/* hashed as every file is: extents from the raw inode, block maps
	   (ext2/3) and inline data through libtsk */
	TSK_FS_FILE *f = tsk_fs_file_open_meta(w->fs, NULL, ino);
	if (!f || !f->meta) {
		tsk_fs_file_close(f);
		f = NULL;
		tsk_error_reset();
	}
	err = wt_hash_entry(w, f, index, 1);
	tsk_fs_file_close(f);
	return err;
}

/* The superblock's orphan list: each orphan's i_dtime names the next. */
static sg_err orphan_list(walker *w, inum_set *seen)
{
	uint32_t ino = w->ext.sb.last_orphan;
	for (unsigned n = 0; ino; n++) {
		int fresh = inum_set_add(seen, ino);
		if (fresh < 0)
			return SG_ERR_NOMEM;
		if (!fresh || n == ORPHANS_MAX) {
			walk_warn(w->st, "the orphan inode list loops or runs on past %u entries",
			          ORPHANS_MAX);
			return SG_OK;
		}
		if (fx_ext4_inode_read(&w->ext.sb, w->ext.rd, w->ext.ctx, ino, w->ino)) {
			walk_warn(w->st, "orphan inode %" PRIu32 ": unreadable", ino);
			return SG_OK;
		}
		uint32_t next = fx_ext4_dtime(w->ino);
		sg_err err = add_orphan(w, ino, "orphan inode: deleted while a process held it open");
		if (err)
			return err;
		ino = next;
	}
	return SG_OK;
}

/* The orphan file (COMPAT_ORPHAN_FILE): blocks of inode numbers. */
static sg_err orphan_file(walker *w, inum_set *seen)
{
	const fx_ext4_sb *sb = &w->ext.sb;
	uint32_t of = sb->orphan_file;
	if (!of)
		return SG_OK;
	uint64_t size = 0;
	uint8_t *data = NULL;
	uint32_t *inos = NULL;
	sg_err err = SG_OK;
	if (fx_ext4_inode_read(sb, w->ext.rd, w->ext.ctx, of, w->ino) ||
	    (size = fx_ext4_size(w->ino)) > WALK_EXT_SMALL_MAX || size % sb->block_size ||
	    !(data = malloc(size ? size : 1)) || !(inos = malloc(sb->block_size)) ||
	    walk_ext_read(&w->ext, w->ino, size, data)) {
		walk_warn(w->st, "the orphan file (inode %" PRIu32 ") cannot be read: its orphans "
		          "are not listed", of);
		goto out;
	}
	for (uint64_t off = 0; off < size && !err; off += sb->block_size) {
		size_t n = 0;
		if (fx_ext4_orphan_block(sb, data + off, inos, &n))
			walk_warn(w->st, "orphan file block %" PRIu64 " is damaged", off / sb->block_size);
		if (seen->n + n > ORPHANS_MAX) {
			walk_warn(w->st, "the orphan file names more than %u inodes: the rest are not "
			          "listed", ORPHANS_MAX);
			break;
		}
		for (size_t i = 0; i < n && !err; i++) {
			int fresh = inum_set_add(seen, inos[i]);
			if (fresh < 0)
				err = SG_ERR_NOMEM;
			else if (!fresh)
				continue;
			else if (fx_ext4_inode_read(sb, w->ext.rd, w->ext.ctx, inos[i], w->ino))
				walk_warn(w->st, "orphan inode %" PRIu32 ": unreadable", inos[i]);
			else
				err = add_orphan(w, inos[i], "orphan inode (orphan file): deleted while a "
				                 "process held it open");
		}
	}
out:
	free(inos);
	free(data);
	return err;
}

/*
 * NTFS orphan MFT records: a deleted file's record, freed but not reused,
 * that no directory entry reaches — its parent was deleted and its record
 * reused, say (libtsk puts these under its virtual $OrphanFiles, which
 * the walk skips).  The deleted files libtsk ties to a name were listed
 * by the walk already (their parent's deleted entries).  Each is listed as
 * "/$OrphanFiles/OrphanFile-N", deleted, with its metadata, hashed from
 * the record's runs (walk_tsk.c's note says the clusters are free).
 * Records never named (no $FILE_NAME: the MFT's reserved 16-23) are not
 * files.
 */
typedef struct ntfs_orphans {
	walker *w;
	inum_set listed; /* every record the walk listed */
	sg_err err;
	unsigned n;
} ntfs_orphans;

static TSK_WALK_RET_ENUM ntfs_orphan_cb(TSK_FS_FILE *f, void *ptr)
{
	ntfs_orphans *o = ptr;
	walker *w = o->w;
	TSK_FS_META *m = f->meta;
	if (!m || !m->name2 || m->type == TSK_FS_META_TYPE_VIRT ||
	    m->type == TSK_FS_META_TYPE_VIRT_DIR)
		return TSK_WALK_CONT;
	int fresh = inum_set_add(&o->listed, m->addr);
	if (fresh <= 0) {
		o->err = fresh < 0 ? SG_ERR_NOMEM : SG_OK;
		return fresh < 0 ? TSK_WALK_STOP : TSK_WALK_CONT;
	}
	if (++o->n > ORPHANS_MAX) {
		walk_warn(w->st, "more than %u orphan MFT records: the rest are not listed",
		          ORPHANS_MAX);
		return TSK_WALK_STOP;
	}
	char name[32], parent[] = "/$OrphanFiles";
	int nl = snprintf(name, sizeof name, "OrphanFile-%" PRIuINUM, m->addr);
	dir_item orphans_dir = {0, parent, sizeof parent - 1, 0};
	name_ref nm = {name, (size_t)nl, m->addr, 0, 1, FX_T_OTHER, 1};
	o->err = wt_visit(w, &orphans_dir, f, &nm);
	return o->err ? TSK_WALK_STOP : TSK_WALK_CONT;
}

static sg_err ntfs_orphan_records(walker *w)
{
	ntfs_orphans o = {w, {0}, SG_OK, 0};
	for (size_t i = w->first; i < w->out->n && !o.err; i++)
		if (inum_set_add(&o.listed, w->out->v[i].inode) < 0)
			o.err = SG_ERR_NOMEM;
	/* no more records than the device holds (a corrupt $MFT claims 2^40
	   bytes of sparse records: libtsk would read zeros for hours) */
	TSK_INUM_T end = w->fs->last_inum, most = (TSK_INUM_T)(wt_fs_bytes(w) / 1024);
	if (end - w->fs->first_inum > most)
		end = w->fs->first_inum + most;
	if (!o.err && tsk_fs_meta_walk(w->fs, w->fs->first_inum, end,
	                               TSK_FS_META_FLAG_UNALLOC | TSK_FS_META_FLAG_USED,
	                               ntfs_orphan_cb, &o) && !o.err) {
		walk_warn(w->st, "the MFT could not be read to the end: orphan MFT records may be "
		          "missing (%s)", tsk_error_get() ? tsk_error_get() : "libtsk gave no reason");
	}
	tsk_error_reset();
	inum_set_free(&o.listed);
	return o.err;
}

/* Orphans (walk_tsk_int.h): ext orphan inodes (files unlinked while open
 * when the snapshot was taken), from the superblock's list and from the
 * orphan file; NTFS freed MFT records no name reaches. */
sg_err wt_walk_orphans(walker *w)
{
	if (TSK_FS_TYPE_ISNTFS(w->fs->ftype))
		return ntfs_orphan_records(w);
	if (!w->have_ext)
		return SG_OK;
	inum_set seen = {0};
	sg_err err = orphan_list(w, &seen);
	if (!err)
		err = orphan_file(w, &seen);
	inum_set_free(&seen);
	return err;
}
