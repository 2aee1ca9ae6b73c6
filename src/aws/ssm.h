/*
 * ssm.h — typed SSM calls (JSON 1.1, X-Amz-Target AmazonSSM.*).
 */
#ifndef SG_SRC_AWS_SSM_H
#define SG_SRC_AWS_SSM_H

#include <jansson.h>

#include "aws/aws.h"

/* SendCommand with document (e.g. "AWS-RunShellScript") and its "commands"
 * parameter.  Not idempotent (the command would run twice): retried only
 * when AWS refused it unprocessed.  Command id -> command_id[64]; *reply
 * (may be NULL) gets the whole {"Command": {...}} document. */
sg_err aws_ssm_send_command(struct aws_client *c, const char *const *instance_ids, size_t n,
                            const char *document, const char *const *commands,
                            size_t ncommands, const char *comment, int timeout_seconds,
                            unsigned flags, char command_id[64], json_t **reply,
                            struct aws_error *err);
/* GetCommandInvocation.  *reply: {"Status", "StandardOutputContent",
 * "ResponseCode", ...}.  SG_ERR_NOTFOUND on InvocationDoesNotExist (which
 * AWS also answers for a just-sent command: poll again). */
sg_err aws_ssm_get_command_invocation(struct aws_client *c, const char *command_id,
                                      const char *instance_id, json_t **reply,
                                      struct aws_error *err);

#endif
