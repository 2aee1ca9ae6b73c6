/* evidence.c — read-only, locked evidence (see evidence.h). */
#include "forensics/evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

sg_err evid_open(const char *path, evid *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return SG_ERR_IO;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a device or image", path);
		close(fd);
		return SG_ERR_INVAL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "%s: not a block device or image file", path);
		close(fd);
		return SG_ERR_INVAL;
	}
	/* reads block normally from here on */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path,
		         e == EWOULDBLOCK ? "busy: another examination holds its lock"
		                          : strerror(e));
		close(fd);
		return e == EWOULDBLOCK ? SG_ERR_BUSY : SG_ERR_IO;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
			snprintf(err, errlen, "%s: cannot get the device size: %s", path,
			         strerror(errno));
			close(fd);
			return SG_ERR_IO;
		}
		out->is_blockdev = 1;
	}
	out->path = strdup(path);
	if (!out->path) {
		close(fd);
		return SG_ERR_NOMEM;
	}
	out->fd = fd;
	out->size = size;
	return SG_OK;
}

sg_err evid_pread(const evid *ev, uint64_t off, void *buf, size_t len, char *err, size_t errlen)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(ev->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: read error at offset %" PRIu64 ": %s "
			         "(did the device vanish?)", ev->path, off + done, strerror(errno));
			return SG_ERR_IO;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s: unexpected end at offset %" PRIu64
			         " of %" PRIu64 " bytes: the device shrank or vanished",
			         ev->path, off + done, ev->size);
			return SG_ERR_IO;
		}
		done += (size_t)n;
	}
	return SG_OK;
}

sg_err evid_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const evid_reader *r = ctx;
	char dropped[8];
	if (off > r->end || len > r->end - off)
		return SG_ERR_RANGE;
	return r->err ? evid_pread(r->ev, off, buf, len, r->err, r->errlen)
	              : evid_pread(r->ev, off, buf, len, dropped, sizeof dropped);
}

void evid_close(evid *ev)
{
	if (!ev)
		return;
	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
	free(ev->path);
	ev->path = NULL;
}
