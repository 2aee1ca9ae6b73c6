/* sts.c — STS GetCallerIdentity (see sts.h). */
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
