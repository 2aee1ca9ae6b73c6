/*
 * test_aws_calls.c — every call the responder needs, against the emulator
 * (run by with_emulator.py under tests/netns-run): the happy path, its
 * effect on the emulator's state, and its error paths.
 */
#include <unistd.h>

#include "aws/asg.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/iam.h"
#include "aws/s3.h"
#include "aws/sns.h"
#include "aws/ssm.h"
#include "aws/sts.h"
#include "emu.h"
#include "test.h"

#define WEB1 "i-0a1b2c3d4e5f60001"
#define WEB2 "i-0a1b2c3d4e5f60002"
#define FORENSIC "i-0f0000000000000f1"
#define VPC "vpc-0a1b2c3d4e5f60001"
#define TOPIC "arn:aws:sns:us-east-1:123456789012:ssrfguard-incidents"

static struct aws_client *client(void)
{
	struct aws_client_opts o = {.backoff_base_ms = 5, .timeout_ms = 5000};
	struct aws_client *c = NULL;
	struct aws_error e;
	sg_err rc = aws_client_new(&o, &c, &e);
	CHECKF(rc == SG_OK, "client: %s %s", sg_strerror(rc), e.message);
	return c;
}

static json_t *state(const char *svc)
{
	json_t *s = emu("GET", "/state", NULL);
	json_t *x = json_incref(json_object_get(s, svc));
	json_decref(s);
	return x;
}

static json_t *instance_state(const char *id)
{
	json_t *ec2 = state("ec2");
	json_t *i = json_incref(json_object_get(json_object_get(ec2, "instances"), id));
	json_decref(ec2);
	return i;
}

TEST(sts_whoami)
{
	struct aws_client *c = client();
	struct aws_caller_identity id;
	struct aws_error e;
	CHECK_INT(aws_sts_get_caller_identity(c, &id, &e), SG_OK);
	CHECK_STR(id.account, "123456789012");
	CHECK_STR(id.arn, "arn:aws:iam::123456789012:user/ssrfguard-responder");
	CHECK(e.request_id[0] != '\0');
	aws_client_free(c);
}

TEST(ec2_describe_and_view)
{
	struct aws_client *c = client();
	struct aws_error e;
	pb_instance *v = NULL;
	CHECK_INT(aws_ec2_instance_view(c, WEB1, &v, &e), SG_OK);
	if (v) {
		CHECK_STR(v->state, "running");
		CHECK_INT(v->n_enis, 2);
		CHECK_INT(v->n_volumes, 2);
		CHECK_STR(v->asg, "web-asg");
		CHECK(strstr(v->profile_arn, "web-fleet-profile") != NULL);
		CHECK(!strncmp(v->profile_assoc, "iip-assoc-", 10));
		CHECK_STR(v->http_tokens, "optional");
		int sizes = 0;
		for (size_t i = 0; i < v->n_volumes; i++)
			sizes += v->volumes[i].size_gib;
		CHECK_INT(sizes, 116);
	}
	pb_instance_free(v);
	/* error path: an unknown instance */
	CHECK_INT(aws_ec2_instance_view(c, "i-0000000000000dead", &v, &e), SG_ERR_NOTFOUND);
	CHECK_STR(e.code, "InvalidInstanceID.NotFound");
	CHECK(e.request_id[0] != '\0');
	/* filters */
	const char *vals[] = {"web-asg"};
	struct aws_filter f = {"tag:aws:autoscaling:groupName", vals, 1};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_describe_instances(c, NULL, 0, &f, 1, &r, &e), SG_OK);
	size_t n = 0;
	for (AWS_XML_EACH(res, aws_xml_child(r, "reservationSet")))
		n += aws_xml_count(aws_xml_child(res, "instancesSet"));
	CHECK_INT(n, 2);
	aws_xml_free(r);
	aws_client_free(c);
}

TEST(ec2_instance_attributes)
{
	struct aws_client *c = client();
	struct aws_error e;
	/* DryRun first: permitted, and nothing changes */
	CHECK_INT(aws_ec2_set_disable_api_termination(c, WEB2, true, AWS_CALL_DRY_RUN, &e), SG_OK);
	json_t *i = instance_state(WEB2);
	CHECK(json_is_false(json_object_get(json_object_get(i, "Attributes"), "DisableApiTermination")));
	json_decref(i);

	CHECK_INT(aws_ec2_set_disable_api_termination(c, WEB2, true, 0, &e), SG_OK);
	CHECK_INT(aws_ec2_set_disable_api_stop(c, WEB2, true, 0, &e), SG_OK);
	CHECK_INT(aws_ec2_set_shutdown_behavior(c, WEB2, "stop", 0, &e), SG_OK);
	CHECK_INT(aws_ec2_set_delete_on_termination(c, WEB1, (const char *[]){"/dev/xvda"}, 1, false, 0, &e), SG_OK);
	i = instance_state(WEB2);
	json_t *a = json_object_get(i, "Attributes");
	CHECK(json_is_true(json_object_get(a, "DisableApiTermination")));
	CHECK(json_is_true(json_object_get(a, "DisableApiStop")));
	CHECK_STR(json_string_value(json_object_get(a, "InstanceInitiatedShutdownBehavior")), "stop");
	json_decref(i);
	pb_instance *v = NULL;
	CHECK_INT(aws_ec2_instance_view(c, WEB1, &v, &e), SG_OK);
	for (size_t k = 0; v && k < v->n_volumes; k++)
		if (!strcmp(v->volumes[k].device, "/dev/xvda"))
			CHECK(!v->volumes[k].delete_on_termination);
	pb_instance_free(v);
	/* error paths */
	CHECK_INT(aws_ec2_set_disable_api_stop(c, "i-0000000000000dead", true, 0, &e),
	          SG_ERR_NOTFOUND);
	CHECK_INT(aws_ec2_set_shutdown_behavior(c, WEB2, "explode", 0, &e), SG_ERR_INVAL);
	CHECK(aws_ec2_set_delete_on_termination(c, WEB1, (const char *[]){"/dev/sdz"}, 1, false, 0, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	aws_client_free(c);
}

TEST(ec2_metadata_options)
{
	struct aws_client *c = client();
	struct aws_error e;
	struct aws_ec2_metadata_options o = {.http_tokens = "required", .hop_limit = 1,
	                                     .http_endpoint = "enabled"};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_modify_metadata_options(c, WEB1, &o, 0, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "instanceMetadataOptions/httpTokens"), "required");
	CHECK_STR(aws_xml_str(r, "instanceMetadataOptions/state"), "pending");
	aws_xml_free(r);
	emu_advance(5);
	pb_instance *v = NULL;
	CHECK_INT(aws_ec2_instance_view(c, WEB1, &v, &e), SG_OK);
	if (v) {
		CHECK_STR(v->md_state, "applied");
		CHECK_STR(v->http_tokens, "required");
	}
	pb_instance_free(v);
	o.http_tokens = "sometimes";
	CHECK(aws_ec2_modify_metadata_options(c, WEB1, &o, 0, NULL, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	aws_client_free(c);
}

TEST(ec2_tags)
{
	struct aws_client *c = client();
	struct aws_error e;
	const char *ids[] = {WEB1, "vol-0a000000000000001"};
	struct aws_tag tags[] = {{"ssrfguard:incident", "inc-42"}, {"ssrfguard:state", "contained"}};
	CHECK_INT(aws_ec2_create_tags(c, ids, 2, tags, 2, 0, &e), SG_OK);
	const char *vals[] = {WEB1};
	struct aws_filter f = {"resource-id", vals, 1};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_describe_tags(c, &f, 1, &r, &e), SG_OK);
	int found = 0;
	for (AWS_XML_EACH(t, aws_xml_child(r, "tagSet")))
		if (!strcmp(aws_xml_str_or(t, "key", ""), "ssrfguard:incident") &&
		    !strcmp(aws_xml_str_or(t, "value", ""), "inc-42"))
			found++;
	CHECK_INT(found, 1);
	aws_xml_free(r);
	const char *bad[] = {"i-0000000000000dead"};
	CHECK_INT(aws_ec2_create_tags(c, bad, 1, tags, 1, 0, &e), SG_ERR_NOTFOUND);
	aws_client_free(c);
}

TEST(ec2_security_groups_and_enis)
{
	struct aws_client *c = client();
	struct aws_error e;
	char gid[32] = "";
	struct aws_tag t = {"ssrfguard:quarantine", "inc-42"};
	CHECK_INT(aws_ec2_create_security_group(c, VPC, "ssrfguard-quarantine", "no traffic", &t, 1,
	                                        0, gid, &e),
	          SG_OK);
	CHECK(!strncmp(gid, "sg-", 3));
	/* a second create of the same name is a duplicate */
	char gid2[32];
	CHECK_INT(aws_ec2_create_security_group(c, VPC, "ssrfguard-quarantine", "no traffic", NULL, 0,
	                                        0, gid2, &e),
	          SG_ERR_EXISTS);
	CHECK_STR(e.code, "InvalidGroup.Duplicate");

	/* a new group allows all egress (v4 and v6 by default in a dual-stack VPC): revoke it */
	struct aws_ip_permission all4 = {.protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"};
	CHECK_INT(aws_ec2_security_group_rules(c, AWS_SG_REVOKE_EGRESS, gid, &all4, 1, 0, &e), SG_OK);
	struct aws_ip_permission https_in = {.protocol = "tcp", .from_port = 22, .to_port = 22,
	                                     .cidr_ipv4 = "10.0.1.99/32", .description = "forensics"};
	CHECK_INT(aws_ec2_security_group_rules(c, AWS_SG_AUTHORIZE_INGRESS, gid, &https_in, 1, 0, &e),
	          SG_OK);
	CHECK_INT(aws_ec2_security_group_rules(c, AWS_SG_AUTHORIZE_INGRESS, gid, &https_in, 1, 0, &e),
	          SG_ERR_EXISTS);
	struct aws_ip_permission v6 = {.protocol = "tcp", .from_port = 443, .to_port = 443,
	                               .cidr_ipv6 = "2600:1f18:4a3:6901::99/128"};
	CHECK_INT(aws_ec2_security_group_rules(c, AWS_SG_AUTHORIZE_EGRESS, gid, &v6, 1, 0, &e), SG_OK);
	CHECK_INT(aws_ec2_security_group_rules(c, AWS_SG_REVOKE_INGRESS, gid, &https_in, 1, 0, &e),
	          SG_OK);
	CHECK(aws_ec2_security_group_rules(c, AWS_SG_REVOKE_INGRESS, gid, &https_in, 1, 0, &e) !=
	      SG_OK);

	const char *g1[] = {gid};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_describe_security_groups(c, g1, 1, NULL, 0, &r, &e), SG_OK);
	const struct aws_xml *sg = aws_xml_get(r, "securityGroupInfo/item");
	CHECK_STR(aws_xml_str(sg, "groupName"), "ssrfguard-quarantine");
	CHECK_INT(aws_xml_count(aws_xml_child(sg, "ipPermissions")), 0);
	int v6egress = 0;
	for (AWS_XML_EACH(p, aws_xml_child(sg, "ipPermissionsEgress")))
		if (aws_xml_get(p, "ipv6Ranges/item"))
			v6egress++;
	CHECK(v6egress >= 1);
	aws_xml_free(r);

	/* ENIs: move both of web-1's ENIs into the quarantine group */
	const char *eni_vals[] = {WEB1};
	struct aws_filter f = {"attachment.instance-id", eni_vals, 1};
	CHECK_INT(aws_ec2_describe_network_interfaces(c, NULL, 0, &f, 1, &r, &e), SG_OK);
	CHECK_INT(aws_xml_count(aws_xml_child(r, "networkInterfaceSet")), 2);
	for (AWS_XML_EACH(ni, aws_xml_child(r, "networkInterfaceSet")))
		CHECK_INT(aws_ec2_set_eni_groups(c, aws_xml_str(ni, "networkInterfaceId"), g1, 1, 0, &e),
		          SG_OK);
	aws_xml_free(r);
	const char *enis[] = {"eni-0a000000000000001", "eni-0a000000000000002"};
	CHECK_INT(aws_ec2_describe_network_interfaces(c, enis, 2, NULL, 0, &r, &e), SG_OK);
	for (AWS_XML_EACH(ni, aws_xml_child(r, "networkInterfaceSet"))) {
		CHECK_INT(aws_xml_count(aws_xml_child(ni, "groupSet")), 1);
		CHECK_STR(aws_xml_str(ni, "groupSet/item/groupId"), gid);
	}
	aws_xml_free(r);
	const char *nogroup[] = {"sg-0000000000000dead"};
	CHECK_INT(aws_ec2_set_eni_groups(c, enis[0], nogroup, 1, 0, &e), SG_ERR_NOTFOUND);
	CHECK_INT(aws_ec2_set_eni_groups(c, enis[0], g1, 1, AWS_CALL_DRY_RUN, &e), SG_OK);
	aws_client_free(c);
}

TEST(ec2_snapshots_volumes)
{
	struct aws_client *c = client();
	struct aws_error e;
	struct aws_tag t = {"ssrfguard:incident", "inc-42"};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_create_snapshots(c, WEB1, "ssrfguard inc-42", &t, 1, true, 0, &r, &e), SG_OK);
	CHECK_INT(aws_xml_count(aws_xml_child(r, "snapshotSet")), 2);
	const char *snap = NULL;
	char snapid[32] = "";
	for (AWS_XML_EACH(s, aws_xml_child(r, "snapshotSet")))
		if (!strcmp(aws_xml_str_or(s, "volumeId", ""), "vol-0a000000000000001"))
			snap = aws_xml_str(s, "snapshotId");
	CHECK(snap != NULL);
	snprintf(snapid, sizeof snapid, "%s", snap ? snap : "");
	aws_xml_free(r);
	const char *sids[] = {snapid};
	CHECK_INT(aws_ec2_describe_snapshots(c, sids, 1, NULL, 0, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "snapshotSet/item/status"), "pending");
	aws_xml_free(r);
	emu_advance(10);
	CHECK_INT(aws_ec2_describe_snapshots(c, sids, 1, NULL, 0, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "snapshotSet/item/status"), "completed");
	aws_xml_free(r);
	const char *nosnap[] = {"snap-0000000000000dead"};
	CHECK_INT(aws_ec2_describe_snapshots(c, nosnap, 1, NULL, 0, &r, &e), SG_ERR_NOTFOUND);

	/* CreateVolume is idempotent through its ClientToken */
	char token[37], vol1[32] = "", vol2[32] = "";
	CHECK_INT(aws_client_token(token), SG_OK);
	struct aws_ec2_volume_spec spec = {.availability_zone = "us-east-1a", .snapshot_id = snapid,
	                                   .volume_type = "gp3", .client_token = token,
	                                   .tags = &t, .ntags = 1};
	CHECK_INT(aws_ec2_create_volume(c, &spec, 0, vol1, &e), SG_OK);
	CHECK_INT(aws_ec2_create_volume(c, &spec, 0, vol2, &e), SG_OK);
	CHECK_STR(vol1, vol2);
	emu_advance(5);
	const char *vids[] = {vol1};
	CHECK_INT(aws_ec2_describe_volumes(c, vids, 1, NULL, 0, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "volumeSet/item/status"), "available");
	CHECK_STR(aws_xml_str(r, "volumeSet/item/snapshotId"), snapid);
	aws_xml_free(r);
	CHECK_INT(aws_ec2_attach_volume(c, vol1, FORENSIC, "/dev/sdh", 0, &e), SG_OK);
	emu_advance(5);
	CHECK_INT(aws_ec2_describe_volumes(c, vids, 1, NULL, 0, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "volumeSet/item/attachmentSet/item/instanceId"), FORENSIC);
	CHECK_STR(aws_xml_str(r, "volumeSet/item/attachmentSet/item/device"), "/dev/sdh");
	aws_xml_free(r);
	/* error paths: attach again (in use), a device already taken, a missing snapshot */
	CHECK(aws_ec2_attach_volume(c, vol1, FORENSIC, "/dev/sdi", 0, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	spec.snapshot_id = "snap-0000000000000dead";
	spec.client_token = NULL;
	CHECK_INT(aws_ec2_create_volume(c, &spec, 0, vol2, &e), SG_ERR_NOTFOUND);
	CHECK_INT(aws_ec2_create_snapshots(c, "i-0000000000000dead", NULL, NULL, 0, false, 0, NULL, &e),
	          SG_ERR_NOTFOUND);
	/* dry run of a create: permitted, creates nothing */
	json_t *before = state("ec2");
	size_t nsnap = json_object_size(json_object_get(before, "snapshots"));
	json_decref(before);
	CHECK_INT(aws_ec2_create_snapshots(c, WEB1, NULL, NULL, 0, false, AWS_CALL_DRY_RUN, NULL, &e), SG_OK);
	json_t *after = state("ec2");
	CHECK_INT(json_object_size(json_object_get(after, "snapshots")), nsnap);
	json_decref(after);
	aws_client_free(c);
}

TEST(ec2_instance_profiles)
{
	struct aws_client *c = client();
	struct aws_error e;
	const char *vals[] = {WEB2};
	struct aws_filter f = {"instance-id", vals, 1};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_ec2_describe_iip_associations(c, &f, 1, &r, &e), SG_OK);
	char assoc[64] = "";
	snprintf(assoc, sizeof assoc, "%s",
	         aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/associationId", ""));
	CHECK(!strncmp(assoc, "iip-assoc-", 10));
	aws_xml_free(r);
	char newassoc[64] = "";
	CHECK_INT(aws_ec2_replace_iip_association(c, assoc, "forensics-profile", 0, newassoc, &e),
	          SG_OK);
	CHECK(newassoc[0] && strcmp(newassoc, assoc));
	CHECK_INT(aws_ec2_disassociate_iip(c, newassoc, 0, &e), SG_OK);
	emu_advance(5);
	CHECK_INT(aws_ec2_disassociate_iip(c, "iip-assoc-0000000000000dead", 0, &e),
	          SG_ERR_NOTFOUND);
	char a3[64] = "";
	CHECK_INT(aws_ec2_associate_iip(c, WEB2,
	                                "arn:aws:iam::123456789012:instance-profile/web-fleet-profile",
	                                0, a3, &e),
	          SG_OK);
	CHECK(!strncmp(a3, "iip-assoc-", 10));
	/* a second association while one exists is refused */
	CHECK(aws_ec2_associate_iip(c, WEB2, "web-fleet-profile", 0, NULL, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	CHECK_INT(aws_ec2_associate_iip(c, WEB2, "web-fleet-profile", AWS_CALL_DRY_RUN, NULL, &e),
	          SG_ERR_UNSUPPORTED);
	aws_client_free(c);
}

TEST(autoscaling)
{
	struct aws_client *c = client();
	struct aws_error e;
	const char *ids[] = {WEB1};
	struct aws_xml *r = NULL;
	CHECK_INT(aws_asg_describe_instances(c, ids, 1, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member/"
	                         "AutoScalingGroupName"),
	          "web-asg");
	aws_xml_free(r);
	CHECK_INT(aws_asg_detach_instances(c, "web-asg", ids, 1, true, 0, &r, &e), SG_OK);
	CHECK(aws_xml_get(r, "DetachInstancesResult/Activities/member") != NULL);
	aws_xml_free(r);
	emu_advance(5);
	const char *names[] = {"web-asg"};
	CHECK_INT(aws_asg_describe_groups(c, names, 1, &r, &e), SG_OK);
	const struct aws_xml *g = aws_xml_get(r, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member");
	CHECK_STR(aws_xml_str(g, "DesiredCapacity"), "1");
	for (AWS_XML_EACH(i, aws_xml_child(g, "Instances")))
		CHECK(strcmp(aws_xml_str_or(i, "InstanceId", ""), WEB1) != 0);
	aws_xml_free(r);
	/* detaching again: the instance is no longer in the group */
	CHECK(aws_asg_detach_instances(c, "web-asg", ids, 1, true, 0, NULL, &e) != SG_OK);
	CHECK_STR(e.code, "ValidationError");
	CHECK_INT(aws_asg_attach_instances(c, "web-asg", ids, 1, 0, &e), SG_OK);
	CHECK_INT(aws_asg_describe_groups(c, names, 1, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member/"
	                         "DesiredCapacity"),
	          "2");
	aws_xml_free(r);
	const char *nog[] = {"no-such-asg"};
	CHECK_INT(aws_asg_describe_groups(c, nog, 1, &r, &e), SG_OK);
	CHECK_INT(aws_xml_count(aws_xml_get(r, "DescribeAutoScalingGroupsResult/AutoScalingGroups")), 0);
	aws_xml_free(r);
	CHECK(aws_asg_attach_instances(c, "no-such-asg", ids, 1, 0, &e) != SG_OK);
	aws_client_free(c);
}

TEST(elbv2_and_classic)
{
	struct aws_client *c = client();
	struct aws_error e;
	struct aws_xml *r = NULL;
	CHECK_INT(aws_elbv2_describe_target_groups(c, NULL, 0, NULL, &r, &e), SG_OK);
	char tg[256] = "";
	for (AWS_XML_EACH(t, aws_xml_get(r, "DescribeTargetGroupsResult/TargetGroups")))
		if (!strcmp(aws_xml_str_or(t, "TargetGroupName", ""), "web-instances"))
			snprintf(tg, sizeof tg, "%s", aws_xml_str_or(t, "TargetGroupArn", ""));
	aws_xml_free(r);
	CHECK(tg[0] != '\0');
	struct aws_elbv2_target t = {.id = WEB2};
	CHECK_INT(aws_elbv2_deregister_targets(c, tg, &t, 1, 0, &e), SG_OK);
	CHECK_INT(aws_elbv2_describe_target_health(c, tg, &t, 1, &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "DescribeTargetHealthResult/TargetHealthDescriptions/member/"
	                         "TargetHealth/State"),
	          "draining");
	aws_xml_free(r);
	emu_advance(5);
	CHECK_INT(aws_elbv2_describe_target_health(c, tg, NULL, 0, &r, &e), SG_OK);
	for (AWS_XML_EACH(d, aws_xml_get(r, "DescribeTargetHealthResult/TargetHealthDescriptions")))
		CHECK(strcmp(aws_xml_str_or(d, "Target/Id", ""), WEB2) != 0);
	aws_xml_free(r);
	CHECK_INT(aws_elbv2_register_targets(c, tg, &t, 1, 0, &e), SG_OK);
	const char *bad = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0000000000000000";
	CHECK_INT(aws_elbv2_describe_target_health(c, bad, NULL, 0, &r, &e), SG_ERR_NOTFOUND);
	CHECK_STR(e.code, "TargetGroupNotFound");

	const char *lbn[] = {"web-classic"};
	CHECK_INT(aws_elb_describe_load_balancers(c, lbn, 1, &r, &e), SG_OK);
	CHECK_INT(aws_xml_count(aws_xml_get(r, "DescribeLoadBalancersResult/LoadBalancerDescriptions/"
	                                       "member/Instances")),
	          2);
	aws_xml_free(r);
	const char *ids[] = {WEB2};
	CHECK_INT(aws_elb_deregister_instances(c, "web-classic", ids, 1, 0, &e), SG_OK);
	CHECK_INT(aws_elb_describe_load_balancers(c, lbn, 1, &r, &e), SG_OK);
	CHECK_INT(aws_xml_count(aws_xml_get(r, "DescribeLoadBalancersResult/LoadBalancerDescriptions/"
	                                       "member/Instances")),
	          1);
	aws_xml_free(r);
	CHECK_INT(aws_elb_register_instances(c, "web-classic", ids, 1, 0, &e), SG_OK);
	const char *nolb[] = {"no-such-lb"};
	CHECK_INT(aws_elb_describe_load_balancers(c, nolb, 1, &r, &e), SG_ERR_NOTFOUND);
	CHECK(e.code[0] != '\0');
	aws_client_free(c);
}

TEST(ssm_run_command)
{
	struct aws_client *c = client();
	struct aws_error e;
	const char *ids[] = {WEB1};
	const char *cmds[] = {"uname -a"};
	char cid[64] = "";
	struct aws_ssm_command sc = {.instance_ids = ids, .n = 1, .commands = cmds, .ncommands = 1,
	                             .comment = "inc-42 volatile", .delivery_timeout_s = 600};
	CHECK_INT(aws_ssm_send_command(c, &sc, 0, cid, NULL, &e), SG_OK);
	char found[64];
	CHECK_INT(aws_ssm_find_command(c, WEB1, "inc-42 volatile", found, &e), SG_OK);
	CHECK_STR(found, cid);
	CHECK_INT(aws_ssm_find_command(c, WEB1, "no such comment", found, &e), SG_ERR_NOTFOUND);
	CHECK(cid[0] != '\0');
	json_t *r = NULL;
	sg_err rc = aws_ssm_get_command_invocation(c, cid, WEB1, &r, &e);
	CHECK(rc == SG_OK || rc == SG_ERR_NOTFOUND);
	json_decref(r);
	r = NULL;
	emu_advance(5);
	CHECK_INT(aws_ssm_get_command_invocation(c, cid, WEB1, &r, &e), SG_OK);
	const char *status = json_string_value(json_object_get(r, "Status"));
	CHECK_STR(status, "Success");
	const char *out = json_string_value(json_object_get(r, "StandardOutputContent"));
	CHECK(out && strstr(out, "Linux web-1") != NULL);
	json_decref(r);
	CHECK_INT(aws_ssm_get_command_invocation(c, "00000000-0000-0000-0000-000000000000", WEB1, &r,
	                                         &e),
	          SG_ERR_NOTFOUND);
	const char *bad[] = {"i-0000000000000dead"};
	struct aws_ssm_command sb = {.instance_ids = bad, .n = 1, .commands = cmds, .ncommands = 1};
	CHECK(aws_ssm_send_command(c, &sb, 0, cid, NULL, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	aws_client_free(c);
}

TEST(iam_policies)
{
	struct aws_client *c = client();
	struct aws_error e;
	struct aws_xml *r = NULL;
	CHECK_INT(aws_iam_get_instance_profile(c, "web-fleet-profile", &r, &e), SG_OK);
	CHECK_STR(aws_xml_str(r, "GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName"),
	          "web-fleet-role");
	aws_xml_free(r);
	CHECK_INT(aws_iam_get_instance_profile(c, "nope", &r, &e), SG_ERR_NOTFOUND);
	CHECK_STR(e.code, "NoSuchEntity");
	const char *doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\","
	                  "\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":"
	                  "{\"aws:TokenIssueTime\":\"2026-11-25T18:00:00Z\"}}}]}";
	CHECK_INT(aws_iam_put_role_policy(c, "web-fleet-role", "ssrfguard-revoke", doc, 0, &e), SG_OK);
	char *got = NULL;
	CHECK_INT(aws_iam_get_role_policy(c, "web-fleet-role", "ssrfguard-revoke", &got, &e), SG_OK);
	json_t *a = json_loads(doc, 0, NULL), *b = got ? json_loads(got, 0, NULL) : NULL;
	CHECK(a && b && json_equal(a, b));
	json_decref(a);
	json_decref(b);
	free(got);
	CHECK_INT(aws_iam_delete_role_policy(c, "web-fleet-role", "ssrfguard-revoke", 0, &e), SG_OK);
	CHECK_INT(aws_iam_get_role_policy(c, "web-fleet-role", "ssrfguard-revoke", NULL, &e),
	          SG_ERR_NOTFOUND);
	CHECK_INT(aws_iam_delete_role_policy(c, "web-fleet-role", "ssrfguard-revoke", 0, &e),
	          SG_ERR_NOTFOUND);
	CHECK(aws_iam_put_role_policy(c, "web-fleet-role", "bad", "{not json", 0, &e) != SG_OK);
	CHECK(e.code[0] != '\0');
	aws_client_free(c);
}

TEST(sns_publish)
{
	struct aws_client *c = client();
	struct aws_error e;
	char mid[128] = "";
	CHECK_INT(aws_sns_publish(c, TOPIC, "ssrfguard inc-42", "contained i-0a1b2c3d4e5f60001", 0,
	                          mid, &e),
	          SG_OK);
	CHECK(mid[0] != '\0');
	json_t *sns = state("sns");
	CHECK(json_array_size(json_object_get(sns, "published")) >= 1);
	json_decref(sns);
	CHECK_INT(aws_sns_publish(c, "arn:aws:sns:us-east-1:123456789012:nope", NULL, "x", 0, NULL, &e),
	          SG_ERR_NOTFOUND);
	aws_client_free(c);
}

TEST(s3_get_object)
{
	struct aws_client *c = client();
	struct aws_error e;
	/* seeded through the control API; read back whole, signed for S3 */
	emu_do("POST", "/seed",
	       "{\"s3_buckets\": [{\"Name\": \"ir-evidence\", \"Objects\": "
	       "{\"ssrfguard/INC-1/capture/stdout\": \"hello evidence\\n\"}}]}");
	char *body = NULL;
	size_t len = 0;
	CHECK_INT(aws_s3_get_object(c, "ir-evidence", "ssrfguard/INC-1/capture/stdout", &body, &len, &e),
	          SG_OK);
	CHECK_INT((int)len, 15);
	CHECK(body && !memcmp(body, "hello evidence\n", 15));
	free(body);
	/* the responder's documented role has no s3:ListBucket: S3 answers a
	 * missing key 403 to it (GetObject, "Permissions"), and the client
	 * keeps that an authorisation error, not "not found" */
	CHECK_INT(aws_s3_get_object(c, "ir-evidence", "ssrfguard/none", &body, &len, &e),
	          SG_ERR_AUTH);
	CHECK_STR(e.code, "AccessDenied");
	CHECK_INT(aws_s3_get_object(c, "no-such-bucket", "k", &body, &len, &e), SG_ERR_NOTFOUND);
	/* names that would need encoding or normalising are refused unsent */
	CHECK_INT(aws_s3_get_object(c, "ir-evidence", "a/../b", &body, &len, &e), SG_ERR_INVAL);
	CHECK_INT(aws_s3_get_object(c, "ir-evidence", "a b", &body, &len, &e), SG_ERR_INVAL);
	CHECK_INT(aws_s3_get_object(c, "Bad_Bucket", "k", &body, &len, &e), SG_ERR_INVAL);
	aws_client_free(c);
}

struct count {
	const char *list; /* path of the list element in each page */
	int pages, items;
};

static sg_err count_page(void *ctx, const struct aws_xml *r)
{
	struct count *k = ctx;
	k->pages++;
	k->items += (int)aws_xml_count(aws_xml_get(r, k->list));
	return SG_OK;
}

TEST(pagination)
{
	struct aws_client *c = client();
	struct aws_error e;
	/* EC2: NextToken in, nextToken out */
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "MaxResults", "5");
	struct count k = {.list = "volumeSet"};
	CHECK_INT(aws_query_pages(c, AWS_EC2, "DescribeVolumes", p, "NextToken", "nextToken", 0,
	                          count_page, &k, &e),
	          SG_OK);
	struct aws_xml *all = NULL;
	CHECK_INT(aws_ec2_describe_volumes(c, NULL, 0, NULL, 0, &all, &e), SG_OK);
	CHECK_INT(k.items, (int)aws_xml_count(aws_xml_child(all, "volumeSet")));
	CHECK(k.items > 5);
	CHECK(k.pages >= 2);
	aws_xml_free(all);
	aws_params_free(p);
	/* Query: NextToken under the Result element */
	p = aws_params_new();
	aws_params_add(p, "MaxRecords", "1");
	k = (struct count){.list = "DescribeAutoScalingInstancesResult/AutoScalingInstances"};
	CHECK_INT(aws_query_pages(c, AWS_AUTOSCALING, "DescribeAutoScalingInstances", p, "NextToken",
	                          "DescribeAutoScalingInstancesResult/NextToken", 0, count_page, &k,
	                          &e),
	          SG_OK);
	CHECK_INT(k.items, 2);
	CHECK_INT(k.pages, 2);
	/* the page cap stops a server that never stops */
	k = (struct count){.list = "DescribeAutoScalingInstancesResult/AutoScalingInstances"};
	CHECK_INT(aws_query_pages(c, AWS_AUTOSCALING, "DescribeAutoScalingInstances", p, "NextToken",
	                          "DescribeAutoScalingInstancesResult/NextToken", 1, count_page, &k,
	                          &e),
	          SG_ERR_RANGE);
	aws_params_free(p);
	aws_client_free(c);
}

/* With TEST_THROTTLE_RATE set, every API call may be throttled at that rate
 * for the whole run: each call above must still do its job (retries). */
TEST(setup_faults)
{
	const char *rate = getenv("TEST_THROTTLE_RATE");
	if (!rate)
		return;
	char rule[128];
	snprintf(rule, sizeof rule, "{\"kind\":\"throttle\",\"rate\":%s}", rate);
	emu_fault(rule);
	json_t *f = emu("GET", "/faults", NULL);
	CHECK(f != NULL);
	json_decref(f);
}

TEST(report_faults)
{
	if (!getenv("TEST_THROTTLE_RATE"))
		return;
	json_t *s = emu("GET", "/faults", NULL);
	json_t *rules = json_is_array(s) ? s : json_object_get(s, "faults");
	json_int_t hits = 0;
	for (size_t i = 0; i < json_array_size(rules); i++)
		hits += json_integer_value(json_object_get(json_array_get(rules, i), "hits"));
	printf("throttled %lld calls\n", (long long)hits);
	CHECK(hits >= 10); /* the retries really were exercised */
	json_decref(s);
}

TEST_MAIN(setup_faults, sts_whoami, ec2_describe_and_view, ec2_instance_attributes, ec2_metadata_options,
          ec2_tags, ec2_security_groups_and_enis, ec2_snapshots_volumes, ec2_instance_profiles,
          autoscaling, elbv2_and_classic, ssm_run_command, iam_policies, sns_publish, s3_get_object,
          pagination,
          report_faults)
