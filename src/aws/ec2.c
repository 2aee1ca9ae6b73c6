/* ec2.c — typed EC2 calls on instances (see ec2.h; the others: ec2_int.h). */
#include "aws/ec2_int.h"

sg_err aws_ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                                  const struct aws_filter *filters, size_t nfilters,
                                  struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = with_ids("InstanceId", ids, n, filters, nfilters);
	NEED(p);
	return run(c, "DescribeInstances", about(ids, n, filters, nfilters), p, 0, reply, err);
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
