/* instance.c — typed instance view from EC2/ASG replies (see instance.h). */
#include "aws/instance.h"

#include <jansson.h>

/* A decode context: the first allocation failure sticks. */
struct ctx {
	int oom;
};

static char *dup_s(struct ctx *c, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		c->oom = 1;
	return d;
}

static int to_int(const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < -1000000 || v > 1000000)
		return 0;
	return (int)v;
}

static void free_groups(struct aws_group_ref *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++) {
		free(g[i].id);
		free(g[i].name);
	}
	free(g);
}

void aws_instance_view_free(struct aws_instance_view *v)
{
	if (!v)
		return;
	char **strs[] = {&v->instance_id, &v->state, &v->instance_type, &v->image_id, &v->az,
	                 &v->vpc_id, &v->subnet_id, &v->private_ip, &v->public_ip,
	                 &v->launch_time, &v->root_device_name, &v->iam_profile_arn,
	                 &v->iam_profile_id, &v->iam_association_id, &v->asg_name, &v->md_state,
	                 &v->md_http_tokens, &v->md_http_endpoint, &v->md_instance_tags};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	free_groups(v->groups, v->ngroups);
	for (size_t i = 0; v->enis && i < v->nenis; i++) {
		struct aws_eni_view *e = &v->enis[i];
		free(e->id);
		free(e->attachment_id);
		free(e->subnet_id);
		free(e->private_ip);
		free(e->public_ip);
		free(e->mac);
		free_groups(e->groups, e->ngroups);
		for (size_t k = 0; e->addresses && k < e->naddresses; k++)
			free(e->addresses[k]);
		free(e->addresses);
	}
	free(v->enis);
	for (size_t i = 0; v->volumes && i < v->nvolumes; i++) {
		free(v->volumes[i].device_name);
		free(v->volumes[i].volume_id);
		free(v->volumes[i].status);
		free(v->volumes[i].volume_type);
	}
	free(v->volumes);
	for (size_t i = 0; v->tags && i < v->ntags; i++) {
		free(v->tags[i].key);
		free(v->tags[i].value);
	}
	free(v->tags);
	for (size_t i = 0; v->targets && i < v->ntargets; i++) {
		free(v->targets[i].kind);
		free(v->targets[i].name);
		free(v->targets[i].state);
		free(v->targets[i].target_id);
	}
	free(v->targets);
	free(v);
}

static struct aws_group_ref *decode_groups(struct ctx *c, const struct aws_xml *set, size_t *n)
{
	size_t k = aws_xml_count(set);
	*n = 0;
	if (!k)
		return NULL;
	struct aws_group_ref *g = calloc(k, sizeof *g);
	if (!g) {
		c->oom = 1;
		return NULL;
	}
	for (AWS_XML_EACH(it, set)) {
		g[*n].id = dup_s(c, aws_xml_str(it, "groupId"));
		g[*n].name = dup_s(c, aws_xml_str(it, "groupName"));
		(*n)++;
	}
	return g;
}

static const struct aws_xml *find_instance(const struct aws_xml *reply, const char *id)
{
	for (AWS_XML_EACH(res, aws_xml_child(reply, "reservationSet")))
		for (AWS_XML_EACH(inst, aws_xml_child(res, "instancesSet")))
			if (!id || !strcmp(aws_xml_str_or(inst, "instanceId", ""), id))
				return inst;
	return NULL;
}

sg_err aws_instance_view_decode(const struct aws_xml *reply, const char *id,
                                struct aws_instance_view **out)
{
	if (!out)
		return SG_ERR_INVAL;
	*out = NULL;
	const struct aws_xml *in = find_instance(reply, id);
	if (!in)
		return SG_ERR_NOTFOUND;
	struct ctx c = {0};
	struct aws_instance_view *v = calloc(1, sizeof *v);
	if (!v)
		return SG_ERR_NOMEM;
	v->instance_id = dup_s(&c, aws_xml_str(in, "instanceId"));
	v->state = dup_s(&c, aws_xml_str(in, "instanceState/name"));
	v->instance_type = dup_s(&c, aws_xml_str(in, "instanceType"));
	v->image_id = dup_s(&c, aws_xml_str(in, "imageId"));
	v->az = dup_s(&c, aws_xml_str(in, "placement/availabilityZone"));
	v->vpc_id = dup_s(&c, aws_xml_str(in, "vpcId"));
	v->subnet_id = dup_s(&c, aws_xml_str(in, "subnetId"));
	v->private_ip = dup_s(&c, aws_xml_str(in, "privateIpAddress"));
	v->public_ip = dup_s(&c, aws_xml_str(in, "ipAddress"));
	v->launch_time = dup_s(&c, aws_xml_str(in, "launchTime"));
	v->root_device_name = dup_s(&c, aws_xml_str(in, "rootDeviceName"));
	v->iam_profile_arn = dup_s(&c, aws_xml_str(in, "iamInstanceProfile/arn"));
	v->iam_profile_id = dup_s(&c, aws_xml_str(in, "iamInstanceProfile/id"));
	v->iam_association_id = dup_s(&c, "");
	v->md_state = dup_s(&c, aws_xml_str(in, "metadataOptions/state"));
	v->md_http_tokens = dup_s(&c, aws_xml_str(in, "metadataOptions/httpTokens"));
	v->md_http_endpoint = dup_s(&c, aws_xml_str(in, "metadataOptions/httpEndpoint"));
	v->md_hop_limit = to_int(aws_xml_str(in, "metadataOptions/httpPutResponseHopLimit"));
	v->md_instance_tags = dup_s(&c, aws_xml_str(in, "metadataOptions/instanceMetadataTags"));
	v->groups = decode_groups(&c, aws_xml_child(in, "groupSet"), &v->ngroups);

	const struct aws_xml *enis = aws_xml_child(in, "networkInterfaceSet");
	size_t k = aws_xml_count(enis);
	if (k && !(v->enis = calloc(k, sizeof *v->enis)))
		c.oom = 1;
	for (AWS_XML_EACH(it, enis)) {
		if (!v->enis)
			break;
		struct aws_eni_view *e = &v->enis[v->nenis++];
		e->id = dup_s(&c, aws_xml_str(it, "networkInterfaceId"));
		e->attachment_id = dup_s(&c, aws_xml_str(it, "attachment/attachmentId"));
		e->device_index = to_int(aws_xml_str(it, "attachment/deviceIndex"));
		e->delete_on_termination = aws_xml_bool(it, "attachment/deleteOnTermination");
		e->subnet_id = dup_s(&c, aws_xml_str(it, "subnetId"));
		e->private_ip = dup_s(&c, aws_xml_str(it, "privateIpAddress"));
		e->public_ip = dup_s(&c, aws_xml_str(it, "association/publicIp"));
		e->mac = dup_s(&c, aws_xml_str(it, "macAddress"));
		e->groups = decode_groups(&c, aws_xml_child(it, "groupSet"), &e->ngroups);
		const struct aws_xml *v4 = aws_xml_child(it, "privateIpAddressesSet");
		const struct aws_xml *v6 = aws_xml_child(it, "ipv6AddressesSet");
		size_t na = 1 + aws_xml_count(v4) + aws_xml_count(v6);
		if (!(e->addresses = calloc(na, sizeof *e->addresses))) {
			c.oom = 1;
			continue;
		}
		if (e->private_ip && e->private_ip[0])
			e->addresses[e->naddresses++] = dup_s(&c, e->private_ip);
		for (AWS_XML_EACH(a, v4)) {
			const char *ip = aws_xml_str_or(a, "privateIpAddress", "");
			if (*ip && (!e->private_ip || strcmp(ip, e->private_ip)))
				e->addresses[e->naddresses++] = dup_s(&c, ip);
		}
		for (AWS_XML_EACH(a, v6)) {
			const char *ip = aws_xml_str_or(a, "ipv6Address", "");
			if (*ip)
				e->addresses[e->naddresses++] = dup_s(&c, ip);
		}
	}

	const struct aws_xml *bdm = aws_xml_child(in, "blockDeviceMapping");
	k = aws_xml_count(bdm);
	if (k && !(v->volumes = calloc(k, sizeof *v->volumes)))
		c.oom = 1;
	for (AWS_XML_EACH(it, bdm)) {
		if (!v->volumes)
			break;
		struct aws_volume_view *vol = &v->volumes[v->nvolumes++];
		vol->device_name = dup_s(&c, aws_xml_str(it, "deviceName"));
		vol->volume_id = dup_s(&c, aws_xml_str(it, "ebs/volumeId"));
		vol->status = dup_s(&c, aws_xml_str(it, "ebs/status"));
		vol->delete_on_termination = aws_xml_bool(it, "ebs/deleteOnTermination");
		vol->volume_type = dup_s(&c, "");
	}

	const struct aws_xml *tags = aws_xml_child(in, "tagSet");
	k = aws_xml_count(tags);
	if (k && !(v->tags = calloc(k, sizeof *v->tags)))
		c.oom = 1;
	const char *asg = NULL;
	for (AWS_XML_EACH(it, tags)) {
		if (!v->tags)
			break;
		const char *key = aws_xml_str_or(it, "key", "");
		v->tags[v->ntags].key = dup_s(&c, key);
		v->tags[v->ntags].value = dup_s(&c, aws_xml_str(it, "value"));
		v->ntags++;
		if (!strcmp(key, "aws:autoscaling:groupName"))
			asg = aws_xml_str(it, "value");
	}
	v->asg_name = dup_s(&c, asg);
	if (c.oom) {
		aws_instance_view_free(v);
		return SG_ERR_NOMEM;
	}
	*out = v;
	return SG_OK;
}

static sg_err replace(char **field, const char *value)
{
	char *d = strdup(value ? value : "");
	if (!d)
		return SG_ERR_NOMEM;
	free(*field);
	*field = d;
	return SG_OK;
}

sg_err aws_instance_view_merge_volumes(struct aws_instance_view *v,
                                       const struct aws_xml *reply)
{
	if (!v)
		return SG_ERR_INVAL;
	for (AWS_XML_EACH(it, aws_xml_child(reply, "volumeSet"))) {
		const char *id = aws_xml_str_or(it, "volumeId", "");
		for (size_t i = 0; i < v->nvolumes; i++) {
			if (strcmp(v->volumes[i].volume_id, id))
				continue;
			v->volumes[i].size_gib = to_int(aws_xml_str(it, "size"));
			if (replace(&v->volumes[i].volume_type, aws_xml_str(it, "volumeType")))
				return SG_ERR_NOMEM;
		}
	}
	return SG_OK;
}

sg_err aws_instance_view_merge_iam(struct aws_instance_view *v, const struct aws_xml *reply)
{
	if (!v)
		return SG_ERR_INVAL;
	for (AWS_XML_EACH(it, aws_xml_child(reply, "iamInstanceProfileAssociationSet"))) {
		const char *state = aws_xml_str_or(it, "state", "");
		if (strcmp(aws_xml_str_or(it, "instanceId", ""), v->instance_id) ||
		    (strcmp(state, "associated") && strcmp(state, "associating")))
			continue;
		if (replace(&v->iam_association_id, aws_xml_str(it, "associationId")))
			return SG_ERR_NOMEM;
		if (!v->iam_profile_arn[0] &&
		    replace(&v->iam_profile_arn, aws_xml_str(it, "iamInstanceProfile/arn")))
			return SG_ERR_NOMEM;
	}
	return SG_OK;
}

sg_err aws_instance_view_merge_asg(struct aws_instance_view *v, const struct aws_xml *reply)
{
	if (!v)
		return SG_ERR_INVAL;
	const struct aws_xml *list =
		aws_xml_get(reply, "DescribeAutoScalingInstancesResult/AutoScalingInstances");
	for (AWS_XML_EACH(it, list))
		if (!strcmp(aws_xml_str_or(it, "InstanceId", ""), v->instance_id))
			return replace(&v->asg_name, aws_xml_str(it, "AutoScalingGroupName"));
	return SG_OK;
}

bool aws_instance_view_has_address(const struct aws_instance_view *v, const char *addr)
{
	if (!v || !addr || !*addr)
		return false;
	for (size_t i = 0; i < v->nenis; i++)
		for (size_t k = 0; k < v->enis[i].naddresses; k++)
			if (v->enis[i].addresses[k] && !strcmp(v->enis[i].addresses[k], addr))
				return true;
	return false;
}

sg_err aws_instance_view_add_target(struct aws_instance_view *v, const char *kind,
                                    const char *name, const char *target_id,
                                    const char *state, int port)
{
	if (!v || !kind || !name)
		return SG_ERR_INVAL;
	struct aws_target_view *t = realloc(v->targets, (v->ntargets + 1) * sizeof *t);
	if (!t)
		return SG_ERR_NOMEM;
	v->targets = t;
	t = &v->targets[v->ntargets];
	t->kind = strdup(kind);
	t->name = strdup(name);
	t->state = strdup(state ? state : "");
	t->target_id = strdup(target_id ? target_id : "");
	t->port = port;
	if (!t->kind || !t->name || !t->state || !t->target_id) {
		free(t->kind);
		free(t->name);
		free(t->state);
		free(t->target_id);
		return SG_ERR_NOMEM;
	}
	v->ntargets++;
	return SG_OK;
}

static json_t *groups_json(const struct aws_group_ref *g, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "id", g[i].id, "name", g[i].name));
	return a;
}

sg_err aws_instance_view_json(const struct aws_instance_view *v, char **out)
{
	if (!v || !out)
		return SG_ERR_INVAL;
	*out = NULL;
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:i,s:s}}",
		"instance_id", v->instance_id, "state", v->state, "instance_type", v->instance_type,
		"image_id", v->image_id, "availability_zone", v->az, "vpc_id", v->vpc_id,
		"subnet_id", v->subnet_id, "private_ip", v->private_ip, "public_ip", v->public_ip,
		"launch_time", v->launch_time, "root_device_name", v->root_device_name,
		"asg", v->asg_name,
		"instance_profile", "arn", v->iam_profile_arn, "association_id", v->iam_association_id,
		"metadata_options", "state", v->md_state, "http_tokens", v->md_http_tokens,
		"http_endpoint", v->md_http_endpoint, "hop_limit", v->md_hop_limit,
		"instance_metadata_tags", v->md_instance_tags);
	if (!o)
		return SG_ERR_NOMEM;
	json_object_set_new(o, "security_groups", groups_json(v->groups, v->ngroups));
	json_t *enis = json_array(), *vols = json_array(), *tags = json_object(),
	       *targets = json_array();
	for (size_t i = 0; enis && i < v->nenis; i++) {
		const struct aws_eni_view *e = &v->enis[i];
		json_t *j = json_pack("{s:s,s:s,s:i,s:b,s:s,s:s,s:s,s:s}", "id", e->id,
		                      "attachment_id", e->attachment_id, "device_index",
		                      e->device_index, "delete_on_termination",
		                      e->delete_on_termination, "subnet_id", e->subnet_id,
		                      "private_ip", e->private_ip, "public_ip", e->public_ip, "mac",
		                      e->mac);
		if (j) {
			json_object_set_new(j, "security_groups", groups_json(e->groups, e->ngroups));
			json_t *addrs = json_array();
			for (size_t k = 0; addrs && k < e->naddresses; k++)
				json_array_append_new(addrs, json_string(e->addresses[k]));
			json_object_set_new(j, "addresses", addrs);
		}
		json_array_append_new(enis, j);
	}
	for (size_t i = 0; vols && i < v->nvolumes; i++) {
		const struct aws_volume_view *x = &v->volumes[i];
		json_array_append_new(vols, json_pack("{s:s,s:s,s:s,s:b,s:i,s:s}", "device_name",
		                                      x->device_name, "volume_id", x->volume_id,
		                                      "status", x->status, "delete_on_termination",
		                                      x->delete_on_termination, "size_gib",
		                                      x->size_gib, "volume_type", x->volume_type));
	}
	for (size_t i = 0; tags && i < v->ntags; i++)
		json_object_set_new(tags, v->tags[i].key, json_string(v->tags[i].value));
	for (size_t i = 0; targets && i < v->ntargets; i++) {
		const struct aws_target_view *t = &v->targets[i];
		json_array_append_new(targets, json_pack("{s:s,s:s,s:s,s:s,s:i}", "kind", t->kind, "name",
		                                         t->name, "target_id", t->target_id, "state",
		                                         t->state, "port", t->port));
	}
	json_object_set_new(o, "network_interfaces", enis);
	json_object_set_new(o, "volumes", vols);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "targets", targets);
	*out = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(o);
	return *out ? SG_OK : SG_ERR_NOMEM;
}
