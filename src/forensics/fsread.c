/* fsread.c — read back the content of listed files (see fsread.h). */
#include "forensics/fsread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forensics/walk.h"
#include "forensics/walk_ext.h"
#include "forensics/walk_tskimg.h"
#include "forensics/walk_xfsorphan.h"

struct fsread {
	const evid *ev;
	evid_reader rd;    /* the whole device; its sentence dropped (fsread_pread says why) */
	uint64_t off, len; /* the file system on the device */
	int is_xfs;
	xfs_ro xfs;
	TSK_IMG_INFO *img;
	TSK_FS_INFO *fs;
	int have_ext;
	walk_ext ext;
	uint8_t ino[FX_EXT4_INODE_MAX];
};

sg_err fsread_open(const evid *ev, const json_t *fsj, fsread **out, char *err, size_t errlen)
{
	*out = NULL;
	const char *method = json_string_value(json_object_get(fsj, "method"));
	json_int_t off = json_integer_value(json_object_get(fsj, "offset"));
	json_int_t len = json_integer_value(json_object_get(fsj, "length"));
	if (!method || off < 0 || len <= 0 || (uint64_t)off > ev->size) {
		snprintf(err, errlen, "file system not walked");
		return SG_ERR_INVAL;
	}
	fsread *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	r->ev = ev;
	r->rd = (evid_reader){ev, ev->size, NULL, 0};
	r->off = (uint64_t)off;
	r->len = (uint64_t)len;
	r->xfs.lfd = r->xfs.root = -1;
	sg_err rc = SG_OK;
	if (!strcmp(method, "xfs-readonly-loop-mount")) {
		r->is_xfs = 1;
		rc = xfs_ro_mount(ev->fd, (uint64_t)off, (uint64_t)len, 0, &r->xfs, err, errlen);
	} else if (!strcmp(method, "libtsk-raw")) {
		rc = walk_tsk_img(ev->fd, NULL, ev->size, &r->img, err, errlen);
		if (!rc && !(r->fs = tsk_fs_open_img(r->img, (TSK_OFF_T)off, TSK_FS_TYPE_DETECT))) {
			snprintf(err, errlen, "libtsk: %s", tsk_error_get());
			tsk_error_reset();
			rc = SG_ERR_CORRUPT;
		}
		if (!rc && TSK_FS_TYPE_ISEXT(r->fs->ftype))
			r->have_ext = walk_ext_open(&r->ext, evid_read, &r->rd, (uint64_t)off) == 0;
	} else {
		snprintf(err, errlen, "file system not walked");
		rc = SG_ERR_INVAL;
	}
	if (rc) {
		fsread_close(r);
		return rc;
	}
	*out = r;
	return SG_OK;
}

void fsread_close(fsread *r)
{
	if (!r)
		return;
	if (r->is_xfs)
		xfs_ro_unmount(&r->xfs);
	if (r->fs)
		tsk_fs_close(r->fs);
	if (r->img)
		tsk_img_close(r->img);
	free(r);
}

struct fsread_fh {
	fsread *r;
	uint64_t size;
	int fd;                  /* XFS: the file, else -1 */
	hp_run *runs;            /* ext: the extents as the kernel reads them, or NULL */
	size_t nruns;
	TSK_FS_FILE *tf;         /* otherwise libtsk: the file */
	const TSK_FS_ATTR *attr; /* and its named NTFS stream, or NULL (the default data) */
};

/* The path below the file system's root: "pN:" and the leading '/' set aside. */
static const char *rel_path(const fx_entry *e)
{
	const char *p = e->path + fx_part_prefix_len(e->path, e->path_len);
	while (*p == '/')
		p++;
	return p;
}

/* An XFS orphan inode: no name; its extents read raw, as the walk hashed it. */
static sg_err open_xfs_orphan(fsread_fh *f, const fx_entry *e, const char **why)
{
	sg_err rc = SG_OK;
	f->runs = xfs_orphan_runs(f->r->ev, f->r->off, f->r->len, e->inode, e->size, &f->nruns,
	                          &rc);
	if (!f->runs)
		*why = rc == SG_ERR_NOTFOUND ? "its inode changed since the walk"
		                             : "its inode or extent map is unreadable";
	return rc;
}

static sg_err open_xfs(fsread_fh *f, const fx_entry *e, const char **why)
{
	if (e->deleted)
		return open_xfs_orphan(f, e, why);
	int fd = xfs_open_beneath(f->r->xfs.root, rel_path(e), O_RDONLY);
	int open_errno = errno;
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_ino == e->inode) {
		f->fd = fd;
		return SG_OK;
	}
	if (fd >= 0)
		close(fd);
	if (fd < 0 && open_errno != ENOENT && open_errno != ELOOP && open_errno != EXDEV) {
		*why = "open failed";
		return SG_ERR_IO;
	}
	*why = "not where the walk saw it";
	return SG_ERR_NOTFOUND;
}

/* ext: the extent tree as the kernel reads it; SG_ERR_INVAL when it does
 * not apply (no extents, inline data, libtsk disagrees): libtsk reads it. */
static sg_err open_ext_runs(fsread_fh *f, const fx_entry *e, const char **why)
{
	fsread *r = f->r;
	if (!r->have_ext || walk_ext_inode(&r->ext, e->inode, e->size, r->ino) ||
	    (fx_ext4_flags(r->ino) & FX_EXT4_INLINE_FL))
		return SG_ERR_INVAL;
	sg_err rc = SG_OK;
	f->runs = walk_ext_runs(&r->ext, r->ino, e->size, &f->nruns, &rc);
	if (!f->runs && rc != SG_ERR_INVAL)
		*why = "extent tree unreadable";
	return f->runs ? SG_OK : rc;
}

/* An NTFS named stream "file:name": the owner's attribute of that name. */
static const TSK_FS_ATTR *stream_of(TSK_FS_FILE *f, const fx_entry *e)
{
	if (!TSK_FS_TYPE_ISNTFS(f->fs_info->ftype))
		return NULL;
	const char *slash = strrchr(e->path, '/');
	const char *colon = strrchr(slash ? slash : e->path, ':');
	if (!colon)
		return NULL;
	int n = tsk_fs_file_attr_getsize(f);
	for (int i = 0; i < n; i++) {
		const TSK_FS_ATTR *a = tsk_fs_file_attr_get_idx(f, i);
		if (a && a->type == TSK_FS_ATTR_TYPE_NTFS_DATA && a->name && !strcmp(a->name, colon + 1))
			return a;
	}
	return NULL;
}

static sg_err open_tsk(fsread_fh *f, const fx_entry *e, const char **why)
{
	sg_err rc = open_ext_runs(f, e, why);
	if (rc != SG_ERR_INVAL)
		return rc;
	f->tf = tsk_fs_file_open_meta(f->r->fs, NULL, (TSK_INUM_T)e->inode);
	if (f->tf && f->tf->meta)
		f->attr = stream_of(f->tf, e);
	/* a named stream's owner may be a directory (its own data is streams) */
	if (!f->tf || !f->tf->meta || (!f->attr && f->tf->meta->type != TSK_FS_META_TYPE_REG)) {
		tsk_error_reset();
		*why = "inode unreadable";
		return SG_ERR_IO;
	}
	/* a freed MFT record in use again describes another file now */
	if (e->deleted && TSK_FS_TYPE_ISNTFS(f->r->fs->ftype) &&
	    (f->tf->meta->flags & TSK_FS_META_FLAG_ALLOC)) {
		*why = "its MFT record is in use again";
		return SG_ERR_NOTFOUND;
	}
	return SG_OK;
}

sg_err fsread_fopen(fsread *r, const fx_entry *e, fsread_fh **out, const char **why)
{
	*out = NULL;
	*why = NULL;
	/* a deleted file whose data the walk kept (an ext or XFS orphan inode,
	   an NTFS freed MFT record) is read from its inode or record */
	if (e->type != FX_T_FILE || (e->deleted && !e->data_kept)) {
		*why = "not a regular file whose content can be read";
		return SG_ERR_INVAL;
	}
	fsread_fh *f = calloc(1, sizeof *f);
	if (!f) {
		*why = "out of memory";
		return SG_ERR_NOMEM;
	}
	f->r = r;
	f->size = e->size;
	f->fd = -1;
	sg_err rc = r->is_xfs ? open_xfs(f, e, why) : open_tsk(f, e, why);
	if (rc) {
		fsread_fclose(f);
		return rc;
	}
	*out = f;
	return SG_OK;
}

void fsread_fclose(fsread_fh *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->runs);
	tsk_fs_file_close(f->tf);
	free(f);
}

/* The part of [off, off + len) each extent holds, from the device; holes
 * (and what no extent holds) read as zeros, as the kernel reads them. */
static sg_err pread_runs(fsread_fh *f, uint64_t off, uint8_t *buf, size_t len)
{
	memset(buf, 0, len);
	for (size_t i = 0; i < f->nruns; i++) {
		const hp_run *u = &f->runs[i];
		uint64_t lo = u->file_off > off ? u->file_off : off;
		uint64_t hi = u->file_off + u->len < off + len ? u->file_off + u->len : off + len;
		if (u->sparse || lo >= hi)
			continue;
		sg_err rc = evid_read(&f->r->rd, u->dev_off + (lo - u->file_off), buf + (lo - off),
		                      (size_t)(hi - lo));
		if (rc)
			return rc;
	}
	return SG_OK;
}

sg_err fsread_pread(fsread_fh *f, uint64_t off, uint8_t *buf, size_t len, const char **why)
{
	*why = NULL;
	if (off > f->size || len > f->size - off) {
		*why = "read past the end of the file";
		return SG_ERR_RANGE;
	}
	if (f->runs) {
		if (pread_runs(f, off, buf, len)) {
			*why = "read error";
			return SG_ERR_IO;
		}
		return SG_OK;
	}
	size_t n = 0;
	while (n < len) {
		ssize_t k;
		if (f->fd >= 0)
			k = pread(f->fd, buf + n, len - n, (off_t)(off + n));
		else if (f->attr)
			k = tsk_fs_attr_read(f->attr, (TSK_OFF_T)(off + n), (char *)buf + n, len - n,
			                     TSK_FS_FILE_READ_FLAG_NONE);
		else
			k = tsk_fs_file_read(f->tf, (TSK_OFF_T)(off + n), (char *)buf + n, len - n,
			                     TSK_FS_FILE_READ_FLAG_NONE);
		if (k < 0 && f->fd >= 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	if (f->fd < 0)
		tsk_error_reset();
	if (n < len) {
		*why = "read error";
		return SG_ERR_IO;
	}
	return SG_OK;
}
