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

#endif
