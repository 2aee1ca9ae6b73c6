/*
 * notify.h — telling people: a webhook (JSON POST) and an SNS topic, both
 * best effort (a failure is logged to stderr, never fails a step).
 * Internal to src/respond.
 */
#ifndef SSRFGUARD_RESPOND_NOTIFY_H
#define SSRFGUARD_RESPOND_NOTIFY_H

typedef struct rsp_run rsp_run;

/* event: start | failure | end.  Nothing in a dry run.  The SNS call is
 * not part of the current step's journal. */
void rsp_notify(rsp_run *x, const char *event, const char *text);

#endif
