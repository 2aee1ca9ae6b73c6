/*
 * clock.h — AWS's clock, as the client keeps it (src/aws internal; the
 * public side is aws_client_now and aws_client_set_clock in aws.h).
 *
 * Requests are signed with the local clock (or the one a test set), as
 * the SDKs do, until AWS refuses one as signed at the wrong time: then,
 * when the reply's Date is more than four minutes away (AWS allows five,
 * S3 fifteen), the client signs with AWS's time from then on.  Every
 * reply's Date also sets the offset aws_client_now reports.
 */
#ifndef SG_SRC_AWS_CLOCK_H
#define SG_SRC_AWS_CLOCK_H

#include <stdbool.h>

#include "aws/client_int.h"

/* The signing time, in seconds since the epoch: the local clock, corrected
 * once AWS said it is off. */
long long awsc_sign_time(struct aws_client *c);

/* Learn AWS's clock from reply r's Date header (none: nothing learnt).
 * code is the AWS error code of a refusal (NULL for a 2xx): when it is a
 * clock-skew code and the clocks differ by more than four minutes, the
 * signing time is corrected, the log says so, and the result is true:
 * "send the refused request again".  Otherwise false. */
bool awsc_learn_clock(struct aws_client *c, const struct aws_http_resp *r, const char *code);

#endif
