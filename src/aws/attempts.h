/*
 * attempts.h — the attempts of one AWS call (src/aws internal): the retry
 * loop every protocol (calls.c) goes through.
 *
 * Before each attempt the credentials are refreshed when they expire
 * within five minutes (a refresh that fails keeps the old ones while they
 * are valid).  An attempt is one signed request (request.h).  A 2xx ends
 * the call.  Any other answer is read as an AWS error (XML or JSON, by
 * w->wire) into *err and classified: throttling and conflict codes and
 * 429 are refusals (nothing was done); transient codes and 500/502/503/504
 * may have been processed; anything else is final.  Two refusals are
 * mended and sent again at once, each at most once per call, the request
 * having been refused: a clock-skew refusal (clock.h), and ExpiredToken on
 * refreshable credentials.  Otherwise the SDKs' standard retry mode
 * (lib/aws/retry.h) decides, with full jitter; a non-idempotent call is
 * sent again only after failures that prove it was not processed, and
 * err->outcome_unknown says when it may have been.  One log line per
 * attempt, never a secret.
 */
#ifndef SG_SRC_AWS_ATTEMPTS_H
#define SG_SRC_AWS_ATTEMPTS_H

#include "aws/request.h"

/*
 * Make the call w (action names it in err and the log) with its attempts.
 * flags: AWS_CALL_NOT_IDEMPOTENT, AWS_CALL_DRY_RUN (a DryRunOperation
 * refusal is then SG_OK with *resp empty).  On SG_OK *resp holds the 2xx
 * answer (aws_http_resp_free it); otherwise *err (may be NULL) says why,
 * with the result codes of aws.h.
 */
sg_err awsc_call(struct aws_client *c, enum aws_service svc, const char *action,
                 const struct wire_req *w, unsigned flags, struct aws_http_resp *resp,
                 struct aws_error *err);

#endif
