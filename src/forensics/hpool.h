/*
 * hpool.h — a small pool of threads that SHA-256 file contents.
 *
 * The walkers submit one job per regular file: either an open fd to read
 * to its end (the XFS walk; the worker closes it) or a list of byte runs
 * on the evidence device (the libtsk walk: the file's data extents, read
 * with pread, holes as zeros).  Jobs travel in batches (up to HP_BATCH
 * jobs or 4 MiB of content) so small files do not pay a thread handoff
 * each; submit() blocks while max_pending batches wait, which bounds
 * memory and open descriptors.  finish() waits for all,
 * stops the threads and hands back every job (results filled in) as a
 * list; the caller frees them with hp_job_free().  With 0 workers jobs run
 * in the submitting thread.
 *
 * With a feed (dfeed.h: the acquisition's buffers), a job of byte runs
 * that still lie ahead of the device stream is handed to the feed instead
 * of being read again; finish() then also waits for the stream to bring
 * its bytes (or for the feed to give it back, to be read here).
 */
#ifndef SSRFGUARD_FORENSICS_HPOOL_H
#define SSRFGUARD_FORENSICS_HPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "forensics/ext4raw.h"
#include "forensics/fx.h"
#include "forensics/progress.h"

#define HP_BATCH 32

typedef struct hp_run {
	uint64_t file_off; /* byte offset in the file */
	uint64_t dev_off;  /* byte offset on the device */
	uint64_t len;      /* bytes */
	int sparse;        /* a hole: zeros, nothing to read */
} hp_run;

/* The k extents r of a raw walk (ext4raw.h; XFS's are the same shape) as
 * runs: malloc'd, k into *n; r is freed either way.  NULL with *rc
 * SG_ERR_NOMEM when out of memory. */
hp_run *hp_runs_from_extents(fx_ext4_run *r, size_t k, size_t *n, sg_err *rc);

typedef struct hp_job {
	size_t entry;      /* the caller's index for the file */
	int fd;            /* >= 0: read to EOF, then closed */
	int dev_fd;        /* runs are read from here */
	uint64_t size;     /* bytes of content (runs: the file size) */
	hp_run *runs;      /* owned */
	size_t nruns;
	/* results */
	int ok;
	uint8_t sha256[FX_SHA256_LEN];
	uint64_t bytes;
	const char *note;  /* static reason when !ok */
	int fed;           /* hashed from the acquisition's buffers (dfeed.h) */
	struct hp_job *next;
	struct hp_job *bnext; /* the rest of its batch (pool-internal) */
} hp_job;

typedef struct hpool hpool;
struct dfeed;

/* pc (may be NULL) counts files and bytes hashed as they finish.  feed
 * (NULL: none; ignored with 0 workers) must outlive the pool. */
sg_err hpool_new(unsigned workers, size_t max_pending, progress_counters *pc,
                 struct dfeed *feed, hpool **out);
/* Takes ownership of job (also on error). */
sg_err hpool_submit(hpool *p, hp_job *job);
/* Wait, stop, return all jobs; the pool is freed. */
hp_job *hpool_finish(hpool *p);
void hp_job_free(hp_job *j); /* one job; NULL-safe */

/* Total bytes hashed so far (for progress). */
uint64_t hpool_bytes(hpool *p);

#endif
