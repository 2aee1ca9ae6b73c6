/*
 * queue.h — the responder's SQS intake (`ssrfguard respond --queue URL`).
 * Prefix: respond_queue_.
 *
 * A thread long-polls the queue (WaitTimeSeconds 20, up to 10 messages,
 * each hidden for visibility_s) and takes every message into the local
 * store, where the responder's workers pick it up like any other open
 * incident.  A message is deleted only after its incident is committed
 * (store_record returns after the transaction), so a crash in between
 * delivers it again, and the redelivery joins the same incident: the join
 * key is the instance (store_attempt_in.join "instance:ID"), so the same
 * message twice, several detectors' incidents and GuardDuty findings about
 * one instance are one incident while it is active (not released or
 * closed).  While a batch is being taken, messages whose visibility is half
 * spent are hidden for visibility_s more
 * (ChangeMessageVisibility) so no other responder receives them meanwhile.
 *
 * Bodies accepted (at most 256 KiB, SQS's own limit), each only from the
 * sender that may send it — SQS's SenderId, set from the credentials that
 * signed the SendMessage, which the sender cannot choose:
 *   - a detector's incident, the JSON of deliver.h (respond_delivery_parse),
 *     only from a role session named after the instance it reports
 *     ("ROLEID:i-..." with the body's instance_id: an instance profile's
 *     session, a detector reporting itself);
 *   - a GuardDuty Finding in its EventBridge envelope (playbook/guardduty.h),
 *     only from a sender that is not a role session (EventBridge sends as
 *     its service principal): recorded per the guardduty config as contain
 *     (open) or observe (logged), the finding's detail kept with the
 *     incident as its "finding" step; ignore deletes it with a log line.
 * A message from any other sender — a web host naming another instance, or
 * forging a finding — is refused (RQ_SENDER) like poison below, logged
 * with the sender (escaped) and counted, and never becomes an incident.
 * Anything else — malformed, an unsupported finding type, an instance id
 * that is not one — is refused with a log line naming the message id and
 * receive count, made visible again at once (a refusal is final, so there
 * is no point waiting out its visibility timeout) and left on the queue: its
 * redrive policy moves it to the dead-letter queue after maxReceiveCount
 * receives, where an operator can read it.  Nothing is ever dropped silently.
 * The start reads the queue's RedrivePolicy (GetQueueAttributes): a queue
 * without one would return a refused message at once for its whole
 * retention, so there it is hidden for a back-off instead (below).
 */
#ifndef SSRFGUARD_RESPOND_QUEUE_H
#define SSRFGUARD_RESPOND_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "playbook/guardduty.h"
#include "respond/respond.h"
#include "ssrfguard/error.h"
#include "store/store.h"

typedef struct respond_queue_config {
	const char *queue_url;
	const respond_config *rcfg;     /* store, region, endpoint, CA, log */
	pb_gd_config guardduty;
	int visibility_s;               /* 0: 120 */
	int wait_s;                     /* 0: 20 (the most SQS allows) */
} respond_queue_config;

/* What became of one message body. */
typedef enum respond_queue_outcome {
	RQ_RECORDED,   /* in the store (new or joined): delete it */
	RQ_IGNORED,    /* config says ignore: delete it */
	RQ_REFUSED,    /* poison: leave it to the dead-letter policy */
	RQ_SENDER,     /* its sender may not send it: refused as poison is */
	RQ_RETRY,      /* the store failed: leave it, it comes back */
	RQ_KEPT,       /* a detector's incident whose write the store left unanswered:
	                  maybe recorded (at most once), kept by the store handle
	                  (and its spool) to be settled: delete it (a GuardDuty
	                  finding is RQ_RETRY instead, for its "finding" step) */
} respond_queue_outcome;

/* Take one body, sent by sender (the message's SenderId, "" when absent),
 * into st.  *incident_id is set for RQ_RECORDED.  msg says what happened
 * in one line (attacker text escaped). */
respond_queue_outcome respond_queue_take(store *st, const pb_gd_config *gd, const char *sender,
                                         const char *body, size_t len, int64_t *incident_id,
                                         char *msg, size_t msglen);

typedef struct respond_queue respond_queue;

/* Open the store and an AWS client, start the polling thread.  The
 * config is copied; rcfg must outlive the intake. */
sg_err respond_queue_start(const respond_queue_config *cfg, respond_queue **out, char *msg,
                           size_t msglen);
/* Stop and join: a receive in flight ends within about a second (a message
 * it was getting stays hidden until its visibility timeout, then comes
 * back).  SQS may go on answering that long poll after the client has gone,
 * until its WaitTimeSeconds: a message sent just after the stop can be
 * taken by it and be hidden the same way.  NULL-safe. */
void respond_queue_stop(respond_queue *q);

/* Did the start find no RedrivePolicy on the queue (or could not read it)?
 * Then a refused message is hidden for 60 s, doubling with each receive to
 * 15 min, instead of made visible at once; the start logged it as an error
 * (a warning when it could not read it). */
bool respond_queue_without_redrive(const respond_queue *q);

#endif
