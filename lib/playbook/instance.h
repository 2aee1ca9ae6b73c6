/*
 * instance.h — the one model of an EC2 instance: what `ssrfguard aws
 * instance` shows and what the responder records (the release data).
 *
 * pb_instance_decode fills it from a DescribeInstances reply (the only
 * decoder of that reply), the pb_instance_merge_* calls add facts from
 * other replies; PB_RECORD fills it this way and every later step and
 * `incidents release` work from it, so it is persisted as JSON
 * (pb_instance_to_json / pb_instance_from_json) with the incident.
 *
 * Fixed capacities keep it one flat allocation; an instance beyond them is
 * refused with SG_ERR_RANGE at record time rather than half-contained.
 * Strings are NUL-terminated and truncation is an error, never silent.
 *
 * Ownership: the caller owns the struct (it is large: allocate it with
 * pb_instance_new, free with pb_instance_free, NULL-safe).  Pure.
 */
#ifndef SSRFGUARD_PLAYBOOK_INSTANCE_H
#define SSRFGUARD_PLAYBOOK_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/xml.h"
#include "ssrfguard/error.h"

#define PB_ID_MAX      64   /* i-..., eni-..., sg-..., vol-..., account ids */
#define PB_NAME_MAX    256  /* ASG names, ELB names, tag keys/values */
#define PB_ARN_MAX     512
#define PB_ADDR_MAX    46
#define PB_DEV_MAX     32
#define PB_WORD_MAX    32   /* states, types, MAC addresses, timestamps */

#define PB_MAX_ENIS    32
#define PB_MAX_GROUPS  16   /* security groups per ENI */
#define PB_MAX_ADDRS   32   /* addresses per ENI, IPv4 and IPv6 together */
#define PB_MAX_VOLUMES 64
#define PB_MAX_TARGETS 256  /* target-group registrations holding the instance */
#define PB_MAX_ELBS    32
#define PB_MAX_EIPS    16   /* Elastic IPs on the instance's ENIs */
#define PB_MAX_TAGS    50

typedef struct pb_eni {
	char id[PB_ID_MAX];
	char vpc[PB_ID_MAX];
	char subnet[PB_ID_MAX];
	int device_index;
	char attachment[PB_ID_MAX];     /* eni-attach-... */
	bool delete_on_termination;
	char private_ip[PB_ADDR_MAX];   /* the primary private IPv4, "" if none */
	char public_ip[PB_ADDR_MAX];    /* from the association, "" if none */
	char mac[PB_WORD_MAX];
	size_t n_groups;
	char groups[PB_MAX_GROUPS][PB_ID_MAX];
	char group_names[PB_MAX_GROUPS][PB_NAME_MAX]; /* parallel to groups */
	size_t n_addrs;
	char addrs[PB_MAX_ADDRS][PB_ADDR_MAX]; /* private IPv4 (primary first) and IPv6 */
	/* idle connection-tracking timeouts in seconds as DescribeInstances
	 * reported them (connectionTrackingConfiguration); 0: none reported,
	 * the instance type's defaults apply */
	int conntrack_tcp_established_s, conntrack_udp_stream_s, conntrack_udp_s;
} pb_eni;

/* An EBS volume attached to the instance (instance-store devices have no
 * volume and are not listed). */
typedef struct pb_volume {
	char id[PB_ID_MAX];
	char device[PB_DEV_MAX];
	bool delete_on_termination;
	bool root;
	char status[PB_WORD_MAX];       /* attachment status: attached, ... */
	int size_gib;                   /* 0 unless a DescribeVolumes reply was merged */
	char type[PB_WORD_MAX];         /* "" unless merged */
} pb_volume;

/* A security group named on the instance (groupSet). */
typedef struct pb_group {
	char id[PB_ID_MAX];
	char name[PB_NAME_MAX];
} pb_group;

/* One registration of this instance in a target group: an instance target
 * (id = instance id) or an IP target (id = one of its addresses). */
typedef struct pb_target {
	char group_arn[PB_ARN_MAX];
	char id[PB_ADDR_MAX > PB_ID_MAX ? PB_ADDR_MAX : PB_ID_MAX];
	int port;                 /* 0: the group's default */
	char az[PB_ID_MAX];       /* "all" or an AZ for IP targets outside the VPC */
	char health[PB_WORD_MAX]; /* target health when seen, "" if unknown */
} pb_target;

/* An Elastic IP associated with one of the instance's ENIs. */
typedef struct pb_eip {
	char allocation_id[PB_ID_MAX];   /* eipalloc-... */
	char association_id[PB_ID_MAX];  /* eipassoc-... */
	char public_ip[64];
	char eni[PB_ID_MAX];
	char private_ip[64];
} pb_eip;

typedef struct pb_tag {
	char key[PB_NAME_MAX];
	char value[PB_NAME_MAX];
} pb_tag;

typedef struct pb_instance {
	char id[PB_ID_MAX];
	char arn[PB_ARN_MAX];        /* arn:PARTITION:ec2:REGION:ACCOUNT:instance/ID */
	char account[PB_ID_MAX];
	char region[PB_ID_MAX];
	char az[PB_ID_MAX];
	char vpc[PB_ID_MAX];
	char state[PB_ID_MAX];       /* running, stopped, ... */
	char instance_type[PB_ID_MAX];
	char image_id[PB_ID_MAX];
	char launch_time[PB_WORD_MAX];
	char subnet[PB_ID_MAX];
	char private_ip[PB_ADDR_MAX];
	char public_ip[PB_ADDR_MAX];
	char root_device[PB_DEV_MAX];
	size_t n_groups;
	pb_group groups[PB_MAX_GROUPS]; /* the instance's groupSet */

	char profile_arn[PB_ARN_MAX];   /* "" when the instance has no profile */
	char profile_assoc[PB_ID_MAX];  /* iip-assoc-... */
	char role_name[PB_NAME_MAX];    /* the profile's role, "" if unknown */

	char asg[PB_NAME_MAX];          /* "" when not in an ASG */

	char http_tokens[16];           /* optional | required */
	int hop_limit;
	char http_endpoint[16];         /* enabled | disabled */
	char md_state[16];              /* pending | applied */
	char md_tags[16];               /* instance tags in IMDS: enabled | disabled */

	bool spot;                      /* InstanceLifecycle spot: AWS refuses
	                                   termination protection */
	bool termination_protection;
	bool stop_protection;
	char shutdown_behavior[16];     /* stop | terminate */

	size_t n_enis;
	pb_eni enis[PB_MAX_ENIS];
	size_t n_volumes;
	pb_volume volumes[PB_MAX_VOLUMES];
	size_t n_targets;
	pb_target targets[PB_MAX_TARGETS];
	size_t n_elbs;
	char elbs[PB_MAX_ELBS][PB_NAME_MAX];
	size_t n_eips;
	pb_eip eips[PB_MAX_EIPS];
	size_t n_tags;
	pb_tag tags[PB_MAX_TAGS];
} pb_instance;

/* An ENI's connectionTrackingConfiguration element (DescribeInstances'
 * networkInterfaceSet item or DescribeNetworkInterfaces') into its
 * conntrack_* fields; NULL or a missing field: 0, none reported. */
void pb_conntrack_decode(const struct aws_xml *cfg, pb_eni *eni);

/* An instance type's default timeouts, as DescribeInstanceTypes states
 * them (an instanceTypeSet item: networkInfo/connectionTrackingConfiguration,
 * a DefaultConnectionTrackingConfiguration, EC2 API reference) into eni's
 * conntrack_* fields.  false (fields 0) unless all three are there. */
bool pb_conntrack_type_decode(const struct aws_xml *info, pb_eni *eni);

/* The timeouts an ENI of an instance_type instance has when none were ever
 * set on it (its conntrack_* fields; conntrack.c cites the AWS pages):
 * TCP established 432000 s, 350 s on the Nitro v6 families; UDP stream
 * 180 s; UDP 30 s.  The fallback when EC2 cannot be asked
 * (pb_conntrack_type_decode). */
void pb_conntrack_defaults(const char *instance_type, pb_eni *eni);

/* Zeroed instance or NULL on OOM. */
pb_instance *pb_instance_new(void);
void pb_instance_free(pb_instance *inst);

/* Copy src into dst[cap]; SG_ERR_RANGE if it does not fit (dst then ""). */
sg_err pb_strset(char *dst, size_t cap, const char *src);

/* Appenders with capacity checks (SG_ERR_RANGE when full or too long). */
sg_err pb_instance_add_eni(pb_instance *inst, const char *id, const char *vpc, const char *subnet,
                           int device_index, pb_eni **out);
sg_err pb_eni_add_group(pb_eni *eni, const char *group);
sg_err pb_eni_add_addr(pb_eni *eni, const char *addr);
sg_err pb_instance_add_volume(pb_instance *inst, const char *id, const char *device, bool dot,
                              bool root);
sg_err pb_instance_add_target(pb_instance *inst, const char *group_arn, const char *id, int port,
                              const char *az);
sg_err pb_instance_add_elb(pb_instance *inst, const char *name);
/* One load-balancer registration as the scan reports it: kind
 * "classic-elb" adds the load balancer `lb`, anything else a target of
 * target group `lb` with its port, AZ and health ("" when unknown). */
sg_err pb_instance_add_registration(pb_instance *inst, const char *kind, const char *lb,
                                    const char *target_id, int port, const char *az,
                                    const char *health);
/* An Elastic IP (allocation, association, public IP, ENI, private IP). */
sg_err pb_instance_add_eip(pb_instance *inst, const pb_eip *eip);
sg_err pb_instance_add_tag(pb_instance *inst, const char *key, const char *value);

/*
 * Decoding AWS replies (pure; the reply trees are the caller's).
 *
 * pb_instance_decode fills a fresh instance (pb_instance_new) from a
 * DescribeInstances reply: instance `id` (NULL: the first), with the
 * reservation's owner as the account.  SG_ERR_NOTFOUND when the reply does
 * not hold it, SG_ERR_RANGE when it exceeds a capacity above.
 * The merges add what other replies know, each NULL-safe:
 *   _volumes  DescribeVolumes: size and type of the instance's volumes;
 *   _iam      DescribeIamInstanceProfileAssociations: the association id
 *             (and the profile when the instance reply had none);
 *   _asg      DescribeAutoScalingInstances: the group's name.
 */
sg_err pb_instance_decode(pb_instance *inst, const struct aws_xml *reply, const char *id);
sg_err pb_instance_merge_volumes(pb_instance *inst, const struct aws_xml *reply);
sg_err pb_instance_merge_iam(pb_instance *inst, const struct aws_xml *reply);
sg_err pb_instance_merge_asg(pb_instance *inst, const struct aws_xml *reply);

/*
 * pb_instance_matches_target — does a target id (as DescribeTargetHealth
 * reports it) designate this instance: its id, or any of its addresses
 * (compared as addresses, so "2001:db8::1" matches "2001:DB8:0::1")?
 */
bool pb_instance_matches_target(const pb_instance *inst, const char *target_id);

/* The distinct VPCs of its ENIs, in ENI order; returns how many (<= cap). */
size_t pb_instance_vpcs(const pb_instance *inst, char (*out)[PB_ID_MAX], size_t cap);

/*
 * JSON codec.  to_json returns a malloc'd NUL-terminated string (caller
 * frees) or NULL on OOM.  from_json parses at most len bytes (limit
 * PB_INSTANCE_JSON_MAX, common/jsonload.h) into a fresh instance;
 * SG_ERR_PARSE with a reason in msg for anything malformed (a duplicate
 * key too), unknown-typed or over capacity; SG_ERR_RANGE when larger than
 * PB_INSTANCE_JSON_MAX or nested deeper than 32.
 */
#define PB_INSTANCE_JSON_MAX (4u << 20)
char *pb_instance_to_json(const pb_instance *inst);
sg_err pb_instance_from_json(const char *json, size_t len, pb_instance **out, char *msg,
                             size_t msglen);

#endif
