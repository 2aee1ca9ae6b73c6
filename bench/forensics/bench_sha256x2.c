/* bench_sha256x2.c [SECONDS] — one core: OpenSSL SHA-256 on one stream vs
 * sha256x2 on one lane and on two interleaved lanes, 1 MiB buffers in
 * cache, side by side in one run.  The two-lane figure counts both lanes'
 * bytes: it is what one hashing worker of the forensics pool can do. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>

#include "forensics/sha256x2.h"

#define BUF (1u << 20)

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 2.0;
	if (!(secs > 0 && secs < 600))
		secs = 2.0;
	uint8_t *a = malloc(BUF), *b = malloc(BUF), d[32];
	if (!a || !b)
		return 1;
	for (size_t i = 0; i < BUF; i++)
		a[i] = (uint8_t)(i * 7 + 1), b[i] = (uint8_t)(i * 13 + 5);
	double t0, mb_ossl, mb_one, mb_two;
	size_t n;

	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		EVP_DigestUpdate(c, a, BUF);
	mb_ossl = (double)n * BUF / (now() - t0) / 1e6;
	EVP_MD_CTX_free(c);

	sha2x_lane la, lb;
	sha2x_init(&la);
	for (n = 0, t0 = now(); now() - t0 < secs; n++)
		sha2x_update(&la, a, BUF);
	mb_one = (double)n * BUF / (now() - t0) / 1e6;
	sha2x_final(&la, d);

	sha2x_init(&la);
	sha2x_init(&lb);
	for (n = 0, t0 = now(); now() - t0 < secs; n++) {
		const uint8_t *pa = a, *pb = b;
		size_t na = BUF, nb = BUF;
		while (na && nb)
			sha2x_update2(&la, &pa, &na, &lb, &pb, &nb);
	}
	mb_two = 2.0 * (double)n * BUF / (now() - t0) / 1e6;
	sha2x_final(&la, d);
	sha2x_final(&lb, d);

	printf("SHA-NI in use: %s\n", sha2x_accelerated() ? "yes" : "no");
	printf("%-44s %10s %8s\n", "one core, 1 MiB buffers", "MB/s", "ratio");
	printf("%-44s %10.0f %8.2f\n", "OpenSSL EVP sha256, one stream", mb_ossl, 1.0);
	printf("%-44s %10.0f %8.2f\n", "sha256x2, one lane", mb_one, mb_one / mb_ossl);
	printf("%-44s %10.0f %8.2f\n", "sha256x2, two lanes interleaved (both)", mb_two, mb_two / mb_ossl);
	free(a);
	free(b);
	return 0;
}
