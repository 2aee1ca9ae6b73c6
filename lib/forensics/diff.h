/*
 * diff.h — compare an examined file system with its known-good baseline.
 *
 * fx_diff_run() classifies every difference between base (a manifest or a
 * hashdeep list) and cur (the walk of the evidence):
 *
 *   modified      content changed and mtime changed, or a symlink retargeted
 *   timestomped   content changed, mtime identical to the baseline's
 *   unverified    the baseline has the file's hash, the image's copy could
 *                 not be hashed (its note says why): its content is unknown
 *   added         path absent from the baseline (hashdeep: regular files)
 *   removed       baseline path absent from the image
 *   moved         a removed path's content (same inode preferred) under a new path
 *   type_changed  same path, another type (a file replaced by a symlink)
 *   metadata      same content; mode, owner or (non-directory) mtime changed
 *   deleted_in_image  a deleted name in the image that the baseline did not
 *                     have and that explains no removal
 *
 * Not compared: atime, ctime, nlink, directory mtimes (they change on any
 * read or any change inside a directory), and entries marked fs_meta on
 * either side (NTFS's own files: $MFT, $Bitmap, $LogFile change with every
 * write while their recorded times never do, so they would all read as
 * timestomped).  A deleted name found at a removed
 * or moved-from path is attached to that finding (trace) instead.
 *
 * Findings point into base and cur, which must outlive the fx_diff.  They
 * are sorted: paths of special interest first, then by class, then path.
 * fx_diff_free(NULL) is a no-op.
 */
#ifndef SSRFGUARD_FX_DIFF_H
#define SSRFGUARD_FX_DIFF_H

#include "forensics/fx.h"

typedef enum fx_class {
	FX_C_TYPE_CHANGED = 0,
	FX_C_TIMESTOMPED,
	FX_C_MODIFIED,
	FX_C_UNVERIFIED,
	FX_C_ADDED,
	FX_C_REMOVED,
	FX_C_MOVED,
	FX_C_METADATA,
	FX_C_DELETED_IN_IMAGE,
	FX_C__COUNT
} fx_class;

/* "type_changed", "timestomped", ...; static. */
const char *fx_class_name(fx_class c);

#define FX_DETAIL_MAX 256

typedef struct fx_finding {
	fx_class cls;
	const fx_entry *base;   /* baseline entry; NULL for added, deleted_in_image */
	const fx_entry *cur;    /* image entry; NULL for removed */
	const fx_entry *trace;  /* a deleted name at the old path, or NULL */
	const char *interest;   /* why the path matters (static), or NULL */
	char detail[FX_DETAIL_MAX];
} fx_finding;

typedef struct fx_diff {
	fx_finding *v;
	size_t n, cap;
	size_t counts[FX_C__COUNT];
	size_t interesting;
} fx_diff;

/* content_only: base carries no metadata (a hashdeep list). */
sg_err fx_diff_run(const fx_list *base, const fx_list *cur, int content_only,
                   fx_diff *out);
void fx_diff_free(fx_diff *d);

/*
 * A baseline of one file system (a tree's hashdeep list, or a manifest of a
 * bare file system: no "pN:" prefixes) against the walk of a partitioned
 * device (cur sorted by path, prefixed): view receives the entries of the
 * file system whose paths match most of the baseline's, their prefix set
 * aside — shallow copies whose strings belong to cur (free only view->v,
 * never fx_list_free(view)).  *matched: baseline paths found there; *fs:
 * its index.  view->n == 0 when this does not apply (the baseline has
 * prefixes, or cur has none).
 */
sg_err fx_diff_view_best_fs(const fx_list *base, const fx_list *cur, fx_list *view, int *fs,
                            size_t *matched);

/*
 * Why a path is of special interest to an SSRF-to-shell investigation
 * (web root, cron, systemd, ssh keys, sudoers, temp dirs, shell history,
 * setuid/setgid), or NULL.  A "pN:" partition prefix is ignored.
 */
const char *fx_interest(const char *path, size_t len, uint32_t mode, fx_type type);

#endif
