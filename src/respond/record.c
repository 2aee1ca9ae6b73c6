/* record.c — PB_RECORD: describe the instance as it is (the release data). */
#include "respond/rsp.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/iam.h"
#include "aws/sigv4.h"
#include "common/jsonload.h"
#include "respond/journal.h"

#define TRY(e)                                                                                     \
	do {                                                                                       \
		if ((err = (e)) != SG_OK)                                                          \
			goto fail;                                                                 \
	} while (0)

static bool is_ours(void *ctx, const char *target_id)
{
	return pb_instance_matches_target(ctx, target_id);
}

static sg_err registration(void *ctx, const struct aws_lb_registration *reg)
{
	return pb_instance_add_registration(ctx, reg->kind, reg->lb, reg->target_id, reg->port,
	                                    reg->az, reg->state);
}

/* The profile association and its role. */
static sg_err describe_profile(rsp_run *x, pb_instance *in)
{
	struct aws_xml *r = NULL;
	const char *v[] = {in->id};
	const char *st[] = {"associated"};
	struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 1}};
	sg_err err;
	TRY(aws_ec2_describe_iip_associations(x->aws, f, 2, &r, NULL));
	TRY(pb_strset(in->profile_assoc, sizeof in->profile_assoc,
	              aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/associationId", "")));
	aws_xml_free(r);
	r = NULL;
	const char *slash = strrchr(in->profile_arn, '/');
	TRY(aws_iam_get_instance_profile(x->aws, slash ? slash + 1 : in->profile_arn, &r, NULL));
	TRY(pb_strset(in->role_name, sizeof in->role_name,
	              aws_xml_str_or(r, "GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName",
	                             "")));
fail:
	aws_xml_free(r);
	return err;
}

/* The Elastic IPs on the instance's ENIs (to take away, and give back on
 * release). */
static sg_err describe_eips(rsp_run *x, pb_instance *in)
{
	struct aws_xml *r = NULL;
	const char *v[] = {in->id};
	struct aws_filter f[] = {{"instance-id", v, 1}};
	struct aws_error e;
	sg_err err = aws_ec2_describe_addresses(x->aws, f, 1, &r, &e);
	if (err == SG_ERR_AUTH) { /* a role from before this call was needed */
		rsp_notef(x, "Elastic IPs not looked up (%s): none will be taken off", e.code);
		return SG_OK;
	}
	for (AWS_XML_EACH(a, err ? NULL : aws_xml_get(r, "addressesSet"))) {
		pb_eip e = {0};
		if (!aws_xml_str(a, "associationId"))
			continue;
		if (pb_strset(e.allocation_id, sizeof e.allocation_id, aws_xml_str_or(a, "allocationId", "")) ||
		    pb_strset(e.association_id, sizeof e.association_id, aws_xml_str_or(a, "associationId", "")) ||
		    pb_strset(e.public_ip, sizeof e.public_ip, aws_xml_str_or(a, "publicIp", "")) ||
		    pb_strset(e.eni, sizeof e.eni, aws_xml_str_or(a, "networkInterfaceId", "")) ||
		    pb_strset(e.private_ip, sizeof e.private_ip, aws_xml_str_or(a, "privateIpAddress", "")) ||
		    (err = pb_instance_add_eip(in, &e)) != SG_OK) {
			err = err ? err : SG_ERR_RANGE;
			break;
		}
	}
	aws_xml_free(r);
	return err;
}

/* Protections and shutdown behaviour, as they were (best effort). */
static void describe_attributes(rsp_run *x, pb_instance *in)
{
	struct aws_xml *r = NULL;
	if (aws_ec2_describe_instance_attribute(x->aws, in->id, "disableApiTermination", &r, NULL) ==
	    SG_OK)
		in->termination_protection = aws_xml_bool(r, "disableApiTermination/value");
	aws_xml_free(r);
	r = NULL;
	if (aws_ec2_describe_instance_attribute(x->aws, in->id, "disableApiStop", &r, NULL) == SG_OK)
		in->stop_protection = aws_xml_bool(r, "disableApiStop/value");
	aws_xml_free(r);
	r = NULL;
	if (aws_ec2_describe_instance_attribute(x->aws, in->id, "instanceInitiatedShutdownBehavior", &r,
	                                        NULL) == SG_OK)
		pb_strset(in->shutdown_behavior, sizeof in->shutdown_behavior,
		          aws_xml_str_or(r, "instanceInitiatedShutdownBehavior/value", ""));
	aws_xml_free(r);
}

sg_err rsp_describe_instance(rsp_run *x, const char *id, pb_instance **out)
{
	struct aws_xml *r = NULL;
	pb_instance *in = pb_instance_new();
	sg_err err = SG_ERR_NOMEM;
	*out = NULL;
	if (!in)
		goto fail;
	TRY(pb_strset(in->id, sizeof in->id, id));
	TRY(pb_strset(in->region, sizeof in->region, aws_client_region(x->aws)));
	TRY(aws_ec2_describe_instances(x->aws, &id, 1, NULL, 0, &r, NULL));
	if ((err = pb_instance_decode(in, r, id)) == SG_ERR_NOTFOUND) {
		snprintf(x->note, sizeof x->note, "instance %s not found", id);
		goto fail;
	}
	TRY(err);
	aws_xml_free(r);
	r = NULL;
	TRY(pb_instance_arn(in->region, in->account, in->id, in->arn, sizeof in->arn));
	describe_attributes(x, in);
	if (in->profile_arn[0])
		TRY(describe_profile(x, in));
	/* Auto Scaling group */
	TRY(aws_asg_describe_instances(x->aws, &id, 1, &r, NULL));
	TRY(pb_strset(in->asg, sizeof in->asg,
	              aws_xml_str_or(r,
	                             "DescribeAutoScalingInstancesResult/AutoScalingInstances/member/"
	                             "AutoScalingGroupName",
	                             "")));
	TRY(describe_eips(x, in));
	/* every target group and classic load balancer holding it */
	TRY(aws_elb_find_registrations(x->aws, id, is_ours, registration, in, NULL));
	*out = in;
	in = NULL;
	err = SG_OK;
fail:
	if (err && !x->note[0])
		snprintf(x->note, sizeof x->note, "describe %s: %s", id, sg_strerror(err));
	aws_xml_free(r);
	pb_instance_free(in);
	return err;
}

/*
 * The serial console output as evidence, as it was at the incident
 * (GetConsoleOutput, the most recent 64 KB): text and SHA-256 in the
 * journal.  Best effort: a refusal is noted, the record stands.
 */
static void keep_console_output(rsp_run *x, const char *id)
{
	char *text = NULL;
	size_t len = 0;
	struct aws_error e;
	sg_err err = aws_ec2_console_output(x->aws, id, &text, &len, &e);
	if (err) {
		rsp_notef(x, "console output not kept: %s", e.code[0] ? e.code : sg_strerror(err));
		return;
	}
	char hex[65];
	aws_sha256_hex(text, len, hex);
	json_t *c = json_pack("{s:s%,s:s,s:I}", "output", text, len, "sha256", hex, "bytes",
	                      (json_int_t)len);
	if (!c) { /* not UTF-8 text: the hash and size still stand */
		c = json_pack("{s:s,s:I}", "sha256", hex, "bytes", (json_int_t)len);
		rsp_notef(x, "console output is not UTF-8 text: only its SHA-256 and size kept");
	}
	json_object_set_new(x->data, "console", c);
	free(text);
}

/*
 * The console screenshot as evidence (GetConsoleScreenshot: a JPEG of the
 * screen now, of a running instance), kept base64 with its SHA-256 and
 * size.  Best effort, as the console output.
 */
static void keep_console_screenshot(rsp_run *x, const char *id)
{
	char *jpeg = NULL;
	size_t len = 0;
	struct aws_error e;
	sg_err err = aws_ec2_console_screenshot(x->aws, id, &jpeg, &len, &e);
	if (err) {
		rsp_notef(x, "console screenshot not kept: %s", e.code[0] ? e.code : sg_strerror(err));
		return;
	}
	char hex[65];
	aws_sha256_hex(jpeg, len, hex);
	size_t b64cap = 4 * ((len + 2) / 3) + 1;
	char *b64 = malloc(b64cap);
	if (b64)
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)jpeg, (int)len);
	json_t *c = b64 ? json_pack("{s:s,s:s,s:I,s:s}", "format", "jpeg", "sha256", hex, "bytes",
	                            (json_int_t)len, "base64", b64)
	                : NULL;
	if (c)
		json_object_set_new(x->data, "console_screenshot", c);
	else
		rsp_notef(x, "console screenshot not kept: out of memory");
	free(b64);
	free(jpeg);
}

sg_err rsp_step_record(rsp_run *x)
{
	store_incident inc = {0};
	sg_err err = store_get(x->st, x->id, &inc);
	if (err)
		return err;
	pb_instance *in = NULL;
	err = rsp_describe_instance(x, inc.instance_id, &in);
	store_incident_free(&inc);
	if (err)
		return err == SG_ERR_NOTFOUND ? RSP_FATAL : err;
	char *j = pb_instance_to_json(in);
	json_t *jo = NULL;
	if (j)
		sg_json_load_bounded(j, strlen(j), PB_INSTANCE_JSON_MAX, 0, "instance", &jo, NULL, 0);
	free(j);
	if (!jo) {
		pb_instance_free(in);
		return SG_ERR_NOMEM;
	}
	json_object_set_new(x->data, "instance", jo);
	keep_console_output(x, in->id);
	keep_console_screenshot(x, in->id);
	snprintf(x->note, sizeof x->note,
	         "%zu ENI(s), %zu volume(s), %s, ASG %s, %zu target registration(s), %zu classic "
	         "ELB(s), %zu Elastic IP(s)",
	         in->n_enis, in->n_volumes, in->profile_arn[0] ? "a profile" : "no profile",
	         in->asg[0] ? in->asg : "none", in->n_targets, in->n_elbs, in->n_eips);
	pb_instance_free(x->inst);
	x->inst = in;
	pb_plan_free(&x->plan);
	return SG_OK;
}
