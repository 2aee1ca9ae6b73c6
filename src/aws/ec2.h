/*
 * ec2.h — typed EC2 calls (Query protocol, Version 2016-11-15) for the
 * responder and `ssrfguard aws instance`.
 *
 * Common rules:
 *   - c and err as in aws.h (err may be NULL); results as aws.h lists them.
 *   - `flags` takes AWS_CALL_DRY_RUN for a permission pre-flight: SG_OK
 *     means "you may", SG_ERR_AUTH "you may not"; nothing changes.
 *   - `reply` out-params may be NULL when the caller only wants success;
 *     otherwise the caller frees *reply with aws_xml_free.  Reply paths are
 *     those of the EC2 API reference, e.g. "reservationSet/item/instancesSet/item".
 *   - Describe* calls return one page (up to 1000 results); use aws_query_pages
 *     with in "NextToken" / out "nextToken" for more.
 *   - Lists of ids are (ids, n); n == 0 means "no id filter".
 */
#ifndef SG_SRC_AWS_EC2_H
#define SG_SRC_AWS_EC2_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/aws.h"
#include "playbook/instance.h"

/* DescribeInstances: ids and/or filters. */
sg_err aws_ec2_describe_instances(struct aws_client *c, const char *const *ids, size_t n,
                                  const struct aws_filter *filters, size_t nfilters,
                                  struct aws_xml **reply, struct aws_error *err);

/* DescribeInstanceTypes of one type.  Reply: instanceTypeSet/item/{instanceType,
 * networkInfo/connectionTrackingConfiguration/{defaultTcpEstablishedTimeout,
 * defaultUdpStreamTimeout,defaultUdpTimeout},...} (pb_conntrack_type_decode). */
sg_err aws_ec2_describe_instance_types(struct aws_client *c, const char *instance_type,
                                       struct aws_xml **reply, struct aws_error *err);

/* One instance in the instance model (playbook/instance.h): DescribeInstances,
 * merged with DescribeVolumes (sizes) and
 * DescribeIamInstanceProfileAssociations.  *out is the caller's
 * (pb_instance_free).  SG_ERR_NOTFOUND when the instance does not exist. */
sg_err aws_ec2_instance_view(struct aws_client *c, const char *instance_id, pb_instance **out,
                             struct aws_error *err);

/* DescribeInstanceAttribute (attribute e.g. "disableApiTermination").
 * Reply: <attribute>/value. */
sg_err aws_ec2_describe_instance_attribute(struct aws_client *c, const char *instance_id,
                                           const char *attribute, struct aws_xml **reply,
                                           struct aws_error *err);

/* ModifyInstanceAttribute, one attribute per call as the API requires. */
sg_err aws_ec2_set_disable_api_termination(struct aws_client *c, const char *instance_id,
                                           bool on, unsigned flags, struct aws_error *err);
sg_err aws_ec2_set_disable_api_stop(struct aws_client *c, const char *instance_id,
                                    bool on, unsigned flags, struct aws_error *err);
/* behavior: "stop" or "terminate" */
sg_err aws_ec2_set_shutdown_behavior(struct aws_client *c, const char *instance_id,
                                     const char *behavior, unsigned flags,
                                     struct aws_error *err);
/* BlockDeviceMapping.N.DeviceName=devices[N-1], .Ebs.DeleteOnTermination=on:
 * every device in one call. */
sg_err aws_ec2_set_delete_on_termination(struct aws_client *c, const char *instance_id,
                                         const char *const *devices, size_t n, bool on,
                                         unsigned flags, struct aws_error *err);

/* ModifyInstanceMetadataOptions: NULL strings / hop_limit 0 leave a field unchanged. */
struct aws_ec2_metadata_options {
	const char *http_tokens;    /* "required" | "optional" */
	const char *http_endpoint;  /* "enabled" | "disabled" */
	int hop_limit;              /* 1..64 */
	const char *instance_tags;  /* "enabled" | "disabled" */
};
sg_err aws_ec2_modify_metadata_options(struct aws_client *c, const char *instance_id,
                                       const struct aws_ec2_metadata_options *o,
                                       unsigned flags, struct aws_xml **reply,
                                       struct aws_error *err);

/* CreateTags on resources (idempotent: same key overwrites). */
sg_err aws_ec2_create_tags(struct aws_client *c, const char *const *resource_ids, size_t n,
                           const struct aws_tag *tags, size_t ntags, unsigned flags,
                           struct aws_error *err);
/* DescribeTags with filters (e.g. resource-id). Reply: tagSet/item/{resourceId,key,value}. */
sg_err aws_ec2_describe_tags(struct aws_client *c, const struct aws_filter *filters,
                             size_t nfilters, struct aws_xml **reply, struct aws_error *err);

/* DescribeNetworkInterfaces. Reply: networkInterfaceSet/item/... */
sg_err aws_ec2_describe_network_interfaces(struct aws_client *c, const char *const *eni_ids,
                                           size_t n, const struct aws_filter *filters,
                                           size_t nfilters, struct aws_xml **reply,
                                           struct aws_error *err);
/* ModifyNetworkInterfaceAttribute: replace the ENI's security groups. */
sg_err aws_ec2_set_eni_groups(struct aws_client *c, const char *eni_id,
                              const char *const *group_ids, size_t n, unsigned flags,
                              struct aws_error *err);

/* ModifyNetworkInterfaceAttribute: the ENI's connection-tracking idle
 * timeouts in seconds (Nitro; TCP 60-432000, UDP stream 60-180, UDP 30-60). */
struct aws_ec2_conntrack {
	int tcp_established_s, udp_stream_s, udp_s;
};
sg_err aws_ec2_set_eni_conntrack(struct aws_client *c, const char *eni_id,
                                 const struct aws_ec2_conntrack *t, unsigned flags,
                                 struct aws_error *err);

/* DescribeSecurityGroups. Reply: securityGroupInfo/item/... */
sg_err aws_ec2_describe_security_groups(struct aws_client *c, const char *const *group_ids,
                                        size_t n, const struct aws_filter *filters,
                                        size_t nfilters, struct aws_xml **reply,
                                        struct aws_error *err);
/* CreateSecurityGroup (not idempotent: no ClientToken exists; a retry after an
 * ambiguous failure is the caller's decision, guided by err->outcome_unknown).
 * The new id goes to group_id[32]. tags may be NULL. */
sg_err aws_ec2_create_security_group(struct aws_client *c, const char *vpc_id,
                                     const char *name, const char *description,
                                     const struct aws_tag *tags, size_t ntags,
                                     unsigned flags, char group_id[32],
                                     struct aws_error *err);

struct aws_ip_permission {
	const char *protocol;     /* "-1" (all), "tcp", "udp", "icmp", ... */
	int from_port, to_port;   /* ignored for "-1" */
	const char *cidr_ipv4;    /* one of these three, or NULL */
	const char *cidr_ipv6;
	const char *group_id;
	const char *description;  /* may be NULL */
};
enum aws_sg_rule_op {
	AWS_SG_AUTHORIZE_INGRESS,
	AWS_SG_AUTHORIZE_EGRESS,
	AWS_SG_REVOKE_INGRESS,
	AWS_SG_REVOKE_EGRESS,
};
/* Authorize/RevokeSecurityGroupIngress/Egress with IpPermissions.N.
 * A duplicate authorize answers SG_ERR_EXISTS (InvalidPermission.Duplicate);
 * revoking a rule that is not there answers SG_ERR_NOTFOUND. */
sg_err aws_ec2_security_group_rules(struct aws_client *c, enum aws_sg_rule_op op,
                                    const char *group_id,
                                    const struct aws_ip_permission *perms, size_t n,
                                    unsigned flags, struct aws_error *err);

/* Revoke exactly the rules a DescribeSecurityGroups reply showed:
 * ip_permissions is its securityGroupInfo/item/ipPermissions (ingress) or
 * .../ipPermissionsEgress element; every protocol, port range, IPv4/IPv6
 * range, group and prefix list of it goes in one call.  *n (may be NULL)
 * gets how many permissions were revoked; none: SG_OK, nothing sent. */
sg_err aws_ec2_revoke_described_rules(struct aws_client *c, const char *group_id, bool egress,
                                      const struct aws_xml *ip_permissions, unsigned flags,
                                      size_t *n, struct aws_error *err);

/* CreateSnapshots of every EBS volume of an instance at one point in time
 * (not idempotent).  copy_volume_tags: CopyTagsFromSource=volume.
 * Reply: snapshotSet/item/{snapshotId,volumeId,state,...}. tags may be NULL. */
sg_err aws_ec2_create_snapshots(struct aws_client *c, const char *instance_id,
                                const char *description, const struct aws_tag *tags,
                                size_t ntags, bool copy_volume_tags, unsigned flags,
                                struct aws_xml **reply, struct aws_error *err);
/* DescribeSnapshots. Reply: snapshotSet/item/{snapshotId,status,progress,...} */
sg_err aws_ec2_describe_snapshots(struct aws_client *c, const char *const *ids, size_t n,
                                  const struct aws_filter *filters, size_t nfilters,
                                  struct aws_xml **reply, struct aws_error *err);

/* DescribeSnapshots of this account's own snapshots only (Owner.1=self):
 * a snapshot another account shared, whatever its tags, is never one of
 * ours. */
sg_err aws_ec2_describe_own_snapshots(struct aws_client *c, const struct aws_filter *filters,
                                      size_t nfilters, struct aws_xml **reply,
                                      struct aws_error *err);

/* CopySnapshot within this client's region (SourceRegion), tagged at
 * creation.  kms_key_id non-NULL: Encrypted=true under that key (a snapshot
 * under the AWS managed key aws/ebs cannot be shared; a customer managed key
 * whose policy allows the other account can).  CopySnapshot has no
 * ClientToken (EC2 API reference, CopySnapshot): not idempotent, so callers
 * find an earlier copy by its tags before copying again.  -> snapshot_id. */
sg_err aws_ec2_copy_snapshot(struct aws_client *c, const char *source_snapshot_id,
                             const char *kms_key_id, const char *description,
                             const struct aws_tag *tags, size_t ntags, unsigned flags,
                             char snapshot_id[32], struct aws_error *err);
/* ModifySnapshotAttribute createVolumePermission add UserId=account:
 * the account may create volumes from the snapshot (EBS user guide, "Share
 * an Amazon EBS snapshot").  Adding an account twice changes nothing. */
sg_err aws_ec2_share_snapshot(struct aws_client *c, const char *snapshot_id,
                              const char *account_id, unsigned flags, struct aws_error *err);
/* DescribeSnapshotAttribute createVolumePermission: *shared = whether
 * account_id is among the snapshot's createVolumePermission user ids. */
sg_err aws_ec2_snapshot_shared_with(struct aws_client *c, const char *snapshot_id,
                                    const char *account_id, bool *shared,
                                    struct aws_error *err);

/* CreateVolume from a snapshot.  Idempotent through ClientToken: pass the
 * same client_token (aws_client_token) on every try of one logical create;
 * NULL makes one for this call's own retries. */
struct aws_ec2_volume_spec {
	const char *availability_zone;
	const char *snapshot_id;     /* may be NULL with size_gib > 0 */
	const char *volume_type;     /* NULL: AWS default */
	int size_gib;                /* 0: snapshot size */
	const char *client_token;
	const char *kms_key_id;      /* NULL: the snapshot's (or no) encryption; else
	                                Encrypted=true under this key (ARN, id or alias) */
	const struct aws_tag *tags;
	size_t ntags;
};
sg_err aws_ec2_create_volume(struct aws_client *c, const struct aws_ec2_volume_spec *spec,
                             unsigned flags, char volume_id[32], struct aws_error *err);
/* RunInstances of one instance from a launch template (an lt- id, else its
 * name; its default version), tagged at launch, with a ClientToken that
 * makes a re-send the same launch -> instance_id. */
sg_err aws_ec2_run_from_template(struct aws_client *c, const char *template_ref,
                                 const char *client_token, const struct aws_tag *tags,
                                 size_t ntags, unsigned flags, char instance_id[32],
                                 struct aws_error *err);
/* DescribeLaunchTemplateVersions of the template's default version (the
 * one aws_ec2_run_from_template launches): its instance profile, the ARN
 * if the template names one, else its name -> profile[cap] ("" when the
 * template gives none). */
sg_err aws_ec2_template_profile(struct aws_client *c, const char *template_ref, char *profile,
                                size_t cap, struct aws_error *err);
/* DescribeVolumes. Reply: volumeSet/item/{volumeId,status,attachmentSet/item,...} */
sg_err aws_ec2_describe_volumes(struct aws_client *c, const char *const *ids, size_t n,
                                const struct aws_filter *filters, size_t nfilters,
                                struct aws_xml **reply, struct aws_error *err);
/* AttachVolume (device e.g. "/dev/sdf"). */
sg_err aws_ec2_attach_volume(struct aws_client *c, const char *volume_id,
                             const char *instance_id, const char *device, unsigned flags,
                             struct aws_error *err);
/* DeleteVolume: an available or errored volume (VolumeInUse when attached). */
sg_err aws_ec2_delete_volume(struct aws_client *c, const char *volume_id, unsigned flags,
                             struct aws_error *err);

/* Elastic IPs.  DescribeAddresses reply: addressesSet/item/{allocationId,
 * associationId,publicIp,networkInterfaceId,privateIpAddress,instanceId}.
 * DisassociateAddress of an association that is gone: SG_ERR_NOTFOUND
 * (InvalidAssociationID.NotFound).  AssociateAddress puts the allocation
 * back on eni at private_ip (NULL: its primary). */
sg_err aws_ec2_describe_addresses(struct aws_client *c, const struct aws_filter *filters,
                                  size_t nfilters, struct aws_xml **reply, struct aws_error *err);
sg_err aws_ec2_disassociate_address(struct aws_client *c, const char *association_id,
                                    unsigned flags, struct aws_error *err);
sg_err aws_ec2_associate_address(struct aws_client *c, const char *allocation_id, const char *eni,
                                 const char *private_ip, unsigned flags, struct aws_error *err);

/* GetConsoleOutput (Latest=true: the most recent 64 KB of the serial
 * console) -> *text (decoded, malloc'd, caller frees; "" when the instance
 * has none yet) and *len. */
sg_err aws_ec2_console_output(struct aws_client *c, const char *instance_id, char **text,
                              size_t *len, struct aws_error *err);
/* GetConsoleScreenshot: a JPEG of the instance's screen now -> *jpeg
 * (decoded, malloc'd, caller frees) and *len.  A stopped instance is
 * IncorrectInstanceState (SG_ERR_STATE). */
sg_err aws_ec2_console_screenshot(struct aws_client *c, const char *instance_id, char **jpeg,
                                  size_t *len, struct aws_error *err);

/* The IAM-instance-profile calls below have no DryRun in the EC2 API:
 * AWS_CALL_DRY_RUN answers SG_ERR_UNSUPPORTED without a request.
 * DescribeIamInstanceProfileAssociations. Reply:
 * iamInstanceProfileAssociationSet/item/{associationId,instanceId,iamInstanceProfile/arn,state} */
sg_err aws_ec2_describe_iip_associations(struct aws_client *c,
                                         const struct aws_filter *filters, size_t nfilters,
                                         struct aws_xml **reply, struct aws_error *err);
sg_err aws_ec2_disassociate_iip(struct aws_client *c, const char *association_id,
                                unsigned flags, struct aws_error *err);
/* profile: an ARN ("arn:...") or a name. New association id -> assoc_id[64]. */
sg_err aws_ec2_associate_iip(struct aws_client *c, const char *instance_id,
                             const char *profile, unsigned flags, char assoc_id[64],
                             struct aws_error *err);
sg_err aws_ec2_replace_iip_association(struct aws_client *c, const char *association_id,
                                       const char *profile, unsigned flags,
                                       char new_assoc_id[64], struct aws_error *err);

#endif
