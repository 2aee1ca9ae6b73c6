/* atomicfile.c — whole-or-nothing file replacement (see atomicfile.h). */
#include "common/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".partial"

static sg_err io_fail(sg_afile *f, char *err, size_t errlen, const char *what, const char *path,
                      int e)
{
	snprintf(err, errlen, "%s %s: %s%s", what, path, strerror(e),
	         (e == ENOSPC || e == EDQUOT) ? " (the disk is full)" : "");
	sg_afile_abort(f);
	return SG_ERR_IO;
}

/* write or commit after a failure, commit or abort closed it */
static sg_err closed(char *err, size_t errlen)
{
	snprintf(err, errlen, "output file already closed (after an earlier failure)");
	return SG_ERR_INVAL;
}

sg_err sg_afile_open(sg_afile *f, const char *path, mode_t mode, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->fd = -1;
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(path) + sizeof ".XXXXXX" TMP_SUFFIX + 1; /* '.' + path + NUL */
	f->tmp = malloc(n);
	f->path = strdup(path);
	if (!f->tmp || !f->path) {
		free(f->tmp);
		free(f->path);
		memset(f, 0, sizeof *f);
		f->fd = -1;
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	snprintf(f->tmp, n, "%.*s.%s.XXXXXX" TMP_SUFFIX, (int)dirlen, path, path + dirlen);
	f->fd = mkostemps(f->tmp, (int)strlen(TMP_SUFFIX), O_CLOEXEC);
	if (f->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create a file in the directory of %s: %s", path,
		         strerror(e));
		free(f->tmp);
		f->tmp = NULL; /* nothing of ours to remove */
		sg_afile_abort(f);
		return SG_ERR_IO;
	}
	if (fchmod(f->fd, mode) != 0)
		return io_fail(f, err, errlen, "cannot set the mode of", f->tmp, errno);
	return SG_OK;
}

sg_err sg_afile_write(sg_afile *f, const void *p, size_t len, char *err, size_t errlen)
{
	if (!f->tmp)
		return closed(err, errlen);
	const char *c = p;
	while (len) {
		ssize_t w = write(f->fd, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_fail(f, err, errlen, "cannot write", f->tmp, w < 0 ? errno : EIO);
		c += w;
		len -= (size_t)w;
	}
	return SG_OK;
}

/* fsync the directory holding path, so the rename survives a crash. */
static int sync_dir(char *path)
{
	char *slash = strrchr(path, '/');
	const char *dir = ".";
	if (slash == path)
		dir = "/";
	else if (slash) {
		*slash = '\0';
		dir = path;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (slash)
		*slash = '/';
	if (dfd < 0)
		return -1;
	int rc = fsync(dfd);
	int e = errno;
	close(dfd);
	errno = e;
	return rc;
}

sg_err sg_afile_commit(sg_afile *f, char *err, size_t errlen)
{
	if (!f->tmp)
		return closed(err, errlen);
	if (fsync(f->fd) != 0)
		return io_fail(f, err, errlen, "cannot sync", f->tmp, errno);
	int fd = f->fd;
	f->fd = -1;
	if (close(fd) != 0)
		return io_fail(f, err, errlen, "cannot close", f->tmp, errno);
	if (rename(f->tmp, f->path) != 0)
		return io_fail(f, err, errlen, "cannot rename to", f->path, errno);
	free(f->tmp);
	f->tmp = NULL; /* it is PATH now */
	if (sync_dir(f->path) != 0)
		return io_fail(f, err, errlen, "written but cannot sync the directory of", f->path,
		               errno);
	sg_afile_abort(f);
	return SG_OK;
}

void sg_afile_abort(sg_afile *f)
{
	if (f->tmp) {
		if (f->fd >= 0)
			close(f->fd);
		unlink(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	f->tmp = f->path = NULL;
	f->fd = -1;
}

sg_err sg_file_replace(const char *path, const void *p, size_t len, mode_t mode, char *err,
                       size_t errlen)
{
	sg_afile f;
	sg_err rc = sg_afile_open(&f, path, mode, err, errlen);
	if (!rc)
		rc = sg_afile_write(&f, p, len, err, errlen);
	if (!rc)
		rc = sg_afile_commit(&f, err, errlen);
	return rc;
}
