/*
 * aws_scenario.c — the C client's half of the cross-check (cross_check.py):
 * performs a containment-like sequence on one instance through the typed
 * wrappers and prints what it created as JSON on stdout.
 *   aws_scenario INSTANCE_ID
 */
#include <stdio.h>

#include "aws/asg.h"
#include "aws/aws.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/iam.h"

static int fail(const char *what, sg_err rc, const struct aws_error *e)
{
	fprintf(stderr, "aws_scenario: %s: %s [%s] %s\n", what, sg_strerror(rc), e->code,
	        e->message);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: aws_scenario INSTANCE_ID\n");
		return 2;
	}
	const char *id = argv[1];
	struct aws_client_opts o = {.backoff_base_ms = 10};
	struct aws_client *c = NULL;
	struct aws_error e;
	sg_err rc = aws_client_new(&o, &c, &e);
	if (rc)
		return fail("client", rc, &e);
	pb_instance *v = NULL;
	if ((rc = aws_ec2_instance_view(c, id, &v, &e)))
		return fail("view", rc, &e);
	char gid[32];
	struct aws_tag t = {"ssrfguard:incident", "inc-xcheck"};
	if ((rc = aws_ec2_create_security_group(c, v->vpc, "ssrfguard-xcheck", "quarantine", &t, 1,
	                                        0, gid, &e)))
		return fail("CreateSecurityGroup", rc, &e);
	struct aws_ip_permission all = {.protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"};
	if ((rc = aws_ec2_security_group_rules(c, AWS_SG_REVOKE_EGRESS, gid, &all, 1, 0, &e)))
		return fail("RevokeSecurityGroupEgress", rc, &e);
	const char *g[] = {gid};
	for (size_t i = 0; i < v->n_enis; i++)
		if ((rc = aws_ec2_set_eni_groups(c, v->enis[i].id, g, 1, 0, &e)))
			return fail("ModifyNetworkInterfaceAttribute", rc, &e);
	if ((rc = aws_ec2_set_disable_api_termination(c, id, true, 0, &e)))
		return fail("ModifyInstanceAttribute", rc, &e);
	const char *ids[] = {id};
	struct aws_tag tags[] = {t, {"ssrfguard:state", "contained"}};
	if ((rc = aws_ec2_create_tags(c, ids, 1, tags, 2, 0, &e)))
		return fail("CreateTags", rc, &e);
	if (v->asg[0] &&
	    (rc = aws_asg_detach_instances(c, v->asg, ids, 1, true, 0, NULL, &e)))
		return fail("DetachInstances", rc, &e);
	struct aws_xml *tgs = NULL;
	if ((rc = aws_elbv2_describe_target_groups(c, NULL, 0, NULL, &tgs, &e)))
		return fail("DescribeTargetGroups", rc, &e);
	for (AWS_XML_EACH(tg, aws_xml_get(tgs, "DescribeTargetGroupsResult/TargetGroups"))) {
		const char *arn = aws_xml_str(tg, "TargetGroupArn");
		int port = (int)strtol(aws_xml_str_or(tg, "Port", "0"), NULL, 10);
		if (strcmp(aws_xml_str_or(tg, "TargetType", ""), "ip")) {
			struct aws_elbv2_target tgt = {.id = id};
			if ((rc = aws_elbv2_deregister_targets(c, arn, &tgt, 1, 0, &e)))
				return fail("DeregisterTargets", rc, &e);
			continue;
		}
		/* IP targets: every address of every ENI that the group lists */
		struct aws_xml *h = NULL;
		if ((rc = aws_elbv2_describe_target_health(c, arn, NULL, 0, &h, &e)))
			return fail("DescribeTargetHealth", rc, &e);
		for (AWS_XML_EACH(d, aws_xml_get(h, "DescribeTargetHealthResult/TargetHealthDescriptions"))) {
			const char *tid = aws_xml_str_or(d, "Target/Id", "");
			if (!pb_instance_matches_target(v, tid))
				continue;
			struct aws_elbv2_target tgt = {
				.id = tid, .port = (int)strtol(aws_xml_str_or(d, "Target/Port", "0"), NULL, 10)};
			if ((rc = aws_elbv2_deregister_targets(c, arn, &tgt, 1, 0, &e)))
				return fail("DeregisterTargets", rc, &e);
		}
		aws_xml_free(h);
		(void)port;
	}
	aws_xml_free(tgs);
	/* leaving the ASG already took it out of the ASG's classic ELB: look first */
	struct aws_xml *lbs = NULL;
	if ((rc = aws_elb_describe_load_balancers(c, NULL, 0, &lbs, &e)))
		return fail("DescribeLoadBalancers", rc, &e);
	for (AWS_XML_EACH(lb, aws_xml_get(lbs, "DescribeLoadBalancersResult/LoadBalancerDescriptions")))
		for (AWS_XML_EACH(in, aws_xml_child(lb, "Instances")))
			if (!strcmp(aws_xml_str_or(in, "InstanceId", ""), id) &&
			    (rc = aws_elb_deregister_instances(c, aws_xml_str(lb, "LoadBalancerName"), ids,
			                                       1, 0, &e)))
				return fail("DeregisterInstancesFromLoadBalancer", rc, &e);
	aws_xml_free(lbs);
	if ((rc = aws_iam_put_role_policy(c, "web-fleet-role", "ssrfguard-revoke",
	                                  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
	                                  "\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
	                                  0, &e)))
		return fail("PutRolePolicy", rc, &e);
	printf("{\"group_id\": \"%s\"}\n", gid);
	pb_instance_free(v);
	aws_client_free(c);
	return 0;
}
