/* contain.c — the containment steps: tag, IMDS, revoke, preserve, ASG, LB,
 * isolate, strip.  Each is idempotent: it looks at AWS before it changes
 * anything, so a rerun after a crash repeats nothing harmful. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(e)                                                                                     \
	do {                                                                                       \
		if ((err = (e)) != SG_OK)                                                          \
			goto fail;                                                                 \
	} while (0)

sg_err rsp_step_tag(rsp_run *x)
{
	struct aws_tag tags[] = {
		{"IncidentId", x->inc},
		{"InvestigationTicket", x->cfg->playbook.ticket},
		{"ssrfguard:status", "containing"},
	};
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "ResourceId.1", x->inst->id);
	aws_params_add_tags(p, "Tag", tags, 3);
	sg_err err = rsp_query(x, AWS_EC2, "CreateTags", p, 0, x->inst->id,
	                       "tags IncidentId, InvestigationTicket, ssrfguard:status", NULL, NULL);
	aws_params_free(p);
	if (!err)
		snprintf(x->note, sizeof x->note, "IncidentId=%s InvestigationTicket=%s", x->inc,
		         x->cfg->playbook.ticket);
	return err;
}

sg_err rsp_step_imds(rsp_run *x)
{
	const char *id = x->inst->id;
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "InstanceId", id);
	aws_params_add(p, "HttpTokens", "required");
	aws_params_add(p, "HttpPutResponseHopLimit", "1");
	aws_params_add(p, "HttpEndpoint", "enabled"); /* SSM capture needs it */
	sg_err err = rsp_query(x, AWS_EC2, "ModifyInstanceMetadataOptions", p, 0, id,
	                       "HttpTokens=required, hop limit 1", NULL, NULL);
	aws_params_free(p);
	if (err)
		return err;
	unsigned wait = x->cfg->imds_wait_s ? x->cfg->imds_wait_s : 60;
	int64_t deadline = rsp_now_ms() + (int64_t)wait * 1000;
	for (;;) {
		struct aws_xml *r = NULL;
		p = aws_params_new();
		aws_params_add(p, "InstanceId.1", id);
		err = rsp_query(x, AWS_EC2, "DescribeInstances", p, 0, id, NULL, &r, NULL);
		aws_params_free(p);
		if (err)
			return err;
		const struct aws_xml *mo =
			aws_xml_get(r, "reservationSet/item/instancesSet/item/metadataOptions");
		bool applied = !strcmp(aws_xml_str_or(mo, "state", ""), "applied") &&
		               !strcmp(aws_xml_str_or(mo, "httpTokens", ""), "required") &&
		               !strcmp(aws_xml_str_or(mo, "httpPutResponseHopLimit", ""), "1");
		aws_xml_free(r);
		if (applied) {
			snprintf(x->note, sizeof x->note, "IMDSv2 required, hop limit 1: applied");
			return SG_OK;
		}
		if (rsp_now_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "metadata options still pending after %u s", wait);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

sg_err rsp_step_revoke(rsp_run *x)
{
	const pb_instance *in = x->inst;
	if (!in->role_name[0]) {
		snprintf(x->note, sizeof x->note, "no instance profile role: nothing to revoke");
		return RSP_SKIP;
	}
	/* "now" is fixed at the first attempt and kept in the journal, so a
	 * rerun writes the same document */
	const char *before = rsp_created_get(x, "issued_before");
	char iso[32];
	if (!before) {
		rsp_iso8601(rsp_now_ms() + 1000, iso);
		rsp_created(x, "issued_before", iso);
		before = rsp_created_get(x, "issued_before");
	}
	char name[128], doc[1024];
	sg_err err = pb_revoke_policy_name(x->inc, name, sizeof name);
	if (!err)
		err = pb_revoke_policy(in->arn, before, doc, sizeof doc);
	if (err)
		return RSP_FATAL;
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "RoleName", in->role_name);
	aws_params_add(p, "PolicyName", name);
	aws_params_add(p, "PolicyDocument", doc);
	char change[256];
	snprintf(change, sizeof change, "inline deny %s for sessions issued before %s from %s", name,
	         before, in->id);
	err = rsp_query(x, AWS_IAM, "PutRolePolicy", p, 0, in->role_name, change, NULL, NULL);
	aws_params_free(p);
	if (!err) {
		rsp_created(x, "policy", name);
		snprintf(x->note, sizeof x->note, "role %s: %s denies sessions issued before %s from %s",
		         in->role_name, name, before, in->id);
	}
	return err;
}

static sg_err modify_attr(rsp_run *x, const char *name, const char *value, const char *change)
{
	struct aws_params *p = aws_params_new();
	char key[64];
	aws_params_add(p, "InstanceId", x->inst->id);
	snprintf(key, sizeof key, "%s.Value", name);
	aws_params_add(p, key, value);
	sg_err err = rsp_query(x, AWS_EC2, "ModifyInstanceAttribute", p, 0, x->inst->id, change, NULL, NULL);
	aws_params_free(p);
	return err;
}

sg_err rsp_step_preserve(rsp_run *x)
{
	sg_err err;
	TRY(modify_attr(x, "DisableApiTermination", "true", "termination protection on"));
	err = modify_attr(x, "DisableApiStop", "true", "stop protection on");
	if (err == SG_ERR_REMOTE || err == SG_ERR_UNSUPPORTED)
		rsp_notef(x, "stop protection not set (%s): older API or instance type", sg_strerror(err));
	else if (err)
		goto fail;
	TRY(modify_attr(x, "InstanceInitiatedShutdownBehavior", "stop", "shutdown behaviour stop"));
	size_t k = 0;
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "InstanceId", x->inst->id);
	for (size_t i = 0; i < x->inst->n_volumes; i++) {
		aws_params_addf(p, x->inst->volumes[i].device, "BlockDeviceMapping.%zu.DeviceName", k + 1);
		aws_params_addf(p, "false", "BlockDeviceMapping.%zu.Ebs.DeleteOnTermination", k + 1);
		k++;
	}
	if (k)
		err = rsp_query(x, AWS_EC2, "ModifyInstanceAttribute", p, 0, x->inst->id,
		                "DeleteOnTermination=false on every volume", NULL, NULL);
	aws_params_free(p);
	if (err)
		goto fail;
	snprintf(x->note, sizeof x->note,
	         "termination and stop protection, shutdown=stop, %zu volume(s) kept on termination", k);
fail:
	return err;
}

/* The ASG the instance is in right now and its lifecycle state ("" if none). */
static sg_err asg_now(rsp_run *x, char *group, size_t glen, char *life, size_t llen)
{
	struct aws_params *p = aws_params_new();
	struct aws_xml *r = NULL;
	aws_params_add(p, "InstanceIds.member.1", x->inst->id);
	sg_err err = rsp_query(x, AWS_AUTOSCALING, "DescribeAutoScalingInstances", p, 0, x->inst->id,
	                       NULL, &r, NULL);
	aws_params_free(p);
	if (!err) {
		const struct aws_xml *m =
			aws_xml_get(r, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
		snprintf(group, glen, "%s", aws_xml_str_or(m, "AutoScalingGroupName", ""));
		snprintf(life, llen, "%s", aws_xml_str_or(m, "LifecycleState", ""));
	}
	aws_xml_free(r);
	return err;
}

sg_err rsp_step_asg(rsp_run *x)
{
	char group[PB_NAME_MAX], life[64];
	sg_err err;
	if (!x->inst->asg[0]) {
		snprintf(x->note, sizeof x->note, "not in an Auto Scaling group");
		return RSP_SKIP;
	}
	/* Look first: a detach already under way (or done) is never repeated,
	 * so the desired capacity is never decremented twice. */
	if ((err = asg_now(x, group, sizeof group, life, sizeof life)))
		return err;
	if (group[0] && strncmp(life, "Detach", 6) != 0) {
		struct aws_params *p = aws_params_new();
		aws_params_add(p, "AutoScalingGroupName", group);
		aws_params_add(p, "InstanceIds.member.1", x->inst->id);
		aws_params_add(p, "ShouldDecrementDesiredCapacity",
		               x->cfg->playbook.decrement_desired ? "true" : "false");
		char change[PB_NAME_MAX + 64];
		snprintf(change, sizeof change, "detached from %s (%s desired capacity)", group,
		         x->cfg->playbook.decrement_desired ? "decrement" : "keep");
		err = rsp_query(x, AWS_AUTOSCALING, "DetachInstances", p, 0, group, change, NULL, NULL);
		aws_params_free(p);
		if (err)
			return err;
	}
	unsigned wait = x->cfg->asg_wait_s ? x->cfg->asg_wait_s : 120;
	int64_t deadline = rsp_now_ms() + (int64_t)wait * 1000;
	while (group[0]) {
		if (rsp_now_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "still %s in %s after %u s", life, group, wait);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
		if ((err = asg_now(x, group, sizeof group, life, sizeof life)))
			return err;
	}
	snprintf(x->note, sizeof x->note, "left Auto Scaling group %s", x->inst->asg);
	return SG_OK;
}

sg_err rsp_step_lb(rsp_run *x)
{
	sg_err err = SG_OK;
	size_t n = 0;
	for (size_t i = 0; i < x->plan.n; i++) {
		const pb_action *a = &x->plan.actions[i];
		struct aws_params *p = aws_params_new();
		struct aws_error e;
		aws_error_clear(&e);
		char change[PB_ARN_MAX + 128];
		if (a->op == PB_OP_TG_DEREGISTER) {
			aws_params_add(p, "TargetGroupArn", a->target);
			aws_params_add(p, "Targets.member.1.Id", a->arg);
			if (a->port)
				aws_params_add_int(p, "Targets.member.1.Port", a->port);
			for (size_t t = 0; t < x->inst->n_targets; t++)
				if (!strcmp(x->inst->targets[t].group_arn, a->target) &&
				    !strcmp(x->inst->targets[t].id, a->arg) && x->inst->targets[t].az[0])
					aws_params_set(p, "Targets.member.1.AvailabilityZone", x->inst->targets[t].az);
			snprintf(change, sizeof change, "deregistered %s:%d", a->arg, a->port);
			err = rsp_query(x, AWS_ELBV2, "DeregisterTargets", p, 0, a->target, change, NULL, &e);
			n++;
		} else if (a->op == PB_OP_ELB_DEREGISTER) {
			aws_params_add(p, "LoadBalancerName", a->target);
			aws_params_add(p, "Instances.member.1.InstanceId", a->arg);
			snprintf(change, sizeof change, "deregistered %s", a->arg);
			err = rsp_query(x, AWS_ELB, "DeregisterInstancesFromLoadBalancer", p, 0, a->target, change,
			                NULL, &e);
			n++;
		}
		aws_params_free(p);
		/* the ASG detach deregisters from the group's own load balancers;
		 * "not registered" means the work is done */
		if (err == SG_ERR_NOTFOUND || !strcmp(e.code, "InvalidEndPoint") ||
		    !strcmp(e.code, "InvalidInstance") || !strcmp(e.code, "InvalidTarget")) {
			rsp_notef(x, "%s: %s was no longer registered", a->target, a->arg);
			err = SG_OK;
		}
		if (err)
			return err;
	}
	if (!n) {
		snprintf(x->note, sizeof x->note, "behind no load balancer");
		return RSP_SKIP;
	}
	snprintf(x->note, sizeof x->note, "%zu registration(s) removed", n);
	return SG_OK;
}

/* ---- isolation ---------------------------------------------------------- */

/* Find the group tagged ssrfguard:role=ROLE in vpc; "" when none. */
static sg_err find_group(rsp_run *x, const char *vpc, const char *role, char *out, size_t cap)
{
	struct aws_params *p = aws_params_new();
	struct aws_xml *r = NULL;
	const char *v[] = {vpc}, *ro[] = {role};
	struct aws_filter f[] = {{"vpc-id", v, 1}, {"tag:ssrfguard:role", ro, 1}};
	aws_params_add_filters(p, f, 2);
	sg_err err = rsp_query(x, AWS_EC2, "DescribeSecurityGroups", p, 0, vpc, NULL, &r, NULL);
	aws_params_free(p);
	if (!err)
		snprintf(out, cap, "%s", aws_xml_str_or(r, "securityGroupInfo/item/groupId", ""));
	aws_xml_free(r);
	return err;
}

/* IpPermissions of one group's rules (ingress or egress), to revoke them. */
static sg_err revoke_all(rsp_run *x, const char *group, bool egress, size_t *revoked)
{
	struct aws_params *p = aws_params_new();
	struct aws_xml *r = NULL;
	aws_params_add(p, "GroupId.1", group);
	sg_err err = rsp_query(x, AWS_EC2, "DescribeSecurityGroups", p, 0, group, NULL, &r, NULL);
	aws_params_free(p);
	if (err)
		return err;
	const struct aws_xml *perms = aws_xml_get(r, egress ? "securityGroupInfo/item/ipPermissionsEgress"
	                                                    : "securityGroupInfo/item/ipPermissions");
	size_t k = 0;
	p = aws_params_new();
	aws_params_add(p, "GroupId", group);
	for (AWS_XML_EACH(perm, perms)) {
		k++;
		aws_params_addf(p, aws_xml_str_or(perm, "ipProtocol", "-1"), "IpPermissions.%zu.IpProtocol", k);
		if (aws_xml_str(perm, "fromPort"))
			aws_params_addf(p, aws_xml_str(perm, "fromPort"), "IpPermissions.%zu.FromPort", k);
		if (aws_xml_str(perm, "toPort"))
			aws_params_addf(p, aws_xml_str(perm, "toPort"), "IpPermissions.%zu.ToPort", k);
		size_t j = 0;
		for (AWS_XML_EACH(rg, aws_xml_get(perm, "ipRanges")))
			aws_params_addf(p, aws_xml_str_or(rg, "cidrIp", ""), "IpPermissions.%zu.IpRanges.%zu.CidrIp", k, ++j);
		j = 0;
		for (AWS_XML_EACH(rg, aws_xml_get(perm, "ipv6Ranges")))
			aws_params_addf(p, aws_xml_str_or(rg, "cidrIpv6", ""),
			                "IpPermissions.%zu.Ipv6Ranges.%zu.CidrIpv6", k, ++j);
		j = 0;
		for (AWS_XML_EACH(rg, aws_xml_get(perm, "groups")))
			aws_params_addf(p, aws_xml_str_or(rg, "groupId", ""),
			                "IpPermissions.%zu.Groups.%zu.GroupId", k, ++j);
		j = 0;
		for (AWS_XML_EACH(rg, aws_xml_get(perm, "prefixListIds")))
			aws_params_addf(p, aws_xml_str_or(rg, "prefixListId", ""),
			                "IpPermissions.%zu.PrefixListIds.%zu.PrefixListId", k, ++j);
	}
	aws_xml_free(r);
	if (k)
		err = rsp_query(x, AWS_EC2, egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress",
		                p, 0, group, egress ? "revoked every egress rule" : "revoked every ingress rule",
		                NULL, NULL);
	aws_params_free(p);
	*revoked += k;
	return err;
}

static sg_err authorize_one(rsp_run *x, const char *group, bool egress, bool v6)
{
	struct aws_params *p = aws_params_new();
	aws_params_add(p, "GroupId", group);
	aws_params_add(p, "IpPermissions.1.IpProtocol", "-1");
	if (v6)
		aws_params_add(p, "IpPermissions.1.Ipv6Ranges.1.CidrIpv6", "::/0");
	else
		aws_params_add(p, "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0");
	char change[64];
	snprintf(change, sizeof change, "allow all %s %s", v6 ? "IPv6" : "IPv4", egress ? "egress" : "ingress");
	sg_err err = rsp_query(x, AWS_EC2,
	                       egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress", p, 0,
	                       group, change, NULL, NULL);
	aws_params_free(p);
	return err == SG_ERR_EXISTS ? SG_OK : err; /* InvalidPermission.Duplicate: already there */
}

/* All traffic both ways, IPv4 and IPv6 (one call each: a duplicate
 * refuses the whole call, so they must not share one). */
static sg_err authorize_all(rsp_run *x, const char *group, bool egress)
{
	sg_err err = authorize_one(x, group, egress, false);
	if (!err)
		err = authorize_one(x, group, egress, true);
	return err;
}

/* Find or create the group of `role` (open | quarantine) in vpc. */
static sg_err ensure_group(rsp_run *x, const char *vpc, const char *role, char *out, size_t cap)
{
	char key[PB_ID_MAX + 32];
	snprintf(key, sizeof key, "%s-group:%s", role, vpc);
	const char *known = rsp_created_get(x, key);
	sg_err err;
	out[0] = '\0';
	if (!known)
		if ((err = find_group(x, vpc, role, out, cap)))
			return err;
	if (known)
		snprintf(out, cap, "%s", known);
	if (!out[0]) {
		char name[PB_ID_MAX + 32];
		snprintf(name, sizeof name, "ssrfguard-%s-%s", role, vpc);
		struct aws_params *p = aws_params_new();
		struct aws_xml *r = NULL;
		aws_params_add(p, "GroupName", name);
		aws_params_add(p, "GroupDescription",
		               !strcmp(role, "open") ? "ssrfguard: all-open step before quarantine"
		                                     : "ssrfguard: quarantine, no rules");
		aws_params_add(p, "VpcId", vpc);
		aws_params_add(p, "TagSpecification.1.ResourceType", "security-group");
		struct aws_tag tags[] = {{"ssrfguard:role", role}, {"Name", name}};
		aws_params_add_tags(p, "TagSpecification.1.Tag", tags, 2);
		char change[128];
		snprintf(change, sizeof change, "created group %s", name);
		err = rsp_query(x, AWS_EC2, "CreateSecurityGroup", p, 0, vpc, change, &r, NULL);
		aws_params_free(p);
		if (err == SG_ERR_EXISTS) {
			/* made by a racing responder or a crashed run: look it up by name */
			aws_xml_free(r);
			r = NULL;
			p = aws_params_new();
			const char *v[] = {vpc}, *nm[] = {name};
			struct aws_filter f[] = {{"vpc-id", v, 1}, {"group-name", nm, 1}};
			aws_params_add_filters(p, f, 2);
			err = rsp_query(x, AWS_EC2, "DescribeSecurityGroups", p, 0, vpc, NULL, &r, NULL);
			aws_params_free(p);
			if (!err)
				snprintf(out, cap, "%s", aws_xml_str_or(r, "securityGroupInfo/item/groupId", ""));
		} else if (!err)
			snprintf(out, cap, "%s", aws_xml_str_or(r, "groupId", ""));
		aws_xml_free(r);
		if (err)
			return err;
		if (!out[0])
			return SG_ERR_PROTOCOL;
	}
	rsp_created(x, key, out);
	/* make its rules right every time (a crash may have left them half
	 * done); a group just created may not be visible yet (NotFound for a
	 * moment, as AWS is eventually consistent): wait for it */
	for (int tries = 0;; tries++) {
		size_t revoked = 0;
		if (!strcmp(role, "open")) {
			if (!(err = authorize_all(x, out, false)))
				err = authorize_all(x, out, true);
		} else {
			if (!(err = revoke_all(x, out, false, &revoked)))
				err = revoke_all(x, out, true, &revoked);
		}
		if (err != SG_ERR_NOTFOUND || tries >= 20)
			return err;
		if ((err = rsp_pause(x)))
			return err;
	}
}

static sg_err set_groups(rsp_run *x, const char *eni, const char *group, const char *change)
{
	for (int tries = 0;; tries++) {
		struct aws_params *p = aws_params_new();
		aws_params_add(p, "NetworkInterfaceId", eni);
		aws_params_add(p, "SecurityGroupId.1", group);
		sg_err err =
			rsp_query(x, AWS_EC2, "ModifyNetworkInterfaceAttribute", p, 0, eni, change, NULL, NULL);
		aws_params_free(p);
		/* a just-created group may not be visible yet */
		if (err != SG_ERR_NOTFOUND || tries >= 20)
			return err;
		if ((err = rsp_pause(x)))
			return err;
	}
}

static sg_err eni_groups_now(rsp_run *x, const char *eni, char *first, size_t cap, size_t *n)
{
	struct aws_params *p = aws_params_new();
	struct aws_xml *r = NULL;
	aws_params_add(p, "NetworkInterfaceId.1", eni);
	sg_err err = rsp_query(x, AWS_EC2, "DescribeNetworkInterfaces", p, 0, eni, NULL, &r, NULL);
	aws_params_free(p);
	if (!err) {
		const struct aws_xml *g = aws_xml_get(r, "networkInterfaceSet/item/groupSet");
		*n = aws_xml_count(g);
		snprintf(first, cap, "%s", aws_xml_str_or(g, "item/groupId", ""));
	}
	aws_xml_free(r);
	return err;
}

sg_err rsp_step_isolate(rsp_run *x)
{
	const pb_instance *in = x->inst;
	char vpcs[PB_MAX_ENIS][PB_ID_MAX];
	size_t nv = pb_instance_vpcs(in, vpcs, PB_MAX_ENIS);
	char open[PB_MAX_ENIS][PB_ID_MAX], quar[PB_MAX_ENIS][PB_ID_MAX];
	sg_err err;
	for (size_t i = 0; i < nv; i++) {
		if ((err = ensure_group(x, vpcs[i], "open", open[i], PB_ID_MAX)))
			return err;
		const char *cfgq = x->cfg->playbook.quarantine_group;
		if (cfgq[0] && !strcmp(vpcs[i], in->vpc))
			snprintf(quar[i], PB_ID_MAX, "%s", cfgq);
		else if ((err = ensure_group(x, vpcs[i], "quarantine", quar[i], PB_ID_MAX)))
			return err;
	}
	bool conntrack_warned = false;
	for (size_t e = 0; e < in->n_enis; e++) {
		const pb_eni *eni = &in->enis[e];
		size_t v = 0;
		while (v < nv && strcmp(vpcs[v], eni->vpc))
			v++;
		if (v == nv)
			return SG_ERR_STATE;
		char cur[PB_ID_MAX];
		size_t ncur = 0;
		if ((err = eni_groups_now(x, eni->id, cur, sizeof cur, &ncur)))
			return err;
		if (ncur == 1 && !strcmp(cur, quar[v]))
			continue; /* done by an earlier run */
		/* all-open first: connections become untracked, so the switch to
		 * the rule-less group ends them instead of letting them live on */
		if ((err = set_groups(x, eni->id, open[v], "all-open group (untrack flows)")))
			return err;
		if (x->cfg->playbook.conntrack_timeouts && !conntrack_warned) {
			struct aws_params *p = aws_params_new();
			aws_params_add(p, "NetworkInterfaceId", eni->id);
			aws_params_add(p, "ConnectionTrackingSpecification.TcpEstablishedTimeout", "60");
			aws_params_add(p, "ConnectionTrackingSpecification.UdpStreamTimeout", "60");
			aws_params_add(p, "ConnectionTrackingSpecification.UdpTimeout", "30");
			struct aws_error ae;
			sg_err ce = rsp_query(x, AWS_EC2, "ModifyNetworkInterfaceAttribute", p, 0, eni->id,
			                      "shortest connection-tracking timeouts", NULL, &ae);
			aws_params_free(p);
			if (ce && !conntrack_warned) {
				rsp_notef(x, "could not shorten connection-tracking timeouts (%s)",
				          ae.code[0] ? ae.code : sg_strerror(ce));
				conntrack_warned = true;
			}
		}
		char change[128];
		snprintf(change, sizeof change, "quarantine group %s only (was %zu group(s))", quar[v],
		         eni->n_groups);
		if ((err = set_groups(x, eni->id, quar[v], change)))
			return err;
	}
	rsp_notef(x, "flows that AWS still tracks may survive the switch until they go idle "
	             "(tracked before the all-open step, or on untracked-exempt protocols)");
	snprintf(x->note, sizeof x->note, "%zu ENI(s) in quarantine across %zu VPC(s)", in->n_enis, nv);
	return SG_OK;
}

sg_err rsp_step_strip(rsp_run *x)
{
	const pb_instance *in = x->inst;
	if (!in->profile_assoc[0]) {
		snprintf(x->note, sizeof x->note, "no instance profile");
		return RSP_SKIP;
	}
	/* current association (a rerun may find it gone or replaced) */
	struct aws_params *p = aws_params_new();
	struct aws_xml *r = NULL;
	const char *v[] = {in->id};
	const char *st[] = {"associated", "associating"};
	struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 2}};
	aws_params_add_filters(p, f, 2);
	sg_err err = rsp_query(x, AWS_EC2, "DescribeIamInstanceProfileAssociations", p, 0, in->id, NULL,
	                       &r, NULL);
	aws_params_free(p);
	if (err)
		return err;
	char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
	snprintf(assoc, sizeof assoc, "%s",
	         aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/associationId", ""));
	snprintf(arn, sizeof arn, "%s",
	         aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/iamInstanceProfile/arn", ""));
	aws_xml_free(r);
	const char *qp = x->cfg->playbook.quarantine_profile;
	if (!assoc[0] || (qp[0] && !strcmp(arn, qp))) {
		snprintf(x->note, sizeof x->note, "profile already %s", qp[0] ? "replaced" : "removed");
		return SG_OK;
	}
	p = aws_params_new();
	aws_params_add(p, "AssociationId", assoc);
	if (qp[0]) {
		aws_params_add(p, "IamInstanceProfile.Arn", qp);
		err = rsp_query(x, AWS_EC2, "ReplaceIamInstanceProfileAssociation", p, 0, in->id,
		                "profile replaced by the quarantine profile", NULL, NULL);
	} else {
		err = rsp_query(x, AWS_EC2, "DisassociateIamInstanceProfile", p, 0, in->id,
		                "profile disassociated", NULL, NULL);
	}
	aws_params_free(p);
	if (!err)
		snprintf(x->note, sizeof x->note, "%s %.400s", qp[0] ? "replaced" : "removed", in->profile_arn);
	return err;
}
