/* guardduty.c — GuardDuty Finding events from EventBridge (see guardduty.h). */
#include "playbook/guardduty.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/json.h"

static const char *const type_names[PB_GD__TYPE_COUNT] = {
	[PB_GD_CRED_EXFIL_OUTSIDE] = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
	[PB_GD_CRED_EXFIL_INSIDE] = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
	[PB_GD_EC2_DNS_REBIND] = "UnauthorizedAccess:EC2/MetadataDNSRebind",
	[PB_GD_RUNTIME_DNS_REBIND] = "UnauthorizedAccess:Runtime/MetadataDNSRebind",
};

static const char *const action_names[] = {
	[PB_GD_IGNORE] = "ignore", [PB_GD_OBSERVE] = "observe", [PB_GD_CONTAIN] = "contain",
};

void pb_gd_config_default(pb_gd_config *cfg)
{
	for (int t = 0; t < PB_GD__TYPE_COUNT; t++)
		cfg->action[t] = PB_GD_CONTAIN;
	cfg->contain_min_severity = 7.0;
	cfg->observe_min_severity = 1.0;
}

sg_err pb_gd_action_parse(const char *s, pb_gd_action *out)
{
	for (size_t a = 0; s && a < sizeof action_names / sizeof action_names[0]; a++)
		if (!strcmp(s, action_names[a])) {
			*out = (pb_gd_action)a;
			return SG_OK;
		}
	return SG_ERR_INVAL;
}

const char *pb_gd_action_name(pb_gd_action a)
{
	return (unsigned)a < sizeof action_names / sizeof action_names[0] ? action_names[a] : "?";
}

const char *pb_gd_type_name(pb_gd_type t)
{
	return (unsigned)t < PB_GD__TYPE_COUNT ? type_names[t] : NULL;
}

sg_err pb_gd_type_lookup(const char *s, pb_gd_type *out)
{
	for (int t = 0; s && t < PB_GD__TYPE_COUNT; t++)
		if (!strcmp(s, type_names[t])) {
			*out = (pb_gd_type)t;
			return SG_OK;
		}
	return SG_ERR_NOTFOUND;
}

/* The parse's state: where the reason goes. */
typedef struct gd_parse {
	char *msg;
	size_t msglen;
} gd_parse;

__attribute__((format(printf, 3, 4)))
static sg_err refuse(gd_parse *p, sg_err rc, const char *fmt, ...)
{
	if (p->msg && p->msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->msg, p->msglen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Printable ASCII passes; anything else becomes \xNN; at most 64 bytes shown. */
static void escape_excerpt(const char *s, char out[300])
{
	size_t o = 0;
	for (size_t i = 0; s[i] && i < 64; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= ' ' && ch <= '~' && ch != '\\' && ch != '"')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", ch);
	}
	if (strlen(s) > 64)
		o += (size_t)snprintf(out + o, 4, "...");
	out[o] = '\0';
}

/* Copy string member key of o into dst[dstlen]; it must exist, be a string
 * of 1..dstlen-1 bytes of printable ASCII. */
static bool copy_field(const json_t *o, const char *key, char *dst, size_t dstlen)
{
	const char *s = aws_json_str(o, key);
	if (!s || !*s || strlen(s) >= dstlen)
		return false;
	for (const char *c = s; *c; c++)
		if (*c < '!' || *c > '~')
			return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool instance_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (strncmp(s, "i-", 2) || (n != 10 && n != 19))
		return false;
	for (size_t i = 2; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_string(const json_t *o, const char *key, const char *want)
{
	const char *s = aws_json_str(o, key);
	return s && !strcmp(s, want);
}

/* resource AccessKey: the role session name after ':' in principalId. */
static sg_err instance_from_access_key(gd_parse *p, const json_t *res, pb_gd_finding *f)
{
	const json_t *ak = json_object_get(res, "accessKeyDetails");
	const char *principal = aws_json_str(ak, "principalId");
	if (!is_string(res, "resourceType", "AccessKey") || !principal)
		return refuse(p, SG_ERR_PARSE, "%s finding lacks resource.accessKeyDetails.principalId",
		              f->type_name);
	const char *colon = strchr(principal, ':');
	if (!colon || !instance_id_ok(colon + 1)) {
		char shown[300];
		escape_excerpt(principal, shown);
		return refuse(p, SG_ERR_PARSE,
		              "%s finding: principalId \"%s\" does not end in an instance id "
		              "(not an instance profile's credentials)", f->type_name, shown);
	}
	memcpy(f->instance_id, colon + 1, strlen(colon + 1) + 1);
	return SG_OK;
}

/* resource Instance: instanceDetails.instanceId. */
static sg_err instance_from_details(gd_parse *p, const json_t *res, pb_gd_finding *f)
{
	const json_t *d = json_object_get(res, "instanceDetails");
	if (!is_string(res, "resourceType", "Instance") ||
	    !copy_field(d, "instanceId", f->instance_id, sizeof f->instance_id) ||
	    !instance_id_ok(f->instance_id))
		return refuse(p, SG_ERR_PARSE, "%s finding lacks a valid resource.instanceDetails.instanceId",
		              f->type_name);
	return SG_OK;
}

static sg_err read_envelope(gd_parse *p, const json_t *root, pb_gd_finding *f)
{
	if (!json_is_object(root))
		return refuse(p, SG_ERR_PARSE, "event: not a JSON object");
	if (!is_string(root, "source", "aws.guardduty") ||
	    !is_string(root, "detail-type", "GuardDuty Finding"))
		return refuse(p, SG_ERR_PARSE,
		              "event: not a GuardDuty Finding (source aws.guardduty, detail-type "
		              "\"GuardDuty Finding\")");
	if (!copy_field(root, "id", f->event_id, sizeof f->event_id))
		return refuse(p, SG_ERR_PARSE, "event: missing or bad envelope id");
	if (!json_is_object(json_object_get(root, "detail")))
		return refuse(p, SG_ERR_PARSE, "event: detail is not an object");
	return SG_OK;
}

static sg_err read_type(gd_parse *p, const json_t *detail, pb_gd_finding *f)
{
	const char *type = aws_json_str(detail, "type");
	if (!type)
		return refuse(p, SG_ERR_PARSE, "finding: detail.type missing");
	if (pb_gd_type_lookup(type, &f->type)) {
		char shown[300];
		escape_excerpt(type, shown);
		return refuse(p, SG_ERR_UNSUPPORTED, "finding type \"%s\" is not one ssrfguard acts on",
		              shown);
	}
	memcpy(f->type_name, type, strlen(type) + 1);
	return SG_OK;
}

static sg_err read_detail(gd_parse *p, const json_t *detail, pb_gd_finding *f)
{
	if (!copy_field(detail, "id", f->finding_id, sizeof f->finding_id))
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.id missing or bad", f->type_name);
	if (!copy_field(detail, "accountId", f->account, sizeof f->account) ||
	    !all_digits(f->account, 12))
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.accountId is not 12 digits",
		              f->type_name);
	if (!copy_field(detail, "region", f->region, sizeof f->region))
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.region missing or bad", f->type_name);
	const json_t *sev = json_object_get(detail, "severity");
	double s = json_is_number(sev) ? json_number_value(sev) : -1.0;
	if (!isfinite(s) || s < 0.0 || s > 10.0)
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.severity is not a number 0-10",
		              f->type_name);
	f->severity = s;
	const json_t *info = json_object_get(json_object_get(detail, "service"), "additionalInfo");
	f->sample = json_is_true(json_object_get(info, "sample"));
	const json_t *res = json_object_get(detail, "resource");
	if (!json_is_object(res))
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.resource missing", f->type_name);
	if (f->type == PB_GD_CRED_EXFIL_OUTSIDE || f->type == PB_GD_CRED_EXFIL_INSIDE)
		return instance_from_access_key(p, res, f);
	return instance_from_details(p, res, f);
}

sg_err pb_guardduty_parse(const char *json, size_t len, pb_gd_finding *out, char *msg,
                          size_t msglen)
{
	gd_parse p = {msg, msglen};
	if (msg && msglen)
		msg[0] = '\0';
	if (!json || !out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if (len > PB_GD_EVENT_MAX)
		return refuse(&p, SG_ERR_RANGE, "event larger than %u bytes", PB_GD_EVENT_MAX);
	json_t *root = NULL;
	struct aws_json_limits lim = {.max_bytes = PB_GD_EVENT_MAX, .max_depth = 32};
	sg_err rc = aws_json_parse(json, len, &lim, &root);
	if (rc == SG_ERR_NOMEM)
		return rc;
	if (rc)
		rc = refuse(&p, SG_ERR_PARSE, "event: not JSON, or nested too deep");
	if (!rc)
		rc = read_envelope(&p, root, out);
	const json_t *detail = json_object_get(root, "detail");
	if (!rc)
		rc = read_type(&p, detail, out);
	if (!rc)
		rc = read_detail(&p, detail, out);
	json_decref(root);
	if (rc && rc != SG_ERR_UNSUPPORTED)
		memset(out, 0, sizeof *out);
	return rc;
}

pb_gd_action pb_guardduty_decide(const pb_gd_config *cfg, const pb_gd_finding *f)
{
	if ((unsigned)f->type >= PB_GD__TYPE_COUNT || f->severity < cfg->observe_min_severity)
		return PB_GD_IGNORE;
	pb_gd_action a = cfg->action[f->type];
	if (a == PB_GD_CONTAIN && (f->sample || f->severity < cfg->contain_min_severity))
		a = PB_GD_OBSERVE;
	return a;
}
