/* record.c — PB_RECORD: describe the instance as it is (the release data). */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(e)                                                                                     \
	do {                                                                                       \
		if ((err = (e)) != SG_OK)                                                          \
			goto fail;                                                                 \
	} while (0)

static const struct aws_xml *find_instance(const struct aws_xml *root, const char *id,
                                           const char **owner)
{
	for (AWS_XML_EACH(res, aws_xml_get(root, "reservationSet")))
		for (AWS_XML_EACH(it, aws_xml_get(res, "instancesSet")))
			if (!strcmp(aws_xml_str_or(it, "instanceId", ""), id)) {
				*owner = aws_xml_str_or(res, "ownerId", "");
				return it;
			}
	return NULL;
}

static sg_err decode_instance(pb_instance *in, const struct aws_xml *it, const char *owner)
{
	sg_err err = SG_OK;
	TRY(pb_strset(in->account, sizeof in->account, owner));
	TRY(pb_strset(in->az, sizeof in->az, aws_xml_str_or(it, "placement/availabilityZone", "")));
	TRY(pb_strset(in->vpc, sizeof in->vpc, aws_xml_str_or(it, "vpcId", "")));
	TRY(pb_strset(in->state, sizeof in->state, aws_xml_str_or(it, "instanceState/name", "")));
	TRY(pb_strset(in->profile_arn, sizeof in->profile_arn,
	              aws_xml_str_or(it, "iamInstanceProfile/arn", "")));
	TRY(pb_strset(in->http_tokens, sizeof in->http_tokens,
	              aws_xml_str_or(it, "metadataOptions/httpTokens", "")));
	TRY(pb_strset(in->http_endpoint, sizeof in->http_endpoint,
	              aws_xml_str_or(it, "metadataOptions/httpEndpoint", "")));
	in->hop_limit = (int)strtol(aws_xml_str_or(it, "metadataOptions/httpPutResponseHopLimit", "0"),
	                            NULL, 10);
	for (AWS_XML_EACH(e, aws_xml_get(it, "networkInterfaceSet"))) {
		pb_eni *eni;
		int idx = (int)strtol(aws_xml_str_or(e, "attachment/deviceIndex", "0"), NULL, 10);
		TRY(pb_instance_add_eni(in, aws_xml_str_or(e, "networkInterfaceId", ""),
		                        aws_xml_str_or(e, "vpcId", in->vpc), aws_xml_str_or(e, "subnetId", ""),
		                        idx, &eni));
		for (AWS_XML_EACH(g, aws_xml_get(e, "groupSet")))
			TRY(pb_eni_add_group(eni, aws_xml_str_or(g, "groupId", "")));
		for (AWS_XML_EACH(a, aws_xml_get(e, "privateIpAddressesSet")))
			TRY(pb_eni_add_addr(eni, aws_xml_str_or(a, "privateIpAddress", "")));
		if (!aws_xml_get(e, "privateIpAddressesSet") && aws_xml_str(e, "privateIpAddress"))
			TRY(pb_eni_add_addr(eni, aws_xml_str(e, "privateIpAddress")));
		for (AWS_XML_EACH(a, aws_xml_get(e, "ipv6AddressesSet")))
			TRY(pb_eni_add_addr(eni, aws_xml_str_or(a, "ipv6Address", "")));
	}
	const char *rootdev = aws_xml_str_or(it, "rootDeviceName", "");
	for (AWS_XML_EACH(b, aws_xml_get(it, "blockDeviceMapping"))) {
		const char *vol = aws_xml_str(b, "ebs/volumeId");
		if (!vol)
			continue; /* instance store: nothing to snapshot */
		const char *dev = aws_xml_str_or(b, "deviceName", "");
		TRY(pb_instance_add_volume(in, vol, dev, aws_xml_bool(b, "ebs/deleteOnTermination"),
		                           !strcmp(dev, rootdev)));
	}
	for (AWS_XML_EACH(t, aws_xml_get(it, "tagSet")))
		TRY(pb_instance_add_tag(in, aws_xml_str_or(t, "key", ""), aws_xml_str_or(t, "value", "")));
fail:
	return err;
}

static sg_err attribute(rsp_run *x, const char *id, const char *attr, const char *path,
                        struct aws_xml **out)
{
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "InstanceId", id);
	aws_params_add(p, "Attribute", attr);
	sg_err err = rsp_query(x, AWS_EC2, "DescribeInstanceAttribute", p, 0, id, NULL, out, NULL);
	aws_params_free(p);
	(void)path;
	return err;
}

typedef struct tg_scan {
	rsp_run *x;
	pb_instance *in;
	sg_err err;
	char (*arns)[PB_ARN_MAX];
	size_t n, cap;
} tg_scan;

static sg_err tg_page(void *ctx, const struct aws_xml *reply)
{
	tg_scan *s = ctx;
	for (AWS_XML_EACH(g, aws_xml_get(reply, "DescribeTargetGroupsResult/TargetGroups"))) {
		const char *vpc = aws_xml_str_or(g, "VpcId", "");
		const char *type = aws_xml_str_or(g, "TargetType", "instance");
		if (strcmp(type, "instance") && strcmp(type, "ip"))
			continue; /* lambda and alb targets cannot hold an instance */
		/* an IP target group in another VPC may still hold our addresses
		 * (peering): scan them all, they are few */
		(void)vpc;
		if (s->n == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 16;
			if (nc > 4096)
				return SG_ERR_RANGE;
			void *na = realloc(s->arns, nc * sizeof *s->arns);
			if (!na)
				return SG_ERR_NOMEM;
			s->arns = na;
			s->cap = nc;
		}
		if (pb_strset(s->arns[s->n], PB_ARN_MAX, aws_xml_str_or(g, "TargetGroupArn", "")))
			return SG_ERR_RANGE;
		s->n++;
	}
	return SG_OK;
}

static sg_err elb_page(void *ctx, const struct aws_xml *reply)
{
	tg_scan *s = ctx;
	for (AWS_XML_EACH(lb, aws_xml_get(reply, "DescribeLoadBalancersResult/LoadBalancerDescriptions")))
		for (AWS_XML_EACH(i, aws_xml_get(lb, "Instances")))
			if (!strcmp(aws_xml_str_or(i, "InstanceId", ""), s->in->id)) {
				sg_err err = pb_instance_add_elb(s->in, aws_xml_str_or(lb, "LoadBalancerName", ""));
				if (err)
					return err;
			}
	return SG_OK;
}

/* Paginated describe, journaled as one call per page by hand. */
static sg_err pages(rsp_run *x, enum aws_service svc, const char *action, const char *out_path,
                    sg_err (*page)(void *, const struct aws_xml *), void *ctx)
{
	char marker[2048] = "";
	for (int n = 0; n < 1000; n++) {
		struct aws_params *p = aws_params_new();
		if (marker[0])
			aws_params_add(p, "Marker", marker);
		struct aws_xml *r = NULL;
		sg_err err = rsp_query(x, svc, action, p, 0, "", NULL, &r, NULL);
		aws_params_free(p);
		if (err)
			return err;
		err = page(ctx, r);
		const char *next = aws_xml_str(r, out_path);
		if (!err && next && next[0] && pb_strset(marker, sizeof marker, next))
			err = SG_ERR_RANGE;
		bool more = next && next[0];
		aws_xml_free(r);
		if (err || !more)
			return err;
	}
	return SG_ERR_RANGE;
}

sg_err rsp_describe_instance(rsp_run *x, const char *id, pb_instance **out)
{
	struct aws_params *p = NULL;
	struct aws_xml *r = NULL;
	pb_instance *in = pb_instance_new();
	tg_scan scan = {x, in, SG_OK, NULL, 0, 0};
	sg_err err = SG_ERR_NOMEM;
	*out = NULL;
	if (!in)
		goto fail;
	TRY(pb_strset(in->id, sizeof in->id, id));
	TRY(pb_strset(in->region, sizeof in->region, aws_client_region(x->aws)));

	p = aws_params_new();
	aws_params_add(p, "InstanceId.1", id);
	TRY(rsp_query(x, AWS_EC2, "DescribeInstances", p, 0, id, NULL, &r, NULL));
	const char *owner = "";
	const struct aws_xml *it = find_instance(r, id, &owner);
	if (!it) {
		snprintf(x->note, sizeof x->note, "instance %s not found", id);
		err = SG_ERR_NOTFOUND;
		goto fail;
	}
	TRY(decode_instance(in, it, owner));
	aws_xml_free(r);
	r = NULL;
	TRY(pb_instance_arn(in->region, in->account, in->id, in->arn, sizeof in->arn));

	/* protections and shutdown behaviour, as they were */
	if (attribute(x, id, "disableApiTermination", NULL, &r) == SG_OK)
		in->termination_protection = aws_xml_bool(r, "disableApiTermination/value");
	aws_xml_free(r);
	r = NULL;
	if (attribute(x, id, "instanceInitiatedShutdownBehavior", NULL, &r) == SG_OK)
		pb_strset(in->shutdown_behavior, sizeof in->shutdown_behavior,
		          aws_xml_str_or(r, "instanceInitiatedShutdownBehavior/value", ""));
	aws_xml_free(r);
	r = NULL;

	/* the profile association and its role */
	if (in->profile_arn[0]) {
		aws_params_free(p);
		p = aws_params_new();
		const char *v[] = {id};
		const char *st[] = {"associated"};
		struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 1}};
		aws_params_add_filters(p, f, 2);
		TRY(rsp_query(x, AWS_EC2, "DescribeIamInstanceProfileAssociations", p, 0, id, NULL, &r, NULL));
		TRY(pb_strset(in->profile_assoc, sizeof in->profile_assoc,
		              aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/associationId", "")));
		aws_xml_free(r);
		r = NULL;
		const char *slash = strrchr(in->profile_arn, '/');
		aws_params_free(p);
		p = aws_params_new();
		aws_params_add(p, "InstanceProfileName", slash ? slash + 1 : in->profile_arn);
		TRY(rsp_query(x, AWS_IAM, "GetInstanceProfile", p, 0, in->profile_arn, NULL, &r, NULL));
		TRY(pb_strset(in->role_name, sizeof in->role_name,
		              aws_xml_str_or(r, "GetInstanceProfileResult/InstanceProfile/Roles/member/RoleName",
		                             "")));
		aws_xml_free(r);
		r = NULL;
	}

	/* Auto Scaling group */
	aws_params_free(p);
	p = aws_params_new();
	aws_params_add(p, "InstanceIds.member.1", id);
	TRY(rsp_query(x, AWS_AUTOSCALING, "DescribeAutoScalingInstances", p, 0, id, NULL, &r, NULL));
	TRY(pb_strset(in->asg, sizeof in->asg,
	              aws_xml_str_or(r,
	                             "DescribeAutoScalingInstancesResult/AutoScalingInstances/member/"
	                             "AutoScalingGroupName",
	                             "")));
	aws_xml_free(r);
	r = NULL;

	/* every target group holding it: instance targets and IP targets on
	 * any of its addresses, with the registered ports */
	TRY(pages(x, AWS_ELBV2, "DescribeTargetGroups", "DescribeTargetGroupsResult/NextMarker", tg_page,
	          &scan));
	for (size_t i = 0; i < scan.n; i++) {
		aws_params_free(p);
		p = aws_params_new();
		aws_params_add(p, "TargetGroupArn", scan.arns[i]);
		TRY(rsp_query(x, AWS_ELBV2, "DescribeTargetHealth", p, 0, scan.arns[i], NULL, &r, NULL));
		for (AWS_XML_EACH(d, aws_xml_get(r, "DescribeTargetHealthResult/TargetHealthDescriptions"))) {
			const char *tid = aws_xml_str_or(d, "Target/Id", "");
			if (!pb_instance_matches_target(in, tid))
				continue;
			int port = (int)strtol(aws_xml_str_or(d, "Target/Port", "0"), NULL, 10);
			TRY(pb_instance_add_target(in, scan.arns[i], tid, port,
			                           aws_xml_str_or(d, "Target/AvailabilityZone", "")));
		}
		aws_xml_free(r);
		r = NULL;
	}
	/* classic ELBs */
	TRY(pages(x, AWS_ELB, "DescribeLoadBalancers", "DescribeLoadBalancersResult/NextMarker", elb_page,
	          &scan));
	*out = in;
	in = NULL;
	err = SG_OK;
fail:
	if (err && !x->note[0])
		snprintf(x->note, sizeof x->note, "describe %s: %s", id, sg_strerror(err));
	free(scan.arns);
	aws_xml_free(r);
	aws_params_free(p);
	pb_instance_free(in);
	return err;
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
	json_t *jo = j ? json_loads(j, 0, NULL) : NULL;
	free(j);
	if (!jo) {
		pb_instance_free(in);
		return SG_ERR_NOMEM;
	}
	json_object_set_new(x->data, "instance", jo);
	snprintf(x->note, sizeof x->note,
	         "%zu ENI(s), %zu volume(s), %s, ASG %s, %zu target registration(s), %zu classic ELB(s)",
	         in->n_enis, in->n_volumes, in->profile_arn[0] ? "a profile" : "no profile",
	         in->asg[0] ? in->asg : "none", in->n_targets, in->n_elbs);
	pb_instance_free(x->inst);
	x->inst = in;
	pb_plan_free(&x->plan);
	return SG_OK;
}
