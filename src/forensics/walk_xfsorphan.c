/* walk_xfsorphan.c — XFS orphan inodes read raw (see walk_xfsorphan.h). */
#include "forensics/walk_xfsorphan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/xfsentry.h"

sg_err xfs_raw_open(const evid *ev, uint64_t offset, uint64_t length, evid_reader *d,
                    fx_xfs_sb *sb)
{
	uint8_t buf[512];
	*d = (evid_reader){ev, offset + length, NULL, 0};
	sg_err rc = evid_read(d, offset, buf, sizeof buf);
	return rc ? rc : fx_xfs_sb_parse(buf, sizeof buf, offset, sb);
}

/* The raw inode's runs as hpool takes them (unwritten extents: zeros). */
static hp_run *runs_of(const fx_xfs_sb *sb, evid_reader *d, const uint8_t *ibuf,
                       const fx_xfs_inode *in, size_t *n, sg_err *rc)
{
	fx_ext4_run *r = NULL;
	size_t k = 0;
	*n = 0;
	if ((*rc = fx_xfs_extents(sb, evid_read, d, ibuf, in, &r, &k)))
		return NULL;
	return hp_runs_from_extents(r, k, n, rc);
}

hp_run *xfs_orphan_runs(const evid *ev, uint64_t offset, uint64_t length, uint64_t ino,
                        uint64_t size, size_t *n, sg_err *rc)
{
	evid_reader d;
	fx_xfs_sb sb;
	fx_xfs_inode in;
	uint8_t ibuf[FX_XFS_INODE_MAX];
	*n = 0;
	if ((*rc = xfs_raw_open(ev, offset, length, &d, &sb)) ||
	    (*rc = fx_xfs_inode_read(&sb, evid_read, &d, ino, ibuf)) ||
	    (*rc = fx_xfs_inode_parse(&sb, ibuf, &in)))
		return NULL;
	if (in.size != size) { /* not the inode the walk listed */
		*rc = SG_ERR_NOTFOUND;
		return NULL;
	}
	return runs_of(&sb, &d, ibuf, &in, n, rc);
}

/* Orphan ino (its bytes in ibuf) as an entry, its content to the pool. */
static sg_err add_orphan(const fx_xfs_sb *sb, evid_reader *d, const uint8_t *ibuf, uint64_t ino,
                         const walk_opts *o, hpool *pool, fx_list *out, walk_stats *st)
{
	fx_xfs_inode in;
	if (fx_xfs_inode_parse(sb, ibuf, &in))
		return SG_OK; /* fx_xfs_orphans parsed it already */
	fx_entry e;
	memset(&e, 0, sizeof e);
	char path[96];
	int pl = snprintf(path, sizeof path, "%s/$OrphanFiles/OrphanFile-%" PRIu64, o->prefix, ino);
	if (!(e.path = fx_memdup(path, (size_t)pl)))
		return SG_ERR_NOMEM;
	e.path_len = (size_t)pl;
	e.fs = o->fs_index;
	e.inode = ino;
	e.deleted = e.orphan = e.data_kept = 1;
	e.has_meta = 1;
	e.type = fx_mode_type(in.mode);
	e.size = in.size;
	e.mode = in.mode & 07777u;
	e.uid = in.uid;
	e.gid = in.gid;
	e.nlink = in.nlink;
	e.atime = in.atime;
	e.mtime = in.mtime;
	e.ctime = in.ctime;
	e.btime = in.btime;
	e.note = "orphan inode: deleted while a process held it open (read raw from its AG's "
	         "unlinked list)";
	size_t nruns = 0;
	sg_err rc = SG_OK;
	hp_run *runs = NULL;
	if (e.type == FX_T_FILE && !o->no_hash) {
		runs = runs_of(sb, d, ibuf, &in, &nruns, &rc);
		if (rc)
			e.note = "orphan inode: deleted while a process held it open; not hashed: its "
			         "extent map is corrupt or unreadable";
		if (rc == SG_ERR_NOMEM) {
			fx_entry_clear(&e);
			return rc;
		}
		st->hash_errors += rc != SG_OK;
	}
	size_t index = out->n;
	if ((rc = fx_list_push(out, &e))) {
		fx_entry_clear(&e);
		free(runs);
		return rc;
	}
	st->entries++;
	st->deleted++;
	st->files += e.type == FX_T_FILE;
	PROGRESS_ADD(o->progress, entries, 1);
	if (!runs)
		return SG_OK;
	hp_job *j = calloc(1, sizeof *j);
	if (!j) {
		free(runs);
		return SG_ERR_NOMEM;
	}
	*j = (hp_job){.entry = index, .fd = -1, .dev_fd = d->ev->fd, .size = in.size, .runs = runs,
	              .nruns = nruns};
	return hpool_submit(pool, j);
}

sg_err xfs_orphans_walk(const evid *ev, uint64_t offset, uint64_t length, const walk_opts *opts,
                        hpool *pool, fx_list *out, walk_stats *st)
{
	evid_reader d;
	fx_xfs_sb sb;
	if (xfs_raw_open(ev, offset, length, &d, &sb)) {
		walk_warn(st, "the XFS superblock cannot be read raw: orphan inodes are not listed");
		return SG_OK;
	}
	uint64_t *inos = malloc(FX_XFS_ORPHANS_MAX * sizeof *inos);
	uint8_t *ibuf = malloc(FX_XFS_INODE_MAX);
	if (!inos || !ibuf) {
		free(inos);
		free(ibuf);
		return SG_ERR_NOMEM;
	}
	size_t n = 0;
	unsigned broken = 0;
	sg_err rc = fx_xfs_orphans(&sb, evid_read, &d, inos, FX_XFS_ORPHANS_MAX, &n, &broken);
	if (rc == SG_ERR_RANGE)
		walk_warn(st, "more than %u orphan inodes: the rest are not listed", FX_XFS_ORPHANS_MAX);
	else if (rc == SG_ERR_NOMEM)
		goto out;
	if (broken)
		walk_warn(st, "%u of the AGIs' unlinked lists could not be followed to their end "
		          "(unreadable, looping or leaving their AG): orphan inodes may be missing",
		          broken);
	rc = SG_OK;
	for (size_t i = 0; !rc && i < n; i++)
		if (fx_xfs_inode_read(&sb, evid_read, &d, inos[i], ibuf) == SG_OK)
			rc = add_orphan(&sb, &d, ibuf, inos[i], opts, pool, out, st);
out:
	free(inos);
	free(ibuf);
	return rc;
}
