/* xfsentry.c — see xfsentry.h. */
#include "forensics/xfsentry.h"

#include <string.h>

fx_type fx_mode_type(uint32_t m)
{
	if (S_ISREG(m)) return FX_T_FILE;
	if (S_ISDIR(m)) return FX_T_DIR;
	if (S_ISLNK(m)) return FX_T_LINK;
	if (S_ISFIFO(m)) return FX_T_FIFO;
	if (S_ISCHR(m)) return FX_T_CHR;
	if (S_ISBLK(m)) return FX_T_BLK;
	if (S_ISSOCK(m)) return FX_T_SOCK;
	return FX_T_OTHER;
}

static fx_time stx_time(const struct statx_timestamp *t, int present)
{
	fx_time r = {t->tv_sec, t->tv_nsec < 1000000000u ? t->tv_nsec : 0, (uint8_t)!!present};
	return r;
}

void fx_entry_from_statx(fx_entry *e, const struct statx *sx)
{
	e->inode = sx->stx_ino;
	e->type = fx_mode_type(sx->stx_mode);
	e->size = sx->stx_size;
	e->mode = sx->stx_mode & 07777;
	e->uid = sx->stx_uid;
	e->gid = sx->stx_gid;
	e->nlink = sx->stx_nlink;
	e->has_meta = 1;
	e->mtime = stx_time(&sx->stx_mtime, 1);
	e->atime = stx_time(&sx->stx_atime, 1);
	e->ctime = stx_time(&sx->stx_ctime, 1);
	e->btime = stx_time(&sx->stx_btime, sx->stx_mask & STATX_BTIME);
}

sg_err fx_xattr_list_split(const char *list, size_t len, fx_xattr *v, size_t max, size_t *n)
{
	*n = 0;
	if (len && list[len - 1] != '\0')
		return SG_ERR_CORRUPT;
	for (size_t at = 0; at < len;) {
		size_t nl = strlen(list + at); /* ends inside: the last byte is a NUL */
		if (nl == 0)
			return SG_ERR_CORRUPT;
		if (*n >= FX_XATTR_MAX || (v && *n >= max))
			return SG_ERR_RANGE;
		if (v)
			v[*n] = (fx_xattr){list + at, nl, NULL, 0, 0};
		(*n)++;
		at += nl + 1;
	}
	return SG_OK;
}
