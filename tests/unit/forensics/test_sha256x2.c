/* test_sha256x2.c — two-stream SHA-256 equals OpenSSL's, however the input
 * is split into calls, paired or alone, on SHA-NI and on the OpenSSL lanes. */
#include <stdlib.h>

#include <openssl/evp.h>

#include "forensics/sha256x2.h"
#include "test.h"

static void reference(const uint8_t *p, size_t n, uint8_t out[32])
{
	unsigned len = 0;
	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static uint32_t rng = 12345;
static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Hash a and b (lengths na, nb) in random pieces, paired where both have
 * input left, and compare with OpenSSL. */
static void pair_run(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, const char *label)
{
	sha2x_lane la, lb;
	CHECK(sha2x_init(&la) == SG_OK && sha2x_init(&lb) == SG_OK);
	const uint8_t *pa = a, *pb = b;
	size_t ra = na, rb = nb;
	size_t ca = 0, cb = 0; /* bytes of the current piece left */
	const uint8_t *qa = pa, *qb = pb;
	while (ra || rb || ca || cb) {
		if (!ca && ra) {
			ca = next() % 300 == 0 ? ra : 1 + next() % (ra < 5000 ? ra : 5000);
			qa = pa, pa += ca, ra -= ca;
		}
		if (!cb && rb) {
			cb = next() % 300 == 0 ? rb : 1 + next() % (rb < 5000 ? rb : 5000);
			qb = pb, pb += cb, rb -= cb;
		}
		if (ca && cb) {
			size_t before = ca + cb;
			sha2x_update2(&la, &qa, &ca, &lb, &qb, &cb);
			CHECKF(ca + cb < before, "%s: update2 made no progress", label);
			if (ca + cb >= before)
				break;
		} else if (ca) {
			sha2x_update(&la, qa, ca);
			ca = 0;
		} else if (cb) {
			sha2x_update(&lb, qb, cb);
			cb = 0;
		}
	}
	uint8_t got[32], want[32];
	sha2x_final(&la, got);
	reference(a, na, want);
	CHECKF(!memcmp(got, want, 32), "%s: lane a (%zu bytes)", label, na);
	sha2x_final(&lb, got);
	reference(b, nb, want);
	CHECKF(!memcmp(got, want, 32), "%s: lane b (%zu bytes)", label, nb);
}

static void lengths_and_splits(const char *mode)
{
	static uint8_t a[70000], b[70000];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (uint8_t)next(), b[i] = (uint8_t)next();
	/* every length around the padding boundaries, and some large ones */
	static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129,
	                              1000, 4096, 4097, 65535, 65536, 70000};
	char label[96];
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
			snprintf(label, sizeof label, "%s %zu/%zu", mode, lens[i], lens[k]);
			pair_run(a, lens[i], b, lens[k], label);
		}
}

TEST(known_answers)
{
	/* FIPS 180-2 examples */
	static const char *abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	sha2x_lane l;
	uint8_t d[32];
	char hex[65];
	CHECK(sha2x_init(&l) == SG_OK);
	sha2x_update(&l, (const uint8_t *)"abc", 3);
	sha2x_final(&l, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	CHECK_STR(hex, abc);
}

TEST(accelerated_lanes)
{
	sha2x_set_accel(1);
	printf("SHA-NI: %s\n", sha2x_accelerated() ? "yes" : "no (OpenSSL lanes)");
	lengths_and_splits("default");
}

TEST(openssl_lanes)
{
	sha2x_set_accel(0);
	CHECK(!sha2x_accelerated());
	lengths_and_splits("openssl");
	sha2x_set_accel(1);
}

TEST(abandoned_lane_is_released)
{
	sha2x_set_accel(0);
	sha2x_lane l;
	CHECK(sha2x_init(&l) == SG_OK);
	sha2x_update(&l, (const uint8_t *)"x", 1);
	sha2x_free(&l);
	sha2x_free(&l); /* idempotent; ASan sees a leak or double free */
	sha2x_set_accel(1);
}

TEST_MAIN(known_answers, accelerated_lanes, openssl_lanes, abandoned_lane_is_released)
