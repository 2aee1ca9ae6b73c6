/*
 * bench_aws.c — the client's pure hot paths, side by side with their
 * baselines, one thread:
 *   sigv4      aws_sigv4_authorization() of a DescribeInstances POST with a
 *              session token, vs. one bare HMAC-SHA256 chain (the floor:
 *              5 HMACs + 2 SHA-256 any signer must do)
 *   xml        aws_xml_parse() + the instance model of a real DescribeInstances
 *              reply, vs. libxml2's own xmlReadMemory() DOM parse
 *   form       aws_params_encode() of a 40-parameter request
 * Usage: bench_aws [SECONDS_PER_ROUND] [DescribeInstances.xml]
 */
#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "playbook/instance.h"
#include "aws/params.h"
#include "aws/sigv4.h"
#include "aws/xml.h"

#ifndef CORPUS_XML
#define CORPUS_XML "fuzz/corpus/aws_xml/ec2-describe-instances.xml"
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef int (*op_fn)(void *ctx);

/* Best-of-5 rate in ops/s. */
static double rate(op_fn fn, void *ctx, double secs)
{
	double best = 0;
	for (int round = 0; round < 5; round++) {
		long n = 0;
		double t0 = now(), t;
		do {
			for (int i = 0; i < 64; i++)
				if (fn(ctx))
					return -1;
			n += 64;
			t = now();
		} while (t - t0 < secs);
		double r = (double)n / (t - t0);
		if (r > best)
			best = r;
	}
	return best;
}

static char body[] = "Action=DescribeInstances&InstanceId.1=i-0a1b2c3d4e5f60001&Version=2016-11-15";

static int sign_once(void *ctx)
{
	(void)ctx;
	char hash[65], auth[AWS_SIGV4_AUTH_MAX];
	aws_sha256_hex(body, sizeof body - 1, hash);
	struct aws_kv h[] = {
		{"Host", "ec2.us-east-1.amazonaws.com"},
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		{"X-Amz-Date", "20261125T180000Z"},
		{"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLESESSIONTOKENFwoGZXIvYXdzEXAMPLESESSIONTOKEN"},
	};
	struct aws_sigv4_request req = {.method = "POST", .path = "/", .headers = h, .nheaders = 4,
	                                .payload_sha256 = hash};
	struct aws_sigv4_signer s = {.access_key_id = "ASIAEXAMPLESESSION01",
	                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	                             .region = "us-east-1", .service = "ec2",
	                             .amz_date = "20261125T180000Z"};
	return aws_sigv4_authorization(&s, &req, auth, sizeof auth) != SG_OK;
}

static int hmac_floor(void *ctx)
{
	(void)ctx;
	unsigned char k[32], md[32];
	unsigned int l = 32;
	char hash[65];
	aws_sha256_hex(body, sizeof body - 1, hash);
	aws_sha256_hex(hash, 64, hash);
	HMAC(EVP_sha256(), "AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 44, (const unsigned char *)"20261125", 8, k, &l);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)"us-east-1", 9, k, &l);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)"ec2", 3, k, &l);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)"aws4_request", 12, k, &l);
	HMAC(EVP_sha256(), k, 32, (const unsigned char *)hash, 64, md, &l);
	return 0;
}

struct doc {
	char *p;
	size_t n;
};

static int xml_ours(void *ctx)
{
	struct doc *d = ctx;
	struct aws_xml *r = NULL;
	if (aws_xml_parse(d->p, d->n, NULL, &r) != SG_OK)
		return 1;
	pb_instance *v = pb_instance_new();
	if (v)
		pb_instance_decode(v, r, NULL);
	pb_instance_free(v);
	aws_xml_free(r);
	return 0;
}

static int xml_libxml(void *ctx)
{
	struct doc *d = ctx;
	xmlDocPtr x = xmlReadMemory(d->p, (int)d->n, NULL, NULL, XML_PARSE_NONET);
	if (!x)
		return 1;
	xmlFreeDoc(x);
	return 0;
}

static int form(void *ctx)
{
	struct aws_params *p = ctx;
	char *out = NULL;
	size_t len;
	if (aws_params_encode(p, &out, &len) != SG_OK)
		return 1;
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? strtod(argv[1], NULL) : 0.3;
	const char *path = argc > 2 ? argv[2] : CORPUS_XML;
	if (secs <= 0)
		secs = 0.3;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "bench_aws: %s: cannot open (run from the source root or pass it)\n",
		        path);
		return 2;
	}
	struct doc d = {malloc(1 << 20), 0};
	d.n = fread(d.p, 1, (1 << 20) - 1, f);
	fclose(f);

	struct aws_params *p = aws_params_new();
	for (int i = 1; i <= 20; i++) {
		aws_params_addf(p, "i-0a1b2c3d4e5f60001", "InstanceId.%d", i);
		aws_params_addf(p, "tag value with spaces & symbols", "Tag.%d.Value", i);
	}

	double s = rate(sign_once, NULL, secs), h = rate(hmac_floor, NULL, secs);
	printf("sigv4        %10.0f signatures/s   (HMAC floor %.0f/s, ratio %.2fx)\n", s, h,
	       h / s);
	double a = rate(xml_ours, &d, secs), b = rate(xml_libxml, &d, secs);
	printf("xml          %10.0f replies/s      (%zu-byte DescribeInstances, %.1f MB/s; "
	       "libxml2 DOM alone %.0f/s, ratio %.2fx)\n",
	       a, d.n, a * (double)d.n / 1e6, b, b / a);
	double fm = rate(form, p, secs);
	printf("form         %10.0f bodies/s       (40 parameters)\n", fm);
	aws_params_free(p);
	free(d.p);
	return 0;
}
