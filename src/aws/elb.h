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
sg_err aws_elb_register_instances(struct aws_client *c, const char *lb_name,
                                  const char *const *instance_ids, size_t n, unsigned flags,
                                  struct aws_error *err);
sg_err aws_elb_deregister_instances(struct aws_client *c, const char *lb_name,
                                    const char *const *instance_ids, size_t n,
                                    unsigned flags, struct aws_error *err);

#endif
