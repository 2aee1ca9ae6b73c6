/* ec2_network.c — typed EC2 calls on ENIs, security groups and Elastic
 * IPs (see ec2.h). */
#include "aws/ec2_int.h"

sg_err aws_ec2_describe_network_interfaces(struct aws_client *c, const char *const *eni_ids,
                                           size_t n, const struct aws_filter *filters,
                                           size_t nfilters, struct aws_xml **reply,
                                           struct aws_error *err)
{
	struct aws_params *p = with_ids("NetworkInterfaceId", eni_ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeNetworkInterfaces", about(eni_ids, n, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_set_eni_groups(struct aws_client *c, const char *eni_id,
                              const char *const *group_ids, size_t n, unsigned flags,
                              struct aws_error *err)
{
	if (!eni_id || !n)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "NetworkInterfaceId", eni_id);
	aws_params_add_list(p, "SecurityGroupId", group_ids, n);
	return run(c, "ModifyNetworkInterfaceAttribute", eni_id, p, flags, NULL, err);
}

sg_err aws_ec2_set_eni_conntrack(struct aws_client *c, const char *eni_id,
                                 const struct aws_ec2_conntrack *t, unsigned flags,
                                 struct aws_error *err)
{
	if (!eni_id || !t)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "NetworkInterfaceId", eni_id);
	aws_params_add_int(p, "ConnectionTrackingSpecification.TcpEstablishedTimeout",
	                   t->tcp_established_s);
	aws_params_add_int(p, "ConnectionTrackingSpecification.UdpStreamTimeout", t->udp_stream_s);
	aws_params_add_int(p, "ConnectionTrackingSpecification.UdpTimeout", t->udp_s);
	return run(c, "ModifyNetworkInterfaceAttribute", eni_id, p, flags, NULL, err);
}

sg_err aws_ec2_describe_security_groups(struct aws_client *c, const char *const *group_ids,
                                        size_t n, const struct aws_filter *filters,
                                        size_t nfilters, struct aws_xml **reply,
                                        struct aws_error *err)
{
	struct aws_params *p = with_ids("GroupId", group_ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeSecurityGroups", about(group_ids, n, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_create_security_group(struct aws_client *c, const char *vpc_id, const char *name,
                                     const char *description, const struct aws_tag *tags,
                                     size_t ntags, unsigned flags, char group_id[32],
                                     struct aws_error *err)
{
	if (!vpc_id || !name || !description)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "VpcId", vpc_id);
	aws_params_add(p, "GroupName", name);
	aws_params_add(p, "GroupDescription", description);
	if (ntags) {
		aws_params_add(p, "TagSpecification.1.ResourceType", "security-group");
		aws_params_add_tags(p, "TagSpecification.1.Tag", tags, ntags);
	}
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "CreateSecurityGroup", vpc_id, p, flags | AWS_CALL_NOT_IDEMPOTENT,
	                group_id && !(flags & AWS_CALL_DRY_RUN) ? &r : NULL, err);
	if (!rc && r)
		rc = copy_out(r, "groupId", group_id, 32, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_security_group_rules(struct aws_client *c, enum aws_sg_rule_op op,
                                    const char *group_id, const struct aws_ip_permission *perms,
                                    size_t n, unsigned flags, struct aws_error *err)
{
	static const char *const actions[] = {
		[AWS_SG_AUTHORIZE_INGRESS] = "AuthorizeSecurityGroupIngress",
		[AWS_SG_AUTHORIZE_EGRESS] = "AuthorizeSecurityGroupEgress",
		[AWS_SG_REVOKE_INGRESS] = "RevokeSecurityGroupIngress",
		[AWS_SG_REVOKE_EGRESS] = "RevokeSecurityGroupEgress",
	};
	if (!group_id || !n || !perms || (unsigned)op > AWS_SG_REVOKE_EGRESS)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "GroupId", group_id);
	for (size_t i = 0; i < n; i++) {
		const struct aws_ip_permission *x = &perms[i];
		size_t k = i + 1;
		if (!x->protocol) {
			aws_params_free(p);
			return SG_ERR_INVAL;
		}
		aws_params_addf(p, x->protocol, "IpPermissions.%zu.IpProtocol", k);
		if (strcmp(x->protocol, "-1")) {
			char num[16];
			snprintf(num, sizeof num, "%d", x->from_port);
			aws_params_addf(p, num, "IpPermissions.%zu.FromPort", k);
			snprintf(num, sizeof num, "%d", x->to_port);
			aws_params_addf(p, num, "IpPermissions.%zu.ToPort", k);
		}
		if (x->cidr_ipv4) {
			aws_params_addf(p, x->cidr_ipv4, "IpPermissions.%zu.IpRanges.1.CidrIp", k);
			if (x->description)
				aws_params_addf(p, x->description,
				                "IpPermissions.%zu.IpRanges.1.Description", k);
		}
		if (x->cidr_ipv6) {
			aws_params_addf(p, x->cidr_ipv6, "IpPermissions.%zu.Ipv6Ranges.1.CidrIpv6", k);
			if (x->description)
				aws_params_addf(p, x->description,
				                "IpPermissions.%zu.Ipv6Ranges.1.Description", k);
		}
		if (x->group_id) {
			aws_params_addf(p, x->group_id, "IpPermissions.%zu.Groups.1.GroupId", k);
			if (x->description)
				aws_params_addf(p, x->description,
				                "IpPermissions.%zu.Groups.1.Description", k);
		}
	}
	return run(c, actions[op], group_id, p, flags, NULL, err);
}

sg_err aws_ec2_revoke_described_rules(struct aws_client *c, const char *group_id, bool egress,
                                      const struct aws_xml *ip_permissions, unsigned flags,
                                      size_t *n, struct aws_error *err)
{
	if (n)
		*n = 0;
	if (!group_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "GroupId", group_id);
	size_t k = 0;
	sg_err rc = aws_ec2_answer_revoke_params(p, ip_permissions, &k);
	if (rc) {
		aws_params_free(p);
		return rc;
	}
	if (!k) {
		aws_params_free(p);
		return SG_OK;
	}
	if (n)
		*n = k;
	return run(c, egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress", group_id,
	           p, flags, NULL, err);
}

sg_err aws_ec2_describe_addresses(struct aws_client *c, const struct aws_filter *filters,
                                  size_t nfilters, struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("", NULL, 0, filters, nfilters);
	NEED(p);
	return run(c, "DescribeAddresses", about(NULL, 0, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_disassociate_address(struct aws_client *c, const char *association_id,
                                    unsigned flags, struct aws_error *err)
{
	if (!association_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "AssociationId", association_id);
	return run(c, "DisassociateAddress", association_id, p, flags, NULL, err);
}

sg_err aws_ec2_associate_address(struct aws_client *c, const char *allocation_id, const char *eni,
                                 const char *private_ip, unsigned flags, struct aws_error *err)
{
	if (!allocation_id || !eni)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "AllocationId", allocation_id);
	aws_params_add(p, "NetworkInterfaceId", eni);
	if (private_ip && *private_ip)
		aws_params_add(p, "PrivateIpAddress", private_ip);
	return run(c, "AssociateAddress", eni, p, flags, NULL, err);
}
