/*
 * sha256x2.h — SHA-256 of two independent byte streams at once.
 *
 * Why: with the x86 SHA extensions (SHA-NI) one stream is bound by the
 * latency of the rounds instruction, not by its throughput, so a core that
 * interleaves two streams hashes about 1.85× as many bytes as it does one
 * stream (bench: build/bench/forensics/bench_sha256x2).  The hash pool
 * pairs files this way.  Without SHA-NI (older x86, arm64) every lane is an
 * OpenSSL EVP context — OpenSSL's own best code for the CPU — and a pair is
 * simply two updates, so no machine is slower than plain OpenSSL.
 *
 * Use: sha2x_init() a lane, feed it with sha2x_update() alone or with
 * sha2x_update2() beside another lane, then sha2x_final() (which also
 * releases it; sha2x_free() releases a lane abandoned early).  update2
 * consumes from the front of both inputs and advances the pointers and
 * counts it is given; it always makes progress when both counts are
 * non-zero, and may leave input behind (the caller loops).  Digests equal
 * OpenSSL's SHA-256 of the concatenated input of each lane, whatever the
 * split into calls.  Lanes are plain data: one thread at a time each.  The
 * module's only state is the cached answer of the CPU probe (an atomic),
 * which sha2x_set_accel() overrides for tests and --openssl-only.
 */
#ifndef SSRFGUARD_FORENSICS_SHA256X2_H
#define SSRFGUARD_FORENSICS_SHA256X2_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

typedef struct sha2x_lane {
	uint32_t h[8];      /* chaining state (accelerated lanes) */
	uint8_t tail[64];   /* bytes of an unfinished block */
	size_t ntail;
	uint64_t len;       /* bytes fed so far */
	void *evp;          /* EVP_MD_CTX when not accelerated */
} sha2x_lane;

/* 1 when this CPU has SHA-NI and it is in use. */
int sha2x_accelerated(void);
/* Tests: 0 forces the OpenSSL lanes even on SHA-NI; 1 restores the
 * default.  Only between lanes' lifetimes. */
void sha2x_set_accel(int on);

sg_err sha2x_init(sha2x_lane *l);
void sha2x_update(sha2x_lane *l, const uint8_t *p, size_t n);
void sha2x_update2(sha2x_lane *a, const uint8_t **pa, size_t *na,
                   sha2x_lane *b, const uint8_t **pb, size_t *nb);
void sha2x_final(sha2x_lane *l, uint8_t out[32]);
void sha2x_free(sha2x_lane *l); /* NULL-safe; idempotent */

#endif
