/*
 * atomicfile.h — replace a file whole or not at all: the one way to write
 * an output file (reports, forensic outputs).
 *
 * sg_afile_open() creates a unique temporary file next to PATH
 * (DIR/.NAME.XXXXXX.partial, mkostemps, so two writers of one PATH never share a
 * temporary file); sg_afile_write() appends; sg_afile_commit() fsyncs it,
 * renames it over PATH and fsyncs the directory, so a reader sees the old
 * file or the new one, never a mix, and the new one survives a crash once
 * commit returned SG_OK.  With two writers of one PATH at once, the last
 * rename wins and PATH holds one writer's whole text.  Every failure of
 * write or commit, and sg_afile_abort(), removes the temporary file; after
 * commit or abort the sg_afile is closed: abort on it is a no-op (so is
 * abort on a zeroed one), write and commit refuse with SG_ERR_INVAL.  err says what failed on which path; a full disk
 * (ENOSPC, EDQUOT) is named as such.
 */
#ifndef SSRFGUARD_COMMON_ATOMICFILE_H
#define SSRFGUARD_COMMON_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "ssrfguard/error.h"

typedef struct sg_afile {
	int fd;
	char *tmp;  /* NULL: closed */
	char *path;
} sg_afile;

/* mode: the file's permissions (the umask does not apply). */
sg_err sg_afile_open(sg_afile *f, const char *path, mode_t mode, char *err, size_t errlen);
sg_err sg_afile_write(sg_afile *f, const void *p, size_t len, char *err, size_t errlen);
sg_err sg_afile_commit(sg_afile *f, char *err, size_t errlen);
void sg_afile_abort(sg_afile *f);

/* open, write len bytes of p, commit: PATH holds exactly p or is untouched. */
sg_err sg_file_replace(const char *path, const void *p, size_t len, mode_t mode, char *err,
                       size_t errlen);

#endif
