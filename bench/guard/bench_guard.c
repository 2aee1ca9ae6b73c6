/*
 * bench_guard.c — verdicts per second on one core for literal-address URLs
 * (no DNS), printed beside the raw cost of libcurl's URL parser on the same
 * URLs, measured in the same run.
 *
 *   build/bench/guard/bench_guard [SECONDS_PER_ROUND [curl|url|addr]]
 *
 * SECONDS_PER_ROUND defaults to 0.5.  Naming one kind runs only that kind
 * (a fixed 160,000 calls), to count instructions under
 * `valgrind --tool=callgrind`: counts that do not depend on what else the
 * machine is doing (docs/benchmarks.md).
 *
 * "curl_url alone" is the least a guard that parses like the fetcher must
 * do: curl_url(), curl_url_set(URL), curl_url_get(HOST), free.  Rounds of
 * the two alternate (5 each) so that noise from other processes hits both;
 * the best round of each is reported, and the ratio of the bests.
 */
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <time.h>

#include "ssrfguard/guard.h"

static const char *const urls[] = {
	"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
	"http://0xA9FEA9FE/latest/meta-data/",
	"http://2852039166/",
	"http://127.0.0.1:8080/admin",
	"http://127.1/",
	"http://10.0.0.1/internal",
	"http://192.168.1.1:8443/",
	"https://8.8.8.8/dns-query?name=example.com",
	"https://1.1.1.1/",
	"https://93.184.216.34/index.html",
	"http://[::1]/",
	"http://[::ffff:169.254.169.254]/",
	"https://[2606:4700:4700::1111]/dns-query",
	"http://[fd00:ec2::254]/latest/api/token",
	"http://0251.0376.0251.0376/",
	"https://203.0.113.10:8443/webhook?id=42",
};
#define NURLS (sizeof urls / sizeof urls[0])

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t lens[NURLS];
static volatile unsigned sink;

static int curl_round(void)
{
	for (size_t i = 0; i < NURLS; i++) {
		CURLU *h = curl_url();
		char *host = NULL;
		if (!h || curl_url_set(h, CURLUPART_URL, urls[i], CURLU_NON_SUPPORT_SCHEME) ||
		    curl_url_get(h, CURLUPART_HOST, &host, 0))
			return -1;
		sink += (unsigned char)host[0];
		curl_free(host);
		curl_url_cleanup(h);
	}
	return 0;
}

static int guard_round(const sg_policy *p)
{
	for (size_t i = 0; i < NURLS; i++) {
		sg_verdict v;
		if (sg_check_url(p, urls[i], lens[i], &v) != SG_OK || v.needs_resolve)
			return -1;
		sink += v.action;
	}
	return 0;
}

static int addr_round(const sg_policy *p, const struct sockaddr_in *sa)
{
	for (size_t i = 0; i < NURLS; i++) {
		sg_verdict v;
		if (sg_check_addr(p, (const struct sockaddr *)&sa[i], sizeof sa[i], NULL, &v) != SG_OK)
			return -1;
		sink += v.action;
	}
	return 0;
}

/* Calls per second of one kind of round, run for about secs. */
static double rate(int kind, const sg_policy *p, const struct sockaddr_in *sa, double secs)
{
	size_t n = 0;
	double t0 = now(), t;
	do {
		for (int k = 0; k < 64; k++) {
			int rc = kind == 0 ? curl_round() : kind == 1 ? guard_round(p) : addr_round(p, sa);
			if (rc != 0) {
				fprintf(stderr, "bench_guard: a call failed\n");
				exit(2);
			}
		}
		n += 64 * NURLS;
		t = now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.5;
	if (!(secs > 0.01 && secs < 60)) {
		fprintf(stderr, "usage: bench_guard [SECONDS_PER_ROUND]\n");
		return 2;
	}
	sg_policy *p = NULL;
	if (sg_policy_new(&p) != SG_OK || sg_policy_add(p, "allow 203.0.113.0/24", 20, NULL, 0) != SG_OK)
		return 2;
	struct sockaddr_in sa[NURLS];
	for (size_t i = 0; i < NURLS; i++) {
		lens[i] = strlen(urls[i]);
		memset(&sa[i], 0, sizeof sa[i]);
		sa[i].sin_family = AF_INET;
		sa[i].sin_port = htons(443);
		sa[i].sin_addr.s_addr = htonl(0x08080800u + (uint32_t)i * 0x01000000u);
	}
	if (argc > 2) {
		int kind = !strcmp(argv[2], "curl") ? 0 : !strcmp(argv[2], "url") ? 1
		         : !strcmp(argv[2], "addr") ? 2 : -1;
		if (kind < 0) {
			fprintf(stderr, "usage: bench_guard [SECONDS_PER_ROUND [curl|url|addr]]\n");
			return 2;
		}
		for (size_t n = 0; n < 160000; n += NURLS) {
			int rc = kind == 0 ? curl_round() : kind == 1 ? guard_round(p) : addr_round(p, sa);
			if (rc != 0)
				return 2;
		}
		printf("bench_guard: 160000 %s calls done\n", argv[2]);
		sg_policy_free(p);
		return 0;
	}
	double best[3] = {0, 0, 0};
	for (int r = 0; r < 5; r++)
		for (int kind = 0; kind < 3; kind++) {
			double x = rate(kind, p, sa, secs);
			if (x > best[kind])
				best[kind] = x;
		}
	printf("bench_guard: %zu literal-address URLs, best of 5 rounds of %.2f s, one thread\n", NURLS, secs);
	printf("  curl_url alone (parse + host)      %10.0f URLs/s   %6.0f ns each\n", best[0], 1e9 / best[0]);
	printf("  sg_check_url (full verdict)        %10.0f verdicts/s %6.0f ns each\n", best[1], 1e9 / best[1]);
	printf("  sg_check_addr (sockaddr verdict)   %10.0f verdicts/s %6.0f ns each\n", best[2], 1e9 / best[2]);
	printf("  ratio sg_check_url / curl_url time  %.2fx   (target <= 2.00x)\n", best[0] / best[1]);
	printf("  target >= 1500000 verdicts/s: %s\n", best[1] >= 1.5e6 ? "met" : "NOT met");
	sg_policy_free(p);
	return 0;
}
