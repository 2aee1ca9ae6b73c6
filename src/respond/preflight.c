/* preflight.c — `respond --preflight`: does the role allow what the plan
 * for this instance needs?  Every changing EC2 call of every planned step is
 * sent with DryRun; the others (IAM, Auto Scaling, ELB, SSM, and the two
 * profile calls EC2 gives no DryRun) are asked of iam:SimulatePrincipalPolicy
 * for the caller's own principal, and stay "not checked" when the role may
 * not simulate.  Each line names the step that needs the call, and the
 * summary lists each denied action once with all the steps it blocks. */
#include "respond/preflight.h"

#include "aws/ec2.h"
#include "aws/iam.h"
#include "aws/sts.h"
#include "respond/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calls a planned op makes.  dry: the EC2 API takes DryRun.  tags: the
 * call is sent with TagSpecifications, which AWS authorizes as
 * ec2:CreateTags with the condition key ec2:CreateAction = the create (EC2
 * user guide, "Grant permission to tag resources during creation"); the
 * line of that need is named tags ("ec2:CreateTags on CreateVolume"). */
typedef struct pf_call {
	const char *api; /* "ec2:CreateTags" */
	bool dry;
	const char *tags;
} pf_call;

#define PF_CALLS_MAX 4

static const pf_call op_calls[PB_OP__COUNT][PF_CALLS_MAX] = {
	[PB_OP_TAG] = {{"ec2:CreateTags", true, NULL}},
	[PB_OP_METADATA] = {{"ec2:ModifyInstanceMetadataOptions", true, NULL}},
	[PB_OP_PUT_ROLE_POLICY] = {{"iam:PutRolePolicy", false, NULL}},
	[PB_OP_ATTRIBUTE] = {{"ec2:ModifyInstanceAttribute", true, NULL}},
	[PB_OP_ASG_DETACH] = {{"autoscaling:DetachInstances", false, NULL}},
	[PB_OP_ASG_STANDBY] = {{"autoscaling:EnterStandby", false, NULL}},
	[PB_OP_EIP_DISASSOCIATE] = {{"ec2:DisassociateAddress", true, NULL}},
	[PB_OP_TG_DEREGISTER] = {{"elasticloadbalancing:DeregisterTargets", false, NULL}},
	[PB_OP_ELB_DEREGISTER] = {{"elasticloadbalancing:DeregisterInstancesFromLoadBalancer", false, NULL}},
	/* snapshots are tagged at creation and again with their source */
	[PB_OP_SNAPSHOTS] = {{"ec2:CreateSnapshots", true, "ec2:CreateTags on CreateSnapshots"},
	                     {"ec2:CreateTags", true, NULL}},
	[PB_OP_SSM_CAPTURE] = {{"ssm:SendCommand", false, NULL}},
	/* Every create the steps tag is sent with its tags, its DryRun too (a
	 * tag, as the real call carries them): a refused one is tried again
	 * without, which tells the create's refusal from its tags'. */
	[PB_OP_QUARANTINE_GROUP] = {{"ec2:CreateSecurityGroup", true,
	                             "ec2:CreateTags on CreateSecurityGroup"},
	                            {"ec2:RevokeSecurityGroupEgress", true, NULL},
	                            {"ec2:CreateTags", true, NULL}},
	[PB_OP_OPEN_GROUP] = {{"ec2:CreateSecurityGroup", true,
	                       "ec2:CreateTags on CreateSecurityGroup"},
	                      {"ec2:AuthorizeSecurityGroupIngress", true, NULL},
	                      {"ec2:AuthorizeSecurityGroupEgress", true, NULL},
	                      {"ec2:CreateTags", true, NULL}},
	[PB_OP_ENI_GROUPS] = {{"ec2:ModifyNetworkInterfaceAttribute", true, NULL}},
	[PB_OP_ENI_CONNTRACK] = {{"ec2:ModifyNetworkInterfaceAttribute", true, NULL}},
	[PB_OP_PROFILE_REMOVE] = {{"ec2:DisassociateIamInstanceProfile", false, NULL}},
	[PB_OP_PROFILE_REPLACE] = {{"ec2:ReplaceIamInstanceProfileAssociation", false, NULL}},
	[PB_OP_CREATE_VOLUME] = {{"ec2:CreateVolume", true, "ec2:CreateTags on CreateVolume"},
	                         {"ec2:CreateTags", true, NULL}},
	[PB_OP_ATTACH_VOLUME] = {{"ec2:AttachVolume", true, NULL}},
	[PB_OP_SSM_FORENSICS] = {{"ssm:SendCommand", false, NULL}},
	[PB_OP_LAUNCH_FORENSIC] = {{"ec2:RunInstances", true, "ec2:CreateTags on RunInstances"},
	                           {"ec2:CreateTags", true, NULL}},
	/* no snapshot exists before the incident to DryRun these on: simulated */
	[PB_OP_SHARE_SNAPSHOT] = {{"ec2:CopySnapshot", false, NULL}, {"ec2:ModifySnapshotAttribute", false, NULL},
	                          {"ec2:DescribeSnapshotAttribute", false, NULL},
	                          {"ec2:CreateTags", true, NULL}},
};

/* A security group the instance already has: DryRun needs a real one. */
static const char *some_group(const pb_instance *in)
{
	for (size_t i = 0; i < in->n_enis; i++)
		if (in->enis[i].n_groups)
			return in->enis[i].groups[0];
	return "sg-00000000";
}

/* The typed call of a planned action, with DryRun; a create with its tag
 * unless bare; SG_ERR_UNSUPPORTED when the action has no DryRun form. */
static sg_err dry_call(const pf *f, const char *action, const pb_action *a, bool bare,
                       struct aws_error *e)
{
	const pb_instance *in = f->x->inst;
	struct aws_client *c = f->x->aws;
	const unsigned dry = AWS_CALL_DRY_RUN;
	const char *group = some_group(in);
	struct aws_tag tag = {"IncidentId", "preflight"};
	const size_t ntags = bare ? 0 : 1;
	struct aws_ip_permission all = {.protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"};
	rsp_intent(f->x, "dry run");
	if (!strcmp(action, "CreateTags"))
		return aws_ec2_create_tags(c, (const char *[]){a->op == PB_OP_SNAPSHOTS && in->n_volumes
		                                                       ? in->volumes[0].id
		                                                       : in->id},
		                           1, &tag, 1, dry, e);
	if (!strcmp(action, "ModifyInstanceMetadataOptions"))
		return aws_ec2_modify_metadata_options(
			c, in->id, &(struct aws_ec2_metadata_options){.http_tokens = "required"}, dry, NULL,
			e);
	if (!strcmp(action, "ModifyInstanceAttribute"))
		return aws_ec2_set_disable_api_termination(c, in->id, true, dry, e);
	if (!strcmp(action, "CreateSnapshots"))
		return aws_ec2_create_snapshots(c, in->id, NULL, &tag, ntags, false, dry, NULL, e);
	if (!strcmp(action, "CreateSecurityGroup"))
		return aws_ec2_create_security_group(c, a->target, "ssrfguard-preflight", "preflight",
		                                     &tag, ntags, dry, NULL, e);
	static const struct {
		const char *action;
		enum aws_sg_rule_op op;
	} rules[] = {
		{"AuthorizeSecurityGroupIngress", AWS_SG_AUTHORIZE_INGRESS},
		{"AuthorizeSecurityGroupEgress", AWS_SG_AUTHORIZE_EGRESS},
		{"RevokeSecurityGroupIngress", AWS_SG_REVOKE_INGRESS},
		{"RevokeSecurityGroupEgress", AWS_SG_REVOKE_EGRESS},
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (!strcmp(action, rules[i].action))
			return aws_ec2_security_group_rules(c, rules[i].op, group, &all, 1, dry, e);
	if (!strcmp(action, "ModifyNetworkInterfaceAttribute"))
		return aws_ec2_set_eni_groups(c, a->target, &group, 1, dry, e);
	if (!strcmp(action, "CreateVolume"))
		return aws_ec2_create_volume(
			c,
			&(struct aws_ec2_volume_spec){
				.availability_zone = in->az, .size_gib = 1, .tags = &tag, .ntags = ntags},
			dry, NULL, e);
	if (!strcmp(action, "DisassociateAddress"))
		return aws_ec2_disassociate_address(c, a->target, dry, e);
	if (!strcmp(action, "AttachVolume"))
		return aws_ec2_attach_volume(c, a->arg, a->target, "/dev/sdz", dry, e);
	if (!strcmp(action, "RunInstances"))
		return aws_ec2_run_from_template(c, a->target, "ssrfguard-preflight", &tag, ntags, dry, NULL,
		                                 e);
	return SG_ERR_UNSUPPORTED;
}

static pf_line *new_line(pf *f, const pb_action *a, const char *api)
{
	if (f->n == PF_LINES_MAX)
		return NULL;
	pf_line *l = &f->lines[f->n++];
	l->a = a;
	l->api = api;
	l->res = PF_UNCHECKED;
	return l;
}

static void set_result(pf_line *l, sg_err err, const struct aws_error *e)
{
	l->res = err == SG_OK ? PF_OK : err == SG_ERR_AUTH ? PF_DENIED : PF_OTHER;
	if (err == SG_ERR_AUTH)
		snprintf(l->detail, sizeof l->detail, "%.64s", e->code);
	else if (err)
		snprintf(l->detail, sizeof l->detail, "%.40s %.110s", e->code[0] ? e->code : sg_strerror(err),
		         e->message);
}

/*
 * A create sent with its tags was refused: AWS's UnauthorizedOperation
 * does not say whether for the create or for its tags (the message is an
 * encoded authorization failure), so the same DryRun goes again without
 * them ("The ec2:CreateTags action is only evaluated if tags are applied
 * during the resource-creating action").  Allowed bare: the create is
 * allowed, its tags' ec2:CreateTags (ec2:CreateAction) is what is missing.
 * Refused bare too: the create itself is; whether its tags would be is not
 * known until it is granted.
 */
static void tell_create_from_tags(pf *f, const pb_action *a, const pf_call *c, pf_line *create,
                                  pf_line *tags)
{
	struct aws_error e;
	aws_error_clear(&e);
	const char *action = strchr(c->api, ':') + 1;
	sg_err bare = dry_call(f, action, a, true, &e);
	if (bare == SG_OK) {
		create->res = PF_OK;
		snprintf(create->detail, sizeof create->detail, "allowed without its tags");
		tags->res = PF_DENIED;
		snprintf(tags->detail, sizeof tags->detail, "UnauthorizedOperation: grant ec2:CreateTags "
		         "with ec2:CreateAction = %s", action);
		return;
	}
	set_result(create, bare, &e);
	if (bare == SG_ERR_AUTH)
		snprintf(create->detail, sizeof create->detail, "UnauthorizedOperation, without its "
		         "tags too: %s itself is denied", c->api);
	tags->unknowable = true;
	snprintf(tags->detail, sizeof tags->detail, "not known while %s is refused", c->api);
}

static void check(pf *f, const pb_action *a, const pf_call *c)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->lines[i].a->step == a->step && !strcmp(f->lines[i].api, c->api))
			return; /* this step's need for it is known already */
	pf_line *l = new_line(f, a, c->api);
	if (!l)
		return;
	const char *action = strchr(c->api, ':') + 1;
	if (!strcmp(a->target, PB_FORENSIC_LAUNCHED) && c->dry) {
		l->unknowable = true; /* no instance to try it on before the incident */
		snprintf(l->detail, sizeof l->detail, "the forensic instance is launched at the incident");
		return;
	}
	struct aws_error e;
	aws_error_clear(&e);
	sg_err err = c->dry ? dry_call(f, action, a, false, &e) : SG_ERR_UNSUPPORTED;
	if (err == SG_ERR_UNSUPPORTED)
		return; /* no DryRun form: left to the simulation */
	set_result(l, err, &e);
	pf_line *tags = c->tags ? new_line(f, a, c->tags) : NULL;
	if (!tags)
		return;
	if (err == SG_OK) { /* the DryRun carried the tags: both are allowed */
		tags->res = PF_OK;
		snprintf(tags->detail, sizeof tags->detail, "allowed (the DryRun carried them)");
	} else if (err == SG_ERR_AUTH)
		tell_create_from_tags(f, a, c, l, tags);
	else {
		tags->unknowable = true;
		snprintf(tags->detail, sizeof tags->detail, "not known: %s failed otherwise", c->api);
	}
}

/* The IAM principal behind the credentials: an assumed-role session
 * (arn:aws:sts::ACCT:assumed-role/ROLE/SESSION) is simulated as its role,
 * whose ARN (with its path) IAM gives. */
static sg_err principal(pf *f, char *out, size_t cap, struct aws_error *e)
{
	struct aws_caller_identity id;
	sg_err err = aws_sts_get_caller_identity(f->x->aws, &id, e);
	if (err)
		return err;
	const char *ar = strstr(id.arn, ":assumed-role/");
	if (!ar || strncmp(id.arn, "arn:", 4)) {
		snprintf(out, cap, "%s", id.arn);
		return SG_OK;
	}
	char role[PB_NAME_MAX];
	const char *name = ar + strlen(":assumed-role/"), *slash = strchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) : strlen(name);
	if (len == 0 || len >= sizeof role)
		return SG_ERR_PARSE;
	memcpy(role, name, len);
	role[len] = '\0';
	struct aws_xml *r = NULL;
	err = aws_iam_get_role(f->x->aws, role, &r, e);
	const char *arn = err ? NULL : aws_xml_str(r, "GetRoleResult/Role/Arn");
	if (arn)
		snprintf(out, cap, "%s", arn);
	else /* no iam:GetRole: the role without its path */
		snprintf(out, cap, "arn:%.*s:iam::%s:role/%s",
		         (int)strcspn(id.arn + 4, ":"), id.arn + 4, id.account, role);
	aws_xml_free(r);
	return SG_OK;
}

/* The resources a call acts on, as ARNs, so that a policy scoped to them
 * (docs/iam-policy.json scopes iam:PutRolePolicy and ssm:SendCommand) is
 * simulated as it applies; none known: "*".  Returns how many. */
static size_t resource_arns(const pf *f, const pf_line *l, char (*out)[PF_RES_MAX])
{
	const pb_instance *in = f->x->inst;
	const pb_action *a = l->a;
	char part[32];
	if (l->resource[0]) {
		snprintf(out[0], PF_RES_MAX, "%s", l->resource);
		return 1;
	}
	const char *arn4 = strncmp(in->arn, "arn:", 4) ? "aws:" : in->arn + 4;
	snprintf(part, sizeof part, "%.*s", (int)strcspn(arn4, ":"), arn4);
	if (!strcmp(l->api, "iam:PutRolePolicy")) {
		snprintf(out[0], PF_RES_MAX, "arn:%s:iam::%s:role/%s", part, in->account, a->target);
		return 1;
	}
	if (!strcmp(l->api, "ssm:SendCommand")) {
		/* the forensic instance (any, when launched at the incident), or the victim */
		snprintf(out[0], PF_RES_MAX, "arn:%s:ec2:%s:%s:instance/%s", part, in->region, in->account,
		         strcmp(a->target, PB_FORENSIC_LAUNCHED) ? a->target : "*");
		snprintf(out[1], PF_RES_MAX, "arn:%s:ssm:%s::document/AWS-RunShellScript", part, in->region);
		return 2;
	}
	if (!strcmp(l->api, "elasticloadbalancing:DeregisterTargets")) {
		snprintf(out[0], PF_RES_MAX, "%s", a->target); /* the target group's ARN */
		return 1;
	}
	if (!strcmp(l->api, "elasticloadbalancing:DeregisterInstancesFromLoadBalancer")) {
		snprintf(out[0], PF_RES_MAX, "arn:%s:elasticloadbalancing:%s:%s:loadbalancer/%s", part,
		         in->region, in->account, a->target);
		return 1;
	}
	if (!strncmp(l->api, "ec2:", 4)) {
		snprintf(out[0], PF_RES_MAX, "%s", in->arn);
		return 1;
	}
	return 0; /* autoscaling: the group's ARN holds an id the record lacks */
}

/* Ask IAM about every call DryRun could not check: one simulation per
 * action, allowed only when every resource's decision is "allowed". */
static void simulate(pf *f)
{
	struct aws_error e;
	char src[2048];
	size_t k = 0;
	for (size_t i = 0; i < f->n; i++)
		k += f->lines[i].res == PF_UNCHECKED;
	if (!k)
		return;
	sg_err err = principal(f, src, sizeof src, &e);
	if (err) {
		snprintf(f->simulate_note, sizeof f->simulate_note, "sts:GetCallerIdentity: %s",
		         e.code[0] ? e.code : sg_strerror(err));
		return;
	}
	/* iam:PassRole is asked for EC2, as the instance profile calls pass it */
	static const struct aws_kv to_ec2 = {"iam:PassedToService", "ec2.amazonaws.com"};
	for (size_t i = 0; i < f->n; i++) {
		pf_line *l = &f->lines[i];
		if (l->res != PF_UNCHECKED || l->simulated || l->read || l->unknowable)
			continue;
		char res[2][PF_RES_MAX];
		size_t nres = resource_arns(f, l, res);
		struct aws_xml *r = NULL;
		const char *resources[2] = {res[0], res[1]};
		bool pass = !strcmp(l->api, "iam:PassRole");
		err = aws_iam_simulate_principal_policy(f->x->aws, l->principal[0] ? l->principal : src,
		                                        l->api, resources, nres, pass ? &to_ec2 : NULL,
		                                        pass, &r, &e);
		if (err) {
			snprintf(f->simulate_note, sizeof f->simulate_note, "iam:SimulatePrincipalPolicy: %s",
			         e.code[0] ? e.code : sg_strerror(err));
			aws_xml_free(r);
			return; /* the rest stay unchecked, and the note says why */
		}
		const char *dec = NULL;
		const struct aws_xml *list = aws_xml_get(r, "SimulatePrincipalPolicyResult/EvaluationResults");
		for (AWS_XML_EACH(it, list)) {
			const char *d = aws_xml_str_or(it, "EvalDecision", "");
			if (!dec || strcmp(d, "allowed"))
				dec = d; /* the first refusal decides */
			if (strcmp(d, "allowed"))
				break;
		}
		if (dec) {
			/* every step needing this action shares the answer */
			for (size_t j = i; j < f->n; j++) {
				pf_line *m = &f->lines[j];
				if (m->res != PF_UNCHECKED || m->read || strcmp(m->api, l->api) ||
				    strcmp(m->resource, l->resource) || strcmp(m->principal, l->principal))
					continue;
				m->simulated = true;
				m->res = !strcmp(dec, "allowed") ? PF_OK : PF_DENIED;
				snprintf(m->detail, sizeof m->detail, "%.60s", dec);
			}
		} else {
			snprintf(f->simulate_note, sizeof f->simulate_note,
			         "iam:SimulatePrincipalPolicy gave no decision for %s", l->api);
		}
		aws_xml_free(r);
	}
}

static void count_lines(pf *f)
{
	for (size_t i = 0; i < f->n; i++)
		f->count[f->lines[i].res]++;
}

/* How a line was decided: "dryrun", "read", "simulated" or "none". */
static const char *method(const pf_line *l)
{
	return l->simulated ? "simulated" : l->read ? "read" : l->res == PF_UNCHECKED ? "none" : "dryrun";
}

/* --json: one object: every call with its result, the counts, and what the
 * credentials lack by action with the steps it blocks. */
static void print_json(pf *f, const char *instance_id)
{
	static const char *const word[] = {"ok", "denied", "error", "unchecked"};
	json_t *calls = json_array(), *lack = json_object();
	for (size_t i = 0; i < f->n; i++) {
		const pf_line *l = &f->lines[i];
		json_array_append_new(calls, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "step",
		                                       pb_step_name(l->a->step), "api", l->api, "target",
		                                       l->a->target, "result", word[l->res], "method",
		                                       method(l), "simulated", l->simulated, "detail",
		                                       l->detail, "as", l->principal));
		if (l->res != PF_DENIED)
			continue;
		json_t *steps = json_object_get(lack, l->api);
		if (!steps)
			json_object_set_new(lack, l->api, steps = json_array());
		json_array_append_new(steps, json_string(pb_step_name(l->a->step)));
	}
	json_t *o = json_pack("{s:s,s:o,s:{s:I,s:I,s:I,s:I},s:o,s:s}", "instance", instance_id,
	                      "calls", calls, "counts", "ok", (json_int_t)f->count[PF_OK], "denied",
	                      (json_int_t)f->count[PF_DENIED], "error", (json_int_t)f->count[PF_OTHER],
	                      "unchecked", (json_int_t)f->count[PF_UNCHECKED], "lacking", lack,
	                      "unchecked_note", f->count[PF_UNCHECKED] ? f->simulate_note : "");
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text)
		fprintf(f->out, "%s\n", text);
	free(text);
	json_decref(o);
}

/* --json: the reason preflight could not check anything. */
static void print_json_error(FILE *out, const char *instance_id, const char *why)
{
	json_t *o = json_pack("{s:s,s:s}", "instance", instance_id, "error", why);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text)
		fprintf(out, "%s\n", text);
	free(text);
	json_decref(o);
}

static void print_lines(pf *f)
{
	static const char *const word[] = {"ok", "DENIED", "?", "-"};
	for (size_t i = 0; i < f->n; i++) {
		const pf_line *l = &f->lines[i];
		fprintf(f->out, "  %-8s step %-9s %s (%s)", word[l->res], pb_step_name(l->a->step), l->api,
		        l->a->target);
		if (l->principal[0])
			fprintf(f->out, " as %s", l->principal);
		if (l->simulated)
			fprintf(f->out, ": %s (simulated)\n", l->detail);
		else if (l->res == PF_UNCHECKED)
			fprintf(f->out, ": not checked (%s)\n", l->detail[0] ? l->detail : "no DryRun");
		else if (l->read)
			fprintf(f->out, ": %s (read)\n", l->res == PF_OK ? "allowed" : l->detail);
		else
			fprintf(f->out, "%s%s\n", l->detail[0] ? ": " : "", l->detail);
	}
}

/* "ec2:CreateTags, needed by steps tag, snapshot, finish" per denied action. */
static void summary(pf *f)
{
	fprintf(f->out, "preflight: %zu ok, %zu denied, %zu other errors, %zu not checked\n",
	        f->count[PF_OK], f->count[PF_DENIED], f->count[PF_OTHER], f->count[PF_UNCHECKED]);
	if (f->count[PF_DENIED])
		fprintf(f->out, "these credentials lack (each blocks the steps named; see docs/iam-policy.json):\n");
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
				fprintf(f->out, "%s %s", k++ ? "," : "", pb_step_name(f->lines[j].a->step));
		fputc('\n', f->out);
	}
	if (f->count[PF_UNCHECKED])
		fprintf(f->out, "calls without DryRun (IAM, Auto Scaling, ELB, SSM, S3, KMS, instance "
		                "profile) are not checked (%s): grant them as in docs/iam-policy.json\n",
		        f->simulate_note[0] ? f->simulate_note : "see each line");
	fprintf(f->out, "simulation does not see bucket or key policies, SCPs or permission "
	                "boundaries' resource conditions: those may still refuse\n");
}

sg_err respond_preflight(responder *r, const char *instance_id, void *out_file, bool as_json)
{
	FILE *out = out_file;
	rsp_run x;
	char msg[512];
	pf *f = NULL;
	sg_err err = rsp_run_open(r, &x, msg, sizeof msg);
	if (err) {
		respond_log(&r->cfg, "error", "%s", msg);
		goto fail;
	}
	if (!(x.data = json_object())) { /* the calls are journaled in memory only */
		err = SG_ERR_NOMEM;
		goto fail;
	}
	x.dry_run = true;
	snprintf(x.inc, sizeof x.inc, "INC-preflight");
	snprintf(x.key, sizeof x.key, "INC-preflight");
	if (!as_json)
		fprintf(out, "preflight for %s: reading it (these calls are real, read-only)\n",
		        instance_id);
	if ((err = rsp_describe_instance(&x, instance_id, &x.inst))) {
		snprintf(msg, sizeof msg, "cannot describe %.40s: %.400s", instance_id, x.note);
		goto fail_said;
	}
	if ((err = pb_plan_build(x.inst, &r->cfg.playbook, x.inc, &x.plan))) {
		snprintf(msg, sizeof msg, "cannot plan for %s: %s", instance_id, sg_strerror(err));
		goto fail_said;
	}
	if (!(f = calloc(1, sizeof *f))) {
		err = SG_ERR_NOMEM;
		goto fail;
	}
	f->x = &x;
	f->out = out;
	if (!as_json)
		fprintf(out, "the plan's calls, by step (EC2 changes sent with DryRun, reads made, the "
		             "others simulated by IAM):\n");
	const pb_order *o = &r->cfg.playbook.order;
	for (size_t s = 0; s < PB_STEP__COUNT; s++)
		for (size_t i = 0; i < x.plan.n; i++) {
			const pb_action *a = &x.plan.actions[i];
			if (a->step != o->steps[s] || (unsigned)a->op >= PB_OP__COUNT)
				continue;
			for (size_t c = 0; c < PF_CALLS_MAX && op_calls[a->op][c].api; c++)
				check(f, a, &op_calls[a->op][c]);
		}
	pf_add_needs(f);
	simulate(f);
	count_lines(f);
	if (as_json)
		print_json(f, instance_id);
	else {
		print_lines(f);
		summary(f);
	}
	err = f->count[PF_DENIED] ? SG_ERR_AUTH : f->count[PF_OTHER] ? SG_ERR_REMOTE : SG_OK;
	goto fail;
fail_said:
	if (as_json)
		print_json_error(out, instance_id, msg);
	else
		fprintf(out, "  %s\n", msg);
fail:
	free(f);
	rsp_run_close(&x);
	return err;
}
