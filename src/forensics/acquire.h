/*
 * acquire.h — the acquisition hash: SHA-256 of the whole device, read
 * once.  One thread reads the device into a ring of 8 MiB chunks and hands
 * each chunk to the file hashers of a feed (dfeed.h), which hash the files
 * whose contents lie in it from that very buffer; one thread feeds the
 * chunks to the whole-device hash and does nothing else: it is the stream
 * that cannot be split and sets the pace.  So no byte is read twice, and
 * none is hashed twice on one thread.
 *
 * Windows (window > 0, --hash-windows): also one SHA-256 per window (1 MiB)
 * so that a later disagreement can be located, on a thread of their own,
 * two windows at a time (sha256x2.h).  They cost a second core's worth of
 * hashing over the whole device, which is why they are asked for.  Window
 * lines "OFFSET LENGTH SHA256\n" (decimal offset and length, the last
 * window may be short) go to wout.
 *
 * acq_start() runs the whole acquisition on a thread of its own, so the
 * walk and the file hashes go on beside it; acq_finish() waits for it and
 * frees the job.  The device must stay open until then.  feed (may be
 * NULL) is ended (dfeed_end) before acq_finish() returns, also on failure.
 * A read error or a device that shrinks fails the acquisition (SG_ERR_IO,
 * err says so).
 */
#ifndef SSRFGUARD_FORENSICS_ACQUIRE_H
#define SSRFGUARD_FORENSICS_ACQUIRE_H

#include "forensics/dfeed.h"
#include "forensics/evidence.h"
#include "forensics/fx.h"
#include "forensics/outfile.h"
#include "forensics/progress.h"

typedef struct acq_result {
	uint8_t sha256[FX_SHA256_LEN];
	uint64_t windows;
	uint64_t bytes;
	double seconds;
	const char *engine; /* "sha-ni" or "openssl" */
} acq_result;

typedef struct acq_job acq_job;
/* window: 0 (none) or a divisor of 8 MiB.  pc (may be NULL): progress
 * counters (device_done, device_total). */
sg_err acq_start(const evid *ev, uint64_t window, outf *wout, progress_counters *pc,
                 dfeed *feed, acq_job **job, char *err, size_t errlen);
sg_err acq_finish(acq_job *job, acq_result *r, char *err, size_t errlen);

#endif
