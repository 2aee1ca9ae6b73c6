/*
 * plan.h — what the playbook will do to one recorded instance, and the
 * small pure computations its steps need.
 *
 * pb_plan_build() turns a recorded pb_instance and a pb_config into the
 * list of AWS calls each step makes (pb_action).  Observe mode prints it,
 * --preflight sends each mutating one with DryRun, the report lists it,
 * and the runner reads the per-step work lists (targets to deregister,
 * ENIs to isolate, volumes to keep) from it, so what is shown is what runs.
 * Values only known at run time (a quarantine group still to be created, a
 * snapshot id) appear as "(created)" placeholders in the text.
 *
 * Pure; the plan owns its array (pb_plan_free, NULL-safe).
 */
#ifndef SSRFGUARD_PLAYBOOK_PLAN_H
#define SSRFGUARD_PLAYBOOK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "playbook/instance.h"
#include "playbook/playbook.h"

#define PB_INCIDENT_MAX 64

typedef struct pb_config {
	pb_order order;
	bool decrement_desired;                 /* ASG: default false (replace it) */
	bool asg_standby;                       /* ASG: EnterStandby instead of
	                                           DetachInstances (kept in the group,
	                                           not health-checked; ExitStandby
	                                           undoes it) */
	char quarantine_group[PB_ID_MAX];       /* "" : found or created per VPC */
	char quarantine_profile[PB_ARN_MAX];    /* "" : disassociate */
	char forensic_instance[PB_ID_MAX];      /* "" : none given */
	char forensic_template[PB_NAME_MAX];    /* launch template (lt- id or name) of
	                                           a forensic instance launched at the
	                                           incident when none is given; both
	                                           "": forensics not applicable */
	char share_account[16];                 /* "": none; else the 12-digit account
	                                           the evidence snapshots are shared with */
	char ticket[PB_NAME_MAX];               /* InvestigationTicket value */
	bool conntrack_timeouts;                /* also shorten tracking timeouts */
} pb_config;

/* The plan's name of a forensic instance launched from the template at the
 * incident (its id is known only then). */
#define PB_FORENSIC_LAUNCHED "(launched from the template)"

/* Defaults: default order, everything on, ticket "SSRF_Detected". */
void pb_config_default(pb_config *cfg);

typedef enum pb_op {
	PB_OP_DESCRIBE = 0,     /* read-only: describe calls of RECORD */
	PB_OP_TAG,              /* ec2:CreateTags */
	PB_OP_METADATA,         /* ec2:ModifyInstanceMetadataOptions */
	PB_OP_PUT_ROLE_POLICY,  /* iam:PutRolePolicy */
	PB_OP_ATTRIBUTE,        /* ec2:ModifyInstanceAttribute */
	PB_OP_ASG_DETACH,       /* autoscaling:DetachInstances */
	PB_OP_ASG_STANDBY,      /* autoscaling:EnterStandby */
	PB_OP_EIP_DISASSOCIATE, /* ec2:DisassociateAddress */
	PB_OP_TG_DEREGISTER,    /* elasticloadbalancing:DeregisterTargets */
	PB_OP_ELB_DEREGISTER,   /* elasticloadbalancing:DeregisterInstancesFromLoadBalancer */
	PB_OP_SNAPSHOTS,        /* ec2:CreateSnapshots */
	PB_OP_SSM_CAPTURE,      /* ssm:SendCommand (volatile capture) */
	PB_OP_QUARANTINE_GROUP, /* ec2:CreateSecurityGroup + revoke egress (if none) */
	PB_OP_OPEN_GROUP,       /* ec2:CreateSecurityGroup + all-open rules (if none) */
	PB_OP_ENI_GROUPS,       /* ec2:ModifyNetworkInterfaceAttribute Groups */
	PB_OP_ENI_CONNTRACK,    /* ec2:ModifyNetworkInterfaceAttribute timeouts */
	PB_OP_PROFILE_REMOVE,   /* ec2:DisassociateIamInstanceProfile */
	PB_OP_PROFILE_REPLACE,  /* ec2:ReplaceIamInstanceProfileAssociation */
	PB_OP_CREATE_VOLUME,    /* ec2:CreateVolume */
	PB_OP_ATTACH_VOLUME,    /* ec2:AttachVolume */
	PB_OP_SSM_FORENSICS,    /* ssm:SendCommand (forensic collection) */
	PB_OP_LAUNCH_FORENSIC,  /* ec2:RunInstances from the forensic launch template */
	PB_OP_SHARE_SNAPSHOT,   /* ec2:CopySnapshot (under the share key) + ModifySnapshotAttribute */
	PB_OP_NOTIFY,           /* webhook / sns:Publish */
	PB_OP_REPORT,           /* local files */
	PB_OP__COUNT
} pb_op;

/* "ec2:CreateTags" etc.: the IAM action the op needs.  Never NULL. */
const char *pb_op_api(pb_op op);
/* Does the op change anything in AWS (and so has a DryRun check)? */
bool pb_op_mutating(pb_op op);

typedef struct pb_action {
	pb_step step;
	pb_op op;
	char target[PB_ARN_MAX];  /* what it acts on: instance, ENI, TG ARN, ... */
	char arg[PB_NAME_MAX];    /* e.g. target id, device, VPC, ASG name */
	int port;                 /* PB_OP_TG_DEREGISTER */
	char text[PB_NAME_MAX];   /* one readable line */
} pb_action;

#define PB_PLAN_MAX 2048

typedef struct pb_plan {
	size_t n;
	size_t cap;
	pb_action *actions;
	pb_mask applicable; /* steps with at least one action (always RECORD, FINISH) */
} pb_plan;

/*
 * pb_plan_build — fill *plan (zeroed first; previous contents freed).
 * Disabled steps get no actions.  SG_ERR_NOMEM, SG_ERR_RANGE past
 * PB_PLAN_MAX actions, SG_ERR_INVAL for an invalid incident id or order.
 */
sg_err pb_plan_build(const pb_instance *inst, const pb_config *cfg, const char *incident,
                     pb_plan *plan);
void pb_plan_free(pb_plan *plan);
size_t pb_plan_count(const pb_plan *plan, pb_step step);

/*
 * Incident ids become parts of resource names and tags: 1-64 characters of
 * [A-Za-z0-9_.-] only.  Returns true when valid.
 */
bool pb_incident_id_valid(const char *incident);

/* "arn:aws:ec2:REGION:ACCOUNT:instance/ID" (partition from the region:
 * aws-cn for cn-*, aws-us-gov for us-gov-*). */
sg_err pb_instance_arn(const char *region, const char *account, const char *id, char *out,
                       size_t cap);

/* ClientToken for CreateVolume: hex SHA-256 of "ssrfguard:INCIDENT:SNAPSHOT"
 * (64 characters, the API's maximum), so a retry cannot make a second
 * volume.  out must hold 65 bytes. */
sg_err pb_client_token(const char *incident, const char *snapshot, char out[65]);
/* The token of the attempt-th evidence volume from snapshot (1: the one
 * above): a volume that ended in error keeps its token bound after it is
 * deleted (EC2 API reference, "Ensuring idempotency"), so each new attempt
 * needs its own, the same after a crash.  SG_ERR_RANGE when attempt < 1. */
sg_err pb_volume_token(const char *incident, const char *snapshot, int attempt, char out[65]);

/*
 * Device slots for attaching volumes: /dev/sdf .. /dev/sdz.  A name takes
 * the slot of its letter ("/dev/xvdg", "xvdg", "/dev/sdg" and "/dev/sdg1"
 * all take slot g; other names, "xvdba" or "nvme1n1", take none):
 * pb_device_slot_bit is its bit (1 << (letter - 'a')), 0 for none, to OR
 * into a mask of the slots taken (block device mappings and attachments
 * still in flight).  pb_device_slots writes `want` free ones, "/dev/sdX",
 * into out[i] (PB_DEV_MAX each); SG_ERR_RANGE when fewer are free.
 */
uint32_t pb_device_slot_bit(const char *dev);
sg_err pb_device_slots(uint32_t taken, size_t want, char (*out)[PB_DEV_MAX]);

#endif
