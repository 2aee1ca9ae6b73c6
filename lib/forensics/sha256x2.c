/* sha256x2.c — two-stream SHA-256 (see sha256x2.h). */
#include "forensics/sha256x2.h"

#include <stdatomic.h>
#include <string.h>

#include <openssl/evp.h>

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_SHANI_CODE 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* -1: not probed yet; the test override writes 0 or re-probes. */
static atomic_int accel_state = -1;

static int probe(void)
{
#ifdef HAVE_SHANI_CODE
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return 0; /* SSSE3, SSE4.1 */
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1; /* SHA */
#else
	return 0;
#endif
}

int sha2x_accelerated(void)
{
	int s = atomic_load_explicit(&accel_state, memory_order_relaxed);
	if (s < 0) {
		s = probe();
		atomic_store_explicit(&accel_state, s, memory_order_relaxed);
	}
	return s;
}

void sha2x_set_accel(int on)
{
	atomic_store(&accel_state, on ? probe() : 0);
}

#ifdef HAVE_SHANI_CODE
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

/* The SHA-NI rounds want the state as ABEF and CDGH words. */
typedef struct ni_state {
	__m128i abef, cdgh;
} ni_state;

SHANI static inline ni_state ni_load(const uint32_t h[8])
{
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0xB1);
	__m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(h + 4)), 0x1B);
	ni_state s = {_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
	return s;
}

SHANI static inline void ni_store(uint32_t h[8], ni_state s)
{
	__m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
	__m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xF0));
	_mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

/* Four rounds (group g) and, from group 4 on, the four schedule words
 * they need; W is the last sixteen words as a ring of four vectors. */
#define NI_SCHEDULE(W, g)                                                              \
	(W[(g) & 3] = _mm_sha256msg2_epu32(                                            \
	         _mm_add_epi32(_mm_sha256msg1_epu32(W[(g) & 3], W[((g) + 1) & 3]),     \
	                       _mm_alignr_epi8(W[((g) + 3) & 3], W[((g) + 2) & 3], 4)), \
	         W[((g) + 3) & 3]))
#define NI_ROUNDS(S, W, g)                                                                   \
	do {                                                                                 \
		__m128i m_ = _mm_add_epi32(W[(g) & 3], _mm_loadu_si128((const __m128i *)&K[4 * (g)])); \
		S.cdgh = _mm_sha256rnds2_epu32(S.cdgh, S.abef, m_);                          \
		S.abef = _mm_sha256rnds2_epu32(S.abef, S.cdgh, _mm_shuffle_epi32(m_, 0x0E)); \
	} while (0)

SHANI static inline void ni_message(__m128i W[4], const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	for (int i = 0; i < 4; i++)
		W[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
}

SHANI static void ni_blocks1(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	ni_state s = ni_load(h);
	for (; nblocks; nblocks--, p += 64) {
		ni_state s0 = s;
		__m128i W[4];
		ni_message(W, p);
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			if (g >= 4)
				NI_SCHEDULE(W, g);
			NI_ROUNDS(s, W, g);
		}
		s.abef = _mm_add_epi32(s.abef, s0.abef);
		s.cdgh = _mm_add_epi32(s.cdgh, s0.cdgh);
	}
	ni_store(h, s);
}

/* The point of the module: the two streams' rounds interleave, so one
 * stream's instructions fill the other's latency. */
SHANI static void ni_blocks2(uint32_t ha[8], const uint8_t *pa, uint32_t hb[8],
                             const uint8_t *pb, size_t nblocks)
{
	ni_state a = ni_load(ha), b = ni_load(hb);
	for (; nblocks; nblocks--, pa += 64, pb += 64) {
		ni_state a0 = a, b0 = b;
		__m128i WA[4], WB[4];
		ni_message(WA, pa);
		ni_message(WB, pb);
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			if (g >= 4) {
				NI_SCHEDULE(WA, g);
				NI_SCHEDULE(WB, g);
			}
			NI_ROUNDS(a, WA, g);
			NI_ROUNDS(b, WB, g);
		}
		a.abef = _mm_add_epi32(a.abef, a0.abef);
		a.cdgh = _mm_add_epi32(a.cdgh, a0.cdgh);
		b.abef = _mm_add_epi32(b.abef, b0.abef);
		b.cdgh = _mm_add_epi32(b.cdgh, b0.cdgh);
	}
	ni_store(ha, a);
	ni_store(hb, b);
}
#else
static void ni_blocks1(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	(void)h, (void)p, (void)nblocks; /* never called: not accelerated */
}
static void ni_blocks2(uint32_t ha[8], const uint8_t *pa, uint32_t hb[8],
                       const uint8_t *pb, size_t nblocks)
{
	(void)ha, (void)pa, (void)hb, (void)pb, (void)nblocks;
}
#endif

static const uint32_t IV[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

sg_err sha2x_init(sha2x_lane *l)
{
	memset(l, 0, sizeof *l);
	if (sha2x_accelerated()) {
		memcpy(l->h, IV, sizeof l->h);
		return SG_OK;
	}
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return SG_ERR_NOMEM;
	if (!EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c);
		return SG_ERR_NOMEM;
	}
	l->evp = c;
	return SG_OK;
}

/* Move input into the unfinished block; hash it when it fills. */
static void absorb(sha2x_lane *l, const uint8_t **p, size_t *n)
{
	size_t k = 64 - l->ntail < *n ? 64 - l->ntail : *n;
	memcpy(l->tail + l->ntail, *p, k);
	l->ntail += k;
	l->len += k;
	*p += k;
	*n -= k;
	if (l->ntail == 64) {
		ni_blocks1(l->h, l->tail, 1);
		l->ntail = 0;
	}
}

void sha2x_update(sha2x_lane *l, const uint8_t *p, size_t n)
{
	if (l->evp) {
		EVP_DigestUpdate(l->evp, p, n);
		return;
	}
	if (l->ntail)
		absorb(l, &p, &n);
	if (n >= 64) {
		ni_blocks1(l->h, p, n / 64);
		l->len += n - n % 64;
		p += n - n % 64;
		n %= 64;
	}
	if (n)
		absorb(l, &p, &n);
}

void sha2x_update2(sha2x_lane *a, const uint8_t **pa, size_t *na,
                   sha2x_lane *b, const uint8_t **pb, size_t *nb)
{
	if (a->evp || b->evp) {
		sha2x_update(a, *pa, *na);
		sha2x_update(b, *pb, *nb);
		*pa += *na, *pb += *nb;
		*na = *nb = 0;
		return;
	}
	/* Unfinished blocks are finished one lane at a time. */
	if (a->ntail || *na < 64)
		absorb(a, pa, na);
	if (b->ntail || *nb < 64)
		absorb(b, pb, nb);
	if (a->ntail || b->ntail)
		return;
	size_t blocks = (*na < *nb ? *na : *nb) / 64;
	if (!blocks)
		return;
	ni_blocks2(a->h, *pa, b->h, *pb, blocks);
	size_t k = blocks * 64;
	*pa += k, *pb += k;
	*na -= k, *nb -= k;
	a->len += k, b->len += k;
}

void sha2x_final(sha2x_lane *l, uint8_t out[32])
{
	if (l->evp) {
		unsigned len = 0;
		EVP_DigestFinal_ex(l->evp, out, &len);
		sha2x_free(l);
		return;
	}
	uint64_t bits = l->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (l->ntail < 56 ? 56 : 120) - l->ntail;
	for (int i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
	sha2x_update(l, pad, padlen + 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(l->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(l->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(l->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)l->h[i];
	}
}

void sha2x_free(sha2x_lane *l)
{
	if (l && l->evp) {
		EVP_MD_CTX_free(l->evp);
		l->evp = NULL;
	}
}
