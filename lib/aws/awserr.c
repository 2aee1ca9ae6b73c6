/* awserr.c — AWS error replies and their mapping (see awserr.h). */
#include "aws/awserr.h"

#include <stdarg.h>

#include "aws/json.h"
#include "aws/xml.h"
#include "common/escape.h"

void aws_copy_clean(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (!dst || dstlen == 0)
		return;
	sg_text_clean(dst, dstlen, src ? src : "", src ? strnlen(src, len) : 0);
}

void aws_error_clear(struct aws_error *e)
{
	if (e)
		memset(e, 0, sizeof *e);
}

void aws_error_set(struct aws_error *e, const char *code, const char *fmt, ...)
{
	if (!e)
		return;
	if (code)
		aws_copy_clean(e->code, sizeof e->code, code, strlen(code));
	char msg[sizeof e->message];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	aws_copy_clean(e->message, sizeof e->message, msg, strlen(msg));
}

static void set_field(char *dst, size_t dstlen, const char *s)
{
	aws_copy_clean(dst, dstlen, s ? s : "", s ? strlen(s) : 0);
}

sg_err aws_error_from_xml(const char *body, size_t len, struct aws_error *e)
{
	struct aws_xml *root = NULL;
	struct aws_xml_limits lim = {.max_bytes = 1u << 20, .max_depth = 16, .max_elements = 1000};
	if (!e)
		return SG_ERR_INVAL;
	if (aws_xml_parse(body, len, &lim, &root) != SG_OK)
		return SG_ERR_PARSE;
	const struct aws_xml *err = NULL;
	const char *rid = NULL;
	if (!strcmp(root->name, "Response")) {               /* EC2 */
		err = aws_xml_get(root, "Errors/Error");
		rid = aws_xml_str(root, "RequestID");
		if (!rid)
			rid = aws_xml_str(root, "RequestId");
	} else if (!strcmp(root->name, "ErrorResponse")) {   /* Query */
		err = aws_xml_child(root, "Error");
		rid = aws_xml_str(root, "RequestId");
	} else if (!strcmp(root->name, "Error")) {           /* bare */
		err = root;
		rid = aws_xml_str(root, "RequestId");
	}
	const char *code = aws_xml_str(err, "Code");
	sg_err rc = SG_ERR_PARSE;
	if (code && *code) {
		set_field(e->code, sizeof e->code, code);
		set_field(e->message, sizeof e->message, aws_xml_str(err, "Message"));
		set_field(e->request_id, sizeof e->request_id, rid);
		rc = SG_OK;
	}
	aws_xml_free(root);
	return rc;
}

sg_err aws_error_from_json(const char *body, size_t len, const char *request_id,
                           struct aws_error *e)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = 1u << 20, .max_depth = 8};
	if (!e)
		return SG_ERR_INVAL;
	if (request_id)
		set_field(e->request_id, sizeof e->request_id, request_id);
	if (aws_json_parse(body, len, &lim, &j) != SG_OK)
		return SG_ERR_PARSE;
	const char *type = aws_json_str(j, "__type");
	if (!type)
		type = aws_json_str(j, "code");
	sg_err rc = SG_ERR_PARSE;
	if (type && *type) {
		const char *hash = strrchr(type, '#');  /* "com.amazonaws.ssm#InvalidInstanceId" */
		const char *code = hash ? hash + 1 : type;
		const char *colon = strchr(code, ':');  /* "Code:http://..." form */
		size_t cl = colon ? (size_t)(colon - code) : strlen(code);
		aws_copy_clean(e->code, sizeof e->code, code, cl);
		const char *msg = aws_json_str(j, "message");
		if (!msg)
			msg = aws_json_str(j, "Message");
		set_field(e->message, sizeof e->message, msg);
		rc = SG_OK;
	}
	json_decref(j);
	return rc;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static int in_list(const char *code, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(code, *list))
			return 1;
	return 0;
}

bool aws_code_is_throttling(const char *code)
{
	static const char *const list[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"Throttled", /* SNS: ThrottledException's wire code, HTTP 429 (botocore sns) */
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
		"EC2ThrottledException", NULL,
	};
	return code && in_list(code, list);
}

bool aws_code_is_transient(const char *code)
{
	static const char *const list[] = {
		"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
		"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable",
		"IDPCommunicationError", NULL,
	};
	return code && in_list(code, list);
}

bool aws_code_is_conflict(const char *code)
{
	return code && !strcmp(code, "TransactionConflictException");
}

sg_err aws_error_classify(const char *code, int http_status)
{
	if (!code || !*code) {
		if (http_status == 404)
			return SG_ERR_NOTFOUND;
		if (http_status == 401 || http_status == 403)
			return SG_ERR_AUTH;
		if (http_status == 429)
			return SG_ERR_THROTTLED;
		return SG_ERR_REMOTE;
	}
	static const char *const auth[] = {
		"AuthFailure", "UnauthorizedOperation", "AccessDenied", "AccessDeniedException",
		"SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken",
		"ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationToken",
		"InvalidSignatureException", "UnrecognizedClientException", "OptInRequired",
		"AuthorizationError", "RequestExpired", NULL,
	};
	static const char *const notfound[] = {
		"NoSuchEntity", "InvocationDoesNotExist", "InvalidInstanceId",
		"TargetGroupNotFound", "LoadBalancerNotFound", "AccessPointNotFound",
		"InvalidCommandId", "NotFound", "ResourceNotFoundException",
		"InvalidAssociationID.NotFound",
		"InvalidEndPoint", /* classic ELB: instance not registered (or unknown) */
		NULL,
	};
	static const char *const state[] = {
		"IncorrectState", "IncorrectInstanceState", "InvalidState",
		"ResourceInUse", "ResourceInUseFault", "DependencyViolation",
		"InvalidInstance", "VolumeInUse", NULL,
	};
	if (aws_code_is_throttling(code) || http_status == 429)
		return SG_ERR_THROTTLED;
	if (in_list(code, auth))
		return SG_ERR_AUTH;
	if (in_list(code, notfound) || ends_with(code, ".NotFound") || ends_with(code, "NotFound") ||
	    ends_with(code, "NotFoundException") || ends_with(code, "NotFoundFault"))
		return SG_ERR_NOTFOUND;
	if (ends_with(code, ".Duplicate") || starts_with(code, "AlreadyExists") ||
	    ends_with(code, "AlreadyExists") || ends_with(code, "AlreadyExistsException") ||
	    !strcmp(code, "EntityAlreadyExists") || ends_with(code, "AlreadyExistsFault"))
		return SG_ERR_EXISTS;
	if (in_list(code, state) || starts_with(code, "IncorrectState") ||
	    ends_with(code, ".InUse") || starts_with(code, "InvalidState"))
		return SG_ERR_STATE;
	return SG_ERR_REMOTE;
}
