/*
 * evidence.h — the evidence device or image, opened read-only and locked.
 *
 * evid_open() opens path O_RDONLY (never anything else), refuses
 * directories and anything that is not a regular file or block device,
 * takes flock(LOCK_EX|LOCK_NB) so two examinations of one device cannot
 * interleave (SG_ERR_BUSY), and records its size.  evid_pread() reads
 * exactly len bytes or fails: a short read means the device shrank or
 * vanished (SG_ERR_IO, and the message says so).  Errors write a sentence
 * to err.  evid_close() is safe on a zeroed or closed evid.
 *
 * evid_reader is the evidence as the pure parsers of lib/forensics read it
 * (partition tables, raw ext4 and XFS inodes): evid_read() is their
 * fx_read_fn (part.h), its ctx an evid_reader.  Offsets are the device's;
 * a read reaching past end (the device's size, or the end of the file
 * system being read) is SG_ERR_RANGE; a failed read is evid_pread()'s
 * SG_ERR_IO, its sentence in err (or dropped when err is NULL, as readers
 * shared between threads want).
 */
#ifndef SSRFGUARD_FORENSICS_EVIDENCE_H
#define SSRFGUARD_FORENSICS_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

typedef struct evid {
	int fd;
	char *path;
	uint64_t size;
	int is_blockdev;
} evid;

sg_err evid_open(const char *path, evid *out, char *err, size_t errlen);
sg_err evid_pread(const evid *ev, uint64_t off, void *buf, size_t len,
                  char *err, size_t errlen);
void evid_close(evid *ev);

typedef struct evid_reader {
	const evid *ev;
	uint64_t end;
	char *err;     /* or NULL */
	size_t errlen;
} evid_reader;

sg_err evid_read(void *ctx, uint64_t off, void *buf, size_t len);

#endif
