/* ec2_storage.c — typed EC2 calls on snapshots and volumes (see ec2.h). */
#include "aws/ec2_int.h"

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
