/*
 * answers.h — the per-call decoders of AWS answers (pure): what each call
 * takes out of its reply once the generic layer (xml.h, json.h) parsed it.
 * src/aws/ sends the calls and hands the parsed reply here; fuzz target
 * aws_answers feeds every decoder hostile replies.
 *
 * A reply is untrusted input (a hostile endpoint, a broken proxy, the
 * emulator): every decoder bounds what it copies, takes absent members
 * as absent (never a crash) and says SG_ERR_PROTOCOL when the answer
 * lacks what the call promises.  Member names follow botocore's models
 * (EC2 and IAM: Query protocol, XML; SSM and DynamoDB: JSON 1.1).
 */
#ifndef SG_AWS_ANSWERS_H
#define SG_AWS_ANSWERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "aws/params.h"
#include "aws/xml.h"
#include "ssrfguard/error.h"

/* ---- EC2 ---- */

/* The new resource's id at path of r ("volumeId", "snapshotId",
 * "instancesSet/item/instanceId", ...) into dst[cap]: SG_ERR_PROTOCOL
 * when absent, empty or cap or longer (dst then ""). */
sg_err aws_answer_id(const struct aws_xml *r, const char *path, char *dst, size_t cap);

/* DescribeSnapshotAttribute (createVolumePermission): is account_id in
 * the list? */
bool aws_ec2_answer_shared_with(const struct aws_xml *r, const char *account_id);

/* DescribeLaunchTemplateVersions: the default version's instance profile,
 * its arn or else its name, into dst[cap] ("" when the template names
 * none); SG_ERR_PROTOCOL when it is empty or cap or longer. */
sg_err aws_ec2_answer_template_profile(const struct aws_xml *r, char *dst, size_t cap);

/* The ipPermissions (or ipPermissionsEgress) list of DescribeSecurityGroups
 * as the IpPermissions.k.* parameters of RevokeSecurityGroupIngress/Egress
 * (protocol, ports, IPv4/IPv6 ranges, groups, prefix lists), added to p;
 * *n the number of permissions.  SG_ERR_RANGE beyond 1000 permissions or
 * 1000 ranges in one (the API's own request limits are far lower). */
sg_err aws_ec2_answer_revoke_params(struct aws_params *p, const struct aws_xml *ip_permissions,
                                    size_t *n);

/* A base64 member (GetConsoleOutput's output, GetConsoleScreenshot's
 * imageData), decoded into *out (malloc'd, NUL-terminated, *len bytes
 * without the NUL).  Whitespace around it is ignored; SG_ERR_PROTOCOL
 * when it is not base64, SG_ERR_NOMEM. */
sg_err aws_answer_base64(const char *b64, char **out, size_t *len);

/* ---- SQS (ReceiveMessage) ---- */

/* One received message.  body is NUL-terminated (SQS bodies are text). */
struct aws_sqs_message {
	char message_id[128];
	char *receipt_handle;       /* malloc'd */
	char *body;                 /* malloc'd */
	unsigned receive_count;     /* ApproximateReceiveCount (1 on first) */
	long long sent_ms;          /* SentTimestamp, epoch ms (0 if absent) */
	/* SenderId: who signed the SendMessage, set by SQS — a user's id, or
	 * "ROLEID:SESSION" for a role session (an instance profile's session
	 * is the instance id).  "" when absent or longer than fits (a session
	 * name is at most 64 characters, so a real one always fits). */
	char sender_id[160];
};

/* The Message elements of a ReceiveMessageResult: *out (free with
 * aws_sqs_messages_free) and *n, none is SG_OK with *n == 0.
 * SG_ERR_PROTOCOL: more than 10 (MaxNumberOfMessages), a message without
 * MessageId, ReceiptHandle or Body, or a bad count or timestamp. */
sg_err aws_sqs_answer_messages(const struct aws_xml *result, struct aws_sqs_message **out,
                               size_t *n);
void aws_sqs_messages_free(struct aws_sqs_message *m, size_t n);   /* NULL-safe */

/* ---- SSM ---- */

/* SendCommand: Command.CommandId into id[64]; SG_ERR_PROTOCOL if absent
 * or too long. */
sg_err aws_ssm_answer_command_id(const json_t *r, char id[64]);

/* One ListCommands page: the id of the command whose Comment is comment
 * into id[64]; true when found. */
bool aws_ssm_answer_find(const json_t *page, const char *comment, char id[64]);

/* DescribeInstanceInformation: instance_id's PingStatus into status[32]
 * ("" when it has none); SG_ERR_NOTFOUND when the instance is not listed. */
sg_err aws_ssm_answer_ping(const json_t *r, const char *instance_id, char status[32]);

/* ---- IAM ---- */

/* GetRolePolicy: the policy document, which IAM sends URL-encoded
 * (RFC 3986), decoded into *json (malloc'd).  SG_ERR_PROTOCOL when the
 * answer has none or it decodes to a NUL byte; SG_ERR_NOMEM. */
sg_err aws_iam_answer_policy(const struct aws_xml *r, char **json);

/* ---- DynamoDB ---- */

/* DescribeTable: Table.TableStatus into status[32]; SG_ERR_PROTOCOL if
 * absent or too long. */
sg_err aws_ddb_answer_table_status(const json_t *r, char status[32]);

/* DescribeTable: the status of global secondary index `index` into
 * status[32], "" when the table has no such index. */
void aws_ddb_answer_index_status(const json_t *r, const char *index, char status[32]);

/* GetItem: Item (borrowed, NULL when there is none); SG_ERR_PROTOCOL
 * when Item is not an object. */
sg_err aws_ddb_answer_item(const json_t *r, const json_t **item);

/* One Query page: each item of Items (an array of objects) to each, in
 * order, stopping at its first error; *next the page's LastEvaluatedKey
 * (borrowed) or NULL on the last page.  SG_ERR_PROTOCOL: Items missing or
 * holding a non-object. */
sg_err aws_ddb_answer_page(const json_t *r, sg_err (*each)(void *ctx, const json_t *item),
                           void *ctx, const json_t **next);

#endif
