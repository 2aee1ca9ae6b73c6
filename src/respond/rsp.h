/*
 * rsp.h — internals of src/respond shared by its files (not an API): the
 * run a worker drives, the toolkit its steps use, and the steps.
 *
 * One rsp_run holds what a worker needs while it drives one incident: its
 * store handle and AWS client, the recorded instance, the plan, the step
 * states, and the current step's journal (journal.h), which observes the
 * client so that request ids and created ids survive a crash in the middle
 * of a step.  The engine (engine.h) runs the steps; a step uses the typed
 * AWS client (src/aws), the journal, and the toolkit below — never the
 * engine.
 *
 * Clocks (common/clock.h): every "deadline" below, and every wait or
 * backoff of a step, is on the monotonic clock (sg_mono_ms), so that
 * chrony stepping the clock mid-incident neither times a step out at once
 * nor makes it wait far too long; a time journaled or stored (a wait's
 * start, a lease, an "about to send" mark) is on the wall clock, since
 * another process or a later run reads it (rsp_mono_until bridges them).
 */
#ifndef SSRFGUARD_RSP_H
#define SSRFGUARD_RSP_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "aws/aws.h"
#include "common/clock.h"  /* deadlines: sg_mono_ms; journaled times: sg_wall_ms */
#include "playbook/incname.h"
#include "playbook/plan.h"
#include "respond/respond.h"
#include "store/store.h"

struct responder {
	respond_config cfg;
	pthread_mutex_t lock;  /* wake-up of idle workers */
	pthread_cond_t cond;
	unsigned long wakes;
	char owner[192];
	char crash_step[32];
	char crash_phase[16];
};

struct rsp_run {
	responder *r;
	const respond_config *cfg;
	store *st;
	struct aws_client *aws;
	int64_t id;
	char inc[32];          /* "INC-42", for people */
	char key[PB_INCIDENT_KEY_MAX]; /* its AWS key (playbook/incname.h):
	                          "INC-42-STORE", or "INC-42" for an incident
	                          opened before its store had an identity:
	                          ClientToken seeds, SSM comments, S3 prefixes */
	char store_id[STORE_ID_LEN + 1]; /* tag ssrfguard:store; "" then */
	pb_instance *inst;     /* NULL until RECORD is done */
	pb_plan plan;
	pb_state states[PB_STEP__COUNT];
	pb_step step;          /* the step running now */
	const char *journal_step; /* journal under this name instead (release) */
	json_t *data;          /* its journal: {"calls":[...],"created":{},...} */
	char intent[256];      /* what the next changing call does (rsp_intent) */
	unsigned changes;      /* changing calls that succeeded in this step run */
	bool lost;             /* the lease is gone: make no more calls */
	atomic_int *stop;    /* set by the daemon's SIGTERM (may be NULL) */
	int64_t renewed_ms;    /* last lease renewal (sg_mono_ms: only its age counts) */
	bool dry_run;          /* preflight: EC2 calls with DryRun */
	char note[512];        /* one sentence for the step's result */
	char last_error[300];  /* the last failed call, for the note */
	struct {               /* the same, for pb_failure_transient */
		sg_err rc;
		int http_status;
		char code[128];
	} last_fail;
};
typedef struct rsp_run rsp_run;

/*
 * A stored row's JSON text (a step's data, the record, an attempt's
 * evidence) as an object; NULL when text is NULL or "", or not one JSON
 * object of at most RSP_ROW_JSON_MAX bytes without a duplicate key
 * (sg_json_load_bounded): a fleet's shared table may hold a row another
 * hand wrote, and a row that says two things says nothing.  The caller
 * json_decref()s it.
 */
#define RSP_ROW_JSON_MAX (16u << 20) /* far above DynamoDB's 400 KB item */
json_t *rsp_row_json(const char *text);

/* Step results beyond sg_err: */
#define RSP_SKIP ((sg_err)1000) /* nothing to do: mark SKIPPED */
#define RSP_FATAL ((sg_err)1001) /* failed for good: a permanent failure, not retried */
#define RSP_STOP ((sg_err)1002)  /* the responder is stopping: give the incident back */
#define RSP_AGAIN ((sg_err)1003) /* failed, and a new attempt may mend it (an SSM command
                                  * that ended TimedOut or was not delivered, a launched
                                  * forensic instance that is gone): retried as transient */

/*
 * The responder's own store handles commit without fsync (WAL, synchronous
 * NORMAL): a commit survives any crash of the process, kill -9 included;
 * an OS crash may lose the last journal rows, which the idempotent steps
 * redo.  Holding the write lock through an fsync per AWS call would make
 * the service's own commits (the 403 path) wait behind the responder.
 */
extern const store_opts rsp_store_opts;

/* A run's own store handle and AWS client (the journal observing it): one
 * per worker thread, and one for each release or preflight.  On error msg
 * says why and *x holds nothing; rsp_run_close is safe either way and
 * frees the run's record, plan and data too. */
sg_err rsp_run_open(responder *r, rsp_run *x, char *msg, size_t msglen);
/* The same in two halves, for a run whose AWS calls come after a store
 * change that must not wait for them (close): the store handle (*x zeroed
 * first), then the AWS client with the journal observing it (msg saying
 * why it could not be made; x->aws NULL then). */
sg_err rsp_run_open_store(responder *r, rsp_run *x, char *msg, size_t msglen);
sg_err rsp_run_aws(rsp_run *x, char *msg, size_t msglen);
void rsp_run_close(rsp_run *x);

/* ---- the toolkit (run.c) ---------------------------------------------- */

/* The AWS key of incident id of st (playbook/incname.h). */
void rsp_incident_key(const store *st, int64_t id, char key[PB_INCIDENT_KEY_MAX]);
/* The incident's report file in cfg->report_dir: KEY.ext, KEY its AWS key,
 * so that stores sharing one report directory never overwrite each other
 * ("INC-N-STORE.json"; an incident older than its store's identity keeps
 * "INC-N.json").  "" when no report directory is set. */
void rsp_report_path(const respond_config *cfg, const char *key, const char *ext, char *out,
                     size_t cap);

/* Name the run's incident id: x->id, x->inc, x->key, x->store_id (from
 * the store's identity, store_key_identity). */
void rsp_name_incident(rsp_run *x, int64_t id);
/* rsp_name_incident, then the incident's row into *inc: SG_OK, or the
 * store's error and "INC-N: no such incident" in msg. */
sg_err rsp_load_incident(rsp_run *x, int64_t id, store_incident *inc, char *msg, size_t msglen);

/* The tags that say a resource is this incident's: IncidentId=INC-N and,
 * when the incident has a store identity, ssrfguard:store=STORE (values
 * point into x).  Returns how many (1 or 2) were written to tags. */
size_t rsp_incident_tags(const rsp_run *x, struct aws_tag tags[2]);

/* The same as Describe* filters: tag:IncidentId and tag:ssrfguard:store
 * (values in v, which must live as long as f).  Returns 1 or 2. */
typedef struct rsp_incident_values {
	const char *inc[1], *store[1];
} rsp_incident_values;
size_t rsp_incident_filters(const rsp_run *x, rsp_incident_values *v, struct aws_filter f[2]);

/* One progress line for people (respond_config.progress), e.g. "forensics
 * waiting ...": what the run does now, never an outcome it has not seen. */
void rsp_progress(rsp_run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An instance's state name into state[32] ("" and SG_ERR_NOTFOUND when
 * DescribeInstances does not show it), the reply's text escaped; and
 * whether a state is one of an instance on its way out (shutting-down,
 * terminated). */
sg_err rsp_instance_state(rsp_run *x, const char *id, char state[32]);
bool rsp_instance_gone(const char *state);

/* Test hook: _exit(77) when SSRFGUARD_RESPOND_CRASH names this step/phase. */
void rsp_crashpoint(rsp_run *x, const char *phase);

/* Renew the run's lease.  SG_ERR_BUSY (and x->lost) when another
 * responder holds the incident now. */
sg_err rsp_renew(rsp_run *x);

/*
 * One poll interval of a wait inside a step: sleeps, and renews the lease
 * when a third of it has passed.  SG_ERR_BUSY when the lease was lost
 * (another responder took the incident over): the step must stop.
 * RSP_STOP when the responder is stopping.
 */
sg_err rsp_pause(rsp_run *x);

/* rsp_pause between the tries of a call on something just created: AWS
 * is eventually consistent, so NotFound may only mean "not visible yet".
 * Returns true to try again (up to 20 tries); *err keeps the last answer,
 * or becomes the pause's code. */
bool rsp_settling(rsp_run *x, int *tries, sg_err *err);

/*
 * Memory acquisition (capture step, --memory): the command of
 * playbook/memory.h sent once (journal key "memory_command"), waited for
 * within --memory-timeout, then the uploaded image hashed from the bucket
 * (streamed) and compared with the instance's own hash and size; the
 * record is x->data "memory".  With x->note saying why: RSP_AGAIN when
 * the command was not delivered, RSP_FATAL when it fails, did not upload,
 * ran out of --memory-timeout, or the object is not what the instance
 * hashed.
 */
sg_err rsp_capture_memory(rsp_run *x);

/*
 * The incident's forensic instance into fid: --forensic-instance, or one
 * launched from --forensic-launch-template (once: journal key
 * "forensic_instance", a ClientToken per incident, tagged IncidentId and
 * ssrfguard:role=forensics); either is waited for until it runs and its
 * SSM agent is Online (SG_ERR_TIMEOUT at deadline, the note saying which
 * it is not).  RSP_SKIP when neither is configured.  The launched instance
 * is kept after the incident (it holds the examination).
 */
sg_err rsp_forensic_instance(rsp_run *x, int64_t deadline, char fid[PB_ID_MAX]);

/*
 * Evidence snapshots shared with --share-snapshots-with (share.c says how):
 * each copied under --share-kms-key (once: journal "share-copy:SNAP", else
 * found by its tags), waited for, and shared once (DescribeSnapshotAttribute
 * first); x->data "shares" [{source, shared, kms_key, account}].  SG_OK at
 * once when no account is configured; RSP_FATAL with x->note saying why when
 * a snapshot cannot be shared (encrypted and no key given, a copy in error).
 */
sg_err rsp_share_snapshots(rsp_run *x, const char *const *snaps, size_t n, int64_t deadline);

/*
 * The evidence volume made from one snapshot, in the forensic AZ, tagged
 * with the incident and its source (src_dev: the device it was on): found
 * if it exists, made if not, waited for until available or attached (its
 * id, the instance it is attached to or "", and the device).  One that
 * ends in error is recorded (x->data "errored_volumes"), deleted, and made
 * anew with a new ClientToken, at most 3 times per snapshot (volume.c says
 * why and how a crash stays idempotent).  One still attached to an instance
 * that is shutting down (an earlier attempt's forensic instance) is waited
 * for until that instance is terminated and releases it, saying so.  RSP_FATAL with x->note saying
 * why when EBS cannot make it; SG_ERR_TIMEOUT past deadline.
 */
typedef struct rsp_volume_want {
	const char *az, *snap, *src_vol, *src_dev;
	const char *incident_time; /* RFC 3339, tagged ssrfguard:incident-time; "" when unknown */
} rsp_volume_want;
sg_err rsp_evidence_volume(rsp_run *x, const rsp_volume_want *w, int64_t deadline,
                           char vol[PB_ID_MAX], char att[PB_ID_MAX], char dev[PB_DEV_MAX]);

/*
 * SendCommand (AWS-RunShellScript) once per journal key and attempt
 * (journal.h): the command id goes to id and is kept under key, and a
 * rerun after a crash first looks for a command with this comment
 * ("ssrfguard KEY WHAT", "... #N" in attempt N; ListCommands), so it never
 * runs twice.  A new attempt (`incidents retry`) takes an earlier attempt's
 * command that succeeded or still runs, and sends again when it ended
 * otherwise (Failed, TimedOut, Cancelled, not delivered).  Before sending it
 * journals KEY_sending_ms; a rerun that finds that mark and no command
 * looks again until RSP_SSM_LAG_MS after it (ListCommands is eventually
 * consistent) before it sends.  timeout_s bounds delivery and run
 * (executionTimeout); output_prefix (may be NULL) sends the output to the
 * evidence bucket under it.  change is the journal's intent: what the
 * call asks ("send the ... command"), never what may follow it (a command
 * sent may wait Pending and never start).  Test hook: crash phase
 * "sending" (marked, not sent).
 */
#define RSP_SSM_LAG_MS 30000
sg_err rsp_ssm_send(rsp_run *x, const char *key, const char *instance,
                    const char *const *commands, size_t n, unsigned timeout_s,
                    const char *output_prefix, const char *what, const char *change,
                    char id[64]);

/* Poll an invocation of cmd on instance until it ends or deadline
 * (SG_ERR_TIMEOUT, *status the last seen); *out gets GetCommandInvocation's
 * reply once it has ended. */
sg_err rsp_ssm_wait(rsp_run *x, const char *cmd, const char *instance, int64_t deadline,
                    char *status, size_t slen, json_t **out);
/* An invocation (GetCommandInvocation's reply) that never reached the
 * agent: StatusDetails DeliveryTimedOut or Undeliverable (SSM API
 * reference, GetCommandInvocation).  A new attempt sends it again. */
bool rsp_ssm_undelivered(const json_t *inv);
/* The same until it has left Pending and Delayed (the agent took it): *out
 * gets the reply then, whatever its Status (InProgress, or already ended). */
sg_err rsp_ssm_wait_delivered(rsp_run *x, const char *cmd, const char *instance, int64_t deadline,
                              char *status, size_t slen, json_t **out);

/* A wait's deadline on the monotonic clock (compare it with sg_mono_ms),
 * counted from its first attempt across reruns: the start is journaled
 * under key on the wall clock, since a later run reads it. */
int64_t rsp_deadline(rsp_run *x, const char *key, unsigned timeout_s);
/* The monotonic deadline of a wait of wait_ms begun at wall_start (a wall
 * time read from the journal): what is left of it now, then counted on
 * the monotonic clock, so that a clock step during the wait neither ends
 * it at once nor prolongs it; never longer than wait_ms from now. */
int64_t rsp_mono_until(int64_t wall_start, int64_t wait_ms);

/*
 * FORENSICS, with --forensics-wait: wait for the examination command cmd on
 * the forensic instance fid (nvol volumes) and record its result line
 * (status, report and its SHA-256, custody head, per-volume hashes and
 * findings) as the step's "forensics" data; the note says only what the
 * command's output shows (examine.c).
 */
sg_err rsp_forensics_result(rsp_run *x, const char *fid, const char *cmd, size_t nvol);

/*
 * FORENSICS, right after SendCommand: wait (at most 2 min from the first
 * send, and not past the step's deadline) until the examination command cmd
 * has left Pending/Delayed on fid.  SG_OK with the note "collection
 * started" once it runs (with --forensics-wait the result is read next);
 * SG_ERR_TIMEOUT with "sent ..., still Pending" when the agent has not
 * taken it (a ConnectionLost agent: it would end DeliveryTimedOut);
 * RSP_AGAIN when it was not delivered (DeliveryTimedOut, Undeliverable)
 * or ran out of its run limit (TimedOut): a new attempt sends it again;
 * RSP_FATAL when it was cancelled, Terminated, or already ran and failed.
 */
sg_err rsp_forensics_delivered(rsp_run *x, const char *fid, const char *cmd, size_t nvol,
                               int64_t step_deadline);

/* Sleep ms (interruptible by nothing; waits are bounded by callers). */
void rsp_sleep_ms(unsigned ms);
void rsp_iso8601(int64_t ms, char out[32]);

/* DisableApiStop refused as not available here (an older API, an
 * instance type without stop protection): AWS's UnsupportedOperation,
 * InvalidParameterCombination or InvalidParameterValue.  Any other error
 * (InternalError after the retries, an unknown code) is a failure. */
bool rsp_stop_protection_unsupported(sg_err err, const struct aws_error *e);

/* ---- the steps: SG_OK done, RSP_SKIP, RSP_FATAL, RSP_AGAIN, or an error
 * (retried when transient: playbook/failure.h) ---------------------------- */
sg_err rsp_step_record(rsp_run *x);
sg_err rsp_step_tag(rsp_run *x);
sg_err rsp_step_imds(rsp_run *x);
sg_err rsp_step_revoke(rsp_run *x);
sg_err rsp_step_preserve(rsp_run *x);
sg_err rsp_step_asg(rsp_run *x);
sg_err rsp_step_lb(rsp_run *x);
sg_err rsp_step_snapshot(rsp_run *x);
sg_err rsp_step_capture(rsp_run *x);
sg_err rsp_step_isolate(rsp_run *x);
sg_err rsp_step_strip(rsp_run *x);
sg_err rsp_step_forensics(rsp_run *x);
sg_err rsp_step_finish(rsp_run *x);

/* Describe an instance into a pb_instance (RECORD, preflight). */
sg_err rsp_describe_instance(rsp_run *x, const char *instance_id, pb_instance **out);

#endif
