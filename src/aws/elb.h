/*
 * elb.h — typed Elastic Load Balancing calls: ELBv2 (target groups,
 * Version 2015-12-01) and classic ELB (Version 2012-06-01).
 * Conventions as in ec2.h.
 */
#ifndef SG_SRC_AWS_ELB_H
#define SG_SRC_AWS_ELB_H

#include "aws/aws.h"

/* arns and/or lb_arn (may be NULL). Reply:
 * DescribeTargetGroupsResult/TargetGroups/member/{TargetGroupArn,TargetType,...} */
sg_err aws_elbv2_describe_target_groups(struct aws_client *c, const char *const *arns,
                                        size_t n, const char *lb_arn,
                                        struct aws_xml **reply, struct aws_error *err);

/* Every target group of the account and region, page by page: each() is
 * called with one TargetGroups/member element; a code other than SG_OK
 * stops the walk with that code. */
sg_err aws_elbv2_each_target_group(struct aws_client *c,
                                   sg_err (*each)(void *ctx, const struct aws_xml *group),
                                   void *ctx, struct aws_error *err);

/* DescribeTargetGroupAttributes: deregistration_delay.timeout_seconds
 * (ELBv2 default 300 when absent) -> *seconds. */
sg_err aws_elbv2_deregistration_delay(struct aws_client *c, const char *tg_arn, int *seconds,
                                      struct aws_error *err);

struct aws_elbv2_target {
	const char *id;          /* instance id or IP */
	int port;                /* 0: the group's port */
	const char *az;          /* NULL unless an IP outside the VPC */
};
/* targets may be NULL/0 for all. Reply: DescribeTargetHealthResult/
 * TargetHealthDescriptions/member/{Target/Id,Target/Port,TargetHealth/State} */
sg_err aws_elbv2_describe_target_health(struct aws_client *c, const char *tg_arn,
                                        const struct aws_elbv2_target *targets, size_t n,
                                        struct aws_xml **reply, struct aws_error *err);
sg_err aws_elbv2_register_targets(struct aws_client *c, const char *tg_arn,
                                  const struct aws_elbv2_target *targets, size_t n,
                                  unsigned flags, struct aws_error *err);
sg_err aws_elbv2_deregister_targets(struct aws_client *c, const char *tg_arn,
                                    const struct aws_elbv2_target *targets, size_t n,
                                    unsigned flags, struct aws_error *err);

/* Classic: Reply DescribeLoadBalancersResult/LoadBalancerDescriptions/member/
 * {LoadBalancerName,Instances/member/InstanceId,...} */
sg_err aws_elb_describe_load_balancers(struct aws_client *c, const char *const *names,
                                       size_t n, struct aws_xml **reply,
                                       struct aws_error *err);
/* Every classic load balancer, as aws_elbv2_each_target_group does:
 * each() gets one LoadBalancerDescriptions/member element. */
sg_err aws_elb_each_load_balancer(struct aws_client *c,
                                  sg_err (*each)(void *ctx, const struct aws_xml *lb),
                                  void *ctx, struct aws_error *err);

/*
 * Where an instance is registered: the one scan of the load balancers.
 * Every target group of type instance or ip (every page; an IP target
 * group in a peered VPC may hold its addresses too) is asked for its
 * targets, and every classic load balancer for its instances.  is_ours()
 * says whether a target id (an instance id or an IP) is the instance;
 * found() is told each registration and may stop the scan with a code.
 */
struct aws_lb_registration {
	const char *kind;       /* "target-group" | "classic-elb" */
	const char *lb;         /* target group ARN | classic load balancer name */
	const char *target_id;  /* the registered id or address */
	int port;               /* 0: none given */
	const char *az;         /* "" unless the registration names one */
	const char *state;      /* target health ("" for classic) */
};
sg_err aws_elb_find_registrations(struct aws_client *c, const char *instance_id,
                                  bool (*is_ours)(void *ctx, const char *target_id),
                                  sg_err (*found)(void *ctx,
                                                  const struct aws_lb_registration *reg),
                                  void *ctx, struct aws_error *err);

sg_err aws_elb_register_instances(struct aws_client *c, const char *lb_name,
                                  const char *const *instance_ids, size_t n, unsigned flags,
                                  struct aws_error *err);
sg_err aws_elb_deregister_instances(struct aws_client *c, const char *lb_name,
                                    const char *const *instance_ids, size_t n,
                                    unsigned flags, struct aws_error *err);

#endif
