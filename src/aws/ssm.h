/*
 * ssm.h — typed SSM calls (JSON 1.1, X-Amz-Target AmazonSSM.*).
 */
#ifndef SG_SRC_AWS_SSM_H
#define SG_SRC_AWS_SSM_H

#include <jansson.h>

#include "aws/aws.h"

/* One SendCommand.  TimeoutSeconds is how long AWS waits to *deliver* the
 * command; how long it may *run* is the document's executionTimeout
 * parameter (AWS-RunShellScript: default 3600 s, at most 172800). */
struct aws_ssm_command {
	const char *document;               /* NULL: "AWS-RunShellScript" */
	const char *const *instance_ids;
	size_t n;
	const char *const *commands;        /* the "commands" parameter */
	size_t ncommands;
	const char *comment;                /* may be NULL */
	int delivery_timeout_s;             /* TimeoutSeconds; 0: not sent (AWS: 3600) */
	int execution_timeout_s;            /* executionTimeout; 0: not sent */
	const char *output_bucket;          /* OutputS3BucketName; NULL: none */
	const char *output_prefix;          /* OutputS3KeyPrefix; NULL: none */
};

/* SendCommand.  Not idempotent (the command would run twice): retried only
 * when AWS refused it unprocessed.  Command id -> command_id[64] (may be
 * NULL); *reply (may be NULL) gets the whole {"Command": {...}} document. */
sg_err aws_ssm_send_command(struct aws_client *c, const struct aws_ssm_command *cmd,
                            unsigned flags, char command_id[64], json_t **reply,
                            struct aws_error *err);

/* ListCommands of an instance, every page: the id of the first command
 * whose Comment is comment -> command_id[64].  SG_ERR_NOTFOUND when none
 * (ListCommands is eventually consistent: a command sent a moment ago may
 * not be listed yet). */
sg_err aws_ssm_find_command(struct aws_client *c, const char *instance_id, const char *comment,
                            char command_id[64], struct aws_error *err);

/* DescribeInstanceInformation for one instance: is its SSM agent
 * reaching Systems Manager?  The agent's PingStatus ("Online",
 * "ConnectionLost", "Inactive") -> status[32].  SG_ERR_NOTFOUND when the
 * instance is not a managed instance at all (no agent registered). */
sg_err aws_ssm_ping_status(struct aws_client *c, const char *instance_id, char status[32],
                           struct aws_error *err);

/* GetCommandInvocation.  *reply: {"Status", "StandardOutputContent",
 * "ResponseCode", ...}.  SG_ERR_NOTFOUND on InvocationDoesNotExist (which
 * AWS also answers for a just-sent command: poll again). */
sg_err aws_ssm_get_command_invocation(struct aws_client *c, const char *command_id,
                                      const char *instance_id, json_t **reply,
                                      struct aws_error *err);

#endif
