/* ssm.c — typed SSM calls (see ssm.h). */
#include "aws/ssm.h"

#include <stdio.h>

#include "aws/answers.h"
#include "aws/json.h"

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (!v[i] || json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The SendCommand body of cmd (NULL on a bad or unbuildable command). */
static json_t *command_body(const struct aws_ssm_command *cmd)
{
	json_t *params = json_object(), *body = json_object();
	if (!params || !body)
		goto fail;
	if (json_object_set_new(params, "commands", string_array(cmd->commands, cmd->ncommands)))
		goto fail;
	if (cmd->execution_timeout_s > 0) {
		char s[16];
		snprintf(s, sizeof s, "%d", cmd->execution_timeout_s);
		if (json_object_set_new(params, "executionTimeout", json_pack("[s]", s)))
			goto fail;
	}
	if (json_object_set_new(body, "Parameters", params)) /* takes params, even on failure */
		goto fail_body;
	if (json_object_set_new(body, "InstanceIds", string_array(cmd->instance_ids, cmd->n)) ||
	    json_object_set_new(body, "DocumentName",
	                        json_string(cmd->document ? cmd->document : "AWS-RunShellScript")))
		goto fail_body;
	if (cmd->comment && json_object_set_new(body, "Comment", json_string(cmd->comment)))
		goto fail_body;
	if (cmd->delivery_timeout_s > 0 &&
	    json_object_set_new(body, "TimeoutSeconds", json_integer(cmd->delivery_timeout_s)))
		goto fail_body;
	if (cmd->output_bucket &&
	    json_object_set_new(body, "OutputS3BucketName", json_string(cmd->output_bucket)))
		goto fail_body;
	if (cmd->output_prefix &&
	    json_object_set_new(body, "OutputS3KeyPrefix", json_string(cmd->output_prefix)))
		goto fail_body;
	return body;
fail:
	json_decref(params);
fail_body:
	json_decref(body);
	return NULL;
}

sg_err aws_ssm_send_command(struct aws_client *c, const struct aws_ssm_command *cmd,
                            unsigned flags, char command_id[64], json_t **reply,
                            struct aws_error *err)
{
	if (reply)
		*reply = NULL;
	if (!cmd || !cmd->n || !cmd->instance_ids || !cmd->ncommands || !cmd->commands ||
	    (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	json_t *body = command_body(cmd);
	if (!body)
		return SG_ERR_INVAL;
	json_t *r = NULL;
	sg_err rc = aws_json_on(c, AWS_SSM, "SendCommand", cmd->instance_ids[0], body,
	                        flags | AWS_CALL_NOT_IDEMPOTENT, &r, err);
	json_decref(body);
	if (rc)
		return rc;
	if (command_id && aws_ssm_answer_command_id(r, command_id)) {
		aws_error_set(err, NULL, "SendCommand reply lacks a CommandId");
		json_decref(r);
		return SG_ERR_PROTOCOL;
	}
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return SG_OK;
}

struct find {
	const char *comment;
	char *id;
};

static sg_err find_page(void *ctx, const json_t *reply)
{
	struct find *f = ctx;
	return aws_ssm_answer_find(reply, f->comment, f->id) ? SG_ERR_EXISTS /* found: stop paging */
	                                                     : SG_OK;
}

sg_err aws_ssm_find_command(struct aws_client *c, const char *instance_id, const char *comment,
                            char command_id[64], struct aws_error *err)
{
	if (!instance_id || !comment || !command_id)
		return SG_ERR_INVAL;
	command_id[0] = '\0';
	json_t *body = json_pack("{s:s,s:i}", "InstanceId", instance_id, "MaxResults", 50);
	if (!body)
		return SG_ERR_NOMEM;
	struct find f = {comment, command_id};
	sg_err rc = aws_json_pages(c, AWS_SSM, "ListCommands", instance_id, body, 20, find_page, &f,
	                           err);
	json_decref(body);
	if (rc == SG_ERR_EXISTS)
		return SG_OK;
	if (rc == SG_ERR_RANGE) /* 1000 commands without ours: it was never sent */
		aws_error_clear(err);
	return rc == SG_OK || rc == SG_ERR_RANGE ? SG_ERR_NOTFOUND : rc;
}

sg_err aws_ssm_get_command_invocation(struct aws_client *c, const char *command_id,
                                      const char *instance_id, json_t **reply,
                                      struct aws_error *err)
{
	if (!command_id || !instance_id)
		return SG_ERR_INVAL;
	json_t *body = json_pack("{s:s,s:s}", "CommandId", command_id, "InstanceId", instance_id);
	if (!body)
		return SG_ERR_NOMEM;
	sg_err rc = aws_json_on(c, AWS_SSM, "GetCommandInvocation", command_id, body, 0, reply, err);
	json_decref(body);
	return rc;
}

sg_err aws_ssm_ping_status(struct aws_client *c, const char *instance_id, char status[32],
                           struct aws_error *err)
{
	if (!instance_id || !status)
		return SG_ERR_INVAL;
	status[0] = '\0';
	json_t *body = json_pack("{s:[{s:s,s:[s]}]}", "Filters", "Key", "InstanceIds", "Values",
	                         instance_id);
	if (!body)
		return SG_ERR_NOMEM;
	json_t *r = NULL;
	sg_err rc = aws_json_on(c, AWS_SSM, "DescribeInstanceInformation", instance_id, body, 0, &r,
	                        err);
	json_decref(body);
	if (rc)
		return rc;
	rc = aws_ssm_answer_ping(r, instance_id, status);
	json_decref(r);
	return rc;
}
