/* walk_ntfs.c — NTFS: named streams, $EA, deleted MFT records (see walk_tsk_int.h). */
#include "forensics/walk_tsk_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/xattrs.h"

#define NTFS_EA_MAX (64u << 10) /* NTFS caps a file's $EA at 64 KiB */

/*
 * NTFS named $DATA streams (alternate data streams, "file:stream") of the
 * file or directory at out->v[base]: one file entry each, with its owner's
 * inode, mode and owner (no times), hashed through libtsk, so data hidden in
 * a stream is listed, hashed and diffed like any file.
 */
sg_err wt_ntfs_streams(walker *w, TSK_FS_FILE *f, size_t base)
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
		/* NUL-terminated, as every path of the list (fx_memdup) */
		if (!(e.path = malloc(b->path_len + 1 + nl + 1)))
			return SG_ERR_NOMEM;
		memcpy(e.path, b->path, b->path_len);
		e.path[b->path_len] = ':';
		memcpy(e.path + b->path_len + 1, a->name, nl);
		e.path[b->path_len + 1 + nl] = 0;
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
			wt_hash_via_tsk(w, f, a, &w->out->v[index]);
	}
	tsk_error_reset();
	return SG_OK;
}

/*
 * The extended attributes of an NTFS file (its $EA attribute: WSL's
 * $LXUID/$LXMOD, the kernel's $KERNEL.* cache, or anything hidden there),
 * as the manifest's text (xattrs.h), "" when it has none.  An $EA that
 * cannot be read or parsed is a walk warning and leaves e->xattrs NULL
 * (unknown), never "none".
 */
sg_err wt_ntfs_xattrs(walker *w, TSK_FS_FILE *f, fx_entry *e)
{
	const TSK_FS_ATTR *a = tsk_fs_file_attr_get_type(f, TSK_FS_ATTR_TYPE_NTFS_EA, 0, 0);
	tsk_error_reset();
	sg_buf text = {0};
	uint8_t *buf = NULL;
	fx_xattr *v = NULL;
	char *names = NULL;
	const char *why = NULL;
	size_t n = 0;
	sg_err err = SG_OK;
	if (a && (a->size <= 0 || a->size > NTFS_EA_MAX))
		why = "its size is out of bounds";
	else if (a) {
		size_t len = (size_t)a->size, max = len / 10 + 1; /* an entry takes >= 10 bytes */
		buf = malloc(len);
		v = malloc(max * sizeof *v);
		names = malloc(max * (3 + 255));
		if (!buf || !v || !names)
			err = SG_ERR_NOMEM;
		else if (tsk_fs_attr_read(a, 0, (char *)buf, len, TSK_FS_FILE_READ_FLAG_NONE) !=
		         (ssize_t)len)
			why = "unreadable";
		else if (fx_ntfs_ea_parse(buf, len, v, max, &n, names))
			why = "malformed";
		tsk_error_reset();
	}
	if (!err && !why)
		err = fx_xattrs_text(&text, v, n);
	if (!err && !why) {
		e->xattrs = text.p ? text.p : fx_memdup("", 0);
		e->xattrs_len = text.len;
		if (!e->xattrs)
			err = SG_ERR_NOMEM;
	} else {
		sg_buf_free(&text);
	}
	if (why)
		walk_warn(w->st, "$EA of MFT record %" PRIu64 " %s: its extended attributes are not "
		          "recorded", e->inode, why);
	free(names);
	free(v);
	free(buf);
	return err;
}

/*
 * A deleted NTFS name whose MFT record libtsk does not tie to it (NTFS moves
 * a record's sequence number on when it frees it, and libtsk then drops the
 * metadata): the record itself, opened by its number, when it is still free
 * and one of its $FILE_NAMEs is this very name in this directory — so the
 * deleted file keeps its type, size and times, and a deleted directory is
 * walked.  NULL otherwise (the record was reused, or never was this file).
 */
TSK_FS_FILE *wt_ntfs_deleted_record(walker *w, const TSK_FS_FILE *f, const name_ref *nm,
                                        TSK_INUM_T dir)
{
	if (!TSK_FS_TYPE_ISNTFS(w->fs->ftype) || !nm->deleted || f->meta || !nm->meta_addr)
		return NULL;
	TSK_FS_FILE *r = tsk_fs_file_open_meta(w->fs, NULL, nm->meta_addr);
	if (r && r->meta && (r->meta->flags & TSK_FS_META_FLAG_UNALLOC))
		for (const TSK_FS_META_NAME_LIST *n = r->meta->name2; n; n = n->next)
			if (n->par_inode == dir && strlen(n->name) == nm->len &&
			    !memcmp(n->name, nm->name, nm->len)) {
				w->st->deleted_records++;
				return r;
			}
	tsk_fs_file_close(r);
	tsk_error_reset();
	return NULL;
}
