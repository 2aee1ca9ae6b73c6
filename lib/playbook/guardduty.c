/* guardduty.c — GuardDuty Finding events from EventBridge (see guardduty.h). */
#include "playbook/guardduty.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/json.h"
#include "common/jsonload.h"
#include "common/escape.h"

/*
 * The GuardDuty finding reference (Amazon GuardDuty user guide: "EC2 finding
 * types", "IAM finding types", "Runtime Monitoring finding types", "Malware
 * Protection for EC2 finding types"), every active type whose resource is
 * an EC2 instance or an instance's credentials.  The first four rows are
 * the pb_gd_type names.
 */
#define SESSION(n, a) {n, PB_GD_BY_SESSION, PB_GD_##a}
#define DETAILS(n, a) {n, PB_GD_BY_DETAILS, PB_GD_##a}
static const pb_gd_type_def types[] = {
	/* what an SSRF against the metadata service leads to: contain */
	SESSION("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", CONTAIN),
	SESSION("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS", CONTAIN),
	DETAILS("UnauthorizedAccess:EC2/MetadataDNSRebind", CONTAIN),
	DETAILS("UnauthorizedAccess:Runtime/MetadataDNSRebind", CONTAIN),
	/* the instance acting as a compromised host: observe */
	DETAILS("Backdoor:EC2/C&CActivity.B", OBSERVE),
	DETAILS("Backdoor:EC2/C&CActivity.B!DNS", OBSERVE),
	DETAILS("Backdoor:EC2/DenialOfService.Dns", OBSERVE),
	DETAILS("Backdoor:EC2/DenialOfService.Tcp", OBSERVE),
	DETAILS("Backdoor:EC2/DenialOfService.Udp", OBSERVE),
	DETAILS("Backdoor:EC2/DenialOfService.UdpOnTcpPorts", OBSERVE),
	DETAILS("Backdoor:EC2/DenialOfService.UnusualProtocol", OBSERVE),
	DETAILS("Backdoor:EC2/Spambot", OBSERVE),
	DETAILS("Behavior:EC2/NetworkPortUnusual", OBSERVE),
	DETAILS("Behavior:EC2/TrafficVolumeUnusual", OBSERVE),
	DETAILS("CryptoCurrency:EC2/BitcoinTool.B", OBSERVE),
	DETAILS("CryptoCurrency:EC2/BitcoinTool.B!DNS", OBSERVE),
	DETAILS("DefenseEvasion:EC2/UnusualDNSResolver", OBSERVE),
	DETAILS("DefenseEvasion:EC2/UnusualDoHActivity", OBSERVE),
	DETAILS("DefenseEvasion:EC2/UnusualDoTActivity", OBSERVE),
	DETAILS("Impact:EC2/AbusedDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:EC2/BitcoinDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:EC2/MaliciousDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:EC2/PortSweep", OBSERVE),
	DETAILS("Impact:EC2/SuspiciousDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:EC2/WinRMBruteForce", OBSERVE),
	DETAILS("Recon:EC2/Portscan", OBSERVE),
	DETAILS("Trojan:EC2/BlackholeTraffic", OBSERVE),
	DETAILS("Trojan:EC2/BlackholeTraffic!DNS", OBSERVE),
	DETAILS("Trojan:EC2/DGADomainRequest.B", OBSERVE),
	DETAILS("Trojan:EC2/DGADomainRequest.C!DNS", OBSERVE),
	DETAILS("Trojan:EC2/DNSDataExfiltration", OBSERVE),
	DETAILS("Trojan:EC2/DriveBySourceTraffic!DNS", OBSERVE),
	DETAILS("Trojan:EC2/DropPoint", OBSERVE),
	DETAILS("Trojan:EC2/DropPoint!DNS", OBSERVE),
	DETAILS("Trojan:EC2/PhishingDomainRequest!DNS", OBSERVE),
	DETAILS("UnauthorizedAccess:EC2/TorClient", OBSERVE),
	DETAILS("UnauthorizedAccess:EC2/TorRelay", OBSERVE),
	DETAILS("Execution:EC2/MaliciousFile", OBSERVE),
	DETAILS("Backdoor:Runtime/C&CActivity.B", OBSERVE),
	DETAILS("Backdoor:Runtime/C&CActivity.B!DNS", OBSERVE),
	DETAILS("CryptoCurrency:Runtime/BitcoinTool.B", OBSERVE),
	DETAILS("CryptoCurrency:Runtime/BitcoinTool.B!DNS", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/FilelessExecution", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/ProcessInjection.Proc", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/ProcessInjection.Ptrace", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/ProcessInjection.VirtualMemoryWrite", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/PtraceAntiDebugging", OBSERVE),
	DETAILS("DefenseEvasion:Runtime/SuspiciousCommand", OBSERVE),
	DETAILS("Execution:Runtime/MaliciousFileExecuted", OBSERVE),
	DETAILS("Execution:Runtime/NewBinaryExecuted", OBSERVE),
	DETAILS("Execution:Runtime/NewLibraryLoaded", OBSERVE),
	DETAILS("Execution:Runtime/ReverseShell", OBSERVE),
	DETAILS("Execution:Runtime/SuspiciousCommand", OBSERVE),
	DETAILS("Execution:Runtime/SuspiciousTool", OBSERVE),
	DETAILS("Impact:Runtime/AbusedDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:Runtime/BitcoinDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:Runtime/CryptoMinerExecuted", OBSERVE),
	DETAILS("Impact:Runtime/MaliciousDomainRequest.Reputation", OBSERVE),
	DETAILS("Impact:Runtime/SuspiciousDomainRequest.Reputation", OBSERVE),
	DETAILS("PrivilegeEscalation:Runtime/CGroupsReleaseAgentModified", OBSERVE),
	DETAILS("PrivilegeEscalation:Runtime/ContainerMountsHostDirectory", OBSERVE),
	DETAILS("PrivilegeEscalation:Runtime/DockerSocketAccessed", OBSERVE),
	DETAILS("PrivilegeEscalation:Runtime/RuncContainerEscape", OBSERVE),
	DETAILS("PrivilegeEscalation:Runtime/UserfaultfdUsage", OBSERVE),
	DETAILS("Trojan:Runtime/BlackholeTraffic", OBSERVE),
	DETAILS("Trojan:Runtime/BlackholeTraffic!DNS", OBSERVE),
	DETAILS("Trojan:Runtime/DGADomainRequest.C!DNS", OBSERVE),
	DETAILS("Trojan:Runtime/DriveBySourceTraffic!DNS", OBSERVE),
	DETAILS("Trojan:Runtime/DropPoint", OBSERVE),
	DETAILS("Trojan:Runtime/DropPoint!DNS", OBSERVE),
	DETAILS("Trojan:Runtime/PhishingDomainRequest!DNS", OBSERVE),
	DETAILS("UnauthorizedAccess:Runtime/TorClient", OBSERVE),
	DETAILS("UnauthorizedAccess:Runtime/TorRelay", OBSERVE),
	/* the instance only the target of outside traffic: ignore */
	DETAILS("Recon:EC2/PortProbeEMRUnprotectedPort", IGNORE),
	DETAILS("Recon:EC2/PortProbeUnprotectedPort", IGNORE),
	DETAILS("UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", IGNORE),
	DETAILS("UnauthorizedAccess:EC2/RDPBruteForce", IGNORE),
	DETAILS("UnauthorizedAccess:EC2/SSHBruteForce", IGNORE),
	DETAILS("UnauthorizedAccess:EC2/TorIPCaller", IGNORE),
};
#undef SESSION
#undef DETAILS
#define N_TYPES (sizeof types / sizeof types[0])
_Static_assert(N_TYPES <= PB_GD_TYPE_MAX, "raise PB_GD_TYPE_MAX");

#define CONTAIN_MIN_DEFAULT 7.0   /* GuardDuty's High */

static const char *const action_names[] = {
	[PB_GD_IGNORE] = "ignore", [PB_GD_OBSERVE] = "observe", [PB_GD_CONTAIN] = "contain",
};

const pb_gd_type_def *pb_gd_types(size_t *n)
{
	*n = N_TYPES;
	return types;
}

void pb_gd_config_default(pb_gd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t t = 0; t < N_TYPES; t++) {
		cfg->action[t] = types[t].dflt;
		cfg->contain_min[t] = CONTAIN_MIN_DEFAULT;
	}
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
	return (unsigned)t < N_TYPES ? types[t].name : NULL;
}

sg_err pb_gd_type_lookup(const char *s, pb_gd_type *out)
{
	for (size_t t = 0; s && t < N_TYPES; t++)
		if (!strcmp(s, types[t].name)) {
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

/* At most the first 64 bytes of s as printable text (common/escape.h),
 * "..." when there were more. */
static void escape_excerpt(const char *s, char out[300])
{
	size_t n = strnlen(s, 65);
	size_t o = sg_text_clean(out, 300 - 3, s, n > 64 ? 64 : n);
	if (n > 64)
		memcpy(out + o, "...", 4);
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
	if (!colon || !instance_id_ok(colon + 1) ||
	    !copy_field(ak, "principalId", f->principal, sizeof f->principal)) {
		char shown[300];
		escape_excerpt(principal, shown);
		return refuse(p, SG_ERR_PARSE,
		              "%s finding: principalId \"%s\" does not end in an instance id "
		              "(not an instance profile's credentials)", f->type_name, shown);
	}
	memcpy(f->instance_id, colon + 1, strlen(colon + 1) + 1);
	return SG_OK;
}

/* instanceDetails.instanceId (resource Instance; a Runtime finding on an
 * EKS node names its instance there too). */
static sg_err instance_from_details(gd_parse *p, const json_t *res, pb_gd_finding *f)
{
	const json_t *d = json_object_get(res, "instanceDetails");
	if (!copy_field(d, "instanceId", f->instance_id, sizeof f->instance_id) ||
	    !instance_id_ok(f->instance_id)) {
		f->instance_id[0] = '\0';
		return refuse(p, SG_ERR_PARSE, "%s finding (resource %s) lacks a valid "
		              "resource.instanceDetails.instanceId", f->type_name,
		              f->resource_type[0] ? f->resource_type : "?");
	}
	if (!copy_field(d, "availabilityZone", f->az, sizeof f->az))
		f->az[0] = '\0';
	return SG_OK;
}

/* The finding's optional context: kept when well-formed, else left "". */
static void read_context(const json_t *detail, pb_gd_finding *f)
{
	const json_t *svc = json_object_get(detail, "service");
	const json_t *res = json_object_get(detail, "resource");
	if (!copy_field(res, "resourceType", f->resource_type, sizeof f->resource_type))
		f->resource_type[0] = '\0';
	if (!copy_field(svc, "resourceRole", f->resource_role, sizeof f->resource_role))
		f->resource_role[0] = '\0';
	if (!copy_field(svc, "eventFirstSeen", f->first_seen, sizeof f->first_seen))
		f->first_seen[0] = '\0';
	if (!copy_field(svc, "eventLastSeen", f->last_seen, sizeof f->last_seen))
		f->last_seen[0] = '\0';
	const json_t *count = json_object_get(svc, "count");
	f->count = json_is_integer(count) && json_integer_value(count) > 0
	           ? (long long)json_integer_value(count) : 0;
	f->sample = json_is_true(json_object_get(json_object_get(svc, "additionalInfo"), "sample"));
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
	const json_t *res = json_object_get(detail, "resource");
	if (!json_is_object(res))
		return refuse(p, SG_ERR_PARSE, "%s finding: detail.resource missing", f->type_name);
	read_context(detail, f);
	if (types[f->type].subject == PB_GD_BY_SESSION)
		return instance_from_access_key(p, res, f);
	return instance_from_details(p, res, f);
}

/* An event (envelope) or a finding alone (its detail). */
static sg_err parse(const char *json, size_t len, bool envelope, pb_gd_finding *out, char *msg,
                    size_t msglen)
{
	gd_parse p = {msg, msglen};
	if (msg && msglen)
		msg[0] = '\0';
	if (!json || !out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	json_t *root = NULL;
	char why[200];
	sg_err rc = sg_json_load_bounded(json, len, PB_GD_EVENT_MAX, 0, envelope ? "event" : "finding",
	                                 &root, why, sizeof why);
	if (rc == SG_ERR_NOMEM)
		return rc;
	if (rc)
		rc = refuse(&p, rc, "%s", why);
	if (!rc && envelope)
		rc = read_envelope(&p, root, out);
	const json_t *detail = envelope ? json_object_get(root, "detail") : root;
	if (!rc)
		rc = read_type(&p, detail, out);
	if (!rc)
		rc = read_detail(&p, detail, out);
	json_decref(root);
	if (rc && rc != SG_ERR_UNSUPPORTED)
		memset(out, 0, sizeof *out);
	return rc;
}

sg_err pb_guardduty_parse(const char *json, size_t len, pb_gd_finding *out, char *msg,
                          size_t msglen)
{
	return parse(json, len, true, out, msg, msglen);
}

sg_err pb_guardduty_parse_detail(const char *json, size_t len, pb_gd_finding *out, char *msg,
                                 size_t msglen)
{
	return parse(json, len, false, out, msg, msglen);
}

pb_gd_action pb_guardduty_decide(const pb_gd_config *cfg, const pb_gd_finding *f)
{
	if ((unsigned)f->type >= N_TYPES || f->severity < cfg->observe_min_severity)
		return PB_GD_IGNORE;
	pb_gd_action a = cfg->action[f->type];
	if (a == PB_GD_CONTAIN && (f->sample || f->severity < cfg->contain_min[f->type]))
		a = PB_GD_OBSERVE;
	return a;
}

/* '*' any run, '?' one character; iterative, backtracking to the last '*'. */
static bool glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return !*p;
}

static bool boundary(char c)
{
	return c && strchr(":/.!", c) != NULL;
}

bool pb_gd_pattern_match(const char *pattern, const char *type)
{
	if (strpbrk(pattern, "*?"))
		return glob_match(pattern, type);
	size_t n = strlen(pattern);
	if (!n || strncmp(pattern, type, n))
		return false;
	return !type[n] || boundary(pattern[n - 1]) || boundary(type[n]);
}

#define PATTERN_MAX 160

/* "PATTERN=VALUE" or "VALUE": pattern (empty: every type) and value. */
static sg_err split_rule(const char *rule, char pattern[PATTERN_MAX], const char **value,
                         gd_parse *p)
{
	const char *eq = strchr(rule, '=');
	pattern[0] = '\0';
	*value = rule;
	if (!eq)
		return SG_OK;
	size_t n = (size_t)(eq - rule);
	if (n == 0 || n >= PATTERN_MAX) {
		char shown[300];
		escape_excerpt(rule, shown);
		return refuse(p, SG_ERR_INVAL, "'%s': the pattern before '=' is empty or too long", shown);
	}
	memcpy(pattern, rule, n);
	pattern[n] = '\0';
	*value = eq + 1;
	return SG_OK;
}

/* Each type pattern matches gets set(cfg, t, arg). */
static sg_err apply_rule(pb_gd_config *cfg, const char *pattern, gd_parse *p, size_t *matched,
                         void (*set)(pb_gd_config *, size_t, const void *), const void *arg)
{
	size_t hits = 0;
	for (size_t t = 0; t < N_TYPES; t++)
		if (!pattern[0] || pb_gd_pattern_match(pattern, types[t].name)) {
			set(cfg, t, arg);
			hits++;
		}
	if (matched)
		*matched = hits;
	if (!hits) {
		char shown[300];
		escape_excerpt(pattern, shown);
		return refuse(p, SG_ERR_NOTFOUND, "'%s' matches no GuardDuty finding type ssrfguard "
		              "maps (docs/fleet.md lists them)", shown);
	}
	return SG_OK;
}

static void set_action(pb_gd_config *cfg, size_t t, const void *arg)
{
	cfg->action[t] = *(const pb_gd_action *)arg;
}

static void set_contain_min(pb_gd_config *cfg, size_t t, const void *arg)
{
	cfg->contain_min[t] = *(const double *)arg;
}

/* "7", "7.5", "10", "0.0": a decimal 0-10 with at most one decimal place. */
static bool severity_parse(const char *s, double *out)
{
	int whole = 0, tenth = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9' && i < 2; i++)
		whole = whole * 10 + (s[i] - '0');
	if (i == 0)
		return false;
	if (s[i] == '.') {
		if (s[i + 1] < '0' || s[i + 1] > '9')
			return false;
		tenth = s[i + 1] - '0';
		i += 2;
	}
	if (s[i] || whole * 10 + tenth > 100)
		return false;
	*out = whole + tenth / 10.0;
	return true;
}

/* One rule: "PATTERN=VALUE" or "VALUE", VALUE an action or a severity. */
static sg_err apply_text(pb_gd_config *cfg, const char *text, bool severity, size_t *matched,
                         char *msg, size_t msglen)
{
	gd_parse p = {msg, msglen};
	char pattern[PATTERN_MAX];
	const char *value;
	pb_gd_action a;
	double sev;
	sg_err rc = split_rule(text, pattern, &value, &p);
	if (rc)
		return rc;
	if (severity ? !severity_parse(value, &sev) : pb_gd_action_parse(value, &a) != SG_OK) {
		char shown[300];
		escape_excerpt(value, shown);
		return refuse(&p, SG_ERR_INVAL, "'%s': %s", shown,
		              severity ? "the severity is a number 0-10 (one decimal place at most, "
		                         "e.g. 7 or 5.5)"
		                       : "the action is contain, observe or ignore");
	}
	return severity ? apply_rule(cfg, pattern, &p, matched, set_contain_min, &sev)
	                : apply_rule(cfg, pattern, &p, matched, set_action, &a);
}

sg_err pb_gd_rule_action(pb_gd_config *cfg, const char *rule, size_t *matched, char *msg,
                         size_t msglen)
{
	return apply_text(cfg, rule, false, matched, msg, msglen);
}

sg_err pb_gd_rule_severity(pb_gd_config *cfg, const char *rule, size_t *matched, char *msg,
                           size_t msglen)
{
	return apply_text(cfg, rule, true, matched, msg, msglen);
}
