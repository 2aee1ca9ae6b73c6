/* elb.c — typed ELBv2 and classic ELB calls (see elb.h). */
#include "aws/elb.h"

#include <stdlib.h>

static sg_err run(struct aws_client *c, enum aws_service svc, const char *action,
                  const char *target, struct aws_params *p, unsigned flags,
                  struct aws_xml **reply, struct aws_error *err)
{
	return aws_query_take(c, svc, action, target, p, flags, reply, err);
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
	return run(c, AWS_ELBV2, "DescribeTargetGroups", n == 1 ? arns[0] : lb_arn, p, 0, reply, err);
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
	return run(c, AWS_ELBV2, "DescribeTargetHealth", tg_arn, p, 0, reply, err);
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
	return run(c, AWS_ELBV2, action, tg_arn, p, flags, NULL, err);
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
	return run(c, AWS_ELB, "DescribeLoadBalancers", n == 1 ? names[0] : NULL, p, 0, reply, err);
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
	return run(c, AWS_ELB, action, lb, p, flags, NULL, err);
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

struct each_ctx {
	const char *list; /* the member list's path in one reply */
	sg_err (*each)(void *ctx, const struct aws_xml *item);
	void *ctx;
};

static sg_err each_member(void *ctx, const struct aws_xml *reply)
{
	struct each_ctx *e = ctx;
	for (AWS_XML_EACH(item, aws_xml_get(reply, e->list))) {
		sg_err rc = e->each(e->ctx, item);
		if (rc)
			return rc;
	}
	return SG_OK;
}

sg_err aws_elbv2_each_target_group(struct aws_client *c,
                                   sg_err (*each)(void *ctx, const struct aws_xml *group),
                                   void *ctx, struct aws_error *err)
{
	struct each_ctx e = {"DescribeTargetGroupsResult/TargetGroups", each, ctx};
	return aws_query_pages(c, AWS_ELBV2, "DescribeTargetGroups", NULL, "Marker",
	                       "DescribeTargetGroupsResult/NextMarker", 0, each_member, &e, err);
}

sg_err aws_elb_each_load_balancer(struct aws_client *c,
                                  sg_err (*each)(void *ctx, const struct aws_xml *lb),
                                  void *ctx, struct aws_error *err)
{
	struct each_ctx e = {"DescribeLoadBalancersResult/LoadBalancerDescriptions", each, ctx};
	return aws_query_pages(c, AWS_ELB, "DescribeLoadBalancers", NULL, "Marker",
	                       "DescribeLoadBalancersResult/NextMarker", 0, each_member, &e, err);
}

/* ---- the registration scan ------------------------------------------- */

struct scan {
	const char *instance_id;
	bool (*is_ours)(void *ctx, const char *target_id);
	sg_err (*found)(void *ctx, const struct aws_lb_registration *reg);
	void *ctx;
	char **arns;
	size_t n, cap;
};

static sg_err keep_group(void *ctx, const struct aws_xml *g)
{
	struct scan *s = ctx;
	const char *type = aws_xml_str_or(g, "TargetType", "instance");
	const char *arn = aws_xml_str(g, "TargetGroupArn");
	if (!arn || (strcmp(type, "instance") && strcmp(type, "ip")))
		return SG_OK; /* lambda and alb targets cannot hold an instance */
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 16;
		if (nc > 4096)
			return SG_ERR_RANGE;
		char **na = realloc(s->arns, nc * sizeof *na);
		if (!na)
			return SG_ERR_NOMEM;
		s->arns = na;
		s->cap = nc;
	}
	if (!(s->arns[s->n] = strdup(arn)))
		return SG_ERR_NOMEM;
	s->n++;
	return SG_OK;
}

static sg_err targets_of(struct aws_client *c, struct scan *s, const char *arn,
                         struct aws_error *err)
{
	struct aws_xml *r = NULL;
	sg_err rc = aws_elbv2_describe_target_health(c, arn, NULL, 0, &r, err);
	for (AWS_XML_EACH(d, rc ? NULL : aws_xml_get(r, "DescribeTargetHealthResult/TargetHealthDescriptions"))) {
		const char *id = aws_xml_str_or(d, "Target/Id", "");
		if (!s->is_ours(s->ctx, id))
			continue;
		char *end = NULL;
		const char *port = aws_xml_str_or(d, "Target/Port", "0");
		long pn = strtol(port, &end, 10);
		struct aws_lb_registration reg = {
			"target-group", arn, id, end && !*end && pn > 0 && pn < 65536 ? (int)pn : 0,
			aws_xml_str_or(d, "Target/AvailabilityZone", ""),
			aws_xml_str_or(d, "TargetHealth/State", ""),
		};
		if ((rc = s->found(s->ctx, &reg)))
			break;
	}
	aws_xml_free(r);
	return rc;
}

static sg_err classic_lb(void *ctx, const struct aws_xml *lb)
{
	struct scan *s = ctx;
	for (AWS_XML_EACH(i, aws_xml_get(lb, "Instances")))
		if (!strcmp(aws_xml_str_or(i, "InstanceId", ""), s->instance_id)) {
			struct aws_lb_registration reg = {
				"classic-elb", aws_xml_str_or(lb, "LoadBalancerName", ""), s->instance_id,
				0, "", "",
			};
			sg_err rc = s->found(s->ctx, &reg);
			if (rc)
				return rc;
		}
	return SG_OK;
}

sg_err aws_elb_find_registrations(struct aws_client *c, const char *instance_id,
                                  bool (*is_ours)(void *ctx, const char *target_id),
                                  sg_err (*found)(void *ctx,
                                                  const struct aws_lb_registration *reg),
                                  void *ctx, struct aws_error *err)
{
	if (!instance_id || !is_ours || !found)
		return SG_ERR_INVAL;
	struct scan s = {instance_id, is_ours, found, ctx, NULL, 0, 0};
	sg_err rc = aws_elbv2_each_target_group(c, keep_group, &s, err);
	for (size_t i = 0; !rc && i < s.n; i++)
		rc = targets_of(c, &s, s.arns[i], err);
	if (!rc)
		rc = aws_elb_each_load_balancer(c, classic_lb, &s, err);
	for (size_t i = 0; i < s.n; i++)
		free(s.arns[i]);
	free(s.arns);
	return rc;
}

sg_err aws_elbv2_deregistration_delay(struct aws_client *c, const char *tg_arn, int *seconds,
                                      struct aws_error *err)
{
	if (!tg_arn || !seconds)
		return SG_ERR_INVAL;
	*seconds = 300; /* ELBv2's default */
	struct aws_params *p = aws_params_new();
	if (p)
		aws_params_add(p, "TargetGroupArn", tg_arn);
	struct aws_xml *r = NULL;
	sg_err rc = run(c, AWS_ELBV2, "DescribeTargetGroupAttributes", tg_arn, p, 0, &r, err);
	for (AWS_XML_EACH(a, rc ? NULL : aws_xml_get(r, "DescribeTargetGroupAttributesResult/Attributes")))
		if (!strcmp(aws_xml_str_or(a, "Key", ""), "deregistration_delay.timeout_seconds")) {
			char *end = NULL;
			const char *v = aws_xml_str_or(a, "Value", "");
			long n = strtol(v, &end, 10);
			if (end != v && !*end && n >= 0 && n <= 3600)
				*seconds = (int)n;
		}
	aws_xml_free(r);
	return rc;
}
