/* fuzz_aws_answers.c — the per-call decoders of AWS answers (aws/answers.h).
 * The first byte picks the decoder ('0'..'9', 'a'..'c'; any other byte
 * modulo 13), the rest is the reply: XML for EC2, SQS and IAM, JSON for
 * SSM and DynamoDB, raw text for a base64 member.  Checks what each
 * decoder promises about its output, not just "no crash". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/answers.h"
#include "aws/json.h"
#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok)
{
	if (!ok)
		abort();
}

/* A bounded string the decoder wrote: NUL-terminated inside cap, empty
 * exactly when the decoder said it found none. */
static void bounded(const char *s, size_t cap, sg_err rc)
{
	size_t n = strnlen(s, cap);
	invariant(n < cap && (rc ? n == 0 : n > 0));
}

static sg_err count_item(void *ctx, const json_t *item)
{
	invariant(json_is_object(item));
	return ++*(size_t *)ctx > 1000 ? SG_ERR_RANGE : SG_OK;
}

static void ec2(int which, const struct aws_xml *r)
{
	static const char *const paths[] = {
		"volumeId", "snapshotId", "groupId", "instancesSet/item/instanceId",
		"iamInstanceProfileAssociation/associationId",
	};
	char id[64];
	switch (which) {
	case 0:
		for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
			sg_err rc = aws_answer_id(r, paths[i], id, i % 2 ? 32 : 64);
			bounded(id, i % 2 ? 32 : 64, rc);
		}
		break;
	case 1:
		(void)aws_ec2_answer_shared_with(r, "123456789012");
		break;
	case 2: {
		char profile[48];
		sg_err rc = aws_ec2_answer_template_profile(r, profile, sizeof profile);
		size_t len = strnlen(profile, sizeof profile);
		invariant(len < sizeof profile && (!rc || len == 0));
		break;
	}
	default: {
		const struct aws_xml *lists[] = {
			aws_xml_get(r, "securityGroupInfo/item/ipPermissions"),
			aws_xml_get(r, "securityGroupInfo/item/ipPermissionsEgress"), r,
		};
		for (size_t i = 0; i < 3; i++) {
			struct aws_params *p = aws_params_new();
			size_t n = 99;
			if (p && aws_ec2_answer_revoke_params(p, lists[i], &n) == SG_OK && n)
				invariant(aws_params_get(p, "IpPermissions.1.IpProtocol") != NULL);
			aws_params_free(p);
		}
	}
	}
}

static void from_xml(int which, const char *s, size_t n)
{
	struct aws_xml *r = NULL;
	struct aws_xml_limits lim = {.max_bytes = 1u << 20, .max_depth = 32, .max_elements = 20000};
	if (aws_xml_parse(s, n, &lim, &r) != SG_OK)
		return;
	if (which <= 3) {
		ec2(which, r);
	} else if (which == 5) {
		struct aws_sqs_message *m = NULL;
		size_t k = 0;
		const struct aws_xml *result = aws_xml_child(r, "ReceiveMessageResult");
		sg_err rc = aws_sqs_answer_messages(result, &m, &k);
		invariant(rc ? !m && !k : k <= 10 && (k == 0) == (m == NULL));
		for (size_t i = 0; i < k; i++) {
			bounded(m[i].message_id, sizeof m[i].message_id, SG_OK);
			invariant(m[i].receipt_handle && *m[i].receipt_handle && m[i].body &&
			          m[i].sent_ms >= 0);
			invariant(strnlen(m[i].sender_id, sizeof m[i].sender_id) < sizeof m[i].sender_id);
		}
		aws_sqs_messages_free(m, k);
	} else {
		char *doc = NULL;
		sg_err rc = aws_iam_answer_policy(r, &doc);
		invariant(rc ? !doc : doc != NULL);
		free(doc);
	}
	aws_xml_free(r);
}

static void from_json(int which, const char *s, size_t n)
{
	json_t *r = NULL;
	struct aws_json_limits lim = {.max_bytes = 1u << 20, .max_depth = 32};
	if (aws_json_parse(s, n, &lim, &r) != SG_OK)
		return;
	char id[64], status[32];
	const json_t *item = NULL;
	size_t items = 0;
	switch (which) {
	case 6:
		bounded(id, sizeof id, aws_ssm_answer_command_id(r, id));
		break;
	case 7:
		if (aws_ssm_answer_find(r, "ssrfguard incident 7", id))
			bounded(id, sizeof id, SG_OK);
		break;
	case 8:
		if (aws_ssm_answer_ping(r, "i-0123456789abcdef0", status) == SG_OK)
			invariant(strnlen(status, sizeof status) < sizeof status);
		break;
	case 10:
		bounded(status, sizeof status, aws_ddb_answer_table_status(r, status));
		aws_ddb_answer_index_status(r, "by-source", status);
		invariant(strnlen(status, sizeof status) < sizeof status);
		break;
	case 11:
		if (aws_ddb_answer_item(r, &item) == SG_OK)
			invariant(!item || json_is_object(item));
		break;
	default: {
		const json_t *next = NULL;
		if (aws_ddb_answer_page(r, count_item, &items, &next) == SG_OK)
			invariant(!next || (json_is_object(next) && json_object_size(next)));
	}
	}
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char picks[] = "0123456789abc";
	if (size == 0)
		return 0;
	const char *hit = data[0] ? memchr(picks, data[0], sizeof picks - 1) : NULL;
	int which = hit ? (int)(hit - picks) : data[0] % 13;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	if (which == 4) {
		char *z = malloc(n + 1), *out = NULL;
		size_t len = 0;
		if (!z)
			abort();
		memcpy(z, s, n);
		z[n] = '\0';
		sg_err rc = aws_answer_base64(z, &out, &len);
		invariant(rc ? !out : out && out[len] == '\0' && len <= n);
		free(out);
		free(z);
	} else if (which <= 5 || which == 9) {
		from_xml(which, s, n);
	} else {
		from_json(which, s, n);
	}
	return 0;
}
