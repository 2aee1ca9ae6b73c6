/* sns.c — SNS Publish (see sns.h). */
#include "aws/sns.h"

sg_err aws_sns_publish(struct aws_client *c, const char *topic_arn, const char *subject,
                       const char *message, unsigned flags, char message_id[128],
                       struct aws_error *err)
{
	if (!topic_arn || !message || (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "TopicArn", topic_arn);
	aws_params_add(p, "Message", message);
	if (subject)
		aws_params_add(p, "Subject", subject);
	struct aws_xml *r = NULL;
	sg_err rc = aws_query_take(c, AWS_SNS, "Publish", topic_arn, p, flags | AWS_CALL_NOT_IDEMPOTENT,
	                           &r, err);
	if (!rc && message_id) {
		const char *id = aws_xml_str(r, "PublishResult/MessageId");
		if (!id || strlen(id) >= 128) {
			rc = SG_ERR_PROTOCOL;
			aws_error_set(err, NULL, "Publish reply lacks a MessageId");
		} else {
			memcpy(message_id, id, strlen(id) + 1);
		}
	}
	aws_xml_free(r);
	return rc;
}
