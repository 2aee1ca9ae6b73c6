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

struct fsread {
	const evid *ev;
	int is_xfs;
	xfs_ro xfs;
	TSK_IMG_INFO *img;
	TSK_FS_INFO *fs;
	int have_ext;
	walk_ext ext;
	uint8_t ino[FX_EXT4_INODE_MAX];
};

static sg_err rd_evid(void *ctx, uint64_t off, void *buf, size_t len)
{
	const evid *ev = ctx;
	char e[128];
	if (off > ev->size || len > ev->size - off)
		return SG_ERR_RANGE;
	return evid_pread(ev, off, buf, len, e, sizeof e);
}

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
			r->have_ext = walk_ext_open(&r->ext, rd_evid, (void *)ev, (uint64_t)off) == 0;
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

/* The path below the file system's root: "pN:" and the leading '/' set aside. */
static const char *rel_path(const fx_entry *e)
{
	const char *p = e->path + fx_part_prefix_len(e->path, e->path_len);
	while (*p == '/')
		p++;
	return p;
}

static sg_err read_xfs(fsread *r, const fx_entry *e, uint8_t *buf, size_t want, size_t *got,
                       const char **why)
{
	int fd = xfs_open_beneath(r->xfs.root, rel_path(e), O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != e->inode) {
		*why = fd < 0 && errno != ENOENT && errno != ELOOP && errno != EXDEV
		           ? "open failed" : "not where the walk saw it";
		if (fd >= 0)
			close(fd);
		return fd < 0 && errno != ENOENT && errno != ELOOP && errno != EXDEV ? SG_ERR_IO
		                                                                   : SG_ERR_NOTFOUND;
	}
	size_t n = 0;
	while (n < want) {
		ssize_t k = read(fd, buf + n, want - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	*got = n;
	if (n < want) {
		*why = "read error";
		return SG_ERR_IO;
	}
	return SG_OK;
}

/* ext: the extent tree as the kernel reads it; 1 when it applies. */
static int read_ext_runs(fsread *r, const fx_entry *e, uint8_t *buf, size_t want, sg_err *rc)
{
	if (!r->have_ext || walk_ext_inode(&r->ext, e->inode, e->size, r->ino) ||
	    (fx_ext4_flags(r->ino) & FX_EXT4_INLINE_FL))
		return 0;
	size_t n = 0;
	hp_run *v = walk_ext_runs(&r->ext, r->ino, e->size, &n, rc);
	if (!v)
		return *rc != SG_ERR_INVAL; /* not extent-mapped: libtsk reads it */
	memset(buf, 0, want);
	for (size_t i = 0; !*rc && i < n; i++) {
		if (v[i].sparse || v[i].file_off >= want)
			continue;
		uint64_t len = v[i].len < want - v[i].file_off ? v[i].len : want - v[i].file_off;
		*rc = rd_evid((void *)r->ev, v[i].dev_off, buf + v[i].file_off, (size_t)len);
	}
	free(v);
	return 1;
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

static sg_err read_tsk(fsread *r, const fx_entry *e, uint8_t *buf, size_t want, size_t *got,
                       const char **why)
{
	sg_err rc = SG_OK;
	if (read_ext_runs(r, e, buf, want, &rc)) {
		*got = rc ? 0 : want;
		*why = rc ? "read error" : NULL;
		return rc ? SG_ERR_IO : SG_OK;
	}
	TSK_FS_FILE *f = tsk_fs_file_open_meta(r->fs, NULL, (TSK_INUM_T)e->inode);
	if (!f || !f->meta || f->meta->type != TSK_FS_META_TYPE_REG) {
		tsk_fs_file_close(f);
		tsk_error_reset();
		*why = "inode unreadable";
		return SG_ERR_IO;
	}
	const TSK_FS_ATTR *a = stream_of(f, e);
	size_t n = 0;
	while (n < want) {
		ssize_t k = a ? tsk_fs_attr_read(a, (TSK_OFF_T)n, (char *)buf + n, want - n,
		                                 TSK_FS_FILE_READ_FLAG_NONE)
		              : tsk_fs_file_read(f, (TSK_OFF_T)n, (char *)buf + n, want - n,
		                                 TSK_FS_FILE_READ_FLAG_NONE);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	tsk_fs_file_close(f);
	tsk_error_reset();
	*got = n;
	if (n < want) {
		*why = "read error";
		return SG_ERR_IO;
	}
	return SG_OK;
}

sg_err fsread_file(fsread *r, const fx_entry *e, uint8_t *buf, size_t cap, size_t *got,
                   const char **why)
{
	*got = 0;
	*why = NULL;
	if (e->deleted || e->type != FX_T_FILE) {
		*why = "not a live regular file";
		return SG_ERR_INVAL;
	}
	size_t want = e->size < cap ? (size_t)e->size : cap;
	if (!want)
		return SG_OK;
	return r->is_xfs ? read_xfs(r, e, buf, want, got, why) : read_tsk(r, e, buf, want, got, why);
}
