/* outfile.c — whole-or-nothing output files (see outfile.h). */
#include "forensics/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "forensics/fx.h"

static char *join(const char *dir, const char *a, const char *b, const char *c)
{
	size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s%s%s", dir, a, b, c);
	return s;
}

static void io_msg(char *err, size_t errlen, const char *what, const char *path, int e)
{
	snprintf(err, errlen, "%s %s: %s%s", what, path, strerror(e),
	         (e == ENOSPC || e == EDQUOT) ? " (the output disk is full)" : "");
}

sg_err outf_open(outf *o, const char *dir, const char *name, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->tmp = join(dir, ".", name, ".partial");
	o->final = join(dir, "", name, "");
	o->md = EVP_MD_CTX_new();
	if (!o->tmp || !o->final || !o->md ||
	    !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL)) {
		outf_abort(o);
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (o->fd < 0) {
		io_msg(err, errlen, "cannot create", o->tmp, errno);
		free(o->tmp);
		o->tmp = NULL; /* not ours: do not unlink */
		outf_abort(o);
		return SG_ERR_IO;
	}
	return SG_OK;
}

sg_err outf_write(outf *o, const void *p, size_t len, char *err, size_t errlen)
{
	const char *c = p;
	EVP_DigestUpdate(o->md, p, len);
	while (len) {
		ssize_t n = write(o->fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			io_msg(err, errlen, "cannot write", o->tmp, errno);
			return SG_ERR_IO;
		}
		c += n;
		len -= (size_t)n;
	}
	return SG_OK;
}

sg_err outf_commit(outf *o, char hex[65], char *err, size_t errlen)
{
	uint8_t md[32];
	unsigned mdlen = 0;
	if (fsync(o->fd) != 0) {
		io_msg(err, errlen, "cannot sync", o->tmp, errno);
		return SG_ERR_IO;
	}
	if (close(o->fd) != 0) {
		o->fd = -1;
		io_msg(err, errlen, "cannot close", o->tmp, errno);
		return SG_ERR_IO;
	}
	o->fd = -1;
	if (rename(o->tmp, o->final) != 0) {
		io_msg(err, errlen, "cannot rename", o->tmp, errno);
		return SG_ERR_IO;
	}
	/* the directory entry must reach the disk too */
	char *slash = strrchr(o->final, '/');
	if (slash) {
		*slash = 0;
		int dfd = open(o->final, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	EVP_DigestFinal_ex(o->md, md, &mdlen);
	sg_hex_encode(md, 32, hex);
	free(o->tmp);
	o->tmp = NULL;
	outf_abort(o);
	return SG_OK;
}

void outf_abort(outf *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->final);
	EVP_MD_CTX_free(o->md);
	o->tmp = o->final = NULL;
	o->md = NULL;
}

sg_err file_sha256(const char *path, char hex[65], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = malloc(1 << 20);
	sg_err rc = SG_OK;
	if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = SG_ERR_NOMEM;
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = SG_ERR_IO;
			goto done;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	uint8_t d[32];
	unsigned dl = 0;
	EVP_DigestFinal_ex(md, d, &dl);
	sg_hex_encode(d, 32, hex);
done:
	free(buf);
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}
