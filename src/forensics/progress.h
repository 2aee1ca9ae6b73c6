/*
 * progress.h — how far a long examination has got, on stderr.
 *
 * The walkers, the hash pool and the acquisition add to a progress_counters
 * (any thread, lock-free; a NULL pointer counts nothing).  progress_start()
 * prints one line a second — "acquired 1.2/4.3 GB 1.4 GB/s ETA 0:02 |
 * 12034 entries, 9021 files hashed (0.8 GB, 1.1 GB/s)" — rewritten in
 * place on a terminal, one line per 10 s otherwise; mode -1 shows it only
 * when stderr is a terminal, 1 always (--progress), 0 never.
 * progress_stop() ends the line (NULL-safe).
 */
#ifndef SSRFGUARD_FORENSICS_PROGRESS_H
#define SSRFGUARD_FORENSICS_PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

#include "ssrfguard/error.h"

typedef struct progress_counters {
	_Atomic uint64_t device_done, device_total; /* acquisition */
	_Atomic uint64_t entries;                   /* listed by the walk */
	_Atomic uint64_t files_hashed, bytes_hashed;
} progress_counters;

/* Add n to counter field of pc, when pc is not NULL. */
#define PROGRESS_ADD(pc, field, n) \
	do {                                                                         \
		if (pc)                                                              \
			atomic_fetch_add_explicit(&(pc)->field, (n), memory_order_relaxed); \
	} while (0)

typedef struct progress progress;

/* *out is NULL when nothing is to be shown. */
sg_err progress_start(progress_counters *c, int mode, progress **out);
void progress_stop(progress *p);

#endif
