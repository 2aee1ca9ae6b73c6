/* sqs.c — SQS SendMessage, ReceiveMessage, ChangeMessageVisibility,
 * DeleteMessage, GetQueueAttributes (see sqs.h). */
#include "aws/sqs.h"

#include <errno.h>
#include <stdlib.h>

/* SQS's own codes, which the generic classification leaves REMOTE. */
static sg_err classify(sg_err rc, const struct aws_error *e)
{
	if (rc != SG_ERR_REMOTE)
		return rc;
	if (!strcmp(e->code, "AWS.SimpleQueueService.NonExistentQueue") ||
	    !strcmp(e->code, "QueueDoesNotExist"))
		return SG_ERR_NOTFOUND;
	if (!strcmp(e->code, "AWS.SimpleQueueService.MessageNotInflight"))
		return SG_ERR_STATE;
	if (!strcmp(e->code, "ReceiptHandleIsInvalid"))
		return SG_ERR_INVAL;
	return rc;
}

/* aws_query_take for SQS with QueueUrl set; err always filled (local if NULL). */
static sg_err sqs_call(struct aws_client *c, const char *action, const char *queue_url,
                       struct aws_params *p, struct aws_xml **reply, struct aws_error *err)
{
	struct aws_error local;
	if (!err)
		err = &local;
	aws_error_clear(err);
	aws_params_add(p, "QueueUrl", queue_url);
	return classify(aws_query_take(c, AWS_SQS, action, queue_url, p, AWS_CALL_IDEMPOTENT, reply,
	                               err), err);
}

static bool dedup_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 128)
		return false;
	for (; *s; s++)
		if (*s < '!' || *s > '~')
			return false;
	return true;
}

sg_err aws_sqs_send(struct aws_client *c, const char *queue_url, const char *body,
                    const char *group_id, const char *dedup_id, char message_id[128],
                    struct aws_error *err)
{
	if (!aws_sqs_queue_url_ok(queue_url) || !body || !*body || strlen(body) > AWS_SQS_MAX_BODY)
		return SG_ERR_INVAL;
	if (aws_sqs_queue_is_fifo(queue_url) && !group_id)
		return SG_ERR_INVAL;
	if ((group_id && !dedup_id_ok(group_id)) || (dedup_id && !dedup_id_ok(dedup_id)))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "MessageBody", body);
	if (group_id)
		aws_params_add(p, "MessageGroupId", group_id);
	if (dedup_id)
		aws_params_add(p, "MessageDeduplicationId", dedup_id);
	struct aws_xml *r = NULL;
	sg_err rc = sqs_call(c, "SendMessage", queue_url, p, &r, err);
	if (!rc && message_id) {
		const char *id = aws_xml_str(r, "SendMessageResult/MessageId");
		if (!id || !*id || strlen(id) >= 128) {
			rc = SG_ERR_PROTOCOL;
			aws_error_set(err, NULL, "SendMessage reply lacks a MessageId");
		} else {
			memcpy(message_id, id, strlen(id) + 1);
		}
	}
	aws_xml_free(r);
	return rc;
}

sg_err aws_sqs_receive(struct aws_client *c, const char *queue_url, int max, int wait_s,
                       int visibility_s, struct aws_sqs_message **out, size_t *n,
                       struct aws_error *err)
{
	if (!out || !n)
		return SG_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if (!aws_sqs_queue_url_ok(queue_url) || max < 1 || max > 10 || wait_s < 0 ||
	    wait_s > AWS_SQS_MAX_WAIT_S || visibility_s > AWS_SQS_MAX_VISIBILITY_S)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add_int(p, "MaxNumberOfMessages", max);
	aws_params_add_int(p, "WaitTimeSeconds", wait_s);
	if (visibility_s >= 0)
		aws_params_add_int(p, "VisibilityTimeout", visibility_s);
	aws_params_add(p, "AttributeName.1", "All");
	struct aws_xml *r = NULL;
	sg_err rc = sqs_call(c, "ReceiveMessage", queue_url, p, &r, err);
	if (!rc) {
		rc = aws_sqs_answer_messages(aws_xml_child(r, "ReceiveMessageResult"), out, n);
		if (rc == SG_ERR_PROTOCOL)
			aws_error_set(err, NULL, "ReceiveMessage reply holds a malformed Message");
	}
	aws_xml_free(r);
	return rc;
}

sg_err aws_sqs_change_visibility(struct aws_client *c, const char *queue_url,
                                 const char *receipt_handle, int visibility_s,
                                 struct aws_error *err)
{
	if (!aws_sqs_queue_url_ok(queue_url) || !receipt_handle || !*receipt_handle ||
	    visibility_s < 0 || visibility_s > AWS_SQS_MAX_VISIBILITY_S)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "ReceiptHandle", receipt_handle);
	aws_params_add_int(p, "VisibilityTimeout", visibility_s);
	struct aws_xml *r = NULL;
	sg_err rc = sqs_call(c, "ChangeMessageVisibility", queue_url, p, &r, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_sqs_delete(struct aws_client *c, const char *queue_url, const char *receipt_handle,
                      struct aws_error *err)
{
	if (!aws_sqs_queue_url_ok(queue_url) || !receipt_handle || !*receipt_handle)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "ReceiptHandle", receipt_handle);
	struct aws_xml *r = NULL;
	sg_err rc = sqs_call(c, "DeleteMessage", queue_url, p, &r, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_sqs_queue_attribute(struct aws_client *c, const char *queue_url, const char *name,
                               char *out, size_t cap, struct aws_error *err)
{
	if (!aws_sqs_queue_url_ok(queue_url) || !name || !*name || !out || cap == 0)
		return SG_ERR_INVAL;
	out[0] = '\0';
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "AttributeName.1", name);
	struct aws_xml *r = NULL;
	sg_err rc = sqs_call(c, "GetQueueAttributes", queue_url, p, &r, err);
	const struct aws_xml *res = rc ? NULL : aws_xml_child(r, "GetQueueAttributesResult");
	for (const struct aws_xml *a = aws_xml_first(res); a; a = aws_xml_next(a)) {
		const char *n = aws_xml_str(a, "Name"), *v = aws_xml_str(a, "Value");
		if (!n || strcmp(n, name) != 0)
			continue;
		if (!v || strlen(v) >= cap) {
			rc = SG_ERR_PROTOCOL;
			aws_error_set(err, NULL, "GetQueueAttributes reply: %s missing its value or too long", name);
		} else {
			memcpy(out, v, strlen(v) + 1);
		}
		break;
	}
	aws_xml_free(r);
	return rc;
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* "ACCOUNT/NAME" with nothing after. */
static bool account_and_name_ok(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (s[12] != '/')
		return false;
	const char *name = s + 13;
	size_t len = strlen(name);
	size_t stem = len >= 5 && !strcmp(name + len - 5, ".fifo") ? len - 5 : len;
	if (stem < 1 || len > 80)
		return false;
	for (size_t i = 0; i < stem; i++)
		if (!name_char(name[i]))
			return false;
	return true;
}

bool aws_sqs_queue_url_ok(const char *url)
{
	if (!url || strlen(url) > 512)
		return false;
	const char *host = !strncmp(url, "https://", 8) ? url + 8
	                   : !strncmp(url, "http://", 7) ? url + 7 : NULL;
	if (!host || !*host)
		return false;
	const char *slash = strchr(host, '/');
	if (!slash || slash == host)
		return false;
	for (const char *h = host; h < slash; h++)
		if (!name_char(*h) && *h != '.' && *h != ':' && *h != '[' && *h != ']')
			return false;
	return account_and_name_ok(slash + 1);
}

bool aws_sqs_queue_is_fifo(const char *url)
{
	size_t len = url ? strlen(url) : 0;
	return len > 5 && !strcmp(url + len - 5, ".fifo");
}
