/*
 * test_dfeed.c — file hashes from the acquisition's buffers (dfeed.h)
 * against OpenSSL's SHA-256 of each file's bytes taken from the device
 * directly: holes, sparse runs, runs cut at the file's size, pieces that
 * span chunks, files the stream has passed, runs out of device order, and
 * the end of the stream giving unfinished files back.
 */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/dfeed.h"
#include "forensics/sha256x2.h"
#include "test.h"

#define DEV_SIZE (3u << 20)
#define CHUNK (256u << 10)
#define MAXJ 16

static uint8_t dev[DEV_SIZE];

typedef struct outcome {
	int back, finished[MAXJ], returned[MAXJ];
} outcome;

static void back(void *owner, hp_job *j, int finished)
{
	outcome *o = owner; /* called from the hashing threads */
	__atomic_add_fetch(&o->back, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(finished ? &o->finished[j->entry] : &o->returned[j->entry], 1,
	                   __ATOMIC_SEQ_CST);
}

static int released;
static void release(void *token)
{
	(void)token;
	__atomic_add_fetch(&released, 1, __ATOMIC_SEQ_CST);
}

/* The file's bytes as a reader of its runs sees them (holes: zeros). */
static void want_sha(const hp_job *j, uint8_t md[32])
{
	uint8_t *b = calloc(1, j->size ? j->size : 1);
	for (size_t i = 0; i < j->nruns; i++) {
		const hp_run *r = &j->runs[i];
		if (r->sparse || r->file_off >= j->size)
			continue;
		uint64_t n = r->len < j->size - r->file_off ? r->len : j->size - r->file_off;
		memcpy(b + r->file_off, dev + r->dev_off, n);
	}
	SHA256(b, j->size, md);
	free(b);
}

static hp_job *job(size_t entry, uint64_t size, const hp_run *runs, size_t n)
{
	hp_job *j = calloc(1, sizeof *j);
	j->entry = entry;
	j->fd = -1;
	j->dev_fd = -1;
	j->size = size;
	j->runs = malloc(n * sizeof *runs);
	memcpy(j->runs, runs, n * sizeof *runs);
	j->nruns = n;
	return j;
}

/* Feed the device in chunks from start; returns the pieces handed out. */
static size_t stream(dfeed *f, uint64_t start)
{
	size_t pieces = 0;
	for (uint64_t off = start; off < DEV_SIZE; off += CHUNK)
		pieces += dfeed_chunk(f, off, dev + off, CHUNK, release, NULL);
	return pieces;
}

static void run_shapes(int accel)
{
	sha2x_set_accel(accel);
	for (size_t i = 0; i < DEV_SIZE; i++)
		dev[i] = (uint8_t)(i * 2654435761u >> 13);
	const struct {
		uint64_t size;
		hp_run runs[4];
		size_t n;
		int claimed;
	} shapes[] = {
		/* 0: one run inside one chunk */
		{5000, {{0, 300000, 8192, 0}}, 1, 1},
		/* 1: one run across three chunks, cut at the size */
		{600000, {{0, 270000, 700000, 0}}, 1, 1},
		/* 2: a hole first, a sparse run, a trailing hole */
		{900000, {{4096, 1100000, 4096, 0}, {8192, 0, 65536, 1}, {73728, 1200000, 100000, 0}},
		 3, 1},
		/* 3: two runs in one chunk, then one in a later chunk */
		{20000, {{0, 1500000, 4096, 0}, {4096, 1510000, 4096, 0}, {8192, 2900000, 11808, 0}},
		 3, 1},
		/* 4: runs out of device order: left to the pool */
		{8192, {{0, 2000000, 4096, 0}, {4096, 1000000, 4096, 0}}, 2, 0},
		/* 5: only holes: left to the pool */
		{1 << 20, {{0, 0, 1 << 20, 1}}, 1, 0},
		/* 6: behind the stream when claimed (it has handed out 256 KiB) */
		{4096, {{0, 4096, 4096, 0}}, 1, 0},
		/* 7: overlapping runs in the file: left to the pool */
		{8192, {{0, 600000, 8192, 0}, {4096, 700000, 4096, 0}}, 2, 0},
		/* 8: ends beyond the device: never finished, given back */
		{8192, {{0, DEV_SIZE - 4096, 8192, 0}}, 1, 1},
		/* 9: a run starting beyond the size is not content */
		{4096, {{0, 800000, 4096, 0}, {1 << 20, 10, 4096, 0}}, 2, 1},
	};
	size_t n = sizeof shapes / sizeof shapes[0];
	dfeed *f = NULL;
	CHECK(dfeed_new(2, &f) == SG_OK);
	outcome o;
	memset(&o, 0, sizeof o);
	released = 0;
	/* the stream has handed out its first chunk before the claims */
	size_t pieces = dfeed_chunk(f, 0, dev, CHUNK, release, NULL);
	hp_job *jobs[MAXJ];
	for (size_t i = 0; i < n; i++) {
		jobs[i] = job(i, shapes[i].size, shapes[i].runs, shapes[i].n);
		int got = dfeed_claim(f, jobs[i], back, &o);
		CHECKF(got == shapes[i].claimed, "shape %zu: claimed %d", i, got);
	}
	/* only whole chunks: the last 4 KiB of shape 8 lie past the device */
	pieces += stream(f, CHUNK);
	dfeed_end(f);
	CHECK_INT(__atomic_load_n(&released, __ATOMIC_SEQ_CST), pieces);
	for (size_t i = 0; i < n; i++) {
		if (!shapes[i].claimed) {
			CHECKF(!o.finished[i] && !o.returned[i], "shape %zu: not called back", i);
			continue;
		}
		if (i == 8) {
			CHECKF(o.returned[i] == 1 && !o.finished[i], "shape 8: given back once");
			CHECK(!jobs[i]->ok);
			continue;
		}
		CHECKF(o.finished[i] == 1 && !o.returned[i], "shape %zu: finished once", i);
		uint8_t md[32];
		want_sha(jobs[i], md);
		CHECKF(jobs[i]->ok && jobs[i]->fed && jobs[i]->bytes == jobs[i]->size, "shape %zu", i);
		CHECKF(!memcmp(md, jobs[i]->sha256, 32), "shape %zu: digest (accel %d)", i, accel);
	}
	/* after the end nothing is claimed */
	hp_job *late = job(99, 4096, (hp_run[]){{0, DEV_SIZE - 8192, 4096, 0}}, 1);
	CHECK(!dfeed_claim(f, late, back, &o));
	uint64_t files = 0, bytes = 0;
	dfeed_counts(f, &files, &bytes);
	CHECK_INT(files, 5); /* shape 8 was given back */
	dfeed_free(f);
	for (size_t i = 0; i < n; i++)
		hp_job_free(jobs[i]);
	hp_job_free(late);
	sha2x_set_accel(1);
}

TEST(shapes_sha_ni) { run_shapes(1); }
TEST(shapes_openssl) { run_shapes(0); }

/* Many small files over many chunks on several hashers, two at a time. */
TEST(many_files)
{
	dfeed *f = NULL;
	CHECK(dfeed_new(3, &f) == SG_OK);
	enum { N = 500 };
	static outcome big;
	static hp_job *js[N];
	memset(&big, 0, sizeof big);
	released = 0;
	int ok = 1;
	for (size_t i = 0; i < N; i++) {
		uint64_t size = 1 + (i * 7919) % 20000;
		hp_run r = {0, 4096 + i * 6000, size, 0};
		js[i] = job(i % MAXJ, size, &r, 1);
		ok &= dfeed_claim(f, js[i], back, &big);
	}
	CHECK(ok);
	size_t pieces = stream(f, 0);
	dfeed_end(f);
	CHECK_INT(__atomic_load_n(&released, __ATOMIC_SEQ_CST), pieces);
	CHECK_INT(big.back, N);
	for (size_t i = 0; i < N; i++) {
		uint8_t md[32];
		want_sha(js[i], md);
		CHECKF(js[i]->ok && !memcmp(md, js[i]->sha256, 32), "file %zu", i);
		hp_job_free(js[i]);
	}
	dfeed_free(f);
}

TEST_MAIN(shapes_sha_ni, shapes_openssl, many_files)
