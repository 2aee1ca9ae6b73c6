/*
 * dfeed.h — file hashes from the acquisition's own buffers.
 *
 * The acquisition reads the whole device once, in order (acquire.h); the
 * walk finds each regular file's data runs on that device (hp_run) and,
 * without a feed, the hash pool reads them a second time.  A feed joins the
 * two: the pool hands it a file whose data still lies ahead of the stream
 * (dfeed_claim), the acquisition's reader passes each chunk it has read
 * (dfeed_chunk), and the feed cuts the chunk into the pieces each waiting
 * file owns and queues them to its own hashing threads — never the
 * stream's — which hash each file in file order (holes and sparse runs as
 * zeros, two files at a time per thread: sha256x2.h) and hand the finished
 * job back to its pool.  So each byte of the device is read once, hashed
 * once by the device stream, and, when it is file content, once more on
 * another thread.
 *
 * A file is claimed only when the stream can give it every byte in file
 * order: its data runs sorted and not overlapping, in ascending order on
 * the device, all at or after the first byte the stream has not yet handed
 * out, and fewer than DFEED_MAX_WAITING files waiting.  Anything else (a
 * file the stream has passed, runs out of order, a file of holes only, a
 * read through libtsk) stays with the pool, which reads it itself.
 *
 * Threads: dfeed_claim() from the walk (through the pool), dfeed_chunk()
 * and dfeed_end() from the acquisition's reader.  dfeed_end() (the device
 * is read, or the read failed) waits for the queued pieces, then gives
 * every file not finished back to its pool, to be read from its start;
 * after it nothing is claimed.  Each piece, once hashed, calls the release
 * function dfeed_chunk() was given, so the reader knows when a buffer is
 * free again.  dfeed_free() after dfeed_end() and after every pool that
 * used the feed has finished.
 */
#ifndef SSRFGUARD_FORENSICS_DFEED_H
#define SSRFGUARD_FORENSICS_DFEED_H

#include <stddef.h>
#include <stdint.h>

#include "forensics/hpool.h"

#define DFEED_MAX_WAITING (1u << 18)

typedef struct dfeed dfeed;

/* The job is over: finished (hashed, its results set, j->fed = 1), or
 * given back unread (finished 0: the pool must hash it itself). */
typedef void (*dfeed_back_fn)(void *owner, hp_job *j, int finished);
/* One piece of a chunk is hashed. */
typedef void (*dfeed_release_fn)(void *token);

/* hashers >= 1 threads. */
sg_err dfeed_new(unsigned hashers, dfeed **out);
/* 1: the feed took j and will call back(owner, j, …) exactly once; 0: not
 * claimed (the caller keeps j). */
int dfeed_claim(dfeed *f, hp_job *j, dfeed_back_fn back, void *owner);
/* The bytes [off, off+len) of the device are in buf until release(token)
 * has been called as many times as this returns. */
size_t dfeed_chunk(dfeed *f, uint64_t off, const uint8_t *buf, size_t len,
                   dfeed_release_fn release, void *token);
void dfeed_end(dfeed *f);
/* Files hashed from the feed's buffers so far, and their bytes. */
void dfeed_counts(dfeed *f, uint64_t *files, uint64_t *bytes);
void dfeed_free(dfeed *f); /* NULL-safe */

#endif
