/* sts.c — STS GetCallerIdentity and AssumeRole (see sts.h). */
#include "aws/sts.h"

static sg_err copy(char *dst, size_t dstlen, const char *src)
{
	if (!src || strlen(src) >= dstlen)
		return SG_ERR_PROTOCOL;
	memcpy(dst, src, strlen(src) + 1);
	return SG_OK;
}

sg_err aws_sts_get_caller_identity(struct aws_client *c, struct aws_caller_identity *out,
                                   struct aws_error *err)
{
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	struct aws_xml *r = NULL;
	sg_err rc = aws_query(c, AWS_STS, "GetCallerIdentity", NULL, 0, &r, err);
	if (rc)
		return rc;
	const struct aws_xml *res = aws_xml_child(r, "GetCallerIdentityResult");
	rc = copy(out->account, sizeof out->account, aws_xml_str(res, "Account"));
	if (!rc)
		rc = copy(out->arn, sizeof out->arn, aws_xml_str(res, "Arn"));
	if (!rc)
		rc = copy(out->user_id, sizeof out->user_id, aws_xml_str(res, "UserId"));
	if (rc)
		aws_error_set(err, NULL, "GetCallerIdentity reply lacks Account/Arn/UserId");
	aws_xml_free(r);
	return rc;
}

/* The Credentials element of an AssumeRole* result -> out. */
static sg_err read_credentials(const struct aws_xml *cr, const char *source,
                               struct aws_credentials *out, struct aws_error *err)
{
	sg_err rc = copy(out->access_key_id, sizeof out->access_key_id, aws_xml_str(cr, "AccessKeyId"));
	if (!rc)
		rc = copy(out->secret_access_key, sizeof out->secret_access_key,
		          aws_xml_str(cr, "SecretAccessKey"));
	if (!rc)
		rc = copy(out->session_token, sizeof out->session_token, aws_xml_str(cr, "SessionToken"));
	if (!rc && aws_parse_iso8601(aws_xml_str_or(cr, "Expiration", ""), &out->expiration))
		rc = SG_ERR_PROTOCOL;
	if (rc) {
		aws_credentials_wipe(out);
		aws_error_set(err, NULL, "the reply lacks its credentials");
	} else {
		snprintf(out->source, sizeof out->source, "%s", source);
	}
	return rc;
}

/* AssumeRole / AssumeRoleWithWebIdentity (token non-NULL): the same
 * request but for the token, the same answer but for its element name. */
static sg_err assume(struct aws_client *c, const char *action, const char *role_arn,
                     const char *session_name, const char *token, int duration_s,
                     const char *source, struct aws_credentials *out, struct aws_error *err)
{
	if (!role_arn || !session_name || !out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "RoleArn", role_arn);
	aws_params_add(p, "RoleSessionName", session_name);
	if (token)
		aws_params_add(p, "WebIdentityToken", token);
	if (duration_s > 0)
		aws_params_add_int(p, "DurationSeconds", duration_s);
	struct aws_xml *r = NULL;
	sg_err rc = aws_query_take(c, AWS_STS, action, role_arn, p, 0, &r, err);
	char path[96];
	snprintf(path, sizeof path, "%sResult/Credentials", action);
	if (!rc)
		rc = read_credentials(aws_xml_get(r, path), source, out, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_sts_assume_role(struct aws_client *c, const char *role_arn, const char *session_name,
                           int duration_s, struct aws_credentials *out, struct aws_error *err)
{
	return assume(c, "AssumeRole", role_arn, session_name, NULL, duration_s, "assume-role", out,
	              err);
}

sg_err aws_sts_assume_role_with_web_identity(struct aws_client *c, const char *role_arn,
                                             const char *session_name, const char *token,
                                             int duration_s, struct aws_credentials *out,
                                             struct aws_error *err)
{
	if (!token)
		return SG_ERR_INVAL;
	return assume(c, "AssumeRoleWithWebIdentity", role_arn, session_name, token, duration_s,
	              "web-identity", out, err);
}
