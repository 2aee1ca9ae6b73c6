/* memory.c — memory acquisition over SSM into the evidence bucket (the
 * capture step, with --memory; see rsp.h, rsp_capture_memory). */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/s3.h"
#include "common/escape.h"
#include "playbook/memory.h"
#include "respond/journal.h"

/* The first line of the command's stderr, for a note: the victim's text,
 * escaped and cut to cap on a character boundary (common/escape.h). */
static void first_line(const char *s, char *out, size_t cap)
{
	s = s ? s : "";
	sg_text_clean(out, cap, s, strcspn(s, "\n"));
}

/* Hash the object the instance uploaded and compare it with what the
 * instance hashed; the record goes to x->data "memory". */
static sg_err check_image(rsp_run *x, const char *key, const char *cmd, const char *out)
{
	char want[65], got[65], url[1200];
	uint64_t want_bytes = 0, got_bytes = 0;
	const char *bucket = x->cfg->evidence_bucket;
	snprintf(url, sizeof url, "s3://%s/%s", bucket, key);
	if (pb_memory_report(out, strlen(out), want, &want_bytes)) {
		snprintf(x->note, sizeof x->note,
		         "memory acquisition (command %s) printed no ssrfguard-memory-sha256/bytes lines", cmd);
		return RSP_FATAL;
	}
	struct aws_error e;
	sg_err err = aws_s3_object_sha256(x->aws, bucket, key, got, &got_bytes, &e);
	if (err) {
		/* S3 answers a missing key 403 to a role without s3:ListBucket
		 * (S3 API reference, GetObject, "Permissions"): say so, or the
		 * operator widens the role for an upload that never happened */
		snprintf(x->note, sizeof x->note, "memory image %.240s not read back: %.64s%s", url,
		         e.code[0] ? e.code : sg_strerror(err),
		         err == SG_ERR_AUTH ? " (S3 answers this for a missing object too, to a role "
		                              "without s3:ListBucket: the upload may not have happened)"
		                            : "");
		return err == SG_ERR_NOTFOUND || err == SG_ERR_AUTH ? RSP_FATAL : err;
	}
	bool match = !strcmp(want, got) && want_bytes == got_bytes;
	json_object_set_new(x->data, "memory",
	                    json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:b,s:s}", "tool", "avml", "object", url,
	                              "sha256", got, "bytes", (json_int_t)got_bytes, "instance_sha256",
	                              want, "instance_bytes", (json_int_t)want_bytes, "match", match,
	                              "command_id", cmd));
	if (!match) {
		snprintf(x->note, sizeof x->note,
		         "memory image %.300s (sha256 %.16s..., %llu bytes) is not what the instance hashed "
		         "(%.16s..., %llu bytes): not kept as evidence",
		         url, got, (unsigned long long)got_bytes, want, (unsigned long long)want_bytes);
		return RSP_FATAL;
	}
	rsp_notef(x, "memory image %.300s: %llu bytes, sha256 %s (the instance's hash matches)", url,
	          (unsigned long long)got_bytes, got);
	return SG_OK;
}

sg_err rsp_capture_memory(rsp_run *x)
{
	const respond_config *cfg = x->cfg;
	unsigned timeout = cfg->memory_timeout_s ? cfg->memory_timeout_s : 1800;
	char key[256], buf[2048], cmd[64];
	const char *lines[PB_MEMORY_LINES];
	snprintf(key, sizeof key, "ssrfguard/%s/memory/%s.lime.compressed", x->key, x->inst->id);
	size_t n = pb_memory_command(cfg->evidence_bucket, key, buf, lines);
	if (!n)
		return SG_ERR_RANGE;
	int64_t deadline = rsp_deadline(x, "memory_started_ms", timeout);
	sg_err err = rsp_ssm_send(x, "memory_command", x->inst->id, lines, n, timeout, NULL, "memory",
	                          "send the memory acquisition command", cmd);
	if (err)
		return err;
	char status[64];
	json_t *inv = NULL;
	err = rsp_ssm_wait(x, cmd, x->inst->id, deadline, status, sizeof status, &inv);
	if (err == SG_ERR_TIMEOUT) {
		snprintf(x->note, sizeof x->note, "memory acquisition still %s after %u s (command %s)",
		         status, timeout, cmd);
		return RSP_FATAL;
	}
	if (err)
		return err;
	const char *out = json_string_value(json_object_get(inv, "StandardOutputContent"));
	if (strcmp(status, "Success")) {
		char why[201];
		first_line(json_string_value(json_object_get(inv, "StandardErrorContent")), why, sizeof why);
		snprintf(x->note, sizeof x->note, "memory acquisition ended %s (command %s): %s", status, cmd,
		         why);
		/* not delivered: a new attempt sends it again.  One that ran out
		 * of --memory-timeout is not retried: it would take as long
		 * again while isolation waits for the capture step */
		err = rsp_ssm_undelivered(inv) ? RSP_AGAIN : RSP_FATAL;
	} else {
		err = check_image(x, key, cmd, out ? out : "");
	}
	json_decref(inv);
	return err;
}
