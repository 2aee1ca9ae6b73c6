/* preflight.c — `respond --preflight`: does the role allow what the plan
 * for this instance needs?  Every changing EC2 call of every planned step is
 * sent with DryRun; the others (IAM, Auto Scaling, ELB, SSM, and the two
 * profile calls EC2 gives no DryRun) are listed as not checkable.  Each line
 * names the step that needs the call, and the summary lists each denied
 * action once with all the steps it blocks. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calls a planned op makes.  dry: the EC2 API takes DryRun. */
typedef struct pf_call {
	const char *api; /* "ec2:CreateTags" */
	bool dry;
} pf_call;

#define PF_CALLS_MAX 3

static const pf_call op_calls[PB_OP__COUNT][PF_CALLS_MAX] = {
	[PB_OP_TAG] = {{"ec2:CreateTags", true}},
	[PB_OP_METADATA] = {{"ec2:ModifyInstanceMetadataOptions", true}},
	[PB_OP_PUT_ROLE_POLICY] = {{"iam:PutRolePolicy", false}},
	[PB_OP_ATTRIBUTE] = {{"ec2:ModifyInstanceAttribute", true}},
	[PB_OP_ASG_DETACH] = {{"autoscaling:DetachInstances", false}},
	[PB_OP_TG_DEREGISTER] = {{"elasticloadbalancing:DeregisterTargets", false}},
	[PB_OP_ELB_DEREGISTER] = {{"elasticloadbalancing:DeregisterInstancesFromLoadBalancer", false}},
	/* snapshots are tagged at creation and again with their source */
	[PB_OP_SNAPSHOTS] = {{"ec2:CreateSnapshots", true}, {"ec2:CreateTags", true}},
	[PB_OP_SSM_CAPTURE] = {{"ssm:SendCommand", false}},
	[PB_OP_QUARANTINE_GROUP] = {{"ec2:CreateSecurityGroup", true},
	                            {"ec2:RevokeSecurityGroupEgress", true}},
	[PB_OP_OPEN_GROUP] = {{"ec2:CreateSecurityGroup", true},
	                      {"ec2:AuthorizeSecurityGroupIngress", true},
	                      {"ec2:AuthorizeSecurityGroupEgress", true}},
	[PB_OP_ENI_GROUPS] = {{"ec2:ModifyNetworkInterfaceAttribute", true}},
	[PB_OP_ENI_CONNTRACK] = {{"ec2:ModifyNetworkInterfaceAttribute", true}},
	[PB_OP_PROFILE_REMOVE] = {{"ec2:DisassociateIamInstanceProfile", false}},
	[PB_OP_PROFILE_REPLACE] = {{"ec2:ReplaceIamInstanceProfileAssociation", false}},
	[PB_OP_CREATE_VOLUME] = {{"ec2:CreateVolume", true}},
	[PB_OP_ATTACH_VOLUME] = {{"ec2:AttachVolume", true}},
	[PB_OP_SSM_FORENSICS] = {{"ssm:SendCommand", false}},
};

enum pf_result { PF_OK, PF_DENIED, PF_OTHER, PF_UNCHECKED };

/* One (step, api) checked once, with the plan's first target for it. */
typedef struct pf_line {
	pb_step step;
	const char *api;
	enum pf_result res;
} pf_line;

#define PF_LINES_MAX (PB_STEP__COUNT * 8)

typedef struct pf {
	rsp_run *x;
	FILE *out;
	size_t n;
	pf_line lines[PF_LINES_MAX];
	size_t count[4];
} pf;

/* A security group the instance already has: DryRun needs a real one. */
static const char *some_group(const pb_instance *in)
{
	for (size_t i = 0; i < in->n_enis; i++)
		if (in->enis[i].n_groups)
			return in->enis[i].groups[0];
	return "sg-00000000";
}

/* The DryRun request for api on a planned action (NULL: no DryRun form). */
static struct aws_params *dry_params(const pf *f, const char *action, const pb_action *a)
{
	const pb_instance *in = f->x->inst;
	struct aws_params *p = aws_params_new();
	if (!p)
		return NULL;
	if (!strcmp(action, "CreateTags")) {
		aws_params_add(p, "ResourceId.1", a->op == PB_OP_SNAPSHOTS && in->n_volumes ? in->volumes[0].id
		                                                                               : in->id);
		aws_params_add(p, "Tag.1.Key", "IncidentId");
		aws_params_add(p, "Tag.1.Value", "preflight");
	} else if (!strcmp(action, "ModifyInstanceMetadataOptions")) {
		aws_params_add(p, "InstanceId", in->id);
		aws_params_add(p, "HttpTokens", "required");
	} else if (!strcmp(action, "ModifyInstanceAttribute")) {
		aws_params_add(p, "InstanceId", in->id);
		aws_params_add(p, "DisableApiTermination.Value", "true");
	} else if (!strcmp(action, "CreateSnapshots")) {
		aws_params_add(p, "InstanceSpecification.InstanceId", in->id);
		aws_params_add(p, "TagSpecification.1.ResourceType", "snapshot");
		aws_params_add(p, "TagSpecification.1.Tag.1.Key", "IncidentId");
		aws_params_add(p, "TagSpecification.1.Tag.1.Value", "preflight");
	} else if (!strcmp(action, "CreateSecurityGroup")) {
		aws_params_add(p, "GroupName", "ssrfguard-preflight");
		aws_params_add(p, "GroupDescription", "preflight");
		aws_params_add(p, "VpcId", a->target);
	} else if (!strncmp(action, "AuthorizeSecurityGroup", 22) || !strncmp(action, "RevokeSecurityGroup", 19)) {
		aws_params_add(p, "GroupId", some_group(in));
		aws_params_add(p, "IpPermissions.1.IpProtocol", "-1");
		aws_params_add(p, "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0");
	} else if (!strcmp(action, "ModifyNetworkInterfaceAttribute")) {
		aws_params_add(p, "NetworkInterfaceId", a->target);
		aws_params_add(p, "SecurityGroupId.1", some_group(in));
	} else if (!strcmp(action, "CreateVolume")) {
		aws_params_add(p, "AvailabilityZone", in->az);
		aws_params_add(p, "Size", "1");
	} else if (!strcmp(action, "AttachVolume")) {
		aws_params_add(p, "VolumeId", a->arg);
		aws_params_add(p, "InstanceId", a->target);
		aws_params_add(p, "Device", "/dev/sdz");
	} else {
		aws_params_free(p);
		return NULL;
	}
	return p;
}

static void check(pf *f, const pb_action *a, const pf_call *c)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->lines[i].step == a->step && !strcmp(f->lines[i].api, c->api))
			return; /* this step's need for it is known already */
	if (f->n == PF_LINES_MAX)
		return;
	pf_line *l = &f->lines[f->n++];
	l->step = a->step;
	l->api = c->api;
	const char *step = pb_step_name(a->step);
	const char *action = strchr(c->api, ':') + 1;
	struct aws_params *p = c->dry ? dry_params(f, action, a) : NULL;
	if (!p) {
		l->res = PF_UNCHECKED;
		fprintf(f->out, "  -        step %-9s %s (%s): not checkable, no DryRun\n", step, c->api, a->target);
	} else {
		struct aws_error e;
		sg_err err = rsp_query(f->x, AWS_EC2, action, p, 0, a->target, "dry run", NULL, &e);
		aws_params_free(p);
		if (err == SG_OK) {
			l->res = PF_OK;
			fprintf(f->out, "  ok       step %-9s %s (%s)\n", step, c->api, a->target);
		} else if (err == SG_ERR_AUTH) {
			l->res = PF_DENIED;
			fprintf(f->out, "  DENIED   step %-9s %s (%s): %s\n", step, c->api, a->target, e.code);
		} else {
			l->res = PF_OTHER;
			fprintf(f->out, "  ?        step %-9s %s (%s): %s %s\n", step, c->api, a->target,
			        e.code[0] ? e.code : sg_strerror(err), e.message);
		}
	}
	f->count[l->res]++;
}

/* "ec2:CreateTags, needed by steps tag, snapshot, finish" per denied action. */
static void summary(pf *f)
{
	fprintf(f->out, "preflight: %zu ok, %zu denied, %zu other errors, %zu not checkable with DryRun\n",
	        f->count[PF_OK], f->count[PF_DENIED], f->count[PF_OTHER], f->count[PF_UNCHECKED]);
	if (f->count[PF_DENIED])
		fprintf(f->out, "the role lacks (each blocks the steps named; see docs/iam-policy.json):\n");
	for (size_t i = 0; i < f->n; i++) {
		if (f->lines[i].res != PF_DENIED)
			continue;
		bool first = true;
		for (size_t j = 0; j < i; j++)
			if (f->lines[j].res == PF_DENIED && !strcmp(f->lines[j].api, f->lines[i].api))
				first = false;
		if (!first)
			continue;
		size_t n = 0, k = 0;
		for (size_t j = i; j < f->n; j++)
			n += f->lines[j].res == PF_DENIED && !strcmp(f->lines[j].api, f->lines[i].api);
		fprintf(f->out, "  %s, needed by step%s", f->lines[i].api, n > 1 ? "s" : "");
		for (size_t j = i; j < f->n; j++)
			if (f->lines[j].res == PF_DENIED && !strcmp(f->lines[j].api, f->lines[i].api))
				fprintf(f->out, "%s %s", k++ ? "," : "", pb_step_name(f->lines[j].step));
		fputc('\n', f->out);
	}
	if (f->count[PF_UNCHECKED])
		fprintf(f->out, "calls without DryRun (IAM, Auto Scaling, ELB, SSM, instance profile) are not "
		                "checked: grant them as in docs/iam-policy.json\n");
}

sg_err respond_preflight(responder *r, const char *instance_id, void *out_file)
{
	FILE *out = out_file;
	rsp_run x;
	char msg[512];
	pf *f = NULL;
	sg_err err = rsp_run_open(r, &x, msg, sizeof msg);
	if (err) {
		fprintf(stderr, "respond: %s\n", msg);
		goto fail;
	}
	if (!(x.data = json_object())) { /* the calls are journaled in memory only */
		err = SG_ERR_NOMEM;
		goto fail;
	}
	x.dry_run = true;
	snprintf(x.inc, sizeof x.inc, "INC-preflight");
	fprintf(out, "preflight for %s: reading it (these calls are real, read-only)\n", instance_id);
	if ((err = rsp_describe_instance(&x, instance_id, &x.inst))) {
		fprintf(out, "  cannot describe %s: %s\n", instance_id, x.note);
		goto fail;
	}
	if ((err = pb_plan_build(x.inst, &r->cfg.playbook, x.inc, &x.plan))) {
		fprintf(out, "  cannot plan for %s: %s\n", instance_id, sg_strerror(err));
		goto fail;
	}
	if (!(f = calloc(1, sizeof *f))) {
		err = SG_ERR_NOMEM;
		goto fail;
	}
	f->x = &x;
	f->out = out;
	fprintf(out, "the plan's changing calls, by step (EC2 ones sent with DryRun):\n");
	const pb_order *o = &r->cfg.playbook.order;
	for (size_t s = 0; s < PB_STEP__COUNT; s++)
		for (size_t i = 0; i < x.plan.n; i++) {
			const pb_action *a = &x.plan.actions[i];
			if (a->step != o->steps[s] || (unsigned)a->op >= PB_OP__COUNT)
				continue;
			for (size_t c = 0; c < PF_CALLS_MAX && op_calls[a->op][c].api; c++)
				check(f, a, &op_calls[a->op][c]);
		}
	summary(f);
	err = f->count[PF_DENIED] ? SG_ERR_AUTH : f->count[PF_OTHER] ? SG_ERR_REMOTE : SG_OK;
fail:
	free(f);
	rsp_run_close(&x);
	return err;
}
