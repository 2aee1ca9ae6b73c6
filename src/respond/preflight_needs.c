/* preflight_needs.c — what the plan needs beyond its changing calls (see
 * preflight.h): the reads its steps (and the release of isolate) make, made now; iam:PassRole for the
 * quarantine profile's role and for the forensic launch template's; what
 * the quarantine role's SSM agent needs; the evidence bucket and the
 * evidence KMS key. */
#include "respond/preflight.h"

#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/iam.h"
#include "aws/ssm.h"

/* The KMS actions EBS needs of the key for an encrypted volume (EBS user
 * guide, "How Amazon EBS encryption works" / "Permissions for IAM users";
 * docs/iam-policy.json grants them, ReEncrypt* as its two halves). */
static const char *const kms_for_ebs[] = {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
                                          "kms:GenerateDataKeyWithoutPlaintext",
                                          "kms:ReEncryptFrom", "kms:ReEncryptTo"};

/* What the SSM agent calls with the instance profile's credentials (SSM
 * user guide, "Configure instance permissions for Systems Manager":
 * AmazonSSMManagedInstanceCore). */
static const char *const agent_needs[] = {"ssm:UpdateInstanceInformation", "ec2messages:GetMessages",
                                          "ssmmessages:CreateControlChannel"};

static pf_line *add(pf *f, pb_step step, const char *api, const char *target)
{
	if (f->n == PF_LINES_MAX || f->n_extra == PF_EXTRA_MAX)
		return NULL;
	pb_action *a = &f->extra[f->n_extra++];
	memset(a, 0, sizeof *a);
	a->step = step;
	a->op = PB_OP__COUNT; /* no op of the plan: a need of the step */
	snprintf(a->target, sizeof a->target, "%s", target);
	pf_line *l = &f->lines[f->n++];
	memset(l, 0, sizeof *l);
	l->a = a;
	l->api = api;
	l->res = PF_UNCHECKED;
	return l;
}

/* A read made for real: allowed, denied, or another error. */
static void settle(pf_line *l, sg_err err, const struct aws_error *e)
{
	if (!l)
		return;
	l->read = true;
	l->res = err == SG_OK || err == SG_ERR_NOTFOUND ? PF_OK : err == SG_ERR_AUTH ? PF_DENIED : PF_OTHER;
	if (l->res != PF_OK)
		snprintf(l->detail, sizeof l->detail, "%.40s %.110s", e->code[0] ? e->code : sg_strerror(err),
		         e->message);
}

static bool planned(const pf *f, pb_step s)
{
	return (f->x->plan.applicable & PB_BIT(s)) != 0;
}

static void partition_of(const pb_instance *in, char *out, size_t cap)
{
	const char *arn4 = strncmp(in->arn, "arn:", 4) ? "aws:" : in->arn + 4;
	snprintf(out, cap, "%.*s", (int)strcspn(arn4, ":"), arn4);
}

static void record_reads(pf *f)
{
	rsp_run *x = f->x;
	const char *id = x->inst->id;
	struct aws_error e;
	struct aws_xml *r = NULL;
	const char *v[] = {id};
	struct aws_filter fl = {"instance-id", v, 1};
	settle(add(f, PB_RECORD, "ec2:DescribeAddresses", id),
	       aws_ec2_describe_addresses(x->aws, &fl, 1, &r, &e), &e);
	aws_xml_free(r);
	r = NULL;
	settle(add(f, PB_RECORD, "autoscaling:DescribeAutoScalingInstances", id),
	       aws_asg_describe_instances(x->aws, &id, 1, &r, &e), &e);
	aws_xml_free(r);
	char *text = NULL;
	size_t len = 0;
	sg_err err;
	settle(add(f, PB_RECORD, "ec2:GetConsoleOutput", id),
	       aws_ec2_console_output(x->aws, id, &text, &len, &e), &e);
	free(text);
	text = NULL;
	err = aws_ec2_console_screenshot(x->aws, id, &text, &len, &e);
	settle(add(f, PB_RECORD, "ec2:GetConsoleScreenshot", id), err == SG_ERR_STATE ? SG_OK : err,
	       &e); /* a stopped instance has no screen: the permission stands */
	free(text);
	/* release sets the type's default conntrack timeouts back on ENIs
	 * isolate shortened (ssrfguard's own table when this is denied) */
	const char *type = x->inst->instance_type;
	if (type[0]) {
		r = NULL;
		settle(add(f, PB_ISOLATE, "ec2:DescribeInstanceTypes", type),
		       aws_ec2_describe_instance_types(x->aws, type, &r, &e), &e);
		aws_xml_free(r);
	}
}

static void capture_needs(pf *f, const char *part)
{
	rsp_run *x = f->x;
	struct aws_error e;
	char ping[32];
	settle(add(f, PB_CAPTURE, "ssm:DescribeInstanceInformation", x->inst->id),
	       aws_ssm_ping_status(x->aws, x->inst->id, ping, &e), &e);
	add(f, PB_CAPTURE, "ssm:GetCommandInvocation", x->inst->id);
	const char *bucket = x->cfg->evidence_bucket;
	if (!bucket)
		return;
	pf_line *l = add(f, PB_CAPTURE, "s3:GetObject", bucket);
	if (l)
		snprintf(l->resource, sizeof l->resource, "arn:%s:s3:::%s/ssrfguard/%s/capture/stdout",
		         part, bucket, x->key);
}

/* A key as an ARN: an id or alias is placed in the instance's account and
 * region. */
static void key_arn(const pf *f, const char *k, const char *part, char *out, size_t cap)
{
	const pb_instance *in = f->x->inst;
	if (!strncmp(k, "arn:", 4))
		snprintf(out, cap, "%s", k);
	else
		snprintf(out, cap, "arn:%s:kms:%s:%s:%s%s", part, in->region, in->account,
		         strncmp(k, "alias/", 6) ? "key/" : "", k);
}

/* What EBS needs of a key the forensics step encrypts with: the evidence
 * volumes' key, and the share key the shared snapshot copies are made under
 * (CopySnapshot Encrypted=true KmsKeyId). */
static void kms_needs(pf *f, const char *key, const char *part)
{
	if (!key || !planned(f, PB_FORENSICS))
		return;
	char arn[PF_RES_MAX];
	key_arn(f, key, part, arn, sizeof arn);
	for (size_t i = 0; i < sizeof kms_for_ebs / sizeof kms_for_ebs[0]; i++) {
		pf_line *l = add(f, PB_FORENSICS, kms_for_ebs[i], key);
		if (l)
			snprintf(l->resource, sizeof l->resource, "%s", arn);
	}
}

/* An instance profile's role (profile: its ARN or name):
 * iam:GetInstanceProfile (a read made now). */
static bool profile_role(pf *f, pb_step step, const char *profile, char *arn, size_t cap)
{
	const char *slash = strrchr(profile, '/');
	struct aws_error e;
	struct aws_xml *r = NULL;
	pf_line *l = add(f, step, "iam:GetInstanceProfile", profile);
	sg_err err = aws_iam_get_instance_profile(f->x->aws, slash ? slash + 1 : profile, &r, &e);
	settle(l, err, &e);
	const char *role = err ? NULL
	                       : aws_xml_str(r, "GetInstanceProfileResult/InstanceProfile/Roles/member/Arn");
	if (role)
		snprintf(arn, cap, "%s", role);
	aws_xml_free(r);
	return role != NULL;
}

/* iam:PassRole of role (simulated for EC2), or "not checked" with why
 * when the role is unknown (shown: what). */
static void pass_role(pf *f, pb_step step, const char *role, const char *what, const char *why)
{
	pf_line *l = add(f, step, "iam:PassRole", role ? role : what);
	if (!l)
		return;
	if (role) {
		snprintf(l->resource, sizeof l->resource, "%s", role);
	} else {
		l->unknowable = true;
		snprintf(l->detail, sizeof l->detail, "%s", why);
	}
}

/* The forensic launch template: RunInstances passes the role of the
 * instance profile the template names (EC2 user guide, "IAM roles for
 * Amazon EC2": iam:PassRole), found through the template's default version
 * (ec2:DescribeLaunchTemplateVersions, a read made now) and the profile
 * (iam:GetInstanceProfile); a template without a profile cannot give the
 * instance's SSM agent credentials, so the step's wait for it would fail. */
static void launch_needs(pf *f)
{
	for (size_t i = 0; i < f->x->plan.n; i++) {
		const pb_action *a = &f->x->plan.actions[i];
		if (a->op != PB_OP_LAUNCH_FORENSIC)
			continue;
		char profile[PB_ARN_MAX], role[PB_ARN_MAX] = "";
		struct aws_error e;
		pf_line *l = add(f, a->step, "ec2:DescribeLaunchTemplateVersions", a->target);
		sg_err err = aws_ec2_template_profile(f->x->aws, a->target, profile, sizeof profile, &e);
		settle(l, err, &e);
		if (err) {
			pass_role(f, a->step, NULL, a->target, "the launch template could not be read");
			return;
		}
		if (!profile[0]) {
			l = add(f, a->step, "iam:PassRole", a->target);
			if (l) {
				l->read = true;
				l->res = PF_OTHER;
				snprintf(l->detail, sizeof l->detail,
				         "the template gives no instance profile: the forensic "
				         "instance's SSM agent would have no credentials");
			}
			return;
		}
		bool known = profile_role(f, a->step, profile, role, sizeof role);
		pass_role(f, a->step, known ? role : NULL, profile,
		          "the launch template's profile has no role that could be read");
		return;
	}
}

static void quarantine_needs(pf *f, const char *part)
{
	rsp_run *x = f->x;
	char role[PB_ARN_MAX] = "";
	bool known = false, asked = false;
	for (size_t i = 0; i < x->plan.n; i++) {
		const pb_action *a = &x->plan.actions[i];
		if (a->op != PB_OP_PROFILE_REPLACE)
			continue;
		if (!asked) {
			known = profile_role(f, a->step, x->cfg->playbook.quarantine_profile, role,
			                     sizeof role);
			asked = true;
		}
		pass_role(f, a->step, known ? role : NULL, a->arg, "the quarantine profile's role is unknown");
	}
	if (!known || !planned(f, PB_CAPTURE))
		return;
	/* what the agent needs from the quarantine role, so that the capture
	 * still arrives once the instance wears it */
	for (size_t i = 0; i < sizeof agent_needs / sizeof agent_needs[0]; i++) {
		pf_line *l = add(f, PB_CAPTURE, agent_needs[i], role);
		if (l)
			snprintf(l->principal, sizeof l->principal, "%s", role);
	}
	if (x->cfg->evidence_bucket) {
		pf_line *l = add(f, PB_CAPTURE, "s3:PutObject", x->cfg->evidence_bucket);
		if (l) {
			snprintf(l->principal, sizeof l->principal, "%s", role);
			snprintf(l->resource, sizeof l->resource, "arn:%s:s3:::%s/ssrfguard/%s/capture/stdout",
			         part, x->cfg->evidence_bucket, x->key);
		}
	}
}

void pf_add_needs(pf *f)
{
	char part[32];
	partition_of(f->x->inst, part, sizeof part);
	record_reads(f);
	if (planned(f, PB_CAPTURE))
		capture_needs(f, part);
	kms_needs(f, f->x->cfg->evidence_kms_key, part);
	kms_needs(f, f->x->cfg->share_kms_key, part);
	quarantine_needs(f, part);
	launch_needs(f);
}
