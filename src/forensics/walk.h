/*
 * walk.h — walk one file system of the evidence into a list of entries.
 *
 * walk_tsk(): through libtsk on the raw device, no mount; deleted names
 * included (entry->deleted).  The image is read through our own read-only
 * descriptor (or, for the fuzz target, a memory buffer).  walk_xfs(): a
 * read-only loop device over the partition, mounted ro,norecovery,nouuid
 * in this process's private mount namespace (see mount_ns_private), walked
 * with openat/statx/O_NOFOLLOW; whether the log is dirty it reads raw and
 * asks the kernel (xfs_log_state, walk_xfsorphan.h).  Both hash regular
 * files on a pool of opts->workers threads and never follow symlinks nor
 * open FIFOs, devices or sockets.
 *
 * Entries are appended to out with opts->prefix ("" or "pN:") before the
 * path and fs = opts->fs_index.  A file system that cannot be opened at
 * all is an error (err says why); damage found while walking (an
 * unreadable directory, a path too long) is counted in st->errors, the
 * first few described in st->warn, and the walk goes on.
 */
#ifndef SSRFGUARD_FORENSICS_WALK_H
#define SSRFGUARD_FORENSICS_WALK_H

#include "forensics/evidence.h"
#include "forensics/fsprobe.h"
#include "forensics/fx.h"
#include "forensics/progress.h"

#define WALK_PATH_MAX (64u << 10)

typedef struct walk_opts {
	int fs_index;
	const char *prefix;   /* "" or "p1:" */
	unsigned workers;     /* hashing threads; 0: hash in the walking thread */
	int no_hash;          /* list only */
	progress_counters *progress; /* or NULL */
	struct dfeed *feed;   /* walk_tsk: file content from the acquisition (dfeed.h), or NULL */
} walk_opts;

typedef struct walk_stats {
	uint64_t entries, files, dirs, links, specials, deleted;
	uint64_t hashed, hash_errors, bytes_hashed;
	uint64_t hashed_fed, bytes_fed; /* of them, hashed from the acquisition's buffers */
	uint64_t errors;
	uint64_t deleted_records; /* NTFS: deleted names given their freed MFT record's metadata */
	double seconds;
	char fstype[32];      /* as the walker saw it, e.g. "ext4" */
	char warn[512];
	fx_journal journal;   /* walk_xfs: the log read raw and the kernel's word; else FX_J_UNKNOWN */
	uint64_t log_pending; /* walk_xfs: bytes of a dirty log not replayed, when read raw */
} walk_stats;

/* dev_fd < 0 and mem != NULL: read the image from memory (fuzzing). */
sg_err walk_tsk(int dev_fd, const uint8_t *mem, uint64_t dev_size, uint64_t offset,
                const walk_opts *opts, fx_list *out, walk_stats *st,
                char *err, size_t errlen);

sg_err walk_xfs(const evid *ev, uint64_t offset, uint64_t length, const walk_opts *opts,
                fx_list *out, walk_stats *st, char *err, size_t errlen);

/*
 * XFS read-only: a read-only loop device over [offset, offset+length) of
 * dev_fd, mounted ro,norecovery,nouuid (noexec, nodev, nosuid) on a fresh
 * directory under /tmp; m->root is the mount's root.  probe_log: first try
 * a mount with log recovery, which the kernel refuses on a read-only device
 * whose log is dirty (m->journal; m->probe_errno when unknown).
 * xfs_ro_unmount() undoes whatever was done (also after a failed mount).
 * xfs_open_beneath() opens rel (no leading '/') below root through no
 * symlink and across no mount (openat2 RESOLVE_BENEATH|NO_SYMLINKS|NO_XDEV).
 */
typedef struct xfs_ro {
	int lfd, root, mounted, made, probe_errno;
	char dir[32];
	fx_journal journal;
} xfs_ro;
sg_err xfs_ro_mount(int dev_fd, uint64_t offset, uint64_t length, int probe_log, xfs_ro *m,
                    char *err, size_t errlen);
void xfs_ro_unmount(xfs_ro *m);
int xfs_open_beneath(int root, const char *rel, int flags);

/* Enter a private mount namespace (must run before any thread starts). */
sg_err mount_ns_private(char *err, size_t errlen);

/* Helpers shared by the walkers (walk_common.c).  walk_warn: one more
 * walk error, the first five described in st->warn; the arguments may hold
 * raw name bytes (an intruder's file names): the whole message is made
 * printable text (common/escape.h) and cut on a character boundary. */
void walk_warn(walk_stats *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Apply the pool's results to out (entries indexed by job->entry). */
void walk_apply_hashes(fx_list *out, void *jobs, walk_stats *st);

typedef struct inum_set {
	uint64_t *v;
	size_t cap, n;
} inum_set;
/* 1 if added, 0 if already there, -1 on OOM. */
int inum_set_add(inum_set *s, uint64_t x);
void inum_set_free(inum_set *s);

#endif
