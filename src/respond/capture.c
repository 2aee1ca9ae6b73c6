/* capture.c — PB_CAPTURE: volatile data over SSM, as evidence: the
 * agent's reachability checked first, the whole output from the evidence
 * bucket when there is one, truncation recorded when there is not; and the
 * SSM command helpers the forensics step shares. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "aws/sigv4.h"
#include "aws/ssm.h"
#include "common/escape.h"
#include "respond/journal.h"

static const char *const default_capture[] = {
	"date -u +%Y-%m-%dT%H:%M:%SZ", "uname -a", "uptime", "dmesg -T | tail -n 500",
	"ps auxww", "ss -tanupe", "ss -xap | head -n 500", "who -a", "last -n 50",
	"ip addr; ip route; ip neigh", "cat /proc/net/nf_conntrack 2>/dev/null | head -n 2000",
	"journalctl --since '-2h' --no-pager -n 2000 2>/dev/null || tail -n 2000 /var/log/syslog /var/log/messages 2>/dev/null",
	"ls -la /tmp /var/tmp /dev/shm", "crontab -l 2>/dev/null; ls -la /etc/cron*",
};


/* SendCommand once (the command id is journaled; a rerun polls it).
 * timeout_s bounds both the delivery (TimeoutSeconds, at least 30) and
 * the run (the document's executionTimeout): AWS would otherwise let the
 * command run for an hour after the step gave up on it. */
static sg_err send_command(rsp_run *x, const char *instance, const char *const *commands, size_t n,
                           unsigned timeout_s, const char *output_prefix, const char *comment,
                           char id[64], struct aws_error *e)
{
	struct aws_ssm_command cmd = {
		.instance_ids = &instance,
		.n = 1,
		.commands = commands,
		.ncommands = n,
		.comment = comment,
		.delivery_timeout_s = (int)(timeout_s < 30 ? 30 : timeout_s),
		.execution_timeout_s = (int)(timeout_s < 1 ? 1 : timeout_s > 172800 ? 172800 : timeout_s),
		.output_bucket = output_prefix ? x->cfg->evidence_bucket : NULL,
		.output_prefix = output_prefix,
	};
	return aws_ssm_send_command(x->aws, &cmd, 0, id, NULL, e);
}

/* Whether an earlier attempt's command cmd on instance is still worth
 * having: it succeeded or is on its way (Pending, Delayed, InProgress).
 * SG_ERR_NOTFOUND when it ended otherwise (Failed, TimedOut, Cancelled,
 * ...: a final Status never changes, SSM API reference,
 * GetCommandInvocation) or SSM has no invocation of it on instance. */
static sg_err earlier_command_good(rsp_run *x, const char *cmd, const char *instance)
{
	json_t *inv = NULL;
	sg_err err = aws_ssm_get_command_invocation(x->aws, cmd, instance, &inv, NULL);
	if (err)
		return err;
	const char *st = json_string_value(json_object_get(inv, "Status"));
	char shown[32];
	sg_text_clean(shown, sizeof shown, st ? st : "?", strlen(st ? st : "?"));
	bool good = st && (!strcmp(st, "Success") || !strcmp(st, "Pending") || !strcmp(st, "Delayed") ||
	                   !strcmp(st, "InProgress"));
	json_decref(inv);
	if (good)
		rsp_notef(x, "attempt %u takes command %s of an earlier attempt (%s)", rsp_attempt(x), cmd,
		          shown);
	else
		rsp_notef(x, "command %s of an earlier attempt ended %s: attempt %u sends it again", cmd,
		          shown, rsp_attempt(x));
	return good ? SG_OK : SG_ERR_NOTFOUND;
}

/* SendCommand has no idempotency token: a crash between sending and
 * journaling the id would send twice.  So the journal says "about to send"
 * first (KEY_sending_ms, the time), and a run that finds our comment in
 * ListCommands takes that command.  ListCommands is eventually consistent:
 * a rerun that finds the mark but no command looks again, every poll,
 * until RSP_SSM_LAG_MS after the mark, and only then sends.  Attempt N > 1
 * journals KEY#N and says "#N" in its comment, so that ListCommands never
 * offers it an earlier attempt's command. */
sg_err rsp_ssm_send(rsp_run *x, const char *key, const char *instance,
                    const char *const *commands, size_t n, unsigned timeout_s,
                    const char *output_prefix, const char *what, const char *change,
                    char id[64])
{
	unsigned attempt = rsp_attempt(x);
	char cur[80], mark[96], comment[100], now[24];
	bool earlier;
	const char *had = rsp_created_latest(x, key, &earlier);
	sg_err err = had && earlier ? earlier_command_good(x, had, instance) : SG_OK;
	if (err && err != SG_ERR_NOTFOUND)
		return err;
	rsp_attempt_key(key, attempt, cur, sizeof cur);
	if (had && !err) {
		snprintf(id, 64, "%s", had);
		return earlier ? rsp_created(x, cur, id) : SG_OK;
	}
	snprintf(mark, sizeof mark, "%s_sending_ms", cur);
	if (attempt > 1)
		snprintf(comment, sizeof comment, "ssrfguard %s %s #%u", x->key, what, attempt);
	else
		snprintf(comment, sizeof comment, "ssrfguard %s %s", x->key, what);
	/* the mark is a wall time (an earlier run wrote it); the wait it
	 * starts is counted on the monotonic clock */
	const char *was = rsp_created_get(x, mark);
	bool marked = was && *was;
	int64_t until = marked ? rsp_mono_until(strtoll(was, NULL, 10), RSP_SSM_LAG_MS) : 0;
	for (;;) {
		err = aws_ssm_find_command(x->aws, instance, comment, id, NULL);
		if (!err) {
			rsp_notef(x, "found command %s already sent by an earlier run", id);
			return rsp_created(x, cur, id);
		}
		if (err != SG_ERR_NOTFOUND)
			return err;
		if (!marked || sg_mono_ms() >= until)
			break;
		if ((err = rsp_pause(x)))
			return err;
	}
	if (marked)
		rsp_notef(x, "an earlier run was about to send \"%s\" and no such command was listed "
		          "%d s later: sent now", comment, RSP_SSM_LAG_MS / 1000);
	snprintf(now, sizeof now, "%lld", (long long)sg_wall_ms()); /* a later run reads it */
	if ((err = rsp_created(x, mark, now)))
		return err;
	rsp_crashpoint(x, "sending");
	struct aws_error e;
	aws_error_clear(&e);
	rsp_intent(x, "%s", change);
	err = send_command(x, instance, commands, n, timeout_s, output_prefix, comment, id, &e);
	if (err && !e.outcome_unknown) /* AWS said no: nothing was sent */
		rsp_created(x, mark, "");
	return err ? err : rsp_created(x, cur, id);
}

/* Poll until the invocation's Status is past delivery (Pending, Delayed)
 * and, unless delivery_only, past the run too (InProgress, Cancelling). */
static sg_err ssm_poll(rsp_run *x, const char *cmd, const char *instance, int64_t deadline,
                       bool delivery_only, char *status, size_t slen, json_t **out)
{
	for (;;) {
		json_t *reply = NULL;
		sg_err err = aws_ssm_get_command_invocation(x->aws, cmd, instance, &reply, NULL);
		if (err && err != SG_ERR_NOTFOUND) /* InvocationDoesNotExist right after sending */
			return err;
		const char *st = json_string_value(json_object_get(reply, "Status"));
		const char *shown = st ? st : "Pending";
		sg_text_clean(status, slen, shown, strlen(shown)); /* the reply's text, for notes */
		/* Pending, InProgress, Delayed and Cancelling are on their way
		 * to a final status (botocore ssm CommandInvocationStatus);
		 * Pending and Delayed: not yet delivered to the agent */
		if (st && strcmp(st, "Pending") && strcmp(st, "Delayed") &&
		    (delivery_only || (strcmp(st, "InProgress") && strcmp(st, "Cancelling")))) {
			*out = reply;
			return SG_OK;
		}
		json_decref(reply);
		if (sg_mono_ms() > deadline)
			return SG_ERR_TIMEOUT;
		if ((err = rsp_pause(x)))
			return err;
	}
}

bool rsp_ssm_undelivered(const json_t *inv)
{
	const char *d = json_string_value(json_object_get(inv, "StatusDetails"));
	return d && (!strcmp(d, "DeliveryTimedOut") || !strcmp(d, "Undeliverable"));
}

sg_err rsp_ssm_wait(rsp_run *x, const char *cmd, const char *instance, int64_t deadline,
                    char *status, size_t slen, json_t **out)
{
	return ssm_poll(x, cmd, instance, deadline, false, status, slen, out);
}

sg_err rsp_ssm_wait_delivered(rsp_run *x, const char *cmd, const char *instance, int64_t deadline,
                              char *status, size_t slen, json_t **out)
{
	return ssm_poll(x, cmd, instance, deadline, true, status, slen, out);
}

/*
 * Wait until the instance's SSM agent reaches Systems Manager
 * (DescribeInstanceInformation PingStatus Online) or deadline: a command
 * sent to an agent that cannot poll is never delivered.  RSP_SKIP when
 * there is no agent to ask (not a managed instance, or no instance profile
 * and so no credentials for it); with the note saying why when it stays
 * offline, RSP_AGAIN (a new attempt waits again), or RSP_FATAL when the
 * revocation keeps it out (no quarantine profile).
 */
static sg_err wait_agent_online(rsp_run *x, int64_t deadline)
{
	const char *qp = x->cfg->playbook.quarantine_profile;
	for (;;) {
		char ping[32];
		sg_err err = aws_ssm_ping_status(x->aws, x->inst->id, ping, NULL);
		if (err == SG_ERR_NOTFOUND) {
			snprintf(x->note, sizeof x->note,
			         "%s is not a managed instance (no SSM agent registered): no volatile capture",
			         x->inst->id);
			return RSP_SKIP;
		}
		if (err)
			return err;
		if (!strcmp(ping, "Online"))
			return SG_OK;
		if (!x->inst->profile_arn[0]) {
			snprintf(x->note, sizeof x->note,
			         "SSM agent of %s is %s and the instance has no profile to give it "
			         "credentials: no volatile capture",
			         x->inst->id, ping);
			return RSP_SKIP;
		}
		if (sg_mono_ms() > deadline) {
			/* offline for a while: it may come back (a new attempt waits
			 * again), unless the revocation itself keeps it out */
			bool denied = !qp[0] && x->inst->role_name[0];
			snprintf(x->note, sizeof x->note,
			         "SSM agent of %s is %s: no volatile capture%s", x->inst->id, ping,
			         !denied ? ""
			                 : " (the revocation denies the agent the role's credentials too: "
			                   "configure --quarantine-profile so that it gets fresh ones)");
			return denied ? RSP_FATAL : RSP_AGAIN;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

int64_t rsp_deadline(rsp_run *x, const char *key, unsigned timeout_s)
{
	char k[80]; /* a retry waits anew */
	rsp_attempt_key(key, rsp_attempt(x), k, sizeof k);
	const char *started = rsp_created_get(x, k);
	if (!started) {
		char ms[32];
		snprintf(ms, sizeof ms, "%lld", (long long)sg_wall_ms()); /* a later run reads it */
		rsp_created(x, k, ms);
		started = rsp_created_get(x, k);
	}
	return rsp_mono_until(strtoll(started ? started : "0", NULL, 10), (int64_t)timeout_s * 1000);
}

int64_t rsp_mono_until(int64_t wall_start, int64_t wait_ms)
{
	int64_t now = sg_wall_ms();
	/* how much of the wait is gone, in [0, wait_ms + 1]: a start in the
	 * future (the clock stepped back since) leaves the whole wait, one
	 * long past (or nonsense) leaves none */
	int64_t gone = wall_start > now ? 0 : wall_start < now - wait_ms ? wait_ms + 1 : now - wall_start;
	return sg_mono_ms() + (wait_ms - gone);
}

/* What GetCommandInvocation shows of a command's output (botocore ssm
 * model, GetCommandInvocation): the first 24,000 characters of stdout and
 * 8,000 of stderr; the whole exists only in S3 (OutputS3BucketName). */
enum { SSM_STDOUT_SHOWN = 24000, SSM_STDERR_SHOWN = 8000 };

/* The S3 key the agent writes one stream of an AWS-RunShellScript command
 * to: PREFIX/COMMAND/INSTANCE/awsrunShellScript/0.awsrunShellScript/STREAM
 * (SSM user guide, "Run Command output" in S3). */
static void output_key(const char *prefix, const char *cmd, const char *instance,
                       const char *stream, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/%s/awsrunShellScript/0.awsrunShellScript/%s", prefix, cmd, instance,
	         stream);
}

/*
 * One stream (stdout | stderr) of a finished invocation into ev: the text
 * SSM shows ("<stream>"), and either the SHA-256 of the whole output
 * ("<stream>_sha256", "<stream>_bytes"; with a bucket read from the object
 * itself, "<stream>_object") or, when only a part exists, the mark
 * "<stream>_truncated" and the hash of the part ("<stream>_shown_sha256"):
 * never a hash that looks complete for an output that is not.  Returns
 * whether the whole output was hashed.
 */
static bool stream_evidence(rsp_run *x, json_t *ev, const json_t *inv, const char *prefix,
                            const char *cmd, const char *stream, const char *field, size_t shown_max)
{
	char key[64], hex[65];
	const char *shown = json_string_value(json_object_get(inv, field));
	shown = shown ? shown : "";
	size_t n = strlen(shown);
	json_object_set_new(ev, stream, json_string(shown));
	if (prefix) {
		char okey[1024];
		uint64_t len = 0;
		output_key(prefix, cmd, x->inst->id, stream, okey, sizeof okey);
		/* streamed through the digest: an output of any size */
		sg_err err = aws_s3_object_sha256(x->aws, x->cfg->evidence_bucket, okey, hex, &len, NULL);
		/* The agent uploads nothing for an empty stream.  S3 answers a
		 * missing key 403, not 404, to a role without s3:ListBucket (S3
		 * API reference, GetObject, "Permissions"; docs/iam-policy.json
		 * grants only s3:GetObject): for an empty stream both mean "no
		 * object", and what SSM showed is all of it. */
		if ((err == SG_ERR_NOTFOUND || err == SG_ERR_AUTH) && !n) {
			err = SG_OK;
			aws_sha256_hex("", 0, hex);
		}
		if (!err) {
			snprintf(key, sizeof key, "%s_object", stream);
			char url[1100];
			snprintf(url, sizeof url, "s3://%s/%s", x->cfg->evidence_bucket, okey);
			json_object_set_new(ev, key, json_string(url));
			snprintf(key, sizeof key, "%s_sha256", stream);
			json_object_set_new(ev, key, json_string(hex));
			snprintf(key, sizeof key, "%s_bytes", stream);
			json_object_set_new(ev, key, json_integer((json_int_t)len));
			return true;
		}
		rsp_notef(x, "%s not read from s3://%s/%s: %s", stream, x->cfg->evidence_bucket, okey,
		          sg_strerror(err));
	}
	if (n < shown_max) { /* shorter than SSM's cut: this is all of it */
		aws_sha256_hex(shown, n, hex);
		snprintf(key, sizeof key, "%s_sha256", stream);
		json_object_set_new(ev, key, json_string(hex));
		snprintf(key, sizeof key, "%s_bytes", stream);
		json_object_set_new(ev, key, json_integer((json_int_t)n));
		return true;
	}
	aws_sha256_hex(shown, n, hex);
	snprintf(key, sizeof key, "%s_truncated", stream);
	json_object_set_new(ev, key, json_true());
	snprintf(key, sizeof key, "%s_shown_sha256", stream);
	json_object_set_new(ev, key, json_string(hex));
	rsp_notef(x, "%s truncated by SSM at %zu characters: the rest was not kept", stream, shown_max);
	return false;
}

sg_err rsp_step_capture(rsp_run *x)
{
	const respond_config *cfg = x->cfg;
	unsigned timeout = cfg->capture_timeout_s ? cfg->capture_timeout_s : 60;
	enum { N_DEFAULT = sizeof default_capture / sizeof default_capture[0] };
	char numbered[N_DEFAULT][1024];
	const char *cmds[RESPOND_MAX_CAPTURE_CMDS > N_DEFAULT ? RESPOND_MAX_CAPTURE_CMDS : N_DEFAULT];
	size_t n = 0;
	if (cfg->n_capture_cmds)
		for (; n < cfg->n_capture_cmds; n++)
			cmds[n] = cfg->capture_cmds[n];
	else
		for (; n < N_DEFAULT; n++) {
			snprintf(numbered[n], sizeof numbered[n], "echo '### %zu'; %s", n + 1,
			         default_capture[n]);
			cmds[n] = numbered[n];
		}
	int64_t deadline = rsp_deadline(x, "capture_started_ms", timeout);
	if (cfg->evidence_bucket && !rsp_created_get(x, "capture_prefix")) {
		char prefix[96];
		snprintf(prefix, sizeof prefix, "ssrfguard/%s/capture", x->key);
		rsp_created(x, "capture_prefix", prefix);
	}
	sg_err err;
	bool earlier;
	char cmd[64];
	if ((!rsp_created_latest(x, "capture_command", &earlier) || earlier) &&
	    (err = wait_agent_online(x, deadline)))
		return err;
	err = rsp_ssm_send(x, "capture_command", x->inst->id, cmds, n, timeout,
	                   rsp_created_get(x, "capture_prefix"), "volatile capture",
	                   "send the volatile capture command", cmd);
	if (err)
		return err;
	char status[64];
	json_t *inv = NULL;
	err = rsp_ssm_wait(x, cmd, x->inst->id, deadline, status, sizeof status, &inv);
	if (err == SG_ERR_TIMEOUT) {
		snprintf(x->note, sizeof x->note,
		         "capture still %s after %u s (command %s)", status, timeout, cmd);
		return RSP_AGAIN;
	}
	if (err)
		return err;
	json_t *ev = json_pack("{s:s,s:s}", "command_id", cmd, "status", status);
	if (!ev) {
		json_decref(inv);
		return SG_ERR_NOMEM;
	}
	/* never delivered, or cut at its run limit: a new attempt sends it
	 * again; Failed or Cancelled would end the same way */
	bool again = rsp_ssm_undelivered(inv) || !strcmp(status, "TimedOut");
	const char *prefix = rsp_created_get(x, "capture_prefix");
	bool whole = stream_evidence(x, ev, inv, prefix, cmd, "stdout", "StandardOutputContent",
	                             SSM_STDOUT_SHOWN);
	whole &= stream_evidence(x, ev, inv, prefix, cmd, "stderr", "StandardErrorContent",
	                         SSM_STDERR_SHOWN);
	json_decref(inv);
	json_object_set_new(x->data, "capture", ev);
	const char *h1 = json_string_value(json_object_get(ev, "stdout_sha256"));
	json_int_t bytes = json_integer_value(json_object_get(ev, "stdout_bytes"));
	if (strcmp(status, "Success") != 0) {
		snprintf(x->note, sizeof x->note, "capture ended %s (output kept%s)", status,
		         whole ? "" : ", truncated");
		return again ? RSP_AGAIN : RSP_FATAL;
	}
	if (cfg->memory_capture && (err = rsp_capture_memory(x)))
		return err; /* the volatile capture is kept; the note says what failed */
	if (whole)
		snprintf(x->note, sizeof x->note, "captured %lld bytes, sha256 %s%s%s", (long long)bytes,
		         h1 ? h1 : "", prefix ? " (from the evidence bucket)" : "",
		         cfg->memory_capture ? "; memory image kept and hashed" : "");
	else
		snprintf(x->note, sizeof x->note,
		         "captured, but only the first part exists: SSM shows 24,000 characters of stdout "
		         "and 8,000 of stderr%s",
		         prefix ? " and the evidence bucket did not hold the whole output"
		                : "; configure --evidence-bucket for the whole output");
	return SG_OK;
}
