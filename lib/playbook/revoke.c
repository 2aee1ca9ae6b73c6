/* revoke.c — the revocation policy, merged in place (see revoke.h). */
#include "playbook/revoke.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonload.h"

#define SID_PREFIX "SsrfguardRevoke"
/* The existing document's text, at most: a runaway guard far above what
 * IAM holds (PB_ROLE_POLICY_MAX characters not counting whitespace). */
#define POLICY_TEXT_MAX (1u << 20)

/* ISO 8601 UTC, exactly "YYYY-MM-DDTHH:MM:SSZ", to seconds; -1 if not. */
static long long iso_seconds(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	if (!s || strlen(s) != sizeof shape - 1)
		return -1;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return -1;
	struct tm tm = {0};
	int v[6], at[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
	for (int k = 0; k < 6; k++) {
		v[k] = 0;
		for (int j = 0; j < len[k]; j++)
			v[k] = v[k] * 10 + (s[at[k] + j] - '0');
	}
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	return (long long)timegm(&tm);
}

/* An ARN goes into the document as a string: the characters ARNs use. */
static bool arn_ok(const char *s)
{
	if (!s || strncmp(s, "arn:", 4) != 0 || strlen(s) > 2048)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

static const char *cond_str(json_t *st, const char *op, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(st, "Condition"), op),
	                                         key));
}

/* Is st one of ours that goes: this instance's (replaced) or expired? */
static bool drop(json_t *st, const char *instance_arn, long long now_s)
{
	const char *sid = json_string_value(json_object_get(st, "Sid"));
	if (!sid || strncmp(sid, SID_PREFIX, strlen(SID_PREFIX)) != 0)
		return false;
	const char *arn = cond_str(st, "ArnEquals", "ec2:SourceInstanceARN");
	if (arn && !strcmp(arn, instance_arn))
		return true;
	long long cut = iso_seconds(cond_str(st, "DateLessThan", "aws:TokenIssueTime"));
	return cut >= 0 && cut + PB_SESSION_MAX_S < now_s;
}

static json_t *statement(const char *instance_arn, const char *issued_before)
{
	char sid[96] = SID_PREFIX;
	const char *id = strrchr(instance_arn, '/');
	size_t n = strlen(sid);
	for (id = id ? id + 1 : ""; *id && n + 1 < sizeof sid; id++)
		if ((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') || (*id >= '0' && *id <= '9'))
			sid[n++] = *id;
	sid[n] = '\0';
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s},s:{s:s}}}", "Sid", sid, "Effect", "Deny",
	                 "Action", "*", "Resource", "*", "Condition", "DateLessThan",
	                 "aws:TokenIssueTime", issued_before, "ArnEquals", "ec2:SourceInstanceARN",
	                 instance_arn);
}

sg_err pb_revoke_merge(const char *existing, const char *instance_arn, const char *issued_before,
                       long long now_s, char **out)
{
	*out = NULL;
	if (!arn_ok(instance_arn) || iso_seconds(issued_before) < 0)
		return SG_ERR_INVAL;
	json_t *doc = NULL, *kept = json_array();
	sg_err err = SG_ERR_NOMEM;
	if (!kept)
		goto fail;
	if (existing && *existing) {
		err = sg_json_load_bounded(existing, strlen(existing), POLICY_TEXT_MAX, 0,
		                           "policy document", &doc, NULL, 0);
		if (err == SG_ERR_NOMEM)
			goto fail;
		err = SG_ERR_PARSE;
		json_t *sts = json_object_get(doc, "Statement");
		if (!doc || (sts && !json_is_array(sts) && !json_is_object(sts)))
			goto fail;
		if (json_is_object(sts) && !drop(sts, instance_arn, now_s))
			json_array_append(kept, sts);
		size_t i;
		json_t *st;
		json_array_foreach(json_is_array(sts) ? sts : NULL, i, st)
			if (json_is_object(st) && !drop(st, instance_arn, now_s))
				json_array_append(kept, st);
	}
	err = SG_ERR_NOMEM;
	if (json_array_append_new(kept, statement(instance_arn, issued_before)))
		goto fail;
	json_t *merged = json_pack("{s:s,s:O}", "Version", "2012-10-17", "Statement", kept);
	*out = merged ? json_dumps(merged, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(merged);
	err = *out ? SG_OK : SG_ERR_NOMEM;
fail:
	json_decref(kept);
	json_decref(doc);
	return err;
}

size_t pb_policy_size(const char *doc)
{
	size_t n = 0;
	for (; doc && *doc; doc++)
		n += !(*doc == ' ' || *doc == '\t' || *doc == '\n' || *doc == '\r');
	return n;
}
