/*
 * journal.h — the step journal: what a step did, kept in the store as it
 * happens (internal to src/respond).
 *
 * The journal of the step running now is a JSON object in rsp_run.data:
 *   "calls":   every AWS call: api ("ec2:CreateTags"), target, what it
 *              changed (absent for a read), request id, attempts, time,
 *              error and outcome_unknown when it failed; repeated identical
 *              reads (a wait's polls) are one entry with "repeats";
 *   "created": ids and facts a rerun must find again (key -> string);
 *   "notes":   sentences for the report, each said once.
 * It is persisted through store_transition: at once after every changing
 * or failed call and every rsp_created(); a successful read is written
 * with the next change (a crash loses only the record of reads).
 *
 * The journal is an observer of the run's AWS client: steps call the
 * typed client (src/aws) and never record a call themselves.  Before a
 * changing call a step may say in words what it does (rsp_intent), which
 * the report shows; without it the entry names the action.
 * The observer also refuses every call once the lease is lost, and in a
 * dry run (preflight) sends the changing EC2 calls with DryRun and refuses
 * the other changing calls (SG_ERR_UNSUPPORTED, journaled as such).
 */
#ifndef SSRFGUARD_RESPOND_JOURNAL_H
#define SSRFGUARD_RESPOND_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

typedef struct rsp_run rsp_run;

/* Make the journal the observer of x->aws (after rsp_run_open). */
void rsp_journal_attach(rsp_run *x);
/* Stop observing (the calls of a notification are not a step's). */
void rsp_journal_detach(rsp_run *x);

/* What the next changing call does, for the report ("quarantine group
 * sg-1 only").  Kept until a changing call succeeds or the step ends. */
void rsp_intent(rsp_run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Persist the current step's journal (the step stays "running"). */
sg_err rsp_journal_save(rsp_run *x);
/* created[key] = value in the journal, saved at once. */
sg_err rsp_created(rsp_run *x, const char *key, const char *value);
const char *rsp_created_get(rsp_run *x, const char *key);

/*
 * Attempts.  An operator's `incidents retry` starts a new attempt of each
 * step it runs again, and so does the engine when it retries a transient
 * failure by itself: the journal's "attempt" (absent = 1, as in journals
 * written before attempts existed) is bumped by rsp_journal_retried and
 * rsp_attempt_next.  What
 * must be done anew in a new attempt (an SSM command that ended failed, a
 * forensic instance that is gone, a wait's start) is journaled per
 * attempt: "KEY" in attempt 1, "KEY#N" in attempt N.
 */
#define RSP_ATTEMPTS_MAX 1000 /* retries past it stay the last attempt */
unsigned rsp_attempt(const rsp_run *x);
/* key as attempt n journals it: "key" for 1, "key#n" after. */
void rsp_attempt_key(const char *key, unsigned n, char *out, size_t cap);
/* created[key] of this attempt; else that of the latest earlier attempt,
 * *earlier set then; NULL when no attempt journaled it. */
const char *rsp_created_latest(rsp_run *x, const char *key, bool *earlier);
/* A step journal (JSON text) as `incidents retry` leaves it: the same with
 * "attempt" one more, into *out (malloc'd).  *out NULL when data is empty
 * or not an object (there is nothing to carry); SG_ERR_NOMEM. */
sg_err rsp_journal_retried(const char *data, char **out);
/* The same on the running step's journal: the engine's own retry of a
 * transient failure is a new attempt too (saved with the step's next
 * state change). */
void rsp_attempt_next(rsp_run *x);
/* Append a note (said once, however often a rerun says it). */
void rsp_notef(rsp_run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
