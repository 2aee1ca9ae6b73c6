/* asg.c — PB_ASG: out of the Auto Scaling group's reach before isolation,
 * in every lifecycle state the group can show (Auto Scaling user guide,
 * "Amazon EC2 Auto Scaling instance lifecycle").
 *
 *   InService, Standby        detach (or, with --asg-standby, EnterStandby
 *                             from InService; Standby is then done)
 *   Pending, Pending:Wait, Pending:Proceed, Warmed:*, EnteringStandby
 *                             wait: the group refuses both calls until the
 *                             instance is InService or Standby
 *   Detaching                 wait: a detach under way (never repeated, so
 *                             the desired capacity is never decremented twice)
 *   Terminating, Terminating:Wait, Terminating:Proceed, Terminated
 *                             the group is terminating it: nothing can keep
 *                             it; failed, with the note (snapshot and capture
 *                             do not wait for this step)
 *
 * A detach (or standby) waits while the group's target groups drain the
 * instance: the longest deregistration_delay.timeout_seconds, 300 s by
 * default ("Detach or attach instances"), so the wait is --asg-wait plus
 * that delay.
 */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/elb.h"
#include "respond/journal.h"

typedef struct membership {
	char group[PB_NAME_MAX]; /* "" when not in a group */
	char life[64];           /* LifecycleState */
} membership;

static sg_err asg_now(rsp_run *x, membership *m)
{
	struct aws_xml *r = NULL;
	sg_err err = aws_asg_describe_instances(x->aws, (const char *[]){x->inst->id}, 1, &r, NULL);
	if (!err) {
		const struct aws_xml *it =
			aws_xml_get(r, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
		snprintf(m->group, sizeof m->group, "%s", aws_xml_str_or(it, "AutoScalingGroupName", ""));
		snprintf(m->life, sizeof m->life, "%s", aws_xml_str_or(it, "LifecycleState", ""));
	}
	aws_xml_free(r);
	return err;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The longest deregistration delay of the group's target groups (s). */
static sg_err drain_seconds(rsp_run *x, const char *group, int *longest)
{
	struct aws_xml *r = NULL;
	*longest = 0;
	sg_err err = aws_asg_describe_groups(x->aws, &group, 1, &r, NULL);
	const struct aws_xml *arns =
		aws_xml_get(r, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member/TargetGroupARNs");
	for (AWS_XML_EACH(a, err ? NULL : arns)) {
		int d = 0;
		const char *arn = aws_xml_str(a, NULL);
		if (!arn || (err = aws_elbv2_deregistration_delay(x->aws, arn, &d, NULL)))
			break;
		if (d > *longest)
			*longest = d;
	}
	aws_xml_free(r);
	return err;
}

/* Ask the group to let go of the instance: detach, or EnterStandby. */
static sg_err let_go(rsp_run *x, const membership *m)
{
	bool decrement = x->cfg->playbook.decrement_desired;
	const char *id = x->inst->id;
	if (x->cfg->playbook.asg_standby) {
		rsp_intent(x, "enter Standby in %s (%s desired capacity)", m->group,
		           decrement ? "decrement" : "keep");
		return aws_asg_enter_standby(x->aws, m->group, &id, 1, decrement, 0, NULL);
	}
	rsp_intent(x, "detach from %s (%s desired capacity)", m->group,
	           decrement ? "decrement" : "keep");
	return aws_asg_detach_instances(x->aws, m->group, &id, 1, decrement, 0, NULL, NULL);
}

/* Where the instance stands in its group now. */
enum standing {
	OUT,   /* out of the group (or in Standby, as asked): done */
	LOST,  /* the group is terminating it */
	ASK,   /* InService or Standby: the group takes the request now */
	WAIT,  /* Pending*, Warmed:*, EnteringStandby, Detaching */
};

static enum standing standing(rsp_run *x, const membership *m)
{
	bool standby = x->cfg->playbook.asg_standby;
	if (!m->group[0] || (standby && !strcmp(m->life, "Standby")))
		return OUT;
	if (starts(m->life, "Terminat")) {
		snprintf(x->note, sizeof x->note,
		         "%s is %s in %s: the group is terminating it and nothing can keep it",
		         x->inst->id, m->life, m->group);
		return LOST;
	}
	if (!strcmp(m->life, "InService") || (!standby && !strcmp(m->life, "Standby")))
		return ASK;
	return WAIT;
}

sg_err rsp_step_asg(rsp_run *x)
{
	if (!x->inst->asg[0]) {
		snprintf(x->note, sizeof x->note, "not in an Auto Scaling group");
		return RSP_SKIP;
	}
	membership m;
	sg_err err = asg_now(x, &m);
	if (err)
		return err;
	int drain = 0;
	if (m.group[0] && (err = drain_seconds(x, m.group, &drain)))
		return err;
	unsigned wait = (x->cfg->asg_wait_s ? x->cfg->asg_wait_s : 120) + (unsigned)drain;
	int64_t deadline = sg_mono_ms() + (int64_t)wait * 1000;
	bool asked = false;
	for (;;) {
		enum standing st = standing(x, &m);
		if (st == OUT)
			break;
		if (st == LOST)
			return RSP_FATAL;
		if (st == ASK && !asked) {
			if ((err = let_go(x, &m)))
				return err;
			asked = true;
		} else if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "still %s in %s after %u s", m.life, m.group, wait);
			return SG_ERR_TIMEOUT;
		} else if ((err = rsp_pause(x))) {
			return err;
		}
		if ((err = asg_now(x, &m)))
			return err;
	}
	if (x->cfg->playbook.asg_standby && m.group[0])
		snprintf(x->note, sizeof x->note, "Standby in Auto Scaling group %s (ExitStandby undoes it)",
		         m.group);
	else
		snprintf(x->note, sizeof x->note, "left Auto Scaling group %s%s", x->inst->asg,
		         drain ? " after its target groups drained it" : "");
	return SG_OK;
}
