/* instance.c — the recorded instance: capacity-checked setters and JSON. */
#include "playbook/instance.h"

#include "common/jsonload.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pb_instance *pb_instance_new(void) { return calloc(1, sizeof(pb_instance)); }

void pb_instance_free(pb_instance *inst) { free(inst); }

sg_err pb_strset(char *dst, size_t cap, const char *src)
{
	if (!dst || cap == 0)
		return SG_ERR_INVAL;
	dst[0] = '\0';
	if (!src)
		return SG_OK;
	size_t n = strlen(src);
	if (n >= cap)
		return SG_ERR_RANGE;
	memcpy(dst, src, n + 1);
	return SG_OK;
}

sg_err pb_instance_add_eni(pb_instance *inst, const char *id, const char *vpc, const char *subnet,
                           int device_index, pb_eni **out)
{
	if (!inst || !id)
		return SG_ERR_INVAL;
	if (inst->n_enis >= PB_MAX_ENIS)
		return SG_ERR_RANGE;
	pb_eni *e = &inst->enis[inst->n_enis];
	memset(e, 0, sizeof *e);
	if (pb_strset(e->id, sizeof e->id, id) || pb_strset(e->vpc, sizeof e->vpc, vpc) ||
	    pb_strset(e->subnet, sizeof e->subnet, subnet))
		return SG_ERR_RANGE;
	e->device_index = device_index;
	inst->n_enis++;
	if (out)
		*out = e;
	return SG_OK;
}

sg_err pb_eni_add_group(pb_eni *eni, const char *group)
{
	if (!eni || !group)
		return SG_ERR_INVAL;
	if (eni->n_groups >= PB_MAX_GROUPS)
		return SG_ERR_RANGE;
	sg_err err = pb_strset(eni->groups[eni->n_groups], PB_ID_MAX, group);
	if (err == SG_OK)
		eni->n_groups++;
	return err;
}

sg_err pb_eni_add_addr(pb_eni *eni, const char *addr)
{
	if (!eni || !addr)
		return SG_ERR_INVAL;
	if (eni->n_addrs >= PB_MAX_ADDRS)
		return SG_ERR_RANGE;
	sg_err err = pb_strset(eni->addrs[eni->n_addrs], PB_ADDR_MAX, addr);
	if (err == SG_OK)
		eni->n_addrs++;
	return err;
}

sg_err pb_instance_add_volume(pb_instance *inst, const char *id, const char *device, bool dot,
                              bool root)
{
	if (!inst || !id)
		return SG_ERR_INVAL;
	if (inst->n_volumes >= PB_MAX_VOLUMES)
		return SG_ERR_RANGE;
	pb_volume *v = &inst->volumes[inst->n_volumes];
	memset(v, 0, sizeof *v);
	if (pb_strset(v->id, sizeof v->id, id) || pb_strset(v->device, sizeof v->device, device))
		return SG_ERR_RANGE;
	v->delete_on_termination = dot;
	v->root = root;
	inst->n_volumes++;
	return SG_OK;
}

sg_err pb_instance_add_target(pb_instance *inst, const char *group_arn, const char *id, int port,
                              const char *az)
{
	if (!inst || !group_arn || !id)
		return SG_ERR_INVAL;
	if (inst->n_targets >= PB_MAX_TARGETS)
		return SG_ERR_RANGE;
	pb_target *t = &inst->targets[inst->n_targets];
	memset(t, 0, sizeof *t);
	if (pb_strset(t->group_arn, sizeof t->group_arn, group_arn) ||
	    pb_strset(t->id, sizeof t->id, id) || pb_strset(t->az, sizeof t->az, az))
		return SG_ERR_RANGE;
	if (port < 0 || port > 65535)
		return SG_ERR_RANGE;
	t->port = port;
	inst->n_targets++;
	return SG_OK;
}

sg_err pb_instance_add_elb(pb_instance *inst, const char *name)
{
	if (!inst || !name)
		return SG_ERR_INVAL;
	if (inst->n_elbs >= PB_MAX_ELBS)
		return SG_ERR_RANGE;
	sg_err err = pb_strset(inst->elbs[inst->n_elbs], PB_NAME_MAX, name);
	if (err == SG_OK)
		inst->n_elbs++;
	return err;
}

sg_err pb_instance_add_registration(pb_instance *inst, const char *kind, const char *lb,
                                    const char *target_id, int port, const char *az,
                                    const char *health)
{
	if (!inst || !kind || !lb)
		return SG_ERR_INVAL;
	if (!strcmp(kind, "classic-elb"))
		return pb_instance_add_elb(inst, lb);
	sg_err err = pb_instance_add_target(inst, lb, target_id, port, az);
	if (err)
		return err;
	pb_target *t = &inst->targets[inst->n_targets - 1];
	return pb_strset(t->health, sizeof t->health, health);
}

sg_err pb_instance_add_eip(pb_instance *inst, const pb_eip *eip)
{
	if (!inst || !eip || !eip->allocation_id[0] || !eip->association_id[0])
		return SG_ERR_INVAL;
	if (inst->n_eips >= PB_MAX_EIPS)
		return SG_ERR_RANGE;
	inst->eips[inst->n_eips++] = *eip;
	return SG_OK;
}

sg_err pb_instance_add_tag(pb_instance *inst, const char *key, const char *value)
{
	if (!inst || !key)
		return SG_ERR_INVAL;
	if (inst->n_tags >= PB_MAX_TAGS)
		return SG_ERR_RANGE;
	pb_tag *t = &inst->tags[inst->n_tags];
	if (pb_strset(t->key, sizeof t->key, key) || pb_strset(t->value, sizeof t->value, value))
		return SG_ERR_RANGE;
	inst->n_tags++;
	return SG_OK;
}

/* Same address?  Parsed when both parse (IPv4 or IPv6), else exact text. */
static bool same_addr(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
		return memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
		return memcmp(x, y, 16) == 0;
	return false;
}

bool pb_instance_matches_target(const pb_instance *inst, const char *target_id)
{
	if (!inst || !target_id || !target_id[0])
		return false;
	if (!strcmp(inst->id, target_id))
		return true;
	for (size_t i = 0; i < inst->n_enis; i++)
		for (size_t j = 0; j < inst->enis[i].n_addrs; j++)
			if (same_addr(inst->enis[i].addrs[j], target_id))
				return true;
	return false;
}

size_t pb_instance_vpcs(const pb_instance *inst, char (*out)[PB_ID_MAX], size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < inst->n_enis; i++) {
		const char *v = inst->enis[i].vpc;
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(out[j], v);
		if (seen || n >= cap)
			continue;
		memcpy(out[n], v, PB_ID_MAX);
		n++;
	}
	return n;
}

/* ---- JSON ---------------------------------------------------------- */

static int put_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, json_string(v));
}

static json_t *str_array(const char *base, size_t stride, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(base + i * stride))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *groups_json(const pb_group *g, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_pack("{s:s,s:s}", "id", g[i].id, "name", g[i].name))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* An array of one() of each of the n entries at base (stride bytes apart);
 * NULL when any of them could not be made. */
static json_t *enc_each(const void *base, size_t n, size_t stride, json_t *(*one)(const void *x))
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, one((const char *)base + i * stride))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* o, or NULL (o released) when bad. */
static json_t *whole(json_t *o, int bad)
{
	if (!bad)
		return o;
	json_decref(o);
	return NULL;
}

static json_t *enc_eni(const void *x)
{
	const pb_eni *e = x;
	json_t *je = json_object();
	if (!je)
		return NULL;
	int bad = put_str(je, "id", e->id) | put_str(je, "vpc", e->vpc) |
	          put_str(je, "subnet", e->subnet);
	bad |= put_str(je, "attachment", e->attachment) |
	       put_str(je, "private_ip", e->private_ip) |
	       put_str(je, "public_ip", e->public_ip) | put_str(je, "mac", e->mac);
	bad |= json_object_set_new(je, "device_index", json_integer(e->device_index));
	bad |= json_object_set_new(je, "delete_on_termination",
	                           json_boolean(e->delete_on_termination));
	if (e->conntrack_tcp_established_s)
		bad |= json_object_set_new(je, "conntrack",
		                           json_pack("{s:i,s:i,s:i}", "tcp_established_s",
		                                     e->conntrack_tcp_established_s, "udp_stream_s",
		                                     e->conntrack_udp_stream_s, "udp_s", e->conntrack_udp_s));
	bad |= json_object_set_new(je, "groups", str_array(e->groups[0], PB_ID_MAX, e->n_groups));
	bad |= json_object_set_new(je, "group_names",
	                           str_array(e->group_names[0], PB_NAME_MAX, e->n_groups));
	bad |= json_object_set_new(je, "addrs", str_array(e->addrs[0], PB_ADDR_MAX, e->n_addrs));
	return whole(je, bad);
}

static json_t *enc_volume(const void *x)
{
	const pb_volume *v = x;
	json_t *jv = json_object();
	if (!jv)
		return NULL;
	int bad = put_str(jv, "id", v->id) | put_str(jv, "device", v->device) |
	          put_str(jv, "status", v->status) | put_str(jv, "type", v->type);
	bad |= json_object_set_new(jv, "size_gib", json_integer(v->size_gib));
	bad |= json_object_set_new(jv, "delete_on_termination",
	                           json_boolean(v->delete_on_termination));
	bad |= json_object_set_new(jv, "root", json_boolean(v->root));
	return whole(jv, bad);
}

static json_t *enc_target(const void *x)
{
	const pb_target *t = x;
	json_t *jt = json_object();
	if (!jt)
		return NULL;
	int bad = put_str(jt, "group_arn", t->group_arn) | put_str(jt, "id", t->id) |
	          put_str(jt, "az", t->az) | put_str(jt, "health", t->health);
	bad |= json_object_set_new(jt, "port", json_integer(t->port));
	return whole(jt, bad);
}

static json_t *enc_eip(const void *x)
{
	const pb_eip *e = x;
	json_t *je = json_object();
	if (!je)
		return NULL;
	int bad = put_str(je, "allocation_id", e->allocation_id) |
	          put_str(je, "association_id", e->association_id) |
	          put_str(je, "public_ip", e->public_ip) | put_str(je, "eni", e->eni) |
	          put_str(je, "private_ip", e->private_ip);
	return whole(je, bad);
}

static json_t *enc_tags(const pb_instance *inst)
{
	json_t *tags = json_object();
	int bad = !tags;
	for (size_t i = 0; i < inst->n_tags && !bad; i++)
		bad |= put_str(tags, inst->tags[i].key, inst->tags[i].value);
	return whole(tags, bad);
}

/* The record's own fields into o: nonzero when any could not be set. */
static int enc_top(json_t *o, const pb_instance *inst)
{
	int bad = put_str(o, "id", inst->id) | put_str(o, "arn", inst->arn) |
	          put_str(o, "account", inst->account) | put_str(o, "region", inst->region) |
	          put_str(o, "az", inst->az) | put_str(o, "vpc", inst->vpc) |
	          put_str(o, "state", inst->state) | put_str(o, "profile_arn", inst->profile_arn) |
	          put_str(o, "profile_assoc", inst->profile_assoc) |
	          put_str(o, "role_name", inst->role_name) | put_str(o, "asg", inst->asg) |
	          put_str(o, "http_tokens", inst->http_tokens) |
	          put_str(o, "http_endpoint", inst->http_endpoint) |
	          put_str(o, "shutdown_behavior", inst->shutdown_behavior) |
	          put_str(o, "instance_type", inst->instance_type) |
	          put_str(o, "image_id", inst->image_id) |
	          put_str(o, "launch_time", inst->launch_time) | put_str(o, "subnet", inst->subnet) |
	          put_str(o, "private_ip", inst->private_ip) |
	          put_str(o, "public_ip", inst->public_ip) |
	          put_str(o, "root_device", inst->root_device) |
	          put_str(o, "md_state", inst->md_state) | put_str(o, "md_tags", inst->md_tags);
	bad |= json_object_set_new(o, "hop_limit", json_integer(inst->hop_limit));
	bad |= json_object_set_new(o, "termination_protection",
	                           json_boolean(inst->termination_protection));
	bad |= json_object_set_new(o, "stop_protection", json_boolean(inst->stop_protection));
	bad |= json_object_set_new(o, "spot", json_boolean(inst->spot));
	return bad;
}

char *pb_instance_to_json(const pb_instance *inst)
{
	if (!inst)
		return NULL;
	json_t *o = json_object();
	int bad = !o || enc_top(o, inst);
	bad = bad || json_object_set_new(o, "groups", groups_json(inst->groups, inst->n_groups));
	bad = bad || json_object_set_new(o, "enis", enc_each(inst->enis, inst->n_enis,
	                                                     sizeof inst->enis[0], enc_eni));
	bad = bad || json_object_set_new(o, "volumes", enc_each(inst->volumes, inst->n_volumes,
	                                                        sizeof inst->volumes[0], enc_volume));
	bad = bad || json_object_set_new(o, "targets", enc_each(inst->targets, inst->n_targets,
	                                                        sizeof inst->targets[0], enc_target));
	bad = bad || json_object_set_new(o, "elbs",
	                                 str_array(inst->elbs[0], PB_NAME_MAX, inst->n_elbs));
	bad = bad || json_object_set_new(o, "eips", enc_each(inst->eips, inst->n_eips,
	                                                     sizeof inst->eips[0], enc_eip));
	bad = bad || json_object_set_new(o, "tags", enc_tags(inst));
	char *out = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return out;
}

/* Decoding: each getter records the first problem in msg and returns nonzero. */
typedef struct dec {
	char *msg;
	size_t msglen;
	int bad;
} dec;

static int dfail(dec *d, const char *what, const char *key)
{
	if (!d->bad)
		snprintf(d->msg, d->msglen, "%s: %s", key, what);
	d->bad = 1;
	return 1;
}

static void get_str(dec *d, json_t *o, const char *k, char *dst, size_t cap)
{
	json_t *v = json_object_get(o, k);
	dst[0] = '\0';
	if (!v)
		return; /* absent: empty */
	if (!json_is_string(v)) {
		dfail(d, "not a string", k);
		return;
	}
	if (json_string_length(v) >= cap || pb_strset(dst, cap, json_string_value(v)))
		dfail(d, "too long", k);
}

static long long get_int(dec *d, json_t *o, const char *k, long long lo, long long hi)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		dfail(d, "not an integer", k);
		return 0;
	}
	long long n = json_integer_value(v);
	if (n < lo || n > hi) {
		dfail(d, "out of range", k);
		return 0;
	}
	return n;
}

static bool get_bool(dec *d, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return false;
	if (!json_is_boolean(v)) {
		dfail(d, "not a boolean", k);
		return false;
	}
	return json_is_true(v);
}

static json_t *get_array(dec *d, json_t *o, const char *k, size_t cap)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return NULL;
	if (!json_is_array(v)) {
		dfail(d, "not an array", k);
		return NULL;
	}
	if (json_array_size(v) > cap) {
		dfail(d, "too many entries", k);
		return NULL;
	}
	return v;
}

static size_t get_strs(dec *d, json_t *o, const char *k, char *base, size_t stride, size_t cap)
{
	json_t *a = get_array(d, o, k, cap);
	size_t i;
	json_t *v;
	if (!a)
		return 0;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || pb_strset(base + i * stride, stride, json_string_value(v)) ||
		    json_string_length(v) >= stride) {
			dfail(d, "bad entry", k);
			return 0;
		}
	}
	return json_array_size(a);
}

/* The record's own fields: strings, numbers, switches. */
static void dec_top(dec *d, json_t *root, pb_instance *inst)
{
#define S(k) get_str(d, root, #k, inst->k, sizeof inst->k)
	S(id);
	S(arn);
	S(account);
	S(region);
	S(az);
	S(vpc);
	S(state);
	S(profile_arn);
	S(profile_assoc);
	S(role_name);
	S(asg);
	S(http_tokens);
	S(http_endpoint);
	S(shutdown_behavior);
	S(instance_type);
	S(image_id);
	S(launch_time);
	S(subnet);
	S(private_ip);
	S(public_ip);
	S(root_device);
	S(md_state);
	S(md_tags);
#undef S
	inst->hop_limit = (int)get_int(d, root, "hop_limit", 0, 64);
	inst->termination_protection = get_bool(d, root, "termination_protection");
	inst->stop_protection = get_bool(d, root, "stop_protection");
	inst->spot = get_bool(d, root, "spot");
	if (!inst->id[0])
		dfail(d, "missing", "id");
}

/*
 * Each entry of the array k (at most cap) decoded by one() into
 * base[i] (stride bytes apart); the entries decoded.  An entry that is not
 * an object fails the record and ends the array there.
 */
static size_t dec_each(dec *d, json_t *root, const char *k, size_t cap, void *base,
                       size_t stride, void (*one)(dec *d, json_t *v, void *out))
{
	json_t *a = get_array(d, root, k, cap), *v;
	size_t i, n = 0;
	if (!a)
		return 0;
	json_array_foreach(a, i, v)
	{
		if (!json_is_object(v)) {
			dfail(d, "not an object", k);
			break;
		}
		one(d, v, (char *)base + i * stride);
		n = i + 1;
	}
	return n;
}

static void dec_group(dec *d, json_t *v, void *out)
{
	pb_group *g = out;
	get_str(d, v, "id", g->id, sizeof g->id);
	get_str(d, v, "name", g->name, sizeof g->name);
}

static void dec_eni(dec *d, json_t *v, void *out)
{
	pb_eni *e = out;
	get_str(d, v, "id", e->id, sizeof e->id);
	get_str(d, v, "vpc", e->vpc, sizeof e->vpc);
	get_str(d, v, "subnet", e->subnet, sizeof e->subnet);
	get_str(d, v, "attachment", e->attachment, sizeof e->attachment);
	get_str(d, v, "private_ip", e->private_ip, sizeof e->private_ip);
	get_str(d, v, "public_ip", e->public_ip, sizeof e->public_ip);
	get_str(d, v, "mac", e->mac, sizeof e->mac);
	e->device_index = (int)get_int(d, v, "device_index", 0, 1024);
	e->delete_on_termination = get_bool(d, v, "delete_on_termination");
	json_t *ct = json_object_get(v, "conntrack"); /* absent: none reported */
	if (ct && !json_is_object(ct))
		dfail(d, "not an object", "enis[].conntrack");
	else if (ct) {
		/* the ranges ModifyNetworkInterfaceAttribute accepts */
		e->conntrack_tcp_established_s = (int)get_int(d, ct, "tcp_established_s", 60, 432000);
		e->conntrack_udp_stream_s = (int)get_int(d, ct, "udp_stream_s", 60, 180);
		e->conntrack_udp_s = (int)get_int(d, ct, "udp_s", 30, 60);
	}
	e->n_groups = get_strs(d, v, "groups", e->groups[0], PB_ID_MAX, PB_MAX_GROUPS);
	/* names: at most one per group; absent from older records */
	get_strs(d, v, "group_names", e->group_names[0], PB_NAME_MAX, e->n_groups);
	e->n_addrs = get_strs(d, v, "addrs", e->addrs[0], PB_ADDR_MAX, PB_MAX_ADDRS);
	if (!e->id[0])
		dfail(d, "missing", "enis[].id");
}

static void dec_volume(dec *d, json_t *v, void *out)
{
	pb_volume *vol = out;
	get_str(d, v, "id", vol->id, sizeof vol->id);
	get_str(d, v, "device", vol->device, sizeof vol->device);
	vol->delete_on_termination = get_bool(d, v, "delete_on_termination");
	vol->root = get_bool(d, v, "root");
	get_str(d, v, "status", vol->status, sizeof vol->status);
	get_str(d, v, "type", vol->type, sizeof vol->type);
	vol->size_gib = (int)get_int(d, v, "size_gib", 0, 1 << 20);
	if (!vol->id[0])
		dfail(d, "missing", "volumes[].id");
}

static void dec_target(dec *d, json_t *v, void *out)
{
	pb_target *t = out;
	get_str(d, v, "group_arn", t->group_arn, sizeof t->group_arn);
	get_str(d, v, "id", t->id, sizeof t->id);
	get_str(d, v, "az", t->az, sizeof t->az);
	get_str(d, v, "health", t->health, sizeof t->health);
	t->port = (int)get_int(d, v, "port", 0, 65535);
	if (!t->group_arn[0] || !t->id[0])
		dfail(d, "missing", "targets[].group_arn/id");
}

static void dec_eip(dec *d, json_t *v, void *out)
{
	pb_eip *e = out;
	get_str(d, v, "allocation_id", e->allocation_id, sizeof e->allocation_id);
	get_str(d, v, "association_id", e->association_id, sizeof e->association_id);
	get_str(d, v, "public_ip", e->public_ip, sizeof e->public_ip);
	get_str(d, v, "eni", e->eni, sizeof e->eni);
	get_str(d, v, "private_ip", e->private_ip, sizeof e->private_ip);
	if (!e->allocation_id[0] || !e->association_id[0])
		dfail(d, "missing", "eips[].allocation_id/association_id");
}

static void dec_tags(dec *d, json_t *root, pb_instance *inst)
{
	json_t *tags = json_object_get(root, "tags"), *v;
	if (tags && !json_is_object(tags))
		dfail(d, "not an object", "tags");
	else if (tags) {
		const char *k;
		json_object_foreach(tags, k, v)
		{
			if (!json_is_string(v) || pb_instance_add_tag(inst, k, json_string_value(v))) {
				dfail(d, "bad or too many tags", "tags");
				break;
			}
		}
	}
}

sg_err pb_instance_from_json(const char *json, size_t len, pb_instance **out, char *msg,
                             size_t msglen)
{
	char dummy[1];
	if (!msg) {
		msg = dummy;
		msglen = sizeof dummy;
	}
	msg[0] = '\0';
	if (!json || !out)
		return SG_ERR_INVAL;
	*out = NULL;
	json_t *root = NULL;
	sg_err err = sg_json_load_bounded(json, len, PB_INSTANCE_JSON_MAX, 0, "record", &root, msg,
	                                  msglen);
	if (err)
		return err;
	err = SG_ERR_PARSE;
	dec d = {msg, msglen, 0};
	pb_instance *inst = pb_instance_new();
	if (!inst) {
		err = SG_ERR_NOMEM;
		goto fail;
	}
	dec_top(&d, root, inst);
	inst->n_groups = dec_each(&d, root, "groups", PB_MAX_GROUPS, inst->groups,
	                          sizeof inst->groups[0], dec_group);
	inst->n_enis = dec_each(&d, root, "enis", PB_MAX_ENIS, inst->enis, sizeof inst->enis[0],
	                        dec_eni);
	inst->n_volumes = dec_each(&d, root, "volumes", PB_MAX_VOLUMES, inst->volumes,
	                           sizeof inst->volumes[0], dec_volume);
	inst->n_targets = dec_each(&d, root, "targets", PB_MAX_TARGETS, inst->targets,
	                           sizeof inst->targets[0], dec_target);
	inst->n_elbs = get_strs(&d, root, "elbs", inst->elbs[0], PB_NAME_MAX, PB_MAX_ELBS);
	inst->n_eips = dec_each(&d, root, "eips", PB_MAX_EIPS, inst->eips, sizeof inst->eips[0],
	                        dec_eip);
	dec_tags(&d, root, inst);
	if (d.bad)
		goto fail;
	*out = inst;
	inst = NULL;
	err = SG_OK;
fail:
	pb_instance_free(inst);
	json_decref(root);
	return err;
}
