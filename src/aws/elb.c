/* elb.c — typed ELBv2 and classic ELB calls (see elb.h). */
#include "aws/elb.h"

static sg_err run(struct aws_client *c, enum aws_service svc, const char *action,
                  struct aws_params *p, unsigned flags, struct aws_xml **reply,
                  struct aws_error *err)
{
	if (!p)
		return SG_ERR_NOMEM;
	sg_err rc = aws_params_error(p);
	if (!rc)
		rc = aws_query(c, svc, action, p, flags, reply, err);
	aws_params_free(p);
	return rc;
}

sg_err aws_elbv2_describe_target_groups(struct aws_client *c, const char *const *arns, size_t n,
                                        const char *lb_arn, struct aws_xml **reply,
                                        struct aws_error *err)
{
	struct aws_params *p = aws_params_new();
	if (p && n)
		aws_params_add_list(p, "TargetGroupArns.member", arns, n);
	if (p && lb_arn)
		aws_params_add(p, "LoadBalancerArn", lb_arn);
	return run(c, AWS_ELBV2, "DescribeTargetGroups", p, 0, reply, err);
}

static void add_targets(struct aws_params *p, const struct aws_elbv2_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!t[i].id) {
			aws_params_add(p, "", ""); /* records SG_ERR_INVAL */
			return;
		}
		aws_params_addf(p, t[i].id, "Targets.member.%zu.Id", i + 1);
		if (t[i].port > 0) {
			char num[16];
			snprintf(num, sizeof num, "%d", t[i].port);
			aws_params_addf(p, num, "Targets.member.%zu.Port", i + 1);
		}
		if (t[i].az)
			aws_params_addf(p, t[i].az, "Targets.member.%zu.AvailabilityZone", i + 1);
	}
}

sg_err aws_elbv2_describe_target_health(struct aws_client *c, const char *tg_arn,
                                        const struct aws_elbv2_target *targets, size_t n,
                                        struct aws_xml **reply, struct aws_error *err)
{
	if (!tg_arn || (n && !targets))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "TargetGroupArn", tg_arn);
		add_targets(p, targets, n);
	}
	return run(c, AWS_ELBV2, "DescribeTargetHealth", p, 0, reply, err);
}

static sg_err targets_call(struct aws_client *c, const char *action, const char *tg_arn,
                           const struct aws_elbv2_target *targets, size_t n, unsigned flags,
                           struct aws_error *err)
{
	if (!tg_arn || !n || !targets || (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "TargetGroupArn", tg_arn);
		add_targets(p, targets, n);
	}
	return run(c, AWS_ELBV2, action, p, flags, NULL, err);
}

sg_err aws_elbv2_register_targets(struct aws_client *c, const char *tg_arn,
                                  const struct aws_elbv2_target *targets, size_t n,
                                  unsigned flags, struct aws_error *err)
{
	return targets_call(c, "RegisterTargets", tg_arn, targets, n, flags, err);
}

sg_err aws_elbv2_deregister_targets(struct aws_client *c, const char *tg_arn,
                                    const struct aws_elbv2_target *targets, size_t n,
                                    unsigned flags, struct aws_error *err)
{
	return targets_call(c, "DeregisterTargets", tg_arn, targets, n, flags, err);
}

sg_err aws_elb_describe_load_balancers(struct aws_client *c, const char *const *names, size_t n,
                                       struct aws_xml **reply, struct aws_error *err)
{
	struct aws_params *p = aws_params_new();
	if (p && n)
		aws_params_add_list(p, "LoadBalancerNames.member", names, n);
	return run(c, AWS_ELB, "DescribeLoadBalancers", p, 0, reply, err);
}

static sg_err instances_call(struct aws_client *c, const char *action, const char *lb,
                             const char *const *ids, size_t n, unsigned flags,
                             struct aws_error *err)
{
	if (!lb || !n || !ids || (flags & AWS_CALL_DRY_RUN))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "LoadBalancerName", lb);
		for (size_t i = 0; i < n; i++)
			aws_params_addf(p, ids[i] ? ids[i] : "", "Instances.member.%zu.InstanceId",
			                i + 1);
	}
	return run(c, AWS_ELB, action, p, flags, NULL, err);
}

sg_err aws_elb_register_instances(struct aws_client *c, const char *lb_name,
                                  const char *const *instance_ids, size_t n, unsigned flags,
                                  struct aws_error *err)
{
	return instances_call(c, "RegisterInstancesWithLoadBalancer", lb_name, instance_ids, n,
	                      flags, err);
}

sg_err aws_elb_deregister_instances(struct aws_client *c, const char *lb_name,
                                    const char *const *instance_ids, size_t n, unsigned flags,
                                    struct aws_error *err)
{
	return instances_call(c, "DeregisterInstancesFromLoadBalancer", lb_name, instance_ids, n,
	                      flags, err);
}
