/*
 * walk_tsk_int.h — what the libtsk walker's files share (internal to
 * walk_tsk.c, walk_tskdata.c, walk_ntfs.c, walk_extfix.c, walk_orphan.c).
 *
 * One walker per file system walk: libtsk's view of it, the entries found
 * so far (out), the directories still to walk, the hashing pool, and for
 * ext2/3/4 the raw reader (walk_ext.h) that corrects libtsk.  Each helper
 * appends to w->out and counts in w->st; damage is a walk warning
 * (walk_warn), only running out of memory is an error.
 */
#ifndef SSRFGUARD_FORENSICS_WALK_TSK_INT_H
#define SSRFGUARD_FORENSICS_WALK_TSK_INT_H

#include <tsk/libtsk.h>

#include "forensics/hpool.h"
#include "forensics/walk.h"
#include "forensics/walk_ext.h"

#define TSK_READ_CHUNK (1u << 20)

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
	sg_buf path;
	int ext_filetype;   /* ext2/3/4 whose entries carry their file type */
	uint64_t bogus;     /* untyped names dropped (htree index blocks) */
	uint64_t recovered; /* live names libtsk did not list, added */
	int have_ext;       /* ext2/3/4: inodes are also read as the kernel does */
	size_t first;       /* out->v[first..]: this walk's entries */
	walk_ext ext;
	uint8_t ino[FX_EXT4_INODE_MAX];
} walker;

/* One directory entry: its name as libtsk listed it, or as the walker
 * read it from an ext directory block that libtsk could not read. */
typedef struct name_ref {
	const char *name;
	size_t len;
	TSK_INUM_T meta_addr, par_addr;
	int deleted;
	fx_type type;
	int orphan; /* an NTFS orphan MFT record: no directory names it (walk_orphan.c) */
} name_ref;

/* walk_tsk.c */
/* Add one named file of directory d, and queue it when it is a directory. */
sg_err wt_visit(walker *w, const dir_item *d, TSK_FS_FILE *f, const name_ref *nm);
uint64_t wt_meta_size(const TSK_FS_FILE *f);

/* walk_tskdata.c: file content */
/* Hash through libtsk in this thread (resident, compressed, in-memory
 * images): the default data, or attr (an NTFS named stream). */
void wt_hash_via_tsk(walker *w, TSK_FS_FILE *f, const TSK_FS_ATTR *attr, fx_entry *e);
/* The file's data runs in bytes, or NULL when libtsk must read it itself. */
hp_run *wt_runs_of(walker *w, TSK_FS_FILE *f, uint64_t size, size_t *nruns);
/* Hash entry index of out from its runs on the pool (takes runs). */
sg_err wt_submit_runs(walker *w, size_t index, hp_run *runs, size_t nruns);
/* What the file system can hold (no more than the device has after it). */
uint64_t wt_fs_bytes(const walker *w);
/* An ext2/3 block-mapped file larger than the whole file system. */
int wt_blockmap_absurd(const walker *w, const TSK_FS_FILE *f, uint64_t size);
/* Hash the regular file out->v[index]: from its raw ext inode's extents
 * (raw: that inode is in w->ino), else libtsk's runs of f on the pool,
 * else through libtsk in this thread; f NULL: libtsk could not open it.
 * A file that cannot be hashed gets a note and counts in hash_errors. */
sg_err wt_hash_entry(walker *w, TSK_FS_FILE *f, size_t index, int raw);

/* walk_ntfs.c */
/* Named $DATA streams of out->v[base] as entries "path:stream". */
sg_err wt_ntfs_streams(walker *w, TSK_FS_FILE *f, size_t base);
/* $EA as e->xattrs. */
sg_err wt_ntfs_xattrs(walker *w, TSK_FS_FILE *f, fx_entry *e);
/* A deleted name's freed MFT record, when it is still this file's. */
TSK_FS_FILE *wt_ntfs_deleted_record(walker *w, const TSK_FS_FILE *f, const name_ref *nm,
                                    TSK_INUM_T dir);

/* walk_extfix.c: ext2/3/4 read as the kernel does where libtsk falls short */
/* A live name of an ext directory block, as the kernel reads it. */
typedef struct live_name {
	uint32_t inode;
	const uint8_t *name;
	uint8_t len;
	uint8_t type;   /* the entry's file-type byte */
	uint8_t listed; /* libtsk listed it too */
} live_name;
/* Times, xattrs and long symlink targets from the raw inode in w->ino. */
sg_err wt_ext_fixup(walker *w, fx_entry *e);
/* Content runs of the extent-mapped inode in w->ino (any depth). */
hp_run *wt_ext_runs(walker *w, uint64_t size, size_t *nruns, int *corrupt);
/* 1 when directory d is extent-mapped and its tree is corrupt: libtsk
 * must not read it (libtsk 4.11 counts index blocks by recursing into
 * every entry: a tree of five blocks named over and over hangs it). */
int wt_ext_dir_corrupt(walker *w, const dir_item *d);
/* The kernel's live names of directory d, sorted (NULL: take libtsk's). */
live_name *wt_ext_live_names(walker *w, const dir_item *d, size_t *n, uint8_t **data);
/* drop[i] for names libtsk invented; marks the live names it listed. */
uint8_t *wt_find_bogus(TSK_FS_DIR *dir, size_t n, live_name *live, size_t nlive);
/* A live name libtsk did not list, visited. */
sg_err wt_visit_unlisted(walker *w, const dir_item *d, const live_name *ln);

/* walk_orphan.c */
/* Orphans, after the directory walk: ext orphan inodes (the superblock's
 * list and the orphan file); NTFS freed MFT records no name reaches. */
sg_err wt_walk_orphans(walker *w);

#endif
