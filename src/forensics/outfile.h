/*
 * outfile.h — an output file written whole or not at all, hashed as written.
 *
 * An sg_afile (common/atomicfile.h) for DIR/NAME, mode 0600, that also
 * feeds SHA-256: outf_open() creates the temporary file next to it;
 * outf_write() appends; outf_commit() fsyncs, renames to DIR/NAME, fsyncs
 * the directory and gives the hex digest; a failed write or commit, and
 * outf_abort(), remove the temporary file.  A full disk (ENOSPC, EDQUOT)
 * is reported as such in err.
 * After commit or abort the outf is closed; outf_abort on a closed outf is
 * a no-op.
 */
#ifndef SSRFGUARD_FORENSICS_OUTFILE_H
#define SSRFGUARD_FORENSICS_OUTFILE_H

#include <stddef.h>

#include "common/atomicfile.h"
#include "ssrfguard/error.h"

typedef struct outf {
	sg_afile f;
	void *md; /* EVP_MD_CTX */
} outf;

sg_err outf_open(outf *o, const char *dir, const char *name, char *err, size_t errlen);
sg_err outf_write(outf *o, const void *p, size_t len, char *err, size_t errlen);
sg_err outf_commit(outf *o, char hex[65], char *err, size_t errlen);
void outf_abort(outf *o);

/* SHA-256 of a whole file, hex. */
sg_err file_sha256(const char *path, char hex[65], char *err, size_t errlen);

#endif
