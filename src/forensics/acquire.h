/*
 * acquire.h — the acquisition hash: SHA-256 of the whole device, plus one
 * SHA-256 per window (1 MiB by default) so a later disagreement can be
 * located.  One thread reads the device into a ring of 8 MiB chunks; one
 * feeds them to the whole-device hash, the stream that cannot be split and
 * sets the pace.  With SHA-NI that thread also hashes each window in the
 * second lane of its core (sha256x2.h), over the same bytes in lockstep,
 * which costs the stream about a tenth of its speed and leaves the other
 * cores to the walk; without it a third thread hashes the windows, two at
 * a time.
 *
 * acq_start() runs the whole acquisition on a thread of its own, so the
 * walk and the file hashes go on beside the one stream that cannot be
 * split; acq_finish() waits for it and frees the job.  The device must stay
 * open until then.
 *
 * Window lines "OFFSET LENGTH SHA256\n" (decimal offset and length, the
 * last window may be short) go to wout when it is not NULL.  A read error
 * or a device that shrinks fails the acquisition (SG_ERR_IO, err says so).
 */
#ifndef SSRFGUARD_FORENSICS_ACQUIRE_H
#define SSRFGUARD_FORENSICS_ACQUIRE_H

#include "forensics/evidence.h"
#include "forensics/fx.h"
#include "forensics/outfile.h"
#include "forensics/progress.h"

typedef struct acq_result {
	uint8_t sha256[FX_SHA256_LEN];
	uint64_t windows;
	uint64_t bytes;
	double seconds;
	const char *engine; /* "sha-ni, windows beside the stream" or "openssl" */
} acq_result;

typedef struct acq_job acq_job;
/* pc (may be NULL): progress counters (device_done, device_total). */
sg_err acq_start(const evid *ev, uint64_t window, outf *wout, progress_counters *pc,
                 acq_job **job, char *err, size_t errlen);
sg_err acq_finish(acq_job *job, acq_result *r, char *err, size_t errlen);

#endif
