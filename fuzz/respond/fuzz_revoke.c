/* fuzz_revoke.c — the role's existing "ssrfguard-revoke" policy, as IAM
 * GetRolePolicy returns it (anyone who can write the role's policies
 * controls it), merged with this instance's statement.  Input: the
 * document; or "@ISSUED_BEFORE\nARN\nDOCUMENT" to vary the other two.
 * A merge gives a policy document holding exactly one statement for the
 * instance, and merging again changes nothing. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz_field.h"
#include "playbook/revoke.h"

#define NOW 1796414400LL /* 2026-12-04T20:00:00Z */

static size_t ours(const json_t *doc, const char *arn)
{
	size_t i, n = 0;
	const json_t *st;
	json_array_foreach(json_object_get(doc, "Statement"), i, st) {
		const char *a = json_string_value(json_object_get(
			json_object_get(json_object_get(st, "Condition"), "ArnEquals"),
			"ec2:SourceInstanceARN"));
		const char *sid = json_string_value(json_object_get(st, "Sid"));
		n += a && sid && !strcmp(a, arn) && !strncmp(sid, "SsrfguardRevoke", 15);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *issued = NULL, *arn = NULL;
	if (size && data[0] == '@') {
		p++;
		issued = fuzz_field(&p, end, 1);
		arn = fuzz_field(&p, end, 1);
	}
	char *doc = fuzz_field(&p, end, 0); /* NULL: no policy yet */
	const char *iss = issued ? issued : "2026-12-04T19:59:00Z";
	const char *a = arn ? arn : "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0";
	char *out = NULL;
	sg_err rc = pb_revoke_merge(doc, a, iss, NOW, &out);
	if (rc != SG_OK && rc != SG_ERR_INVAL && rc != SG_ERR_PARSE && rc != SG_ERR_NOMEM)
		abort();
	if ((rc == SG_OK) != (out != NULL))
		abort();
	if (rc == SG_OK) {
		json_t *j = json_loads(out, 0, NULL);
		if (!json_is_object(j) || ours(j, a) != 1)
			abort();
		json_decref(j);
		char *again = NULL;
		if (pb_revoke_merge(out, a, iss, NOW, &again) != SG_OK || strcmp(out, again))
			abort(); /* in place: a second merge changes nothing */
		(void)pb_policy_size(out);
		free(again);
	}
	free(out);
	free(doc);
	free(issued);
	free(arn);
	return 0;
}
