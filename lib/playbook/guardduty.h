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
 * Supported finding types — those the GuardDuty finding reference lists as
 * naming an EC2 instance's metadata service or its role credentials, which
 * is what an SSRF against 169.254.169.254 leads to:
 *   UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS
 *   UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS
 *       resource AccessKey: the instance is the role session name, the part
 *       of accessKeyDetails.principalId after ':' ("AROA...:i-0abc...");
 *       EC2 names an instance profile's session after the instance id.
 *   UnauthorizedAccess:EC2/MetadataDNSRebind
 *   UnauthorizedAccess:Runtime/MetadataDNSRebind
 *       resource Instance: resource.instanceDetails.instanceId.
 * Any other type is SG_ERR_UNSUPPORTED (the caller logs and drops it); an
 * event that is not a well-formed GuardDuty Finding is SG_ERR_PARSE.  msg
 * says why in both cases, with attacker-influenced text escaped.
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

typedef enum pb_gd_type {
	PB_GD_CRED_EXFIL_OUTSIDE = 0,
	PB_GD_CRED_EXFIL_INSIDE,
	PB_GD_EC2_DNS_REBIND,
	PB_GD_RUNTIME_DNS_REBIND,
	PB_GD__TYPE_COUNT
} pb_gd_type;

typedef enum pb_gd_action {
	PB_GD_IGNORE = 0,    /* logged, no incident */
	PB_GD_OBSERVE,       /* an incident recorded, nothing contained */
	PB_GD_CONTAIN,       /* an incident, and the containment playbook */
} pb_gd_action;

typedef struct pb_gd_finding {
	pb_gd_type type;
	char type_name[96];       /* as GuardDuty spells it */
	char finding_id[128];     /* detail.id */
	char event_id[64];        /* the EventBridge envelope's id */
	char account[16];         /* 12 digits */
	char region[32];
	char instance_id[24];     /* i- and 8 or 17 lowercase hex digits */
	double severity;          /* 0.0-10.0 (GuardDuty: low <4, medium <7, high <9) */
	bool sample;              /* service.additionalInfo.sample: a generated sample */
} pb_gd_finding;

typedef struct pb_gd_config {
	pb_gd_action action[PB_GD__TYPE_COUNT];  /* default: all contain */
	double contain_min_severity;  /* below it, contain becomes observe (default 7.0) */
	double observe_min_severity;  /* below it, anything is ignored (default 1.0) */
} pb_gd_config;

void pb_gd_config_default(pb_gd_config *cfg);

/* "contain" / "observe" / "ignore" <-> action.  parse: SG_ERR_INVAL else. */
sg_err pb_gd_action_parse(const char *s, pb_gd_action *out);
const char *pb_gd_action_name(pb_gd_action a);
/* The type's GuardDuty name, or NULL. */
const char *pb_gd_type_name(pb_gd_type t);
/* The type named s (exact match) -> *out; SG_ERR_NOTFOUND if unsupported. */
sg_err pb_gd_type_lookup(const char *s, pb_gd_type *out);

/*
 * Parse one EventBridge envelope holding a GuardDuty finding.  msg (may be
 * NULL) gets a one-line reason on failure.
 * SG_OK; SG_ERR_PARSE (malformed, not a GuardDuty Finding, or missing the
 * instance); SG_ERR_UNSUPPORTED (a type we do not act on); SG_ERR_RANGE
 * (too large); SG_ERR_INVAL (NULL arguments).
 */
sg_err pb_guardduty_parse(const char *json, size_t len, pb_gd_finding *out, char *msg,
                          size_t msglen);

/* The action for f under cfg: the type's action, lowered to observe below
 * contain_min_severity, to ignore below observe_min_severity; a sample
 * finding is never contained. */
pb_gd_action pb_guardduty_decide(const pb_gd_config *cfg, const pb_gd_finding *f);

#endif
