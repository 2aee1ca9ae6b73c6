/* failure.c — transient or permanent (see failure.h). */
#include "playbook/failure.h"

#include <string.h>

#include "aws/awserr.h"

/* Codes outside the SDKs' lists whose documented meaning is "try again
 * later": Auto Scaling API reference (DetachInstances, EnterStandby,
 * "Errors": ScalingActivityInProgress "The operation can't be performed
 * because there are scaling activities in progress", ResourceContention
 * "You already have a pending update to an Amazon EC2 Auto Scaling
 * resource"); IAM API reference, common errors of PutRolePolicy
 * (ConcurrentModification "...submitted simultaneously. Wait a few
 * minutes and submit your request again"). */
static bool wait_and_retry_code(const char *code)
{
	static const char *const list[] = {"ScalingActivityInProgress", "ResourceContention",
	                                   "ConcurrentModification", NULL};
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(code, list[i]))
			return true;
	return false;
}

bool pb_failure_transient(sg_err err, const char *code, int http_status)
{
	if (code && *code) {
		if (aws_code_is_throttling(code) || aws_code_is_transient(code) ||
		    aws_code_is_conflict(code) || wait_and_retry_code(code))
			return true;
		if (http_status == 429 || http_status >= 500)
			return true;
		return aws_error_classify(code, http_status) == SG_ERR_STATE;
	}
	if (http_status == 429 || http_status >= 500)
		return true;
	switch (err) {
	case SG_ERR_THROTTLED:
	case SG_ERR_TIMEOUT:
	case SG_ERR_NETWORK:
	case SG_ERR_PROTOCOL: /* a garbled or cut answer */
	case SG_ERR_STATE:
	case SG_ERR_BUSY:
		return true;
	default:
		return false;
	}
}
