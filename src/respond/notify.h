/*
 * notify.h — telling people: a webhook (JSON POST) and an SNS topic, both
 * best effort (a failure is logged to stderr, never fails a step).
 * Internal to src/respond.
 */
#ifndef SSRFGUARD_RESPOND_NOTIFY_H
#define SSRFGUARD_RESPOND_NOTIFY_H

typedef struct rsp_run rsp_run;

#include <jansson.h>

/* event: start | failure | end.  extra (borrowed, may be NULL): more
 * members of the message (the end's "forensics").  Nothing in a dry run.
 * The SNS call is not part of the current step's journal. */
void rsp_notify(rsp_run *x, const char *event, const char *text, json_t *extra);

#endif
