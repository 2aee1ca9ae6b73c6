/* instance_decode.c — the instance model from EC2 and Auto Scaling replies
 * (see instance.h): the one decoder of a DescribeInstances reply. */
#include "playbook/instance.h"

#include <stdlib.h>
#include <string.h>

#define TRY(e)                                                                                     \
	do {                                                                                       \
		if ((err = (e)) != SG_OK)                                                          \
			return err;                                                                \
	} while (0)

#define SET(dst, node, path) pb_strset((dst), sizeof(dst), aws_xml_str_or((node), (path), ""))

/* A small decimal from a reply; 0 when absent or out of any sane range. */
static int small_int(const struct aws_xml *node, const char *path)
{
	const char *s = aws_xml_str(node, path);
	if (!s || !*s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < -1000000 || v > 1000000)
		return 0;
	return (int)v;
}

static const struct aws_xml *find_instance(const struct aws_xml *reply, const char *id,
                                           const char **owner)
{
	for (AWS_XML_EACH(res, aws_xml_child(reply, "reservationSet")))
		for (AWS_XML_EACH(it, aws_xml_child(res, "instancesSet")))
			if (!id || !strcmp(aws_xml_str_or(it, "instanceId", ""), id)) {
				*owner = aws_xml_str_or(res, "ownerId", "");
				return it;
			}
	return NULL;
}

static sg_err decode_groups(pb_instance *in, const struct aws_xml *set)
{
	for (AWS_XML_EACH(g, set)) {
		if (in->n_groups >= PB_MAX_GROUPS)
			return SG_ERR_RANGE;
		pb_group *dst = &in->groups[in->n_groups];
		sg_err err;
		TRY(SET(dst->id, g, "groupId"));
		TRY(SET(dst->name, g, "groupName"));
		in->n_groups++;
	}
	return SG_OK;
}

/* The ENI's addresses as target groups may list them: the primary private
 * IPv4 first, the secondary ones, then every IPv6 address. */
static sg_err decode_addresses(pb_eni *eni, const struct aws_xml *e)
{
	sg_err err;
	if (eni->private_ip[0])
		TRY(pb_eni_add_addr(eni, eni->private_ip));
	for (AWS_XML_EACH(a, aws_xml_child(e, "privateIpAddressesSet"))) {
		const char *ip = aws_xml_str_or(a, "privateIpAddress", "");
		if (*ip && strcmp(ip, eni->private_ip))
			TRY(pb_eni_add_addr(eni, ip));
	}
	for (AWS_XML_EACH(a, aws_xml_child(e, "ipv6AddressesSet"))) {
		const char *ip = aws_xml_str_or(a, "ipv6Address", "");
		if (*ip)
			TRY(pb_eni_add_addr(eni, ip));
	}
	return SG_OK;
}

void pb_conntrack_decode(const struct aws_xml *cfg, pb_eni *eni)
{
	eni->conntrack_tcp_established_s = small_int(cfg, "tcpEstablishedTimeout");
	eni->conntrack_udp_stream_s = small_int(cfg, "udpStreamTimeout");
	eni->conntrack_udp_s = small_int(cfg, "udpTimeout");
}

bool pb_conntrack_type_decode(const struct aws_xml *info, pb_eni *eni)
{
	const struct aws_xml *cfg = aws_xml_get(info, "networkInfo/connectionTrackingConfiguration");
	eni->conntrack_tcp_established_s = small_int(cfg, "defaultTcpEstablishedTimeout");
	eni->conntrack_udp_stream_s = small_int(cfg, "defaultUdpStreamTimeout");
	eni->conntrack_udp_s = small_int(cfg, "defaultUdpTimeout");
	return eni->conntrack_tcp_established_s > 0 && eni->conntrack_udp_stream_s > 0 &&
	       eni->conntrack_udp_s > 0;
}

static sg_err decode_eni(pb_instance *in, const struct aws_xml *e)
{
	pb_eni *eni;
	sg_err err;
	TRY(pb_instance_add_eni(in, aws_xml_str_or(e, "networkInterfaceId", ""),
	                        aws_xml_str_or(e, "vpcId", in->vpc), aws_xml_str_or(e, "subnetId", ""),
	                        small_int(e, "attachment/deviceIndex"), &eni));
	TRY(SET(eni->attachment, e, "attachment/attachmentId"));
	eni->delete_on_termination = aws_xml_bool(e, "attachment/deleteOnTermination");
	pb_conntrack_decode(aws_xml_child(e, "connectionTrackingConfiguration"), eni);
	TRY(SET(eni->private_ip, e, "privateIpAddress"));
	TRY(SET(eni->public_ip, e, "association/publicIp"));
	TRY(SET(eni->mac, e, "macAddress"));
	for (AWS_XML_EACH(g, aws_xml_child(e, "groupSet"))) {
		TRY(pb_eni_add_group(eni, aws_xml_str_or(g, "groupId", "")));
		TRY(SET(eni->group_names[eni->n_groups - 1], g, "groupName"));
	}
	return decode_addresses(eni, e);
}

static sg_err decode_volumes(pb_instance *in, const struct aws_xml *bdm)
{
	sg_err err;
	for (AWS_XML_EACH(b, bdm)) {
		const char *vol = aws_xml_str(b, "ebs/volumeId");
		if (!vol)
			continue; /* instance store: nothing to snapshot */
		const char *dev = aws_xml_str_or(b, "deviceName", "");
		TRY(pb_instance_add_volume(in, vol, dev, aws_xml_bool(b, "ebs/deleteOnTermination"),
		                           !strcmp(dev, in->root_device)));
		TRY(SET(in->volumes[in->n_volumes - 1].status, b, "ebs/status"));
	}
	return SG_OK;
}

static sg_err decode_tags(pb_instance *in, const struct aws_xml *set)
{
	sg_err err;
	for (AWS_XML_EACH(t, set)) {
		const char *key = aws_xml_str_or(t, "key", "");
		TRY(pb_instance_add_tag(in, key, aws_xml_str_or(t, "value", "")));
		if (!strcmp(key, "aws:autoscaling:groupName"))
			TRY(SET(in->asg, t, "value"));
	}
	return SG_OK;
}

static sg_err decode_metadata(pb_instance *in, const struct aws_xml *it)
{
	sg_err err;
	TRY(SET(in->http_tokens, it, "metadataOptions/httpTokens"));
	TRY(SET(in->http_endpoint, it, "metadataOptions/httpEndpoint"));
	TRY(SET(in->md_state, it, "metadataOptions/state"));
	TRY(SET(in->md_tags, it, "metadataOptions/instanceMetadataTags"));
	in->hop_limit = small_int(it, "metadataOptions/httpPutResponseHopLimit");
	return SG_OK;
}

sg_err pb_instance_decode(pb_instance *in, const struct aws_xml *reply, const char *id)
{
	if (!in)
		return SG_ERR_INVAL;
	const char *owner = "";
	const struct aws_xml *it = find_instance(reply, id, &owner);
	if (!it)
		return SG_ERR_NOTFOUND;
	sg_err err;
	TRY(SET(in->id, it, "instanceId"));
	TRY(pb_strset(in->account, sizeof in->account, owner));
	TRY(SET(in->state, it, "instanceState/name"));
	TRY(SET(in->instance_type, it, "instanceType"));
	TRY(SET(in->image_id, it, "imageId"));
	TRY(SET(in->launch_time, it, "launchTime"));
	TRY(SET(in->az, it, "placement/availabilityZone"));
	TRY(SET(in->vpc, it, "vpcId"));
	TRY(SET(in->subnet, it, "subnetId"));
	TRY(SET(in->private_ip, it, "privateIpAddress"));
	TRY(SET(in->public_ip, it, "ipAddress"));
	TRY(SET(in->root_device, it, "rootDeviceName"));
	TRY(SET(in->profile_arn, it, "iamInstanceProfile/arn"));
	in->spot = !strcmp(aws_xml_str_or(it, "instanceLifecycle", ""), "spot");
	TRY(decode_metadata(in, it));
	TRY(decode_groups(in, aws_xml_child(it, "groupSet")));
	for (AWS_XML_EACH(e, aws_xml_child(it, "networkInterfaceSet")))
		TRY(decode_eni(in, e));
	TRY(decode_volumes(in, aws_xml_child(it, "blockDeviceMapping")));
	return decode_tags(in, aws_xml_child(it, "tagSet"));
}

sg_err pb_instance_merge_volumes(pb_instance *in, const struct aws_xml *reply)
{
	if (!in)
		return SG_ERR_INVAL;
	for (AWS_XML_EACH(it, aws_xml_child(reply, "volumeSet"))) {
		const char *id = aws_xml_str_or(it, "volumeId", "");
		for (size_t i = 0; i < in->n_volumes; i++) {
			pb_volume *v = &in->volumes[i];
			if (strcmp(v->id, id))
				continue;
			v->size_gib = small_int(it, "size");
			if (SET(v->type, it, "volumeType"))
				return SG_ERR_RANGE;
		}
	}
	return SG_OK;
}

sg_err pb_instance_merge_iam(pb_instance *in, const struct aws_xml *reply)
{
	if (!in)
		return SG_ERR_INVAL;
	sg_err err;
	for (AWS_XML_EACH(it, aws_xml_child(reply, "iamInstanceProfileAssociationSet"))) {
		const char *state = aws_xml_str_or(it, "state", "");
		if (strcmp(aws_xml_str_or(it, "instanceId", ""), in->id) ||
		    (strcmp(state, "associated") && strcmp(state, "associating")))
			continue;
		TRY(SET(in->profile_assoc, it, "associationId"));
		if (!in->profile_arn[0])
			TRY(SET(in->profile_arn, it, "iamInstanceProfile/arn"));
	}
	return SG_OK;
}

sg_err pb_instance_merge_asg(pb_instance *in, const struct aws_xml *reply)
{
	if (!in)
		return SG_ERR_INVAL;
	const struct aws_xml *list =
		aws_xml_get(reply, "DescribeAutoScalingInstancesResult/AutoScalingInstances");
	for (AWS_XML_EACH(it, list))
		if (!strcmp(aws_xml_str_or(it, "InstanceId", ""), in->id))
			return SET(in->asg, it, "AutoScalingGroupName");
	return SG_OK;
}
