/* ec2.c — typed EC2 calls (see ec2.h). */
#include "aws/ec2.h"

#include "aws/answers.h"

/* Each wrapper fills params, and this calls and frees them. */
static sg_err run(struct aws_client *c, const char *action, const char *target,
                  struct aws_params *p, unsigned flags, struct aws_xml **reply,
                  struct aws_error *err)
{
	return aws_query_take(c, AWS_EC2, action, target, p, flags, reply, err);
}

static struct aws_params *with_ids(const char *prefix, const char *const *ids, size_t n,
                                   const struct aws_filter *f, size_t nf)
{
	struct aws_params *p = aws_params_new();
	if (!p)
		return NULL;
	if (n)
		aws_params_add_list(p, prefix, ids, n);
	if (nf)
		aws_params_add_filters(p, f, nf);
	return p;
}

/* What a describe call is about, for the observer: its one id, else the
 * value of its first filter (a VPC, an incident tag), else nothing. */
static const char *about(const char *const *ids, size_t n, const struct aws_filter *f, size_t nf)
{
	if (n == 1)
		return ids[0];
	if (nf && f[0].nvalues)
		return f[0].values[0];
	return NULL;
}

#define NEED(p)                          \
	do {                                 \
		if (!(p))                        \
			return SG_ERR_NOMEM;         \
	} while (0)

/* The new resource's id at path of r into dst[dstlen] (answers.h). */
static sg_err copy_out(const struct aws_xml *r, const char *path, char *dst, size_t dstlen,
                       struct aws_error *err)
{
	if (!dst)
		return SG_OK;
	sg_err rc = aws_answer_id(r, path, dst, dstlen);
	if (rc)
		aws_error_set(err, NULL, "reply lacks the new resource id");
	return rc;
}

sg_err aws_ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                                  const struct aws_filter *filters, size_t nfilters,
                                  struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("InstanceId", ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeInstances", about(ids, n, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_describe_instance_types(struct aws_client *c, const char *instance_type,
                                       struct aws_xml **reply, struct aws_error *err)
{
	if (!instance_type || !instance_type[0])
		return SG_ERR_INVAL;
	struct aws_params *p = with_ids("InstanceType", &instance_type, 1, NULL, 0);
	NEED(p);
	return run(c, "DescribeInstanceTypes", instance_type, p, 0, reply, err);
}

sg_err aws_ec2_instance_view(struct aws_client *c, const char *instance_id, pb_instance **out,
                             struct aws_error *err)
{
	struct aws_xml *r = NULL;
	if (!out || !instance_id)
		return SG_ERR_INVAL;
	*out = NULL;
	pb_instance *v = pb_instance_new();
	if (!v)
		return SG_ERR_NOMEM;
	sg_err rc = aws_ec2_describe_instances(c, &instance_id, 1, NULL, 0, &r, err);
	if (rc)
		goto fail;
	rc = pb_instance_decode(v, r, instance_id);
	aws_xml_free(r);
	r = NULL;
	if (rc == SG_ERR_NOTFOUND)
		aws_error_set(err, "InvalidInstanceID.NotFound", "instance %s not in the reply",
		              instance_id);
	if (rc)
		goto fail;
	if (v->n_volumes) {
		const char *vids[PB_MAX_VOLUMES];
		for (size_t i = 0; i < v->n_volumes; i++)
			vids[i] = v->volumes[i].id;
		if ((rc = aws_ec2_describe_volumes(c, vids, v->n_volumes, NULL, 0, &r, err)) ||
		    (rc = pb_instance_merge_volumes(v, r)))
			goto fail;
		aws_xml_free(r);
		r = NULL;
	}
	const char *iid[] = {instance_id};
	struct aws_filter f = {"instance-id", iid, 1};
	if ((rc = aws_ec2_describe_iip_associations(c, &f, 1, &r, err)) ||
	    (rc = pb_instance_merge_iam(v, r)))
		goto fail;
	aws_xml_free(r);
	*out = v;
	return SG_OK;
fail:
	aws_xml_free(r);
	pb_instance_free(v);
	return rc;
}

sg_err aws_ec2_describe_instance_attribute(struct aws_client *c, const char *instance_id,
                                           const char *attribute, struct aws_xml **reply,
                                           struct aws_error *err)
{
	if (!instance_id || !attribute)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceId", instance_id);
	aws_params_add(p, "Attribute", attribute);
	return run(c, "DescribeInstanceAttribute", instance_id, p, 0, reply, err);
}

static sg_err modify_attr(struct aws_client *c, const char *instance_id, const char *name,
                          const char *value, unsigned flags, struct aws_error *err)
{
	if (!instance_id || !value)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceId", instance_id);
	aws_params_addf(p, value, "%s.Value", name);
	return run(c, "ModifyInstanceAttribute", instance_id, p, flags, NULL, err);
}

sg_err aws_ec2_set_disable_api_termination(struct aws_client *c, const char *instance_id, bool on,
                                           unsigned flags, struct aws_error *err)
{
	return modify_attr(c, instance_id, "DisableApiTermination", on ? "true" : "false", flags,
	                   err);
}

sg_err aws_ec2_set_disable_api_stop(struct aws_client *c, const char *instance_id, bool on,
                                    unsigned flags, struct aws_error *err)
{
	return modify_attr(c, instance_id, "DisableApiStop", on ? "true" : "false", flags, err);
}

sg_err aws_ec2_set_shutdown_behavior(struct aws_client *c, const char *instance_id,
                                     const char *behavior, unsigned flags, struct aws_error *err)
{
	if (!behavior || (strcmp(behavior, "stop") && strcmp(behavior, "terminate")))
		return SG_ERR_INVAL;
	return modify_attr(c, instance_id, "InstanceInitiatedShutdownBehavior", behavior, flags,
	                   err);
}

sg_err aws_ec2_set_delete_on_termination(struct aws_client *c, const char *instance_id,
                                         const char *const *devices, size_t n, bool on,
                                         unsigned flags, struct aws_error *err)
{
	if (!instance_id || !n || !devices)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceId", instance_id);
	for (size_t i = 0; i < n; i++) {
		aws_params_addf(p, devices[i] ? devices[i] : "", "BlockDeviceMapping.%zu.DeviceName",
		                i + 1);
		aws_params_addf(p, on ? "true" : "false",
		                "BlockDeviceMapping.%zu.Ebs.DeleteOnTermination", i + 1);
	}
	return run(c, "ModifyInstanceAttribute", instance_id, p, flags, NULL, err);
}

sg_err aws_ec2_modify_metadata_options(struct aws_client *c, const char *instance_id,
                                       const struct aws_ec2_metadata_options *o, unsigned flags,
                                       struct aws_xml **reply, struct aws_error *err)
{
	if (!instance_id || !o || o->hop_limit < 0 || o->hop_limit > 64)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceId", instance_id);
	if (o->http_tokens)
		aws_params_add(p, "HttpTokens", o->http_tokens);
	if (o->http_endpoint)
		aws_params_add(p, "HttpEndpoint", o->http_endpoint);
	if (o->hop_limit)
		aws_params_add_int(p, "HttpPutResponseHopLimit", o->hop_limit);
	if (o->instance_tags)
		aws_params_add(p, "InstanceMetadataTags", o->instance_tags);
	return run(c, "ModifyInstanceMetadataOptions", instance_id, p, flags, reply, err);
}

sg_err aws_ec2_create_tags(struct aws_client *c, const char *const *resource_ids, size_t n,
                           const struct aws_tag *tags, size_t ntags, unsigned flags,
                           struct aws_error *err)
{
	if (!n || !ntags)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add_list(p, "ResourceId", resource_ids, n);
	aws_params_add_tags(p, "Tag", tags, ntags);
	return run(c, "CreateTags", resource_ids[0], p, flags, NULL, err);
}

sg_err aws_ec2_describe_tags(struct aws_client *c, const struct aws_filter *filters,
                             size_t nfilters, struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("", NULL, 0, filters, nfilters);
	NEED(p);
	return run(c, "DescribeTags", about(NULL, 0, filters, nfilters), p, 0, reply, err);
}

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

sg_err aws_ec2_create_snapshots(struct aws_client *c, const char *instance_id,
                                const char *description, const struct aws_tag *tags,
                                size_t ntags, bool copy_volume_tags, unsigned flags,
                                struct aws_xml **reply, struct aws_error *err)
{
	if (!instance_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceSpecification.InstanceId", instance_id);
	if (description)
		aws_params_add(p, "Description", description);
	if (ntags) {
		aws_params_add(p, "TagSpecification.1.ResourceType", "snapshot");
		aws_params_add_tags(p, "TagSpecification.1.Tag", tags, ntags);
	}
	if (copy_volume_tags)
		aws_params_add(p, "CopyTagsFromSource", "volume");
	return run(c, "CreateSnapshots", instance_id, p, flags | AWS_CALL_NOT_IDEMPOTENT, reply, err);
}

sg_err aws_ec2_describe_snapshots(struct aws_client *c, const char *const *ids, size_t n,
                                  const struct aws_filter *filters, size_t nfilters,
                                  struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("SnapshotId", ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeSnapshots", about(ids, n, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_describe_own_snapshots(struct aws_client *c, const struct aws_filter *filters,
                                      size_t nfilters, struct aws_xml **reply,
                                      struct aws_error *err)
{
	struct aws_params *p = with_ids("", NULL, 0, filters, nfilters);
	NEED(p);
	aws_params_add(p, "Owner.1", "self");
	return run(c, "DescribeSnapshots", about(NULL, 0, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_copy_snapshot(struct aws_client *c, const char *source_snapshot_id,
                             const char *kms_key_id, const char *description,
                             const struct aws_tag *tags, size_t ntags, unsigned flags,
                             char snapshot_id[32], struct aws_error *err)
{
	if (!source_snapshot_id || !snapshot_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "SourceSnapshotId", source_snapshot_id);
	aws_params_add(p, "SourceRegion", aws_client_region(c));
	if (kms_key_id) {
		aws_params_add(p, "Encrypted", "true");
		aws_params_add(p, "KmsKeyId", kms_key_id);
	}
	if (description)
		aws_params_add(p, "Description", description);
	if (ntags) {
		aws_params_add(p, "TagSpecification.1.ResourceType", "snapshot");
		aws_params_add_tags(p, "TagSpecification.1.Tag", tags, ntags);
	}
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "CopySnapshot", source_snapshot_id, p, flags | AWS_CALL_NOT_IDEMPOTENT, &r,
	                err);
	snapshot_id[0] = '\0';
	if (!rc && !(flags & AWS_CALL_DRY_RUN)) {
		if (aws_answer_id(r, "snapshotId", snapshot_id, 32))
			rc = SG_ERR_PARSE;
	}
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_share_snapshot(struct aws_client *c, const char *snapshot_id,
                              const char *account_id, unsigned flags, struct aws_error *err)
{
	if (!snapshot_id || !account_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "SnapshotId", snapshot_id);
	aws_params_add(p, "Attribute", "createVolumePermission");
	aws_params_add(p, "OperationType", "add");
	aws_params_add(p, "UserId.1", account_id);
	return run(c, "ModifySnapshotAttribute", snapshot_id, p, flags, NULL, err);
}

sg_err aws_ec2_snapshot_shared_with(struct aws_client *c, const char *snapshot_id,
                                    const char *account_id, bool *shared,
                                    struct aws_error *err)
{
	if (!snapshot_id || !account_id || !shared)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "SnapshotId", snapshot_id);
	aws_params_add(p, "Attribute", "createVolumePermission");
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "DescribeSnapshotAttribute", snapshot_id, p, 0, &r, err);
	*shared = false;
	if (!rc)
		*shared = aws_ec2_answer_shared_with(r, account_id);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_create_volume(struct aws_client *c, const struct aws_ec2_volume_spec *spec,
                             unsigned flags, char volume_id[32], struct aws_error *err)
{
	if (!spec || !spec->availability_zone || (!spec->snapshot_id && spec->size_gib <= 0))
		return SG_ERR_INVAL;
	char token[37];
	const char *tok = spec->client_token;
	if (!tok) {
		sg_err rc = aws_client_token(token);
		if (rc)
			return rc;
		tok = token;
	}
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "AvailabilityZone", spec->availability_zone);
	if (spec->snapshot_id)
		aws_params_add(p, "SnapshotId", spec->snapshot_id);
	if (spec->volume_type)
		aws_params_add(p, "VolumeType", spec->volume_type);
	if (spec->size_gib > 0)
		aws_params_add_int(p, "Size", spec->size_gib);
	if (spec->kms_key_id) {
		aws_params_add(p, "Encrypted", "true");
		aws_params_add(p, "KmsKeyId", spec->kms_key_id);
	}
	aws_params_add(p, "ClientToken", tok);
	if (spec->ntags) {
		aws_params_add(p, "TagSpecification.1.ResourceType", "volume");
		aws_params_add_tags(p, "TagSpecification.1.Tag", spec->tags, spec->ntags);
	}
	/* The ClientToken makes every re-send the same create: idempotent. */
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "CreateVolume", spec->snapshot_id, p, flags,
	                volume_id && !(flags & AWS_CALL_DRY_RUN) ? &r : NULL, err);
	if (!rc && r)
		rc = copy_out(r, "volumeId", volume_id, 32, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_run_from_template(struct aws_client *c, const char *template_ref,
                                 const char *client_token, const struct aws_tag *tags,
                                 size_t ntags, unsigned flags, char instance_id[32],
                                 struct aws_error *err)
{
	if (!template_ref || !*template_ref || !client_token)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	/* an id is lt- and 17 hex digits; anything else is a name */
	bool id = !strncmp(template_ref, "lt-", 3) &&
	          strspn(template_ref + 3, "0123456789abcdef") == strlen(template_ref + 3);
	aws_params_add(p, id ? "LaunchTemplate.LaunchTemplateId" : "LaunchTemplate.LaunchTemplateName",
	               template_ref);
	aws_params_add(p, "MinCount", "1");
	aws_params_add(p, "MaxCount", "1");
	aws_params_add(p, "ClientToken", client_token);
	if (ntags) {
		aws_params_add(p, "TagSpecification.1.ResourceType", "instance");
		aws_params_add_tags(p, "TagSpecification.1.Tag", tags, ntags);
	}
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "RunInstances", template_ref, p, flags,
	                instance_id && !(flags & AWS_CALL_DRY_RUN) ? &r : NULL, err);
	if (!rc && r)
		rc = copy_out(r, "instancesSet/item/instanceId", instance_id, 32, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_template_profile(struct aws_client *c, const char *template_ref, char *profile,
                                size_t cap, struct aws_error *err)
{
	if (!template_ref || !*template_ref || !profile || !cap)
		return SG_ERR_INVAL;
	profile[0] = '\0';
	struct aws_params *p = aws_params_new();
	NEED(p);
	bool id = !strncmp(template_ref, "lt-", 3) &&
	          strspn(template_ref + 3, "0123456789abcdef") == strlen(template_ref + 3);
	aws_params_add(p, id ? "LaunchTemplateId" : "LaunchTemplateName", template_ref);
	aws_params_add(p, "LaunchTemplateVersion.1", "$Default"); /* what RunInstances launches */
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "DescribeLaunchTemplateVersions", template_ref, p, 0, &r, err);
	if (!rc && (rc = aws_ec2_answer_template_profile(r, profile, cap)))
		aws_error_set(err, NULL, "reply lacks the new resource id");
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_describe_volumes(struct aws_client *c, const char *const *ids, size_t n,
                                const struct aws_filter *filters, size_t nfilters,
                                struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("VolumeId", ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeVolumes", about(ids, n, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_attach_volume(struct aws_client *c, const char *volume_id,
                             const char *instance_id, const char *device, unsigned flags,
                             struct aws_error *err)
{
	if (!volume_id || !instance_id || !device)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "VolumeId", volume_id);
	aws_params_add(p, "InstanceId", instance_id);
	aws_params_add(p, "Device", device);
	return run(c, "AttachVolume", instance_id, p, flags, NULL, err);
}

sg_err aws_ec2_delete_volume(struct aws_client *c, const char *volume_id, unsigned flags,
                             struct aws_error *err)
{
	if (!volume_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "VolumeId", volume_id);
	return run(c, "DeleteVolume", volume_id, p, flags, NULL, err);
}

sg_err aws_ec2_describe_iip_associations(struct aws_client *c,
                                         const struct aws_filter *filters, size_t nfilters,
                                         struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("", NULL, 0, filters, nfilters);
	NEED(p);
	return run(c, "DescribeIamInstanceProfileAssociations", about(NULL, 0, filters, nfilters), p, 0, reply, err);
}

sg_err aws_ec2_disassociate_iip(struct aws_client *c, const char *association_id,
                                unsigned flags, struct aws_error *err)
{
	if (!association_id)
		return SG_ERR_INVAL;
	if (flags & AWS_CALL_DRY_RUN)
		return SG_ERR_UNSUPPORTED; /* the API has no DryRun */
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "AssociationId", association_id);
	return run(c, "DisassociateIamInstanceProfile", association_id, p, flags, NULL, err);
}

static void add_profile(struct aws_params *p, const char *profile)
{
	if (!strncmp(profile, "arn:", 4))
		aws_params_add(p, "IamInstanceProfile.Arn", profile);
	else
		aws_params_add(p, "IamInstanceProfile.Name", profile);
}

/* AssociateIamInstanceProfile (key InstanceId) and
 * ReplaceIamInstanceProfileAssociation (key AssociationId): profile given
 * to the one named by key = id; the association's id into assoc_id[64]
 * when asked for. */
static sg_err iip_call(struct aws_client *c, const char *action, const char *key, const char *id,
                       const char *profile, unsigned flags, char assoc_id[64],
                       struct aws_error *err)
{
	if (!id || !profile)
		return SG_ERR_INVAL;
	if (flags & AWS_CALL_DRY_RUN)
		return SG_ERR_UNSUPPORTED; /* the API has no DryRun */
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, key, id);
	add_profile(p, profile);
	struct aws_xml *r = NULL;
	sg_err rc = run(c, action, id, p, flags, assoc_id ? &r : NULL, err);
	if (!rc && r)
		rc = copy_out(r, "iamInstanceProfileAssociation/associationId", assoc_id, 64, err);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_associate_iip(struct aws_client *c, const char *instance_id, const char *profile,
                             unsigned flags, char assoc_id[64], struct aws_error *err)
{
	return iip_call(c, "AssociateIamInstanceProfile", "InstanceId", instance_id, profile, flags,
	                assoc_id, err);
}

sg_err aws_ec2_replace_iip_association(struct aws_client *c, const char *association_id,
                                       const char *profile, unsigned flags,
                                       char new_assoc_id[64], struct aws_error *err)
{
	return iip_call(c, "ReplaceIamInstanceProfileAssociation", "AssociationId", association_id,
	                profile, flags, new_assoc_id, err);
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

/* GetConsoleOutput / GetConsoleScreenshot: one base64 member, decoded. */
static sg_err console_call(struct aws_client *c, const char *action, const char *member,
                           const char *instance_id, char **out, size_t *len,
                           struct aws_error *err)
{
	*out = NULL;
	*len = 0;
	if (!instance_id)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	NEED(p);
	aws_params_add(p, "InstanceId", instance_id);
	if (!strcmp(action, "GetConsoleOutput"))
		aws_params_add(p, "Latest", "true");
	struct aws_xml *r = NULL;
	sg_err rc = run(c, action, instance_id, p, 0, &r, err);
	if (!rc && (rc = aws_answer_base64(aws_xml_str_or(r, member, ""), out, len)) ==
	           SG_ERR_PROTOCOL)
		aws_error_set(err, NULL, "%s: not base64", action);
	aws_xml_free(r);
	return rc;
}

sg_err aws_ec2_console_output(struct aws_client *c, const char *instance_id, char **text,
                              size_t *len, struct aws_error *err)
{
	return console_call(c, "GetConsoleOutput", "output", instance_id, text, len, err);
}

sg_err aws_ec2_console_screenshot(struct aws_client *c, const char *instance_id, char **jpeg,
                                  size_t *len, struct aws_error *err)
{
	return console_call(c, "GetConsoleScreenshot", "imageData", instance_id, jpeg, len, err);
}
