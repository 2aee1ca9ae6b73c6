/*
 * sns.h — SNS Publish (Query, Version 2010-03-31).  Not idempotent (a
 * retry could notify twice): retried only when refused unprocessed.
 */
#ifndef SG_SRC_AWS_SNS_H
#define SG_SRC_AWS_SNS_H

#include "aws/aws.h"

/* subject may be NULL.  The message id -> message_id[128] (may be NULL). */
sg_err aws_sns_publish(struct aws_client *c, const char *topic_arn, const char *subject,
                       const char *message, unsigned flags, char message_id[128],
                       struct aws_error *err);

#endif
