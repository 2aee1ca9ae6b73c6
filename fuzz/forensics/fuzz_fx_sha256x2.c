/* fuzz_fx_sha256x2.c — differential: two-stream SHA-256 against OpenSSL.
 * The first bytes choose how the rest is split between the lanes and into
 * calls; any digest that differs from OpenSSL's aborts. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "forensics/sha256x2.h"

static void check(sha2x_lane *l, const uint8_t *p, size_t n)
{
	uint8_t got[32], want[32];
	unsigned len = 0;
	sha2x_final(l, got);
	EVP_Digest(p, n, want, &len, EVP_sha256(), NULL);
	if (memcmp(got, want, 32))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	size_t cut = ((size_t)data[0] << 8 | data[1]) % (size - 3);
	uint8_t step_a = data[2] | 1, step_b = data[3] | 1;
	const uint8_t *a = data + 4, *b = data + 4 + cut;
	size_t na = cut, nb = size - 4 - cut;
	sha2x_lane la, lb;
	if (sha2x_init(&la) != SG_OK)
		return 0;
	if (sha2x_init(&lb) != SG_OK) {
		sha2x_free(&la);
		return 0;
	}
	const uint8_t *pa = a, *pb = b;
	size_t ra = na, rb = nb;
	/* pieces of step_a / step_b * 7 bytes, paired while both last */
	while (ra && rb) {
		size_t ca = ra < (size_t)step_a * 7 ? ra : (size_t)step_a * 7;
		size_t cb = rb < (size_t)step_b * 7 ? rb : (size_t)step_b * 7;
		const uint8_t *qa = pa, *qb = pb;
		size_t ka = ca, kb = cb;
		while (ka && kb)
			sha2x_update2(&la, &qa, &ka, &lb, &qb, &kb);
		sha2x_update(&la, qa, ka);
		sha2x_update(&lb, qb, kb);
		pa += ca, ra -= ca;
		pb += cb, rb -= cb;
	}
	sha2x_update(&la, pa, ra);
	sha2x_update(&lb, pb, rb);
	check(&la, a, na);
	check(&lb, b, nb);
	return 0;
}
