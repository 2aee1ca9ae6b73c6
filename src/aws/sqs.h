/*
 * sqs.h — SQS messages (Query protocol, Version 2012-11-05, as botocore's
 * sqs model of Debian's botocore 1.29 has it): the hand-off of incidents
 * between detectors and responders.  Conventions as in ec2.h.
 *
 * A queue is named by its URL (https://sqs.REGION.amazonaws.com/ACCOUNT/
 * NAME); the call is posted to the client's SQS endpoint with QueueUrl as a
 * parameter, which works against real AWS and the emulator alike.
 *
 * Delivery is at least once (SQS developer guide, "Amazon SQS standard
 * queues"): a message may arrive twice, so every body carries its own
 * idempotent key and the receiver deduplicates on it.  That makes
 * SendMessage safe to retry, and it is retried as an idempotent call.  A
 * FIFO queue (URL ending ".fifo") needs a group id and takes a
 * deduplication id: SQS itself drops a repeat within five minutes.
 */
#ifndef SG_SRC_AWS_SQS_H
#define SG_SRC_AWS_SQS_H

#include <stddef.h>

#include "aws/answers.h" /* struct aws_sqs_message, aws_sqs_messages_free */
#include "aws/aws.h"

#define AWS_SQS_MAX_BODY (256u * 1024u)   /* SendMessage's limit, bytes */
#define AWS_SQS_MAX_WAIT_S 20             /* ReceiveMessage WaitTimeSeconds */
#define AWS_SQS_MAX_VISIBILITY_S 43200    /* 12 hours */

/* SendMessage.  group_id and dedup_id may be NULL (standard queue); a FIFO
 * queue needs group_id (SG_ERR_INVAL before sending).  dedup_id is 1-128
 * printable ASCII.  The message id -> message_id[128] (may be NULL).
 * SG_ERR_NOTFOUND: no such queue. */
sg_err aws_sqs_send(struct aws_client *c, const char *queue_url, const char *body,
                    const char *group_id, const char *dedup_id, char message_id[128],
                    struct aws_error *err);

/* ReceiveMessage: at most max (1-10) messages, waiting up to wait_s (0-20)
 * seconds for the first (long polling), each hidden for visibility_s
 * (< 0: the queue's own timeout).  Asks for every system attribute
 * (AttributeName.1=All), so receive_count is known.  *out (caller frees
 * with aws_sqs_messages_free) and *n: none is SG_OK with *n == 0.
 * A reply message lacking its id, handle or body is SG_ERR_PROTOCOL. */
sg_err aws_sqs_receive(struct aws_client *c, const char *queue_url, int max, int wait_s,
                       int visibility_s, struct aws_sqs_message **out, size_t *n,
                       struct aws_error *err);

/* ChangeMessageVisibility: hide the message for visibility_s more seconds
 * from now (0 makes it visible again).  SG_ERR_STATE: the message is no
 * longer in flight (its timeout passed, or it was received again). */
sg_err aws_sqs_change_visibility(struct aws_client *c, const char *queue_url,
                                 const char *receipt_handle, int visibility_s,
                                 struct aws_error *err);

/* DeleteMessage.  SQS answers success for a handle superseded by a later
 * receive but deletes nothing (developer guide); SG_ERR_INVAL for a handle
 * SQS refuses (ReceiptHandleIsInvalid). */
sg_err aws_sqs_delete(struct aws_client *c, const char *queue_url, const char *receipt_handle,
                      struct aws_error *err);

/* GetQueueAttributes of one attribute (e.g. "RedrivePolicy"): its value
 * into out[cap], or "" when the queue has none (SQS leaves an unset
 * attribute out of the reply).  SG_ERR_PROTOCOL: a value longer than cap.
 * SG_ERR_NOTFOUND: no such queue. */
sg_err aws_sqs_queue_attribute(struct aws_client *c, const char *queue_url, const char *name,
                               char *out, size_t cap, struct aws_error *err);

/* Does url look like an SQS queue URL (https://sqs.<region>.<domain>/<12
 * digits>/<name>, or http(s)://host[:port]/<12 digits>/<name> for an
 * endpoint override)?  Name: 1-80 of [A-Za-z0-9_-], ".fifo" allowed last. */
bool aws_sqs_queue_url_ok(const char *url);
/* Is it a FIFO queue's URL (name ends ".fifo")? */
bool aws_sqs_queue_is_fifo(const char *url);

#endif
