/* respond_cli.c — options of `ssrfguard respond`, from argv and config. */
#include "respond/respond_cli.h"

#include "opt/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/s3.h"
#include "aws/sqs.h"
#include "playbook/sign.h"

void respond_cli_init(respond_cli *o)
{
	memset(o, 0, sizeof *o);
	respond_config_default(&o->cfg);
	pb_gd_config_default(&o->queue_cfg.guardduty);
	o->cfg.store_path = cmdline_default_store();
}

void respond_cli_free(respond_cli *o)
{
	for (size_t i = 0; i < o->n_owned; i++)
		free(o->owned[i]);
	free(o->owned);
	o->owned = NULL;
	o->n_owned = 0;
	opt_free(cmdline_store_opts, &o->where);
	opt_free(cmdline_aws_opts, &o->aws);
}

static sg_err set_row(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen);

#define R(t, n, a, h, ...) {.type = t, .name = n, .arg = a, .help = h, .set = set_row, __VA_ARGS__}
#define NUM(n, a, lo_, hi_, h) R(OPT_INT, n, a, h, .lo = lo_, .hi = hi_)
static const opt_def respond_opts[] = {
	{.type = OPT_SECTION, .help = "What to run (default: a daemon that claims open incidents from the store)"},
	R(OPT_STR, "instance", "ID", "open an incident for instance ID and run it now, printing each step",
	  .flags = OPT_ARGV_ONLY),
	R(OPT_STR, "incident", "ID", "run (or resume) incident ID now (7, or INC-7 as the tags and "
	  "the reports name it)"),
	R(OPT_SWITCH, "once", NULL, "run every claimable incident, then exit", .flags = OPT_ARGV_ONLY),
	R(OPT_STR, "listen", "ADDR:PORT", "also accept signed incidents from detectors over HTTPS (needs "
	  "--key-file, --tls-cert, --tls-key)"),
	R(OPT_STR, "deliver-to", "URL", "detector side: send this host's open incidents to a remote "
	  "responder (https://HOST:PORT/v1/incidents) signed with --key-file, or to an SQS queue URL "
	  "(docs/fleet.md), retrying until acknowledged; --ca-bundle verifies it; --detector NAME "
	  "names us"),
	R(OPT_STR, "detector", "NAME", "this detector's name in deliveries"),
	R(OPT_STR, "queue", "URL", "also take incidents from this SQS queue: detectors' incidents and "
	  "GuardDuty findings from an EventBridge rule (docs/fleet.md); each message is deleted once "
	  "recorded, poison is left to the queue's dead-letter policy"),
	R(OPT_LIST, "guardduty-action", "[TYPE=]ACTION", "what GuardDuty findings of TYPE ask for: "
	  "contain, observe or ignore; TYPE is a finding type, a family prefix "
	  "(UnauthorizedAccess:EC2/) or a glob (Backdoor:*), none means every type; repeatable, a "
	  "later rule overrides (defaults per type in docs/fleet.md: contain for credential "
	  "exfiltration and metadata DNS rebinding, observe for a compromised host, ignore for "
	  "probes against it)"),
	R(OPT_LIST, "guardduty-contain-severity", "[TYPE=]N", "findings of TYPE below severity N "
	  "(0-10) are only observed; repeatable like --guardduty-action (default: 7, GuardDuty's "
	  "High)"),
	R(OPT_SWITCH, "preflight", NULL, "with --instance: check every call of the plan (EC2 changes "
	  "with DryRun, reads made, the rest, iam:PassRole of the quarantine role, the evidence bucket "
	  "and key, with IAM's policy simulator) and print what the role lacks, by step; no changes; "
	  "exit 1 when something is denied", .flags = OPT_ARGV_ONLY),
	R(OPT_SWITCH, "observe", NULL, "record and plan only; change nothing"),
	R(OPT_SWITCH, "json", NULL, "JSON lines with ts and level: progress, results and preflight "
	  "on standard output, warnings and errors on standard error (the daemon and "
	  "--deliver-to always write JSON lines)"),
	{.type = OPT_SECTION, .help = "Playbook"},
	R(OPT_STR, "forensic-instance", "ID", "where evidence volumes are attached (else skipped)"),
	R(OPT_STR, "forensic-launch-template", "NAME", "with no --forensic-instance: launch one from "
	  "this launch template (lt- id or name) at the incident, once (a ClientToken per incident), "
	  "and wait for its SSM agent"),
	R(OPT_STR, "quarantine-group", "SG", "use this group in its VPC (default: found or created per "
	  "VPC, tagged ssrfguard:role=quarantine)"),
	R(OPT_STR, "quarantine-profile", "ARN", "an SSM-only instance profile, swapped in before the "
	  "revocation so that the SSM agent keeps working for the capture, and left in place of the "
	  "instance's profile (without it the profile is removed and, on AWS, the capture fails)"),
	R(OPT_LIST, "skip", "STEP", "turn a step off (repeatable; not record/finish; asg only with isolate, "
	  "snapshot only with forensics: those need them); with imds, revoke, "
	  "isolate or strip off the playbook ends partial, exit status 1"),
	R(OPT_STR, "order", "LIST", "a full comma-separated order (checked against the ordering "
	  "invariants)"),
	R(OPT_SWITCH, "decrement-desired", NULL, "let the ASG shrink instead of replacing the instance"),
	R(OPT_SWITCH, "asg-standby", NULL, "EnterStandby instead of detaching: kept in its group, not "
	  "health-checked, undone by ExitStandby on release"),
	R(OPT_SWITCH, "conntrack", NULL, "shorten connection-tracking timeouts (default: on; "
	  "--no-conntrack turns it off)"),
	R(OPT_STR, "ticket", "TEXT", "InvestigationTicket tag value (default: SSRF_Detected)"),
	R(OPT_LIST, "capture-cmd", "CMD", "a volatile-capture command (repeatable; replaces the "
	  "built-in list)"),
	NUM("capture-timeout", "S", 0, 86400, "the longest capture may delay isolation (default: 60)"),
	R(OPT_STR, "evidence-kms-key", "KEY", "encrypt the evidence volumes with this KMS key (ARN, id "
	  "or alias; the role needs kms:CreateGrant, Decrypt, DescribeKey, GenerateDataKeyWithoutPlaintext, "
	  "ReEncrypt*); default: as their snapshot is"),
	R(OPT_STR, "share-snapshots-with", "ACCOUNT", "share the completed evidence snapshots with "
	  "this forensic account (ModifySnapshotAttribute createVolumePermission); the shares stay "
	  "after release"),
	R(OPT_STR, "share-kms-key", "ARN", "with --share-snapshots-with: copy each snapshot under "
	  "this customer managed KMS key (its key policy must let the account use it) and share the "
	  "copy; needed for encrypted snapshots (aws/ebs ones cannot be shared)"),
	R(OPT_STR, "evidence-bucket", "BUCKET", "S3 bucket for the whole SSM output (OutputS3BucketName), "
	  "hashed from the object; without it only the first 24,000 characters exist and are marked "
	  "truncated"),
	R(OPT_SWITCH, "memory", NULL, "acquire the instance's memory with AVML over SSM into the "
	  "evidence bucket, hashed on the instance and again from the object (needs "
	  "--evidence-bucket, AVML and the AWS CLI on the instance, s3:PutObject for its role)"),
	NUM("memory-timeout", "S", 0, 172800, "the longest memory acquisition may take, delivery and "
	    "run (default: 1800)"),
	R(OPT_STR, "forensics-cmd", "CMD", "forensic command (default: ssrfguard forensics examine)"),
	R(OPT_STR, "baseline", "FILE", "--baseline passed to the forensic command"),
	R(OPT_STR, "forensics-dir", "DIR", "on the forensic instance: cases in DIR/cases/KEY, the "
	  "custody log DIR/custody.log (default: /var/lib/ssrfguard)"),
	NUM("forensics-wait", "S", 0, 172800, "wait this long for the examination and record its "
	    "result (report, hashes, findings, YARA matches, persistence places) in the incident; "
	    "0: start it and go on (default: 600)"),
	{.type = OPT_SECTION, .help = "Notify and report"},
	R(OPT_STR, "webhook", "URL", "POST JSON at start, on failures and at the end"),
	R(OPT_STR, "sns-topic", "ARN", "also publish to SNS"),
	R(OPT_STR, "report-dir", "DIR", "write KEY.json and KEY.md there (KEY: the incident's AWS key, "
	  "INC-N-STORE; DIR is created, mode 0750, if missing)"),
	{.type = OPT_SECTION, .help = "Runtime"},
	R(OPT_STR, "store", "PATH", "incident store (default: $SSRFGUARD_STORE, else "
	  "/var/lib/ssrfguard/incidents.db)", .flags = OPT_NONEMPTY),
	{.type = OPT_INCLUDE, .include = cmdline_store_opts, .off = offsetof(respond_cli, where)},
	NUM("parallel", "N", 1, 64, "incidents at once (default: 4)"),
	R(OPT_STR, "owner", "NAME", "lease owner id (default: respond:HOST:PID)"),
	NUM("lease-ms", "MS", 1000, 86400000, "claim lease (default: 60000)"),
	CMDLINE_AWS_ROWS(respond_cli, aws),
	NUM("aws-max-attempts", "N", 1, 20, "attempts of one AWS call (default: the client's)"),
	NUM("aws-backoff-ms", "MS", 0, 600000, "base back-off between AWS attempts"),
	NUM("step-attempts", "N", 1, 20, "tries of a step that fails transiently (throttling, 5xx, an "
	    "SSM command TimedOut or undelivered, not yet in the state needed), each a new attempt; a "
	    "permanent failure (AccessDenied, an invalid parameter) is not retried (default: 3)"),
	NUM("step-backoff-ms", "MS", 0, 600000, "back-off between step attempts, doubled each time, "
	    "at most 60 s (default: 1000)"),
	NUM("poll-ms", "MS", 10, 600000, "interval of every wait (default: 1000)"),
	NUM("imds-wait", "S", 0, 86400, "longest wait for the IMDS change (default: 60)"),
	NUM("asg-wait", "S", 0, 86400, "longest wait for the Auto Scaling group (default: 120)"),
	NUM("snapshot-wait", "S", 0, 86400, "longest wait for snapshots (default: 1800)"),
	R(OPT_STR, "key-file", "FILE", "HMAC key (>= 16 bytes): with --listen the master key; with "
	  "--deliver-to this host's key (--derive-key)"),
	R(OPT_STR, "previous-key-file", "FILE", "with --listen, during a key rotation: the key "
	  "--key-file replaces, still accepted (each delivery signed with it logged) until every "
	  "detector has its new key; then restart without it"),
	R(OPT_STR, "listen-keys", "MODE", "derived (default): each detector signs with its own key, "
	  "derived from --key-file for its instance, and may report only that instance; shared: every "
	  "detector holds --key-file itself and the sender is not checked (logged at start)"),
	R(OPT_STR, "derive-key", "INSTANCE", "print the key of the detector on INSTANCE, derived from "
	  "the master --key-file, for its own --key-file; then exit", .flags = OPT_ARGV_ONLY),
	R(OPT_STR, "tls-cert", "FILE", "certificate for --listen"),
	R(OPT_STR, "tls-key", "FILE", "private key for --listen"),
	{.type = OPT_SWITCH, .name = "quiet", .short_name = 'q', .set = set_row,
	 .help = "do not print steps"},
	{.type = OPT_END},
};
#undef NUM
#undef R

const opt_command respond_command = {
	.name = "respond",
	.synopsis = "[OPTIONS]",
	.summary = "contain and preserve instances for incidents",
	.about = "Contain and preserve EC2 instances for SSRF incidents: runs the playbook (record, "
	         "tag, imds, revoke, preserve, asg, lb, snapshot, capture, isolate, strip, forensics, "
	         "finish) against AWS, durably: kill it at any moment and run it again, it continues "
	         "where it stopped and repeats nothing.",
	.opts = respond_opts,
	.epilog = "Exit status: 0 contained (or observed, merged, already contained), 1 the playbook "
	          "ended partial or failed, or preflight found a denied call, 2 usage or setup error "
	          "(nothing was recorded), 3 the incident is held by another responder's lease.\n\n"
	          "Environment: SSRFGUARD_STORE and the standard AWS variables (AWS_REGION, "
	          "AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_ENDPOINT_URL, ...).  See docs/respond.md.",
};

static int apply(respond_cli *o, const char *name, const char *v, long long n, char *msg,
                 size_t msglen);

static char *keep(respond_cli *o, const char *s)
{
	char **na = realloc(o->owned, (o->n_owned + 1) * sizeof *na);
	if (!na)
		return NULL;
	o->owned = na;
	size_t n = strlen(s);
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	memcpy(c, s, n + 1);
	o->owned[o->n_owned++] = c;
	return c;
}

static sg_err set_row(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen)
{
	respond_cli *o = dst;
	const char *text = v->text;
	if (d->type == OPT_STR || d->type == OPT_LIST) {
		if (!(text = keep(o, v->text))) {
			snprintf(err, errlen, "out of memory");
			return SG_ERR_NOMEM;
		}
	} else if (d->type == OPT_SWITCH)
		text = v->on ? "on" : NULL;
	return apply(o, d->name, text, v->num, err, errlen) ? SG_ERR_PARSE : SG_OK;
}

static int copy_id(char *dst, size_t cap, const char *v, const char *name, char *msg, size_t msglen)
{
	if (pb_strset(dst, cap, v)) {
		snprintf(msg, msglen, "%s: value too long", name);
		return -1;
	}
	return 0;
}

/* apply(): the value of one option (v: its text, NULL for a switch turned
 * off; n: a number's value) set in o, in groups by purpose.  Each group
 * returns 0 when set, -1 with msg saying why not, NOT_MINE for another
 * group's option. */
#define NOT_MINE 1
#define IS(s) (!strcmp(name, s))

/* What to respond to and how this run goes: the instance or incident, the
 * store, the claim, the output. */
static int apply_target(respond_cli *o, const char *name, const char *v, long long n,
                         char *msg, size_t msglen)
{
	respond_config *c = &o->cfg;
	if (IS("instance")) {
		if (strlen(v) >= PB_ID_MAX || strncmp(v, "i-", 2) != 0) {
			snprintf(msg, msglen, "instance: '%.64s' is not an instance id (i-...)", v);
			return -1;
		}
		o->instance = v;
	} else if (IS("incident")) {
		if (!(o->incident = pb_incident_id(v))) {
			snprintf(msg, msglen, "incident: '%.64s' is not an incident id (7 or INC-7)", v);
			return -1;
		}
	} else if (IS("once"))
		o->once = v != NULL;
	else if (IS("listen"))
		o->listen = o->listen_cfg.addr = v;
	else if (IS("preflight"))
		o->preflight = v != NULL;
	else if (IS("observe"))
		c->observe = v != NULL;
	else if (IS("json"))
		o->json = v != NULL;
	else if (IS("quiet"))
		o->quiet = v != NULL;
	else if (IS("store"))
		c->store_path = v;
	else if (IS("parallel"))
		c->parallel = (int)n;
	else if (IS("owner"))
		c->owner = v;
	else if (IS("lease-ms"))
		c->lease_ms = n;
	else if (IS("report-dir"))
		c->report_dir = v;
	else
		return NOT_MINE;
	return 0;
}

/* The playbook: which steps, the forensic instance, quarantine, sharing. */
static int apply_playbook(respond_cli *o, const char *name, const char *v, long long n,
                           char *msg, size_t msglen)
{
	pb_config *pc = &o->cfg.playbook;
	(void)n;
	if (IS("forensic-instance"))
		return copy_id(pc->forensic_instance, sizeof pc->forensic_instance, v, name, msg, msglen);
	else if (IS("forensic-launch-template")) {
		/* LaunchTemplateName: 3-128 of [a-zA-Z0-9().-/_] (EC2 API reference) */
		size_t l = strlen(v);
		if (l && (l < 3 || l > 128 ||
		          strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789()./_-") != l)) {
			snprintf(msg, msglen, "forensic-launch-template: not a launch template id or name");
			return -1;
		}
		return copy_id(pc->forensic_template, sizeof pc->forensic_template, v, name, msg, msglen);
	} else if (IS("quarantine-group"))
		return copy_id(pc->quarantine_group, sizeof pc->quarantine_group, v, name, msg, msglen);
	else if (IS("quarantine-profile"))
		return copy_id(pc->quarantine_profile, sizeof pc->quarantine_profile, v, name, msg, msglen);
	else if (IS("ticket"))
		return copy_id(pc->ticket, sizeof pc->ticket, v, name, msg, msglen);
	else if (IS("skip")) {
		pb_step s;
		if (pb_step_parse(v, &s) != SG_OK || s == PB_RECORD || s == PB_FINISH) {
			snprintf(msg, msglen, "skip: '%.64s' is not a step that can be turned off", v);
			return -1;
		}
		pc->order.enabled &= ~PB_BIT(s);
	} else if (IS("order")) {
		char m[200];
		if (pb_order_parse(v, &pc->order, m, sizeof m) != SG_OK) {
			snprintf(msg, msglen, "order: %s", m);
			return -1;
		}
	} else if (IS("decrement-desired"))
		pc->decrement_desired = v != NULL;
	else if (IS("asg-standby"))
		pc->asg_standby = v != NULL;
	else if (IS("conntrack"))
		pc->conntrack_timeouts = v != NULL;
	else if (IS("share-snapshots-with")) {
		if (strlen(v) != 12 || strspn(v, "0123456789") != 12) {
			snprintf(msg, msglen, "--share-snapshots-with: a 12-digit AWS account id");
			return -1;
		}
		snprintf(pc->share_account, sizeof pc->share_account, "%s", v);
	} else
		return NOT_MINE;
	return 0;
}

/* Evidence: capture, memory, encryption keys, the bucket, the examination. */
static int apply_evidence(respond_cli *o, const char *name, const char *v, long long n,
                           char *msg, size_t msglen)
{
	respond_config *c = &o->cfg;
	if (IS("capture-cmd")) {
		if (c->n_capture_cmds >= RESPOND_MAX_CAPTURE_CMDS) {
			snprintf(msg, msglen, "capture-cmd: at most %d", RESPOND_MAX_CAPTURE_CMDS);
			return -1;
		}
		c->capture_cmds[c->n_capture_cmds++] = v;
	} else if (IS("capture-timeout"))
		c->capture_timeout_s = (unsigned)n;
	else if (IS("evidence-kms-key"))
		c->evidence_kms_key = v;
	else if (IS("share-kms-key"))
		c->share_kms_key = v;
	else if (IS("evidence-bucket")) {
		if (!aws_s3_bucket_ok(v)) {
			snprintf(msg, msglen, "--evidence-bucket: 3-63 of a-z 0-9 . -");
			return -1;
		}
		c->evidence_bucket = v;
	} else if (IS("memory"))
		c->memory_capture = v != NULL;
	else if (IS("memory-timeout"))
		c->memory_timeout_s = (unsigned)n;
	else if (IS("forensics-cmd"))
		c->forensics_cmd = v;
	else if (IS("baseline"))
		c->forensics_baseline = v;
	else if (IS("forensics-dir"))
		c->forensics_dir = v;
	else if (IS("forensics-wait"))
		c->forensics_wait_s = (unsigned)n;
	else
		return NOT_MINE;
	return 0;
}

/* Retries and waits: AWS attempts, step attempts, polls, the longest waits. */
static int apply_patience(respond_cli *o, const char *name, const char *v, long long n,
                           char *msg, size_t msglen)
{
	respond_config *c = &o->cfg;
	(void)v, (void)msg, (void)msglen;
	if (IS("aws-max-attempts"))
		c->aws_max_attempts = (int)n;
	else if (IS("aws-backoff-ms"))
		c->aws_backoff_base_ms = (unsigned)n;
	else if (IS("step-attempts"))
		c->step_attempts = (int)n;
	else if (IS("step-backoff-ms"))
		c->step_backoff_ms = (unsigned)n;
	else if (IS("poll-ms"))
		c->poll_ms = (unsigned)n;
	else if (IS("imds-wait"))
		c->imds_wait_s = (unsigned)n;
	else if (IS("asg-wait"))
		c->asg_wait_s = (unsigned)n;
	else if (IS("snapshot-wait"))
		c->snapshot_wait_s = (unsigned)n;
	else
		return NOT_MINE;
	return 0;
}

/* Channels: notifications, the --listen endpoint, delivery to it, the SQS
 * queue and its GuardDuty rules. */
static int apply_channels(respond_cli *o, const char *name, const char *v, long long n,
                           char *msg, size_t msglen)
{
	respond_config *c = &o->cfg;
	(void)n;
	if (IS("webhook"))
		c->webhook_url = v;
	else if (IS("sns-topic"))
		c->sns_topic_arn = v;
	else if (IS("key-file"))
		o->listen_cfg.key_file = v;
	else if (IS("previous-key-file"))
		o->listen_cfg.previous_key_file = v;
	else if (IS("derive-key")) {
		if (!rsig_sender_ok(v)) {
			snprintf(msg, msglen, "derive-key: '%.64s' is not an instance id (i-...)", v);
			return -1;
		}
		o->derive_key = v;
	} else if (IS("listen-keys")) {
		if (strcmp(v, "derived") && strcmp(v, "shared")) {
			snprintf(msg, msglen, "listen-keys: derived or shared");
			return -1;
		}
		o->listen_cfg.keys = strcmp(v, "shared") ? RESPOND_LISTEN_KEYS_DERIVED : RESPOND_LISTEN_KEYS_SHARED;
	}
	else if (IS("tls-cert"))
		o->listen_cfg.tls_cert = v;
	else if (IS("tls-key"))
		o->listen_cfg.tls_key = v;
	else if (IS("deliver-to")) {
		if (strncmp(v, "https://", 8) != 0) {
			snprintf(msg, msglen, "deliver-to: an https:// URL");
			return -1;
		}
		o->deliver_to = o->deliver_cfg.url = v;
	} else if (IS("detector"))
		o->deliver_cfg.detector = v;
	else if (IS("queue")) {
		if (!aws_sqs_queue_url_ok(v)) {
			snprintf(msg, msglen, "queue: an SQS queue URL (https://sqs.REGION.amazonaws.com/"
			         "ACCOUNT/NAME)");
			return -1;
		}
		o->queue = o->queue_cfg.queue_url = v;
	} else if (IS("guardduty-action") || IS("guardduty-contain-severity")) {
		char why[400];
		sg_err (*rule)(pb_gd_config *, const char *, size_t *, char *, size_t) =
			IS("guardduty-action") ? pb_gd_rule_action : pb_gd_rule_severity;
		if (rule(&o->queue_cfg.guardduty, v, NULL, why, sizeof why)) {
			snprintf(msg, msglen, "%s: %s", name, why);
			return -1;
		}
	} else
		return NOT_MINE;
	return 0;
}

static int apply(respond_cli *o, const char *name, const char *v, long long n, char *msg,
                 size_t msglen)
{
	static int (*const groups[])(respond_cli *, const char *, const char *, long long, char *,
	                             size_t) = {apply_target, apply_playbook, apply_evidence,
	                                        apply_patience, apply_channels};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
		int r = groups[i](o, name, v, n, msg, msglen);
		if (r != NOT_MINE)
			return r;
	}
	return 0;
}
#undef IS
#undef NOT_MINE

int respond_cli_parse_config(respond_cli *o, const char *text, size_t len, const char *fname,
                             char *msg, size_t msglen)
{
	return opt_parse_text(&respond_command, o, text, len, fname, msg, msglen) == SG_OK ? 0 : -1;
}

int respond_cli_load(respond_cli *o, const char *path, char *msg, size_t msglen)
{
	return cmdline_load(&respond_command, o, path, msg, msglen) == SG_OK ? 0 : -1;
}

int respond_cli_parse(respond_cli *o, int argc, char **argv, char *msg, size_t msglen)
{
	msg[0] = '\0';
	int rc = cmdline_parse(&respond_command, o, argc, argv, NULL, NULL, msg, msglen);
	if (rc != CMDLINE_OK)
		return rc == CMDLINE_HELP ? 1 : -1;
	return respond_cli_check(o, msg, msglen);
}

/* A report that cannot be written is a setup error, found before anything
 * is recorded.  The directory itself is created (0750) when its parent
 * exists; another responder creating it at the same moment (EEXIST) is
 * as good. */
static int report_dir_check(const char *dir, char *msg, size_t msglen)
{
	struct stat sb;
	const char *why = NULL;
	if (stat(dir, &sb) != 0 &&
	    (errno != ENOENT || (mkdir(dir, 0750) != 0 && errno != EEXIST) || stat(dir, &sb) != 0))
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a directory";
	else if (access(dir, W_OK | X_OK) != 0)
		why = strerror(errno);
	if (why)
		snprintf(msg, msglen, "report-dir %.200s: %s", dir, why);
	return why ? -1 : 0;
}

int respond_cli_check(respond_cli *o, char *msg, size_t msglen)
{
	if (pb_order_check(&o->cfg.playbook.order, msg, msglen) != SG_OK)
		return -1; /* skip and order together: a step off that another needs */
	if (o->cfg.report_dir && report_dir_check(o->cfg.report_dir, msg, msglen) != 0)
		return -1;
	respond_config_where(&o->cfg, o->cfg.store_path, &o->where, &o->aws);
	o->listen_cfg.store_path = o->cfg.store_path;
	o->listen_cfg.rcfg = &o->cfg;
	o->deliver_cfg.store_path = o->cfg.store_path;
	o->deliver_cfg.rcfg = &o->cfg;
	o->deliver_cfg.key_file = o->listen_cfg.key_file;
	o->deliver_cfg.ca_bundle = o->cfg.ca_bundle;
	o->deliver_cfg.poll_ms = o->cfg.poll_ms;
	o->deliver_cfg.region = o->cfg.region;
	o->deliver_cfg.profile = o->cfg.profile;
	o->deliver_cfg.endpoint_url = o->cfg.endpoint_url;
	o->queue_cfg.rcfg = &o->cfg;
	if (o->queue && (o->deliver_to || o->instance || o->incident || o->preflight)) {
		snprintf(msg, msglen, "--queue belongs to the responder daemon");
		return -1;
	}
	if (o->deliver_to && !o->listen_cfg.key_file && !aws_sqs_queue_url_ok(o->deliver_to)) {
		snprintf(msg, msglen, "--deliver-to needs --key-file");
		return -1;
	}
	if (o->deliver_to && (o->instance || o->incident || o->listen || o->preflight)) {
		snprintf(msg, msglen, "--deliver-to runs alone (it is the detector side)");
		return -1;
	}
	if (o->cfg.playbook.forensic_instance[0] && o->cfg.playbook.forensic_template[0]) {
		snprintf(msg, msglen, "--forensic-instance and --forensic-launch-template exclude each other");
		return -1;
	}
	if (o->cfg.share_kms_key && !o->cfg.playbook.share_account[0]) {
		snprintf(msg, msglen, "--share-kms-key needs --share-snapshots-with (the account it is for)");
		return -1;
	}
	if (o->cfg.memory_capture && !o->cfg.evidence_bucket) {
		snprintf(msg, msglen, "--memory needs --evidence-bucket (the image goes there)");
		return -1;
	}
	if (o->preflight && !o->instance) {
		snprintf(msg, msglen, "--preflight needs --instance");
		return -1;
	}
	if (o->instance && o->incident) {
		snprintf(msg, msglen, "--instance and --incident exclude each other");
		return -1;
	}
	if (o->derive_key && (!o->listen_cfg.key_file || o->listen || o->deliver_to || o->queue ||
	                      o->instance || o->incident || o->preflight)) {
		snprintf(msg, msglen, "--derive-key needs --key-file (the master key) and runs alone");
		return -1;
	}
	if (o->listen_cfg.previous_key_file && !o->listen) {
		snprintf(msg, msglen, "--previous-key-file belongs to --listen (a rotation of its key)");
		return -1;
	}
	if (o->listen && (!o->listen_cfg.key_file || !o->listen_cfg.tls_cert || !o->listen_cfg.tls_key)) {
		snprintf(msg, msglen, "--listen needs --key-file, --tls-cert and --tls-key");
		return -1;
	}
	return 0;
}
