/*
 * outfile.h — an output file written whole or not at all, hashed as written.
 *
 * outf_open() creates DIR/.NAME.partial (O_EXCL, 0600); outf_write()
 * appends and feeds SHA-256; outf_commit() fsyncs, renames to DIR/NAME,
 * fsyncs the directory and gives the hex digest; outf_abort() removes the
 * partial file.  A full disk (ENOSPC, EDQUOT) is reported as such in err.
 * After commit or abort the outf is closed; outf_abort on a closed outf is
 * a no-op.
 */
#ifndef SSRFGUARD_FORENSICS_OUTFILE_H
#define SSRFGUARD_FORENSICS_OUTFILE_H

#include <stddef.h>

#include "ssrfguard/error.h"

typedef struct outf {
	int fd;
	char *tmp;
	char *final;
	void *md; /* EVP_MD_CTX */
} outf;

sg_err outf_open(outf *o, const char *dir, const char *name, char *err, size_t errlen);
sg_err outf_write(outf *o, const void *p, size_t len, char *err, size_t errlen);
sg_err outf_commit(outf *o, char hex[65], char *err, size_t errlen);
void outf_abort(outf *o);

/* SHA-256 of a whole file, hex. */
sg_err file_sha256(const char *path, char hex[65], char *err, size_t errlen);

#endif
