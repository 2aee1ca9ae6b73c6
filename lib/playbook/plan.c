/* plan.c — the per-step AWS calls for a recorded instance, and helpers. */
#include "playbook/plan.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *api;
	bool mutating;
} ops[PB_OP__COUNT] = {
	[PB_OP_DESCRIBE] = {"ec2:DescribeInstances", false},
	[PB_OP_TAG] = {"ec2:CreateTags", true},
	[PB_OP_METADATA] = {"ec2:ModifyInstanceMetadataOptions", true},
	[PB_OP_PUT_ROLE_POLICY] = {"iam:PutRolePolicy", true},
	[PB_OP_ATTRIBUTE] = {"ec2:ModifyInstanceAttribute", true},
	[PB_OP_ASG_DETACH] = {"autoscaling:DetachInstances", true},
	[PB_OP_ASG_STANDBY] = {"autoscaling:EnterStandby", true},
	[PB_OP_EIP_DISASSOCIATE] = {"ec2:DisassociateAddress", true},
	[PB_OP_TG_DEREGISTER] = {"elasticloadbalancing:DeregisterTargets", true},
	[PB_OP_ELB_DEREGISTER] = {"elasticloadbalancing:DeregisterInstancesFromLoadBalancer", true},
	[PB_OP_SNAPSHOTS] = {"ec2:CreateSnapshots", true},
	[PB_OP_SSM_CAPTURE] = {"ssm:SendCommand", true},
	[PB_OP_QUARANTINE_GROUP] = {"ec2:CreateSecurityGroup", true},
	[PB_OP_OPEN_GROUP] = {"ec2:CreateSecurityGroup", true},
	[PB_OP_ENI_GROUPS] = {"ec2:ModifyNetworkInterfaceAttribute", true},
	[PB_OP_ENI_CONNTRACK] = {"ec2:ModifyNetworkInterfaceAttribute", true},
	[PB_OP_PROFILE_REMOVE] = {"ec2:DisassociateIamInstanceProfile", true},
	[PB_OP_PROFILE_REPLACE] = {"ec2:ReplaceIamInstanceProfileAssociation", true},
	[PB_OP_CREATE_VOLUME] = {"ec2:CreateVolume", true},
	[PB_OP_ATTACH_VOLUME] = {"ec2:AttachVolume", true},
	[PB_OP_SSM_FORENSICS] = {"ssm:SendCommand", true},
	[PB_OP_LAUNCH_FORENSIC] = {"ec2:RunInstances", true},
	[PB_OP_SHARE_SNAPSHOT] = {"ec2:ModifySnapshotAttribute", true},
	[PB_OP_NOTIFY] = {"sns:Publish", false},
	[PB_OP_REPORT] = {"(local) report", false},
};

const char *pb_op_api(pb_op op) { return (unsigned)op < PB_OP__COUNT ? ops[op].api : "unknown"; }

bool pb_op_mutating(pb_op op) { return (unsigned)op < PB_OP__COUNT && ops[op].mutating; }

void pb_config_default(pb_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	pb_order_default(&cfg->order);
	memcpy(cfg->ticket, "SSRF_Detected", sizeof "SSRF_Detected");
	cfg->conntrack_timeouts = true;
}

bool pb_incident_id_valid(const char *incident)
{
	if (!incident)
		return false;
	size_t n = strlen(incident);
	if (n == 0 || n > PB_INCIDENT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = incident[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

void pb_plan_free(pb_plan *plan)
{
	if (!plan)
		return;
	free(plan->actions);
	memset(plan, 0, sizeof *plan);
}

size_t pb_plan_count(const pb_plan *plan, pb_step step)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->n; i++)
		n += plan->actions[i].step == step;
	return n;
}

typedef struct builder {
	pb_plan *plan;
	pb_step step;
	sg_err err;
} builder;

__attribute__((format(printf, 6, 7))) static void add(builder *b, pb_op op, const char *target,
                                                      const char *arg, int port, const char *fmt,
                                                      ...)
{
	if (b->err)
		return;
	pb_plan *p = b->plan;
	if (p->n == p->cap) {
		if (p->cap >= PB_PLAN_MAX) {
			b->err = SG_ERR_RANGE;
			return;
		}
		size_t ncap = p->cap ? p->cap * 2 : 32;
		if (ncap > PB_PLAN_MAX)
			ncap = PB_PLAN_MAX;
		pb_action *na = realloc(p->actions, ncap * sizeof *na);
		if (!na) {
			b->err = SG_ERR_NOMEM;
			return;
		}
		p->actions = na;
		p->cap = ncap;
	}
	pb_action *a = &p->actions[p->n];
	memset(a, 0, sizeof *a);
	a->step = b->step;
	a->op = op;
	a->port = port;
	if (pb_strset(a->target, sizeof a->target, target) || pb_strset(a->arg, sizeof a->arg, arg)) {
		b->err = SG_ERR_RANGE;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->text, sizeof a->text, fmt, ap); /* display only: truncation is fine */
	va_end(ap);
	p->applicable |= PB_BIT(b->step);
	p->n++;
}

/* Protection on, shutdown to stop, volumes kept on termination. */
static void plan_preserve(builder *b, const pb_instance *in)
{
	const char *id = in->id;
	if (!in->spot) /* AWS refuses termination protection on Spot */
		add(b, PB_OP_ATTRIBUTE, id, "DisableApiTermination", 0, "%s: termination protection on",
		    id);
	add(b, PB_OP_ATTRIBUTE, id, "DisableApiStop", 0, "%s: stop protection on", id);
	add(b, PB_OP_ATTRIBUTE, id, "InstanceInitiatedShutdownBehavior", 0,
	    "%s: shutdown behaviour stop (was %s)", id,
	    in->shutdown_behavior[0] ? in->shutdown_behavior : "?");
	for (size_t i = 0; i < in->n_volumes; i++)
		if (in->volumes[i].delete_on_termination)
			add(b, PB_OP_ATTRIBUTE, id, in->volumes[i].device, 0,
			    "%s: keep %s (%s) on termination", id, in->volumes[i].id,
			    in->volumes[i].device);
}

/* Out of every target group and classic ELB that holds it. */
static void plan_lb(builder *b, const pb_instance *in)
{
	const char *id = in->id;
	for (size_t i = 0; i < in->n_targets; i++) {
		const pb_target *t = &in->targets[i];
		if (t->port)
			add(b, PB_OP_TG_DEREGISTER, t->group_arn, t->id, t->port,
			    "deregister %s:%d from %s", t->id, t->port, t->group_arn);
		else
			add(b, PB_OP_TG_DEREGISTER, t->group_arn, t->id, 0, "deregister %s from %s",
			    t->id, t->group_arn);
	}
	for (size_t i = 0; i < in->n_elbs; i++)
		add(b, PB_OP_ELB_DEREGISTER, in->elbs[i], id, 0, "deregister %s from classic ELB %s", id,
		    in->elbs[i]);
}

/* Per VPC the all-open and the quarantine group; per ENI open first,
 * tracking timeouts, then quarantine only; Elastic IPs off. */
static void plan_isolate(builder *b, const pb_instance *in, const pb_config *cfg)
{
	char vpcs[PB_MAX_ENIS][PB_ID_MAX];
	size_t nv = pb_instance_vpcs(in, vpcs, PB_MAX_ENIS);
	for (size_t i = 0; i < nv; i++) {
		add(b, PB_OP_OPEN_GROUP, vpcs[i], vpcs[i], 0, "%s: all-open group (found or created)",
		    vpcs[i]);
		if (cfg->quarantine_group[0] && !strcmp(vpcs[i], in->vpc))
			add(b, PB_OP_QUARANTINE_GROUP, vpcs[i], cfg->quarantine_group, 0,
			    "%s: quarantine group %s (configured)", vpcs[i], cfg->quarantine_group);
		else
			add(b, PB_OP_QUARANTINE_GROUP, vpcs[i], vpcs[i], 0,
			    "%s: quarantine group without rules (found or created)", vpcs[i]);
	}
	for (size_t i = 0; i < in->n_enis; i++) {
		const pb_eni *e = &in->enis[i];
		add(b, PB_OP_ENI_GROUPS, e->id, "open", 0, "%s: all-open group first", e->id);
		if (cfg->conntrack_timeouts)
			add(b, PB_OP_ENI_CONNTRACK, e->id, "", 0, "%s: shortest tracking timeouts", e->id);
		add(b, PB_OP_ENI_GROUPS, e->id, "quarantine", 0, "%s: quarantine group only (%zu before)",
		    e->id, e->n_groups);
	}
	for (size_t i = 0; i < in->n_eips; i++)
		add(b, PB_OP_EIP_DISASSOCIATE, in->eips[i].association_id, in->eips[i].allocation_id, 0,
		    "%s: Elastic IP %s off (kept allocated)", in->eips[i].eni, in->eips[i].public_ip);
}

/* Snapshots shared; the forensic instance (given or launched), a volume
 * per snapshot attached to it, the examination sent. */
static void plan_forensics(builder *b, const pb_instance *in, const pb_config *cfg,
                           const char *incident)
{
	/* the forensic instance: the one given, else one launched now from
	 * the template (its id unknown until then: PB_FORENSIC_LAUNCHED) */
	const char *fx = cfg->forensic_instance[0] ? cfg->forensic_instance
	                 : cfg->forensic_template[0] ? PB_FORENSIC_LAUNCHED
	                                             : NULL;
	if (cfg->share_account[0])
		for (size_t i = 0; i < in->n_volumes; i++)
			add(b, PB_OP_SHARE_SNAPSHOT, in->volumes[i].id, cfg->share_account, 0,
			    "share the snapshot of %s with account %s", in->volumes[i].id,
			    cfg->share_account);
	if (!fx || !in->n_volumes)
		return;
	if (!cfg->forensic_instance[0])
		add(b, PB_OP_LAUNCH_FORENSIC, cfg->forensic_template, incident, 0,
		    "launch a forensic instance from launch template %s", cfg->forensic_template);
	for (size_t i = 0; i < in->n_volumes; i++) {
		add(b, PB_OP_CREATE_VOLUME, in->volumes[i].id, fx, 0,
		    "volume from the snapshot of %s in the AZ of %s", in->volumes[i].id, fx);
		add(b, PB_OP_ATTACH_VOLUME, fx, in->volumes[i].id, 0, "attach it to %s at a free slot",
		    fx);
	}
	add(b, PB_OP_SSM_FORENSICS, fx, incident, 0, "%s: ssrfguard forensics collect --incident %s",
	    fx, incident);
}

static void plan_step(builder *b, const pb_instance *in, const pb_config *cfg, const char *incident)
{
	const char *id = in->id;
	switch (b->step) {
	case PB_RECORD:
		add(b, PB_OP_DESCRIBE, id, "", 0, "describe %s: ENIs, groups, profile, ASG, LBs, volumes", id);
		break;
	case PB_TAG:
		add(b, PB_OP_TAG, id, incident, 0, "tag %s IncidentId=%s InvestigationTicket=%s", id,
		    incident, cfg->ticket);
		break;
	case PB_IMDS:
		add(b, PB_OP_METADATA, id, "", 0, "%s: HttpTokens required (was %s), hop limit 1 (was %d)",
		    id, in->http_tokens[0] ? in->http_tokens : "?", in->hop_limit);
		break;
	case PB_REVOKE:
		if (!in->role_name[0])
			break;
		/* first the quarantine profile, so that the SSM agent gets fresh
		 * credentials the deny does not cover */
		if (cfg->quarantine_profile[0] && in->profile_arn[0])
			add(b, PB_OP_PROFILE_REPLACE, in->profile_assoc, cfg->quarantine_profile, 0,
			    "%s: swap profile %s for %s before the deny", id, in->profile_arn,
			    cfg->quarantine_profile);
		add(b, PB_OP_PUT_ROLE_POLICY, in->role_name, incident, 0,
		    "role %s: deny sessions issued before now from %s", in->role_name, id);
		break;
	case PB_PRESERVE:
		plan_preserve(b, in);
		break;
	case PB_ASG:
		if (in->asg[0])
			add(b, cfg->asg_standby ? PB_OP_ASG_STANDBY : PB_OP_ASG_DETACH, in->asg, id, 0,
			    "%s %s %s ASG %s (%s desired capacity)",
			    cfg->asg_standby ? "put" : "detach", id, cfg->asg_standby ? "in Standby in" : "from",
			    in->asg, cfg->decrement_desired ? "decrement" : "keep");
		break;
	case PB_LB:
		plan_lb(b, in);
		break;
	case PB_SNAPSHOT:
		if (in->n_volumes)
			add(b, PB_OP_SNAPSHOTS, id, "", 0, "snapshot %zu volume(s) of %s, tagged %s",
			    in->n_volumes, id, incident);
		break;
	case PB_CAPTURE:
		add(b, PB_OP_SSM_CAPTURE, id, "", 0, "%s: volatile capture over SSM", id);
		break;
	case PB_ISOLATE:
		plan_isolate(b, in, cfg);
		break;
	case PB_STRIP:
		if (!in->profile_assoc[0])
			break;
		if (cfg->quarantine_profile[0])
			add(b, PB_OP_PROFILE_REPLACE, in->profile_assoc, cfg->quarantine_profile, 0,
			    "%s: replace profile %s with %s", id, in->profile_arn, cfg->quarantine_profile);
		else
			add(b, PB_OP_PROFILE_REMOVE, in->profile_assoc, "", 0, "%s: disassociate profile %s",
			    id, in->profile_arn);
		break;
	case PB_FORENSICS:
		plan_forensics(b, in, cfg, incident);
		break;
	case PB_FINISH:
		add(b, PB_OP_TAG, id, "status", 0, "tag %s with the final status", id);
		add(b, PB_OP_NOTIFY, "", "", 0, "notify the end of the incident");
		add(b, PB_OP_REPORT, "", "", 0, "write the report (JSON and Markdown)");
		break;
	case PB_STEP__COUNT:
		break;
	}
}

sg_err pb_plan_build(const pb_instance *inst, const pb_config *cfg, const char *incident,
                     pb_plan *plan)
{
	if (!inst || !cfg || !plan)
		return SG_ERR_INVAL;
	pb_plan_free(plan);
	if (!pb_incident_id_valid(incident) || pb_order_check(&cfg->order, NULL, 0) != SG_OK)
		return SG_ERR_INVAL;
	builder b = {plan, PB_RECORD, SG_OK};
	for (unsigned i = 0; i < PB_STEP__COUNT; i++) {
		b.step = cfg->order.steps[i];
		if (cfg->order.enabled & PB_BIT(b.step))
			plan_step(&b, inst, cfg, incident);
	}
	if (b.err)
		pb_plan_free(plan);
	return b.err;
}

static bool token_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return false;
	return true;
}

sg_err pb_instance_arn(const char *region, const char *account, const char *id, char *out,
                       size_t cap)
{
	if (!token_ok(region) || !token_ok(account) || !token_ok(id) || !out)
		return SG_ERR_INVAL;
	const char *part = !strncmp(region, "cn-", 3) ? "aws-cn"
	                   : !strncmp(region, "us-gov-", 7) ? "aws-us-gov"
	                                                    : "aws";
	int n = snprintf(out, cap, "arn:%s:ec2:%s:%s:instance/%s", part, region, account, id);
	return n < 0 || (size_t)n >= cap ? SG_ERR_RANGE : SG_OK;
}

sg_err pb_client_token(const char *incident, const char *snapshot, char out[65])
{
	if (!incident || !snapshot || !out || !*incident || !*snapshot)
		return SG_ERR_INVAL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	         EVP_DigestUpdate(c, "ssrfguard:", 10) &&
	         EVP_DigestUpdate(c, incident, strlen(incident)) && EVP_DigestUpdate(c, ":", 1) &&
	         EVP_DigestUpdate(c, snapshot, strlen(snapshot)) && EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok || mdlen != 32)
		return SG_ERR_NOMEM;
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return SG_OK;
}

sg_err pb_volume_token(const char *incident, const char *snapshot, int attempt, char out[65])
{
	if (attempt < 1 || attempt > 1000)
		return SG_ERR_RANGE;
	if (attempt == 1)
		return pb_client_token(incident, snapshot, out);
	char which[PB_ID_MAX + 16];
	if (!snapshot || snprintf(which, sizeof which, "%s#%d", snapshot, attempt) >= (int)sizeof which)
		return SG_ERR_INVAL;
	return pb_client_token(incident, which, out);
}

uint32_t pb_device_slot_bit(const char *dev)
{
	if (!dev)
		return 0;
	if (!strncmp(dev, "/dev/", 5))
		dev += 5;
	if (!strncmp(dev, "xvd", 3))
		dev += 3;
	else if (!strncmp(dev, "sd", 2))
		dev += 2;
	else
		return 0;
	if (dev[0] < 'a' || dev[0] > 'z')
		return 0;
	/* "sdf1" is a partition of slot f; "xvdba" is a two-letter slot. */
	if (dev[1] >= 'a' && dev[1] <= 'z')
		return 0;
	return (uint32_t)1 << (dev[0] - 'a');
}

sg_err pb_device_slots(uint32_t taken, size_t want, char (*out)[PB_DEV_MAX])
{
	if (!out && want)
		return SG_ERR_INVAL;
	size_t got = 0;
	for (char c = 'f'; c <= 'z' && got < want; c++)
		if (!(taken & ((uint32_t)1 << (c - 'a')))) {
			snprintf(out[got], PB_DEV_MAX, "/dev/sd%c", c);
			got++;
		}
	return got == want ? SG_OK : SG_ERR_RANGE;
}
