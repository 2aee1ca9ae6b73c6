/*
 * asg.h — typed Auto Scaling calls (Query, Version 2011-01-01).
 * Conventions as in ec2.h; replies are under <ActionResult>.
 */
#ifndef SG_SRC_AWS_ASG_H
#define SG_SRC_AWS_ASG_H

#include <stdbool.h>

#include "aws/aws.h"

/* Reply: DescribeAutoScalingInstancesResult/AutoScalingInstances/member/
 * {InstanceId,AutoScalingGroupName,LifecycleState,...} */
sg_err aws_asg_describe_instances(struct aws_client *c, const char *const *instance_ids,
                                  size_t n, struct aws_xml **reply, struct aws_error *err);
/* Reply: DescribeAutoScalingGroupsResult/AutoScalingGroups/member/... */
sg_err aws_asg_describe_groups(struct aws_client *c, const char *const *names, size_t n,
                               struct aws_xml **reply, struct aws_error *err);
/* DetachInstances (decrement: ShouldDecrementDesiredCapacity).  Idempotent
 * in effect: detaching twice answers a ValidationError the caller can
 * read as "already out". Reply: DetachInstancesResult/Activities/member/... */
sg_err aws_asg_detach_instances(struct aws_client *c, const char *group,
                                const char *const *instance_ids, size_t n, bool decrement,
                                unsigned flags, struct aws_xml **reply,
                                struct aws_error *err);
/* EnterStandby / ExitStandby (Auto Scaling user guide, "Temporarily
 * remove instances from your Auto Scaling group"). */
sg_err aws_asg_enter_standby(struct aws_client *c, const char *group,
                             const char *const *instance_ids, size_t n, bool decrement,
                             unsigned flags, struct aws_error *err);
sg_err aws_asg_exit_standby(struct aws_client *c, const char *group,
                            const char *const *instance_ids, size_t n, unsigned flags,
                            struct aws_error *err);

sg_err aws_asg_attach_instances(struct aws_client *c, const char *group,
                                const char *const *instance_ids, size_t n, unsigned flags,
                                struct aws_error *err);

#endif
