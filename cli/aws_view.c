/* aws_view.c — `ssrfguard aws instance` output (see aws_view.h). */
#include "aws_view.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *or_dash(const char *s) { return s[0] ? s : "-"; }

static void print_groups(const char (*ids)[PB_ID_MAX], const char (*names)[PB_NAME_MAX],
                         size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s%s (%s)", i ? ", " : "", ids[i], names[i]);
	if (!n)
		printf("-");
	putchar('\n');
}

static void print_instance_groups(const pb_instance *v)
{
	for (size_t i = 0; i < v->n_groups; i++)
		printf("%s%s (%s)", i ? ", " : "", v->groups[i].id, v->groups[i].name);
	if (!v->n_groups)
		printf("-");
	putchar('\n');
}

static void print_enis(const pb_instance *v)
{
	for (size_t i = 0; i < v->n_enis; i++) {
		const pb_eni *e = &v->enis[i];
		printf("eni %d           %s  %s  subnet %s  ip %s%s%s  delete-on-termination %s\n",
		       e->device_index, e->id, e->attachment, e->subnet, e->private_ip,
		       e->public_ip[0] ? " public " : "", e->public_ip,
		       e->delete_on_termination ? "yes" : "no");
		printf("  groups        ");
		print_groups(e->groups, e->group_names, e->n_groups);
		if (e->n_addrs > 1) {
			printf("  addresses    ");
			for (size_t k = 0; k < e->n_addrs; k++)
				printf(" %s", e->addrs[k]);
			putchar('\n');
		}
	}
}

static void print_targets(const pb_instance *v)
{
	for (size_t i = 0; i < v->n_targets; i++) {
		const pb_target *t = &v->targets[i];
		printf("target          target-group %s  %s", t->group_arn, t->id);
		if (t->port)
			printf(" port %d", t->port);
		if (t->health[0])
			printf(" %s", t->health);
		putchar('\n');
	}
	for (size_t i = 0; i < v->n_elbs; i++)
		printf("target          classic-elb %s  %s\n", v->elbs[i], v->id);
}

void aws_view_print(const pb_instance *v)
{
	printf("instance        %s\n", v->id);
	printf("state           %s\n", v->state);
	printf("type            %s  image %s  launched %s\n", v->instance_type, v->image_id,
	       v->launch_time);
	printf("placement       %s  vpc %s  subnet %s\n", v->az, v->vpc, v->subnet);
	printf("addresses       private %s  public %s\n", v->private_ip, or_dash(v->public_ip));
	printf("groups          ");
	print_instance_groups(v);
	printf("profile         %s", or_dash(v->profile_arn));
	if (v->profile_assoc[0])
		printf("  association %s", v->profile_assoc);
	putchar('\n');
	printf("metadata        tokens %s  endpoint %s  hop-limit %d  tags %s  (%s)\n",
	       v->http_tokens, v->http_endpoint, v->hop_limit, v->md_tags, v->md_state);
	printf("auto scaling    %s\n", or_dash(v->asg));
	print_enis(v);
	for (size_t i = 0; i < v->n_volumes; i++) {
		const pb_volume *x = &v->volumes[i];
		printf("volume          %s  %s  %s  %d GiB %s  delete-on-termination %s%s\n",
		       x->device, x->id, x->status, x->size_gib, x->type,
		       x->delete_on_termination ? "yes" : "no", x->root ? "  (root)" : "");
	}
	print_targets(v);
	for (size_t i = 0; i < v->n_tags; i++)
		printf("tag             %s=%s\n", v->tags[i].key, v->tags[i].value);
}

/* ---- JSON ----------------------------------------------------------- */

static json_t *group_list(const char (*ids)[PB_ID_MAX], const char (*names)[PB_NAME_MAX],
                          size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "id", ids[i], "name", names[i]));
	return a;
}

static json_t *eni_json(const pb_eni *e)
{
	json_t *j = json_pack("{s:s,s:s,s:i,s:b,s:s,s:s,s:s,s:s}", "id", e->id, "attachment_id",
	                      e->attachment, "device_index", e->device_index,
	                      "delete_on_termination", e->delete_on_termination, "subnet_id",
	                      e->subnet, "private_ip", e->private_ip, "public_ip", e->public_ip,
	                      "mac", e->mac);
	if (!j)
		return NULL;
	json_object_set_new(j, "security_groups", group_list(e->groups, e->group_names, e->n_groups));
	json_t *addrs = json_array();
	for (size_t k = 0; addrs && k < e->n_addrs; k++)
		json_array_append_new(addrs, json_string(e->addrs[k]));
	json_object_set_new(j, "addresses", addrs);
	return j;
}

static json_t *targets_json(const pb_instance *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < v->n_targets; i++) {
		const pb_target *t = &v->targets[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:i}", "kind", "target-group",
		                                   "name", t->group_arn, "target_id", t->id, "state",
		                                   t->health, "port", t->port));
	}
	for (size_t i = 0; a && i < v->n_elbs; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:i}", "kind", "classic-elb",
		                                   "name", v->elbs[i], "target_id", v->id, "state",
		                                   "", "port", 0));
	return a;
}

static json_t *view_json(const pb_instance *v)
{
	json_t *o = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:i,s:s}}",
		"instance_id", v->id, "state", v->state, "instance_type", v->instance_type,
		"image_id", v->image_id, "availability_zone", v->az, "vpc_id", v->vpc, "subnet_id",
		v->subnet, "private_ip", v->private_ip, "public_ip", v->public_ip, "launch_time",
		v->launch_time, "root_device_name", v->root_device, "asg", v->asg,
		"instance_profile", "arn", v->profile_arn, "association_id", v->profile_assoc,
		"metadata_options", "state", v->md_state, "http_tokens", v->http_tokens,
		"http_endpoint", v->http_endpoint, "hop_limit", v->hop_limit,
		"instance_metadata_tags", v->md_tags);
	if (!o)
		return NULL;
	json_t *groups = json_array(), *enis = json_array(), *vols = json_array(),
	       *tags = json_object();
	for (size_t i = 0; groups && i < v->n_groups; i++)
		json_array_append_new(groups, json_pack("{s:s,s:s}", "id", v->groups[i].id, "name",
		                                        v->groups[i].name));
	for (size_t i = 0; enis && i < v->n_enis; i++)
		json_array_append_new(enis, eni_json(&v->enis[i]));
	for (size_t i = 0; vols && i < v->n_volumes; i++) {
		const pb_volume *x = &v->volumes[i];
		json_array_append_new(vols, json_pack("{s:s,s:s,s:s,s:b,s:i,s:s}", "device_name",
		                                      x->device, "volume_id", x->id, "status", x->status,
		                                      "delete_on_termination", x->delete_on_termination,
		                                      "size_gib", x->size_gib, "volume_type", x->type));
	}
	for (size_t i = 0; tags && i < v->n_tags; i++)
		json_object_set_new(tags, v->tags[i].key, json_string(v->tags[i].value));
	json_object_set_new(o, "security_groups", groups);
	json_object_set_new(o, "network_interfaces", enis);
	json_object_set_new(o, "volumes", vols);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "targets", targets_json(v));
	return o;
}

sg_err aws_view_print_json(const pb_instance *v)
{
	json_t *o = view_json(v);
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (!text)
		return SG_ERR_NOMEM;
	printf("%s\n", text);
	free(text);
	return SG_OK;
}
