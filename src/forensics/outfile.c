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

sg_err outf_open(outf *o, const char *dir, const char *name, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->f.fd = -1;
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	o->md = EVP_MD_CTX_new();
	if (!path || !o->md || !EVP_DigestInit_ex(o->md, EVP_sha256(), NULL)) {
		free(path);
		outf_abort(o);
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	snprintf(path, n, "%s/%s", dir, name);
	sg_err rc = sg_afile_open(&o->f, path, 0600, err, errlen);
	free(path);
	if (rc)
		outf_abort(o);
	return rc;
}

sg_err outf_write(outf *o, const void *p, size_t len, char *err, size_t errlen)
{
	EVP_DigestUpdate(o->md, p, len);
	return sg_afile_write(&o->f, p, len, err, errlen);
}

sg_err outf_commit(outf *o, char hex[65], char *err, size_t errlen)
{
	sg_err rc = sg_afile_commit(&o->f, err, errlen);
	if (rc)
		return rc;
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_DigestFinal_ex(o->md, md, &mdlen);
	sg_hex_encode(md, 32, hex);
	outf_abort(o);
	return SG_OK;
}

void outf_abort(outf *o)
{
	sg_afile_abort(&o->f);
	EVP_MD_CTX_free(o->md);
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
