/*
 * instance.h — a typed view of one EC2 instance, decoded from a
 * DescribeInstances reply (plus optional extra replies), for what
 * `ssrfguard aws instance` prints and what the responder records.
 *
 * All strings are owned by the view; aws_instance_view_free frees it all.
 * Fields absent from the reply are "" (strings) or 0/false.
 */
#ifndef SG_AWS_INSTANCE_H
#define SG_AWS_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/xml.h"
#include "ssrfguard/error.h"

struct aws_group_ref {
	char *id;
	char *name;
};

struct aws_eni_view {
	char *id;                 /* eni-... */
	char *attachment_id;      /* eni-attach-... */
	int device_index;
	bool delete_on_termination;
	char *subnet_id;
	char *private_ip;
	char *public_ip;          /* from association, "" if none */
	char *mac;
	struct aws_group_ref *groups;
	size_t ngroups;
	char **addresses;         /* every private IPv4 (primary first) and IPv6
	                             address: what IP target groups may list */
	size_t naddresses;
};

struct aws_volume_view {
	char *device_name;        /* /dev/xvda */
	char *volume_id;
	char *status;             /* attached, ... */
	bool delete_on_termination;
	int size_gib;             /* 0 unless a DescribeVolumes reply was merged */
	char *volume_type;        /* "" unless merged */
};

struct aws_target_view {
	char *kind;               /* "target-group" or "classic-elb" */
	char *name;               /* target group ARN / load balancer name */
	char *target_id;          /* the registered id: instance id or private IP */
	char *state;              /* target health state, "" for classic */
	int port;                 /* 0 unless known */
};

struct aws_instance_view {
	char *instance_id;
	char *state;              /* running, stopped, ... */
	char *instance_type;
	char *image_id;
	char *az;
	char *vpc_id;
	char *subnet_id;
	char *private_ip;
	char *public_ip;
	char *launch_time;
	char *root_device_name;
	char *iam_profile_arn;    /* "" when none */
	char *iam_profile_id;
	char *iam_association_id; /* "" unless merged from DescribeIamInstanceProfileAssociations */
	char *asg_name;           /* from aws:autoscaling:groupName tag or merged */
	/* metadata options */
	char *md_state;           /* pending / applied */
	char *md_http_tokens;     /* optional / required */
	char *md_http_endpoint;   /* enabled / disabled */
	int md_hop_limit;
	char *md_instance_tags;   /* enabled / disabled */
	struct aws_group_ref *groups;   /* instance-level groupSet */
	size_t ngroups;
	struct aws_eni_view *enis;
	size_t nenis;
	struct aws_volume_view *volumes;
	size_t nvolumes;
	struct aws_tag_view { char *key, *value; } *tags;
	size_t ntags;
	struct aws_target_view *targets;
	size_t ntargets;
};

/*
 * Decode instance `id` out of a DescribeInstances reply root.
 * SG_ERR_NOTFOUND: not in the reply; SG_ERR_NOMEM.  id NULL: the first one.
 */
sg_err aws_instance_view_decode(const struct aws_xml *reply, const char *id,
                                struct aws_instance_view **out);
void aws_instance_view_free(struct aws_instance_view *v);

/* Merge extra facts from other replies (each optional, NULL-safe). */
sg_err aws_instance_view_merge_volumes(struct aws_instance_view *v,
                                       const struct aws_xml *describe_volumes);
sg_err aws_instance_view_merge_iam(struct aws_instance_view *v,
                                   const struct aws_xml *describe_iip_associations);
sg_err aws_instance_view_merge_asg(struct aws_instance_view *v,
                                   const struct aws_xml *describe_asg_instances);
/* Does the instance own this address (any ENI, primary, secondary, IPv6)? */
bool aws_instance_view_has_address(const struct aws_instance_view *v, const char *addr);
/* Record that the instance is a target of a group / classic ELB. */
sg_err aws_instance_view_add_target(struct aws_instance_view *v, const char *kind,
                                    const char *name, const char *target_id,
                                    const char *state, int port);

/* Render as a JSON object text (malloc'd, caller frees): what
 * `ssrfguard aws instance --json` prints and the responder stores. */
sg_err aws_instance_view_json(const struct aws_instance_view *v, char **out);

#endif
