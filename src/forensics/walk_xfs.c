/* walk_xfs.c — read-only loop + ro,norecovery mount + openat walk (see walk.h). */
#include "forensics/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "forensics/hpool.h"
#include "forensics/walk_xfsorphan.h"
#include "common/escape.h"
#include "forensics/xattrs.h"
#include "forensics/xfsentry.h"

#define MAX_PENDING 8 /* batches of up to HP_BATCH files */
#define XFS_MNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME)

sg_err mount_ns_private(char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNS) != 0) {
		snprintf(err, errlen, "cannot enter a private mount namespace: %s (run as root)",
		         strerror(errno));
		return SG_ERR_IO;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		snprintf(err, errlen, "cannot make mounts private: %s", strerror(errno));
		return SG_ERR_IO;
	}
	return SG_OK;
}

/* A read-only, auto-clearing loop device over [offset, offset+length) of fd. */
static int loop_attach(int fd, uint64_t offset, uint64_t length, char *dev, size_t devlen,
                       char *err, size_t errlen)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		snprintf(err, errlen, "/dev/loop-control: %s", strerror(errno));
		return -1;
	}
	for (int attempt = 0; attempt < 16; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			snprintf(err, errlen, "no free loop device: %s", strerror(errno));
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		int lfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (lfd < 0 && errno == ENOENT && mknod(dev, S_IFBLK | 0600, makedev(7, n)) == 0)
			lfd = open(dev, O_RDONLY | O_CLOEXEC);
		if (lfd < 0) {
			snprintf(err, errlen, "%s: %s", dev, strerror(errno));
			break;
		}
		struct loop_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.fd = (uint32_t)fd;
		cfg.info.lo_offset = offset;
		cfg.info.lo_sizelimit = length;
		cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
			close(ctl);
			return lfd;
		}
		int e = errno;
		close(lfd);
		if (e != EBUSY) {
			snprintf(err, errlen, "%s: LOOP_CONFIGURE: %s", dev, strerror(e));
			break;
		}
	}
	close(ctl);
	if (!err[0])
		snprintf(err, errlen, "no free loop device");
	return -1;
}

static long sys_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)flags;
	how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
	return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Open directory rel (no leading '/') below root, never through a symlink. */
static int open_dir(int root, const char *rel, size_t len)
{
	const int fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (len == 0)
		return openat(root, ".", fl);
	if (len < 4000) {
		long fd = sys_openat2(root, rel, fl);
		if (fd >= 0 || errno != ENOSYS)
			return (int)fd;
	}
	/* too long for one call: one component at a time */
	int cur = dup(root);
	const char *p = rel, *end = rel + len;
	while (cur >= 0 && p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t cl = slash ? (size_t)(slash - p) : (size_t)(end - p);
		char *comp = fx_memdup(p, cl);
		int next = comp ? openat(cur, comp, fl) : -1;
		free(comp);
		close(cur);
		cur = next;
		p += cl + 1;
	}
	return cur;
}

#define XATTR_LIST_MAX_BYTES (64u << 10) /* the kernel's own limit (XATTR_LIST_MAX) */
#define XATTR_VALUE_MAX_BYTES (64u << 10) /* ... and XATTR_SIZE_MAX */

/* The extended attributes of name in directory dfd, not following it if it
 * is a symlink, as the manifest's text (xattrs.h).  Through the magic link
 * /proc/self/fd/DFD: no path from the mount's root is walked again. */
static sg_err xattrs_at(int dfd, const char *name, sg_buf *text, char *why, size_t whylen)
{
	char path[64 + 256];
	if (snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dfd, name) >= (int)sizeof path) {
		snprintf(why, whylen, "name too long");
		return SG_ERR_RANGE;
	}
	char *list = malloc(XATTR_LIST_MAX_BYTES);
	fx_xattr *v = NULL;
	ssize_t len = list ? llistxattr(path, list, XATTR_LIST_MAX_BYTES) : -1;
	sg_err rc = list ? SG_OK : SG_ERR_NOMEM;
	if (!rc && len < 0) {
		if (errno == ENOTSUP) /* no attributes on this kind of file */
			len = 0;
		else {
			snprintf(why, whylen, "listxattr: %s", strerror(errno));
			rc = SG_ERR_IO;
		}
	}
	size_t n = 0;
	if (!rc && (rc = fx_xattr_list_split(list, (size_t)len, NULL, 0, &n)))
		snprintf(why, whylen, "listxattr: a malformed or oversized list of names");
	if (!rc && n && !(v = calloc(n, sizeof *v)))
		rc = SG_ERR_NOMEM;
	if (!rc && n)
		rc = fx_xattr_list_split(list, (size_t)len, v, n, &n);
	sg_buf vals = {0};
	uint8_t *one = n ? malloc(XATTR_VALUE_MAX_BYTES) : NULL;
	if (!rc && n && !one)
		rc = SG_ERR_NOMEM;
	for (size_t i = 0; !rc && i < n; i++) {
		ssize_t vl = lgetxattr(path, v[i].name, one, XATTR_VALUE_MAX_BYTES);
		if (vl < 0) {
			char shown[128]; /* the intruder names the attribute */
			sg_text_clean(shown, sizeof shown, v[i].name, v[i].name_len);
			snprintf(why, whylen, "getxattr %s: %s", shown, strerror(errno));
			rc = SG_ERR_IO;
			break;
		}
		/* the value's offset in vals until vals stops moving */
		v[i].value = (const uint8_t *)(uintptr_t)vals.len;
		v[i].size = (size_t)vl;
		rc = sg_buf_append(&vals, one, (size_t)vl);
	}
	free(one);
	for (size_t i = 0; !rc && i < n; i++)
		v[i].value = vals.p ? (const uint8_t *)vals.p + (uintptr_t)v[i].value
		                    : (const uint8_t *)""; /* every value empty */
	if (!rc)
		rc = fx_xattrs_text(text, v, n);
	free(v);
	sg_buf_free(&vals);
	free(list);
	return rc;
}

typedef struct xdir {
	char *rel; /* relative to the mount root, no leading '/' */
	size_t len;
} xdir;

typedef struct xwalker {
	int root;
	const walk_opts *o;
	fx_list *out;
	walk_stats *st;
	hpool *pool;
	xdir *stack;
	size_t sn, scap;
	inum_set seen;
} xwalker;

static sg_err xpush(xwalker *w, const char *rel, size_t len)
{
	if (w->sn == w->scap) {
		size_t cap = w->scap ? w->scap * 2 : 64;
		xdir *v = realloc(w->stack, cap * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		w->stack = v;
		w->scap = cap;
	}
	char *p = fx_memdup(rel, len);
	if (!p)
		return SG_ERR_NOMEM;
	w->stack[w->sn].rel = p;
	w->stack[w->sn].len = len;
	w->sn++;
	return SG_OK;
}

/* A symlink's target into e (a warning naming path when unreadable). */
static void read_link(xwalker *w, int dfd, const char *name, const struct statx *sx, fx_entry *e,
                      const sg_buf *path)
{
	size_t cap = sx->stx_size > 0 && sx->stx_size < WALK_PATH_MAX ? sx->stx_size + 1 : WALK_PATH_MAX;
	char *t = malloc(cap);
	ssize_t n = t ? readlinkat(dfd, name, t, cap) : -1;
	if (n >= 0 && (size_t)n < cap) {
		e->target = fx_memdup(t, (size_t)n);
		e->target_len = (size_t)n;
	} else {
		walk_warn(w->st, "cannot read symlink %.*s", (int)(path->len < 200 ? path->len : 200),
		          path->p);
	}
	free(t);
}

/* The entry's extended attributes into e (a warning when unreadable). */
static void read_xattrs(xwalker *w, int dfd, const char *name, fx_entry *e, const sg_buf *path)
{
	sg_buf xa = {0};
	char why[160];
	if (xattrs_at(dfd, name, &xa, why, sizeof why) == SG_OK) {
		e->xattrs = xa.p ? xa.p : fx_memdup("", 0);
		e->xattrs_len = xa.len;
	} else {
		sg_buf_free(&xa);
		walk_warn(w->st, "cannot read the extended attributes of %.*s: %s",
		          (int)(path->len < 200 ? path->len : 200), path->p, why);
	}
}

static void count_entry(xwalker *w, fx_type type)
{
	walk_stats *st = w->st;
	st->entries++;
	PROGRESS_ADD(w->o->progress, entries, 1);
	switch (type) {
	case FX_T_FILE: st->files++; break;
	case FX_T_DIR: st->dirs++; break;
	case FX_T_LINK: st->links++; break;
	default: st->specials++; break;
	}
}

/* A regular file opened for hashing, the very inode statx saw; -1 (e
 * noted unreadable) when it cannot be. */
static int open_to_hash(xwalker *w, int dfd, const char *name, const struct statx *sx,
                        fx_entry *e)
{
	/* O_NONBLOCK: if anything swapped in a FIFO, open does not hang */
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
	struct stat fst;
	if (fd >= 0 && (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_ino != sx->stx_ino)) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		e->note = "unreadable";
		w->st->hash_errors++;
	}
	return fd;
}

/* Hash the file open on fd (size bytes) into entry index, in the pool. */
static sg_err hash_later(xwalker *w, size_t index, int fd, uint64_t size)
{
	hp_job *j = calloc(1, sizeof *j);
	if (!j) {
		close(fd);
		return SG_ERR_NOMEM;
	}
	j->entry = index;
	j->fd = fd;
	j->dev_fd = -1;
	j->size = size;
	return hpool_submit(w->pool, j);
}

/* Walk directory name of d later, unless its inode was seen already. */
static sg_err descend(xwalker *w, const xdir *d, const char *name, size_t nl, uint64_t ino)
{
	int fresh = inum_set_add(&w->seen, ino);
	if (fresh < 0)
		return SG_ERR_NOMEM;
	if (!fresh)
		return SG_OK;
	sg_err err;
	sg_buf rel = {0};
	if ((d->len && (sg_buf_append(&rel, d->rel, d->len) || sg_buf_append(&rel, "/", 1))) ||
	    sg_buf_append(&rel, name, nl))
		err = SG_ERR_NOMEM;
	else
		err = xpush(w, rel.p, rel.len);
	sg_buf_free(&rel);
	return err;
}

static sg_err xentry(xwalker *w, int dfd, const xdir *d, const char *name)
{
	struct statx sx;
	size_t nl = strlen(name);
	if (statx(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
	          STATX_BASIC_STATS | STATX_BTIME, &sx) != 0) {
		walk_warn(w->st, "cannot stat %.*s/%.*s: %s", (int)(d->len < 200 ? d->len : 200),
		          d->rel, (int)(nl < 100 ? nl : 100), name, strerror(errno));
		return SG_OK;
	}
	sg_buf p = {0};
	if (sg_buf_puts(&p, w->o->prefix) || sg_buf_append(&p, "/", 1) || sg_buf_append(&p, d->rel, d->len) ||
	    (d->len && sg_buf_append(&p, "/", 1)) || sg_buf_append(&p, name, nl)) {
		sg_buf_free(&p);
		return SG_ERR_NOMEM;
	}
	if (p.len > WALK_PATH_MAX) {
		walk_warn(w->st, "path longer than %u bytes skipped", WALK_PATH_MAX);
		sg_buf_free(&p);
		return SG_OK;
	}
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.path = p.p;
	e.path_len = p.len;
	e.fs = w->o->fs_index;
	fx_entry_from_statx(&e, &sx);
	if (e.type == FX_T_LINK)
		read_link(w, dfd, name, &sx, &e, &p);
	read_xattrs(w, dfd, name, &e, &p);
	count_entry(w, e.type);
	int fd = e.type == FX_T_FILE && !w->o->no_hash ? open_to_hash(w, dfd, name, &sx, &e) : -1;
	size_t index = w->out->n;
	sg_err err = fx_list_push(w->out, &e);
	if (err) {
		fx_entry_clear(&e);
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (fd >= 0 && (err = hash_later(w, index, fd, sx.stx_size)))
		return err;
	return e.type == FX_T_DIR ? descend(w, d, name, nl, sx.stx_ino) : SG_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static sg_err xdir_walk(xwalker *w, const xdir *d)
{
	int dfd = open_dir(w->root, d->rel, d->len);
	if (dfd < 0) {
		walk_warn(w->st, "cannot open directory /%.*s: %s", (int)(d->len < 200 ? d->len : 200),
		          d->rel, strerror(errno));
		return SG_OK;
	}
	int lfd = dup(dfd);
	DIR *dir = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!dir) {
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return SG_ERR_NOMEM;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	sg_err err = SG_OK;
	struct dirent *de;
	errno = 0;
	while (!err && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			char **v = realloc(names, nc * sizeof *v);
			if (!v) {
				err = SG_ERR_NOMEM;
				break;
			}
			names = v;
			cap = nc;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			err = SG_ERR_NOMEM;
		else
			n++;
	}
	if (!err && errno)
		walk_warn(w->st, "error reading directory /%.*s: %s",
		          (int)(d->len < 200 ? d->len : 200), d->rel, strerror(errno));
	closedir(dir);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && !err; i++)
		err = xentry(w, dfd, d, names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(dfd);
	return err;
}

sg_err xfs_ro_mount(int dev_fd, uint64_t offset, uint64_t length, int probe_log, xfs_ro *m,
                    char *err, size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->lfd = m->root = -1;
	m->journal = FX_J_UNKNOWN;
	snprintf(m->dir, sizeof m->dir, "/tmp/ssrfguard-xfs.XXXXXX");
	err[0] = 0;
	char dev[64] = "";
	m->lfd = loop_attach(dev_fd, offset, length, dev, sizeof dev, err, errlen);
	if (m->lfd < 0)
		return SG_ERR_IO;
	if (!mkdtemp(m->dir)) {
		snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
		return SG_ERR_IO;
	}
	m->made = 1;
	/* The kernel refuses to mount a read-only device whose log needs
	   replaying: that refusal is the dirty-log test. */
	if (probe_log && mount(dev, m->dir, "xfs", XFS_MNT_FLAGS, "nouuid") == 0) {
		m->journal = FX_J_CLEAN;
		umount2(m->dir, 0);
	} else if (probe_log) {
		m->probe_errno = errno;
		m->journal = (errno == EROFS || errno == EIO) ? FX_J_DIRTY : FX_J_UNKNOWN;
	}
	if (mount(dev, m->dir, "xfs", XFS_MNT_FLAGS, "norecovery,nouuid") != 0) {
		snprintf(err, errlen, "the kernel cannot mount this XFS read-only (%s): %s", dev,
		         strerror(errno));
		return SG_ERR_CORRUPT;
	}
	m->mounted = 1;
	m->root = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->root < 0) {
		snprintf(err, errlen, "%s: %s", m->dir, strerror(errno));
		return SG_ERR_IO;
	}
	return SG_OK;
}

void xfs_ro_unmount(xfs_ro *m)
{
	if (m->root >= 0)
		close(m->root);
	m->root = -1;
	if (m->mounted && umount2(m->dir, 0) != 0)
		umount2(m->dir, MNT_DETACH);
	m->mounted = 0;
	if (m->made)
		rmdir(m->dir);
	m->made = 0;
	if (m->lfd >= 0) {
		/* detach now rather than whenever auto-clear gets to it */
		ioctl(m->lfd, LOOP_CLR_FD, 0);
		close(m->lfd);
	}
	m->lfd = -1;
}

int xfs_open_beneath(int root, const char *rel, int flags)
{
	return (int)sys_openat2(root, rel, flags | O_NOFOLLOW | O_CLOEXEC);
}

sg_err walk_xfs(const evid *ev, uint64_t offset, uint64_t length, const walk_opts *opts,
                fx_list *out, walk_stats *st, char *err, size_t errlen)
{
	xwalker w;
	memset(&w, 0, sizeof w);
	w.root = -1;
	w.o = opts;
	w.out = out;
	w.st = st;
	xfs_ro m;
	double t0 = sg_mono_s();
	snprintf(st->fstype, sizeof st->fstype, "xfs");
	sg_err rc = xfs_ro_mount(ev->fd, offset, length, 1, &m, err, errlen);
	xfs_log_state(ev, offset, length, m.journal, st);
	if (m.made && st->journal == FX_J_UNKNOWN)
		walk_warn(st, "log state unknown: the log cannot be read raw and the probe mount "
		          "failed: %s", strerror(m.probe_errno));
	if (rc)
		goto done;
	w.root = m.root;
	if ((rc = hpool_new(opts->workers, MAX_PENDING, opts->progress, NULL, &w.pool)) || (rc = xpush(&w, "", 0))) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	struct stat rst;
	if (fstat(w.root, &rst) == 0)
		inum_set_add(&w.seen, rst.st_ino);
	while (w.sn && !rc) {
		xdir d = w.stack[--w.sn];
		rc = xdir_walk(&w, &d);
		free(d.rel);
	}
	/* what the mount cannot show: files unlinked while open */
	if (!rc)
		rc = xfs_orphans_walk(ev, offset, length, opts, w.pool, out, st);
	if (rc)
		snprintf(err, errlen, "walk stopped: %s", sg_strerror(rc));
done:
	if (w.pool)
		walk_apply_hashes(out, hpool_finish(w.pool), st);
	for (size_t i = 0; i < w.sn; i++)
		free(w.stack[i].rel);
	free(w.stack);
	inum_set_free(&w.seen);
	xfs_ro_unmount(&m);
	st->seconds = sg_mono_s() - t0;
	return rc;
}
