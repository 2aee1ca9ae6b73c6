/* ssm.c — typed SSM calls (see ssm.h). */
#include "aws/ssm.h"

#include "aws/json.h"

sg_err aws_ssm_send_command(struct aws_client *c, const char *const *instance_ids, size_t n,
                            const char *document, const char *const *commands, size_t ncommands,
                            const char *comment, int timeout_seconds, unsigned flags,
                            char command_id[64], json_t **reply, struct aws_error *err)
{
	if (reply)
		*reply = NULL;
	if (!n || !instance_ids || !document || !ncommands || !commands ||
	    (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	json_t *ids = json_array(), *cmds = json_array();
	json_t *body = json_object();
	sg_err rc = SG_ERR_NOMEM;
	if (!ids || !cmds || !body)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (!instance_ids[i] || json_array_append_new(ids, json_string(instance_ids[i])))
			goto fail;
	for (size_t i = 0; i < ncommands; i++)
		if (!commands[i] || json_array_append_new(cmds, json_string(commands[i])))
			goto fail;
	json_object_set_new(body, "InstanceIds", ids);
	ids = NULL;
	json_object_set_new(body, "DocumentName", json_string(document));
	json_object_set_new(body, "Parameters", json_pack("{s:o}", "commands", cmds));
	cmds = NULL;
	if (comment)
		json_object_set_new(body, "Comment", json_string(comment));
	if (timeout_seconds > 0)
		json_object_set_new(body, "TimeoutSeconds", json_integer(timeout_seconds));
	json_t *r = NULL;
	rc = aws_json(c, AWS_SSM, "SendCommand", body, flags | AWS_CALL_NOT_IDEMPOTENT, &r, err);
	if (rc)
		goto fail;
	const char *id = aws_json_str(json_object_get(r, "Command"), "CommandId");
	if (command_id) {
		if (!id || strlen(id) >= 64) {
			aws_error_set(err, NULL, "SendCommand reply lacks a CommandId");
			json_decref(r);
			rc = SG_ERR_PROTOCOL;
			goto fail;
		}
		memcpy(command_id, id, strlen(id) + 1);
	}
	if (reply)
		*reply = r;
	else
		json_decref(r);
fail:
	json_decref(ids);
	json_decref(cmds);
	json_decref(body);
	return rc;
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
	sg_err rc = aws_json(c, AWS_SSM, "GetCommandInvocation", body, 0, reply, err);
	json_decref(body);
	return rc;
}
