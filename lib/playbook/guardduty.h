/*
 * guardduty.h — GuardDuty findings as the responder's second detector.
 *
 * GuardDuty sends each finding to EventBridge as an event with source
 * "aws.guardduty" and detail-type "GuardDuty Finding"; a rule with an SQS
 * target puts that envelope ({"version", "id", "detail-type", "source",
 * "account", "time", "region", "resources", "detail"}) on the incident
 * queue as the message body (GuardDuty user guide, "Processing GuardDuty
 * findings with Amazon EventBridge").  pb_guardduty_parse() reads one such
 * body and names the instance it is about; pb_guardduty_decide() picks the
 * action from the operator's config.
 *
 * Finding types (pb_gd_types(): the GuardDuty finding reference's types
 * whose resource is an EC2 instance or an instance's role credentials, one
 * row each).  How the instance is found depends on the row:
 *   PB_GD_BY_SESSION — resource AccessKey (the InstanceCredentialExfiltration
 *       types): the instance is the role session name, the part of
 *       accessKeyDetails.principalId after ':' ("AROA...:i-0abc..."); EC2
 *       names an instance profile's session after the instance id.
 *   PB_GD_BY_DETAILS — resource.instanceDetails.instanceId (EC2 types, and
 *       Runtime Monitoring types on an EC2 host; a Fargate task names no
 *       instance and is refused).
 * Each row has a default action: contain for what an SSRF against the
 * metadata service leads to (the credentials used elsewhere, a DNS rebind
 * onto 169.254.169.254), observe for the instance acting as a compromised
 * host (C&C, mining, malware, runtime), ignore where the instance is only
 * the target of outside traffic (probes, brute force against it).
 * Any other type is SG_ERR_UNSUPPORTED (the caller logs and refuses it);
 * an event that is not a well-formed GuardDuty Finding is SG_ERR_PARSE.
 * msg says why in both cases, with attacker-influenced text escaped.
 *
 * Rules (--guardduty-action, --guardduty-contain-severity) name types by
 * PATTERN: an exact type; a family prefix ending at a ':', '/', '.' or '!'
 * boundary ("Backdoor:EC2/", "Trojan:EC2/DropPoint" also matches
 * "Trojan:EC2/DropPoint!DNS"); or a glob with '*' and '?'.  A pattern that
 * matches no type is an error (a typo would otherwise change nothing).
 * Rules apply in order, so a later one overrides an earlier one.
 *
 * Bounded: at most PB_GD_EVENT_MAX bytes, JSON nesting at most 32, no
 * duplicate keys.  Pure: no I/O, no clock, no globals.
 */
#ifndef SSRFGUARD_PLAYBOOK_GUARDDUTY_H
#define SSRFGUARD_PLAYBOOK_GUARDDUTY_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

#define PB_GD_EVENT_MAX (256u * 1024u)   /* an SQS message's largest body */

#define PB_GD_TYPE_MAX 128   /* room in pb_gd_config; the table is checked against it */

/* A finding type: its row in pb_gd_types().  The first rows are named. */
typedef enum pb_gd_type {
	PB_GD_CRED_EXFIL_OUTSIDE = 0,
	PB_GD_CRED_EXFIL_INSIDE,
	PB_GD_EC2_DNS_REBIND,
	PB_GD_RUNTIME_DNS_REBIND,
} pb_gd_type;

typedef enum pb_gd_action {
	PB_GD_IGNORE = 0,    /* logged, no incident */
	PB_GD_OBSERVE,       /* an incident recorded, nothing contained */
	PB_GD_CONTAIN,       /* an incident, and the containment playbook */
} pb_gd_action;

typedef enum pb_gd_subject {
	PB_GD_BY_DETAILS,    /* resource.instanceDetails.instanceId */
	PB_GD_BY_SESSION,    /* resource.accessKeyDetails.principalId, after ':' */
} pb_gd_subject;

typedef struct pb_gd_type_def {
	const char *name;        /* as GuardDuty spells it */
	pb_gd_subject subject;
	pb_gd_action dflt;
} pb_gd_type_def;

/* The table of supported types; *n gets its length (<= PB_GD_TYPE_MAX). */
const pb_gd_type_def *pb_gd_types(size_t *n);

typedef struct pb_gd_finding {
	pb_gd_type type;
	char type_name[96];       /* as GuardDuty spells it */
	char finding_id[128];     /* detail.id */
	char event_id[64];        /* the EventBridge envelope's id */
	char account[16];         /* 12 digits */
	char region[32];
	char instance_id[24];     /* i- and 8 or 17 lowercase hex digits */
	char az[32];              /* instanceDetails.availabilityZone, or "" */
	char resource_type[32];   /* resource.resourceType: Instance, AccessKey, ... */
	char resource_role[16];   /* service.resourceRole: ACTOR, TARGET, or "" */
	char principal[128];      /* accessKeyDetails.principalId (PB_GD_BY_SESSION), or "" */
	char first_seen[40];      /* service.eventFirstSeen (RFC 3339), or "" */
	char last_seen[40];       /* service.eventLastSeen, or "" */
	long long count;          /* service.count, or 0 */
	double severity;          /* 0.0-10.0 (GuardDuty: low <4, medium <7, high <9) */
	bool sample;              /* service.additionalInfo.sample: a generated sample */
} pb_gd_finding;

typedef struct pb_gd_config {
	pb_gd_action action[PB_GD_TYPE_MAX];  /* default: the row's */
	double contain_min[PB_GD_TYPE_MAX];   /* below it, contain becomes observe (default 7.0) */
	double observe_min_severity;  /* below it, anything is ignored (default 1.0) */
} pb_gd_config;

void pb_gd_config_default(pb_gd_config *cfg);

/* Does PATTERN (grammar above) match the type name? */
bool pb_gd_pattern_match(const char *pattern, const char *type);

/*
 * One rule from the operator, applied to cfg at once:
 *   pb_gd_rule_action:   "ACTION" (every type) or "PATTERN=ACTION";
 *   pb_gd_rule_severity: "N" (every type) or "PATTERN=N", N a decimal 0-10
 *                        (at most one decimal place, as GuardDuty writes them).
 * SG_OK (*matched, may be NULL, gets how many types it set); SG_ERR_INVAL
 * (bad action or number), SG_ERR_NOTFOUND (the pattern matches no type);
 * msg says why, the operator's text shown escaped.
 */
sg_err pb_gd_rule_action(pb_gd_config *cfg, const char *rule, size_t *matched, char *msg,
                         size_t msglen);
sg_err pb_gd_rule_severity(pb_gd_config *cfg, const char *rule, size_t *matched, char *msg,
                           size_t msglen);

/* "contain" / "observe" / "ignore" <-> action.  parse: SG_ERR_INVAL else. */
sg_err pb_gd_action_parse(const char *s, pb_gd_action *out);
const char *pb_gd_action_name(pb_gd_action a);
/* The type's GuardDuty name, or NULL (t out of range). */
const char *pb_gd_type_name(pb_gd_type t);
/* The type named s (exact match) -> *out; SG_ERR_NOTFOUND if unsupported. */
sg_err pb_gd_type_lookup(const char *s, pb_gd_type *out);

/*
 * Parse one EventBridge envelope holding a GuardDuty finding.  msg (may be
 * NULL) gets a one-line reason on failure.
 * SG_OK; SG_ERR_PARSE (malformed, not a GuardDuty Finding, or missing the
 * instance); SG_ERR_UNSUPPORTED (a type we do not act on); SG_ERR_RANGE
 * (too large or nested too deep); SG_ERR_INVAL (NULL arguments).
 */
sg_err pb_guardduty_parse(const char *json, size_t len, pb_gd_finding *out, char *msg,
                          size_t msglen);

/* The same for a finding alone (the envelope's "detail", as the intake
 * keeps it with the incident): event_id stays "". */
sg_err pb_guardduty_parse_detail(const char *json, size_t len, pb_gd_finding *out, char *msg,
                                 size_t msglen);

/* The action for f under cfg: the type's action, lowered to observe below
 * the type's contain_min, to ignore below observe_min_severity; a sample
 * finding is never contained. */
pb_gd_action pb_guardduty_decide(const pb_gd_config *cfg, const pb_gd_finding *f);

#endif
