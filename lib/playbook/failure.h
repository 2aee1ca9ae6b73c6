/*
 * failure.h — whether a step's failure may pass by itself.
 *
 * The responder retries a failed step on its own (a new attempt, after a
 * bounded backoff, up to --step-attempts) only when the failure is
 * transient: something a moment later may mend.  A permanent one (a
 * refusal of the credentials, a parameter AWS calls invalid, something
 * that does not exist) would fail the same way every time: it stays
 * failed for the operator, who fixes the cause and runs `incidents retry`.
 *
 * Transient:
 *   - AWS asked to slow down (throttling codes, HTTP 429) or failed on its
 *     side (HTTP 5xx, InternalError, ServiceUnavailable, RequestTimeout:
 *     the SDKs' "transient" list, lib/aws/awserr.h);
 *   - something is not yet in the state the call needs (IncorrectState,
 *     IncorrectInstanceState, InvalidState*, *.InUse, DependencyViolation;
 *     Auto Scaling's ScalingActivityInProgress and ResourceContention, IAM's
 *     ConcurrentModification, whose messages each say to try again later);
 *   - no answer (network), or a wait that ran out (SG_ERR_TIMEOUT).
 * Permanent: every other AWS error code (AccessDenied, UnauthorizedOperation,
 * InvalidParameterValue, ValidationError, *.NotFound, LimitExceeded, ...),
 * and our own refusals (bad input, corrupt data, unsupported, no space).
 *
 * Pure: the caller passes the step's result and, when that result came
 * from an AWS call, the call's error code and HTTP status.
 */
#ifndef SSRFGUARD_PLAYBOOK_FAILURE_H
#define SSRFGUARD_PLAYBOOK_FAILURE_H

#include <stdbool.h>

#include "ssrfguard/error.h"

/* err: the step's result (not SG_OK).  code/http_status: the AWS error
 * that caused it ("" / 0 when it did not come from an AWS answer). */
bool pb_failure_transient(sg_err err, const char *code, int http_status);

#endif
