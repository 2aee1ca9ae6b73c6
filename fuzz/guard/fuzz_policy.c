/*
 * fuzz_policy.c — policy files (sg_policy_parse) on arbitrary bytes: no
 * crash, bounded error text, and the policy stays usable afterwards.
 */
#include <netinet/in.h>
#include <stdint.h>

#include "ssrfguard/guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sg_policy *p = NULL;
	if (size > 65536 || sg_policy_new(&p) != SG_OK)
		return 0;
	char err[128];
	sg_err e = sg_policy_parse(p, (const char *)data, size, err, sizeof err);
	if (e != SG_OK && !memchr(err, 0, sizeof err))
		__builtin_trap();
	/* Metadata stays blocked whatever the policy allows by range. */
	struct sockaddr_in in = {0};
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(0xa9fea9fe);
	in.sin_port = htons(80);
	sg_verdict v;
	if (sg_check_addr(p, (const struct sockaddr *)&in, sizeof in, NULL, &v) != SG_OK)
		__builtin_trap();
	if (v.action == SG_ALLOW && v.category != SG_CAT_ALLOWED)
		__builtin_trap();
	sg_policy_free(p);
	return 0;
}
