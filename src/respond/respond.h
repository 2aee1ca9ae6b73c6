/*
 * respond.h — the responder: runs the containment playbook (lib/playbook)
 * against AWS for incidents in the store, durably and idempotently.
 * Prefix: respond_.
 *
 * Where work comes from: incidents in state "open" in the store (written by
 * `serve` in this process or on this host, by the HTTPS listener from
 * remote detectors, or by respond_open_manual for `respond --instance`).
 *
 * Durability.  Every step's state, its attempts, every AWS call with its
 * request id, and the ids of what it created are written to the store's
 * step journal through store_transition() as they happen.  After kill -9,
 * the next responder claims the incident when its lease expires (or at
 * once with respond_run_incident) and continues at the first step that is
 * not finished; a step that was running is run again, and every step looks
 * up what it may already have created (by the incident's tags) before it
 * creates anything, so nothing is duplicated or decremented twice.
 *
 * Threads.  A responder object is shared read-only; each worker thread
 * owns its own store handle and AWS client.  respond_loop runs up to
 * cfg->parallel incidents at once.  One active incident per instance: a
 * second incident for an instance already being (or already) contained is
 * closed as merged into the first (store_hold decides, atomically, which
 * incident holds the instance).
 *
 * Test hook.  SSRFGUARD_RESPOND_CRASH=STEP:PHASE makes the process _exit(77)
 * at that point (PHASE: start = step marked running, before any call;
 * mid = right after the step's first successful changing call, before it is
 * journaled; end = work done, before the step is marked done).
 */
#ifndef SSRFGUARD_RESPOND_H
#define SSRFGUARD_RESPOND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "playbook/plan.h"
#include "store/store.h"
#include "ssrfguard/error.h"

#define RESPOND_MAX_CAPTURE_CMDS 32

typedef struct respond_config {
	const char *store_path;        /* required (SQLite; ignored with state_table) */
	const char *state_table;       /* NULL, or the DynamoDB state table (with
	                                  region, endpoint_url, ca_bundle below) */
	pb_config playbook;            /* steps, order, quarantine, forensic instance */
	bool observe;                  /* record and plan only, change nothing */
	/* AWS client (NULL: environment defaults) */
	const char *region;
	const char *profile;
	const char *endpoint_url;
	const char *ca_bundle;
	int aws_max_attempts;          /* 0: client default */
	unsigned aws_backoff_base_ms;  /* 0: client default */
	/* retries of a whole step */
	int step_attempts;             /* 0: 3 */
	unsigned step_backoff_ms;      /* 0: 1000, doubled per attempt */
	/* waits */
	unsigned poll_ms;              /* 0: 1000; interval of every wait */
	unsigned imds_wait_s;          /* 0: 60 */
	unsigned capture_timeout_s;    /* 0: 60: the most capture delays isolation */
	const char *evidence_kms_key;  /* KMS key the evidence volumes are encrypted
	                                  with (NULL: as their snapshot is) */
	const char *evidence_bucket;   /* S3 bucket for SSM output (OutputS3BucketName):
	                                  the whole output, hashed from the object;
	                                  NULL: only what SSM shows (first 24,000
	                                  characters), truncation recorded */
	bool memory_capture;           /* acquire memory with AVML over SSM into the
	                                  evidence bucket (capture step) */
	unsigned memory_timeout_s;     /* 0: 1800: delivery and run of that command */
	unsigned snapshot_wait_s;      /* 0: 1800 */
	const char *share_kms_key;     /* --share-kms-key: customer managed key the
	                                  copies shared with playbook.share_account
	                                  are encrypted with (NULL: share as they are) */
	unsigned asg_wait_s;           /* 0: 120 */
	/* volatile capture commands (NULL: the built-in list) */
	const char *capture_cmds[RESPOND_MAX_CAPTURE_CMDS];
	size_t n_capture_cmds;
	/* forensic collection */
	const char *forensics_cmd;     /* NULL: "ssrfguard forensics examine" */
	const char *forensics_baseline;/* optional --baseline FILE */
	const char *forensics_dir;     /* NULL: /var/lib/ssrfguard (on the forensic
	                                  instance: DIR/cases/INC, DIR/custody.log) */
	unsigned forensics_wait_s;     /* 0: start the examination and go on; N: wait
	                                  up to N s for it and record its result
	                                  (default RESPOND_FORENSICS_WAIT_DEFAULT) */
	/* notify and report */
	const char *webhook_url;       /* NULL: no webhook */
	const char *sns_topic_arn;     /* NULL: no SNS */
	const char *report_dir;        /* NULL: no report files */
	/* workers */
	int parallel;                  /* 0: 4 */
	int64_t lease_ms;              /* 0: 60000 */
	const char *owner;             /* NULL: "respond:HOST:PID" */
	/* progress (each step start/end), may be NULL; called from workers */
	void (*progress)(void *ctx, int64_t incident, const char *line);
	void *progress_ctx;
	/* warnings and errors ("worker 1: AWS client: ..."), may be NULL
	 * (JSON lines on stderr, logging.h); called from workers; level
	 * "info", "warning" or "error" */
	void (*log)(void *ctx, const char *level, const char *message);
	void *log_ctx;
} respond_config;

/* A message through cfg->log, else a JSON line on stderr (event
 * "respond", logging.h). */
void respond_log(const respond_config *cfg, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Open the store cfg names: its state table (DynamoDB, with cfg's region,
 * profile, endpoint and CA bundle: the credentials of every other AWS call)
 * or store_path (SQLite); base (may be NULL) gives the other store options. */
sg_err respond_store_open(const respond_config *cfg, const store_opts *base, store **out,
                          char *msg, size_t msglen);

/* Defaults for every field (store_path NULL). */
/* How long the forensics step waits for the examination by default: a
 * root volume of tens of GiB is examined in a few minutes (docs/respond.md);
 * a longer one is reported as still running, never as examined.  The wait
 * comes after every containment step and holds one worker of --parallel. */
#define RESPOND_FORENSICS_WAIT_DEFAULT 600

void respond_config_default(respond_config *cfg);

/* The store and AWS settings of a command's options (the rows of
 * cmdline_store_opts and cmdline_aws_opts, src/opt/cmdline.h) into cfg: the
 * one way respond, incidents and dashboard name the store and the account
 * (the strings are borrowed). */
typedef struct cmdline_store cmdline_store;
typedef struct cmdline_aws cmdline_aws;
void respond_config_where(respond_config *cfg, const char *store_path, const cmdline_store *where,
                          const cmdline_aws *aws);

typedef struct responder responder;

/* Validates the config (playbook order, ids).  msg gets a sentence. */
sg_err respond_new(const respond_config *cfg, responder **out, char *msg, size_t msglen);
void respond_free(responder *r); /* NULL-safe */

/*
 * Can this responder work at all?  Opens the store and builds the AWS client
 * (region, endpoint, credentials resolved), then lets both go.  Callers run
 * it before recording anything, so a setup failure leaves no incident that a
 * daemon would later claim and act on unasked.  msg names what is missing.
 * Unless observing, the store must also hand out holds (store_holds_ready):
 * SG_ERR_BUSY while a table written before holders waits for responders of
 * an older ssrfguard, msg naming their leases.
 */
sg_err respond_setup_check(responder *r, char *msg, size_t msglen);

/*
 * Open (or join) an incident for an instance by hand: source
 * "operator:INSTANCE", joined by instance ("instance:ID": the instance's
 * active incident, whoever opened it), state open.  *id receives its id.
 */
sg_err respond_open_manual(responder *r, const char *instance_id, const char *region,
                           const char *why, int64_t *id);

/*
 * The same, claimed for this responder in one atomic store operation
 * (store_record_claim), so that no daemon on the store takes it in between;
 * with cfg.observe the incident is observe-only, so that no daemon acts on
 * it unasked even when this run dies and its lease runs out.  SG_ERR_BUSY:
 * it joined an incident another live lease holds; SG_ERR_STATE: one that
 * cannot be claimed now (failed, contained); *id is set in both cases.
 */
sg_err respond_open_claimed(responder *r, const char *instance_id, const char *region,
                            const char *why, int64_t *id);

/*
 * Claim incident id (open, failed-then-retried, or containing with an
 * expired lease) and run its playbook to the end in this thread.
 * SG_ERR_BUSY if another responder holds it; SG_ERR_STATE if it is not
 * claimable.  *outcome (may be NULL) gets "contained", "partial",
 * "failed", "observed" or "merged".
 */
sg_err respond_run_incident(responder *r, int64_t id, char *outcome, size_t outlen);

/*
 * Claim and run incidents until *stop becomes nonzero (checked at least
 * every poll interval); with once, return when nothing is claimable.
 * Up to cfg->parallel at a time.
 */
sg_err respond_loop(responder *r, atomic_int *stop, bool once);

/*
 * A failed incident goes back to "open": its failed, blocked and skipped
 * steps (and finish) back to pending, each as a new attempt (journal.h),
 * so the next run does them again: an SSM command that ended failed is
 * sent again, a launched forensic instance that is gone is replaced, the
 * waits start anew.  SG_ERR_STATE unless the incident is failed.  msg says
 * why.
 */
sg_err respond_retry(responder *r, int64_t id, const char *actor, char *msg, size_t msglen);

/*
 * Close incident id, whatever its state (the store allows it from every
 * one): the case is over — the usual end once the instance was terminated,
 * which release cannot restore.  The history records actor and "closed by
 * an operator: REASON"; reason is required, 1..RESPOND_CLOSE_REASON_MAX
 * bytes of UTF-8 text without control characters (else SG_ERR_INVAL).
 * SG_ERR_STATE when already closed (or another move won), SG_ERR_BUSY
 * while a responder's live lease holds it (containing), SG_ERR_NOTFOUND
 * when there is no such incident; msg says which, and nothing changed.
 * Once closed (SG_OK), and only then, the instance's ssrfguard:status tag
 * is set to "closed" when containment tagged it (its tag step done) and
 * DescribeInstances still shows it neither terminated nor shutting down;
 * an instance gone (InvalidInstanceID.NotFound, terminated more than about
 * an hour ago) or terminated keeps its tag, and msg says so.  Nothing else
 * on AWS changes.  *partial (never NULL) when the tag should have been set
 * and was not (no AWS client, DescribeInstances or CreateTags refused):
 * the incident is closed all the same, msg names the failed call and the
 * command that sets the tag.  The calls are journaled as step "close".
 */
#define RESPOND_CLOSE_REASON_MAX 400
sg_err respond_close(responder *r, int64_t id, const char *actor, const char *reason,
                     bool *partial, char *msg, size_t msglen);

/* Wake idle workers now (a new incident was committed).  Safe from any
 * thread, never blocks for long. */
void respond_wake(responder *r);

/*
 * Restore what the playbook took away, from the recorded instance: the
 * ENIs' security groups, Elastic IPs and connection-tracking timeouts, ASG
 * membership, target group and ELB registrations, the instance profile,
 * the hop limit, protections, shutdown behaviour and DeleteOnTermination.
 * An ENI with no recorded timeouts gets its type's defaults.  What stays
 * is named in msg ("stays: ..."): HttpTokens=required, an Elastic IP moved
 * to another instance since (never taken back), an Auto Scaling group at
 * its maximum size (read before any change: never attached, or left in
 * Standby: AttachInstances and ExitStandby would both exceed it), the
 * revocation policy (it only denies sessions issued before the incident),
 * the evidence.  Then incident -> released, and only then the instance's
 * ssrfguard:status tag "released" (a tag never says released of an
 * incident that is not).
 * Errors, msg saying why, the incident unchanged: SG_ERR_STATE when it may
 * not be released, or DescribeInstances shows the instance terminated or
 * gone (msg points to respond_close); a read before the changes failed; no
 * security group could be put back (nothing else is touched: the instance
 * stays isolated, SG_ERR_REMOTE); the transition failed (the tag
 * unchanged).
 * SG_OK once released, msg saying what was restored ("N of M" each);
 * *partial (never NULL) when some restore calls failed after others
 * changed the instance (the incident is released all the same, its reason
 * "released partly ...", the tag "released-partly", and it may be released
 * again for what failed) or when the tag could not be set (msg says how):
 * `incidents release` exits 1, as respond's `partial` does.
 */
sg_err respond_release(responder *r, int64_t id, const char *actor, bool *partial, char *msg,
                       size_t msglen);

/*
 * Preflight: record the instance, build the plan and send every changing
 * EC2 call of every planned step with DryRun, and ask
 * iam:SimulatePrincipalPolicy about the calls without DryRun (left "not
 * checked" when the simulation is refused); print to out one line per step
 * and call and what the role lacks, naming the steps each denied action
 * blocks.
 * as_json: one JSON object instead ({"instance", "calls": [{"step", "api",
 * "target", "result": ok|denied|error|unchecked, "simulated", "detail"}],
 * "counts", "lacking": {api: [steps]}, "unchecked_note"}, or {"instance",
 * "error"} when the instance cannot be read or planned for).
 * Returns SG_OK when every checked call would succeed, SG_ERR_AUTH when
 * some are denied, SG_ERR_REMOTE when some failed otherwise.
 */
sg_err respond_preflight(responder *r, const char *instance_id, void *out_file, bool as_json);

/* The incident's report (JSON text, malloc'd) from its journal. */
sg_err respond_report_json(responder *r, int64_t id, char **out);
/* Where the responder writes incident id's report ("json" or "md"):
 * --report-dir/KEY.ext, KEY the incident's AWS key (INC-N-STORE, or INC-N
 * for an incident older than its store's identity), so stores sharing a
 * report directory never overwrite each other.  out is "" without a
 * report directory. */
sg_err respond_report_path(responder *r, int64_t id, const char *ext, char *out, size_t cap);

/* "INC-42" */
void respond_incident_name(int64_t id, char *out, size_t cap);

#endif
