/* asg.c — typed Auto Scaling calls (see asg.h). */
#include "aws/asg.h"

static sg_err run(struct aws_client *c, const char *action, const char *target,
                  struct aws_params *p, unsigned flags, struct aws_xml **reply,
                  struct aws_error *err)
{
	return aws_query_take(c, AWS_AUTOSCALING, action, target, p, flags, reply, err);
}

sg_err aws_asg_describe_instances(struct aws_client *c, const char *const *instance_ids,
                                  size_t n, struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = aws_params_new();
	if (p && n)
		aws_params_add_list(p, "InstanceIds.member", instance_ids, n);
	return run(c, "DescribeAutoScalingInstances", n == 1 ? instance_ids[0] : NULL, p, 0, reply, err);
}

sg_err aws_asg_describe_groups(struct aws_client *c, const char *const *names, size_t n,
                               struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = aws_params_new();
	if (p && n)
		aws_params_add_list(p, "AutoScalingGroupNames.member", names, n);
	return run(c, "DescribeAutoScalingGroups", n == 1 ? names[0] : NULL, p, 0, reply, err);
}

/* One membership call: group + InstanceIds (+ ShouldDecrementDesiredCapacity
 * when decrement is 0 or 1; -1 leaves it out). */
enum { NO_DECREMENT_PARAM = -1 };
static sg_err members_call(struct aws_client *c, const char *action, const char *group,
                           const char *const *instance_ids, size_t n, int decrement,
                           unsigned flags, struct aws_xml **reply, struct aws_error *err)
{
	if (!group || !n || !instance_ids || (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "AutoScalingGroupName", group);
		aws_params_add_list(p, "InstanceIds.member", instance_ids, n);
		if (decrement != NO_DECREMENT_PARAM)
			aws_params_add_bool(p, "ShouldDecrementDesiredCapacity", decrement);
	}
	return run(c, action, group, p, flags, reply, err);
}

sg_err aws_asg_detach_instances(struct aws_client *c, const char *group,
                                const char *const *instance_ids, size_t n, bool decrement,
                                unsigned flags, struct aws_xml **reply, struct aws_error *err)
{
	return members_call(c, "DetachInstances", group, instance_ids, n, decrement, flags, reply,
	                    err);
}

sg_err aws_asg_attach_instances(struct aws_client *c, const char *group,
                                const char *const *instance_ids, size_t n, unsigned flags,
                                struct aws_error *err)
{
	return members_call(c, "AttachInstances", group, instance_ids, n, NO_DECREMENT_PARAM, flags,
	                    NULL, err);
}

sg_err aws_asg_enter_standby(struct aws_client *c, const char *group,
                             const char *const *instance_ids, size_t n, bool decrement,
                             unsigned flags, struct aws_error *err)
{
	return members_call(c, "EnterStandby", group, instance_ids, n, decrement, flags, NULL, err);
}

sg_err aws_asg_exit_standby(struct aws_client *c, const char *group,
                            const char *const *instance_ids, size_t n, unsigned flags,
                            struct aws_error *err)
{
	return members_call(c, "ExitStandby", group, instance_ids, n, NO_DECREMENT_PARAM, flags, NULL,
	                    err);
}
