/* release_check.c — what a release reads: before it changes anything, is
 * the instance still there and can its Auto Scaling group take it back;
 * the connection-tracking defaults of its type (see release_int.h). */
#include "respond/release_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"

/* A read that failed: nothing was changed. */
static sg_err read_failed(rsp_run *x, sg_err err, const char *action, const char *target,
                          const struct aws_error *e, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: nothing restored: %s %s failed (%s%s%.200s%s%s); nothing was "
	         "changed (run release again)", x->inc, action, target,
	         e->code[0] ? e->code : sg_strerror(err), e->message[0] ? ": " : "", e->message,
	         e->request_id[0] ? ", request id " : "", e->request_id);
	return err;
}

/* SG_ERR_STATE, msg saying so, when the instance is terminated, shutting
 * down or no longer known to EC2 (terminated more than about an hour ago:
 * EC2 API reference, DescribeInstances). */
static sg_err instance_present(rsp_run *x, const pb_instance *in, char *msg, size_t msglen)
{
	struct aws_xml *rep = NULL;
	struct aws_error e;
	sg_err err = aws_ec2_describe_instances(x->aws, (const char *[]){in->id}, 1, NULL, 0, &rep, &e);
	if (err && err != SG_ERR_NOTFOUND)
		return read_failed(x, err, "DescribeInstances", in->id, &e, msg, msglen);
	char state[32];
	snprintf(state, sizeof state, "%s", err ? "" :
	         aws_xml_str_or(rep, "reservationSet/item/instancesSet/item/instanceState/name", ""));
	aws_xml_free(rep);
	if (state[0] && strcmp(state, "terminated") && strcmp(state, "shutting-down"))
		return SG_OK;
	snprintf(msg, msglen, "%s: instance %s is %s (DescribeInstances): nothing to restore; close "
	         "the incident instead: ssrfguard incidents close %lld --reason TEXT", x->inc, in->id,
	         state[0] ? state : "gone (InvalidInstanceID.NotFound)", (long long)x->id);
	return SG_ERR_STATE;
}

static long number_in(const struct aws_xml *n, const char *path)
{
	const char *s = aws_xml_str_or(n, path, "");
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	return errno || end == s || *end ? -1 : v;
}

/* Either way back raises the group's desired capacity by one, which AWS
 * refuses above its maximum size: AttachInstances for an instance out of
 * its group, ExitStandby for one in Standby (EC2 Auto Scaling API
 * reference, AttachInstances, ExitStandby).  p->asg is want when the group
 * has room, RELEASE_ASG_STAYS_OUT with asg_why saying why not otherwise;
 * sizes it cannot read leave the decision to AWS. */
static sg_err group_room(rsp_run *x, const pb_instance *in, release_asg want, release_plan *p,
                         char *msg, size_t msglen)
{
	struct aws_xml *rep = NULL;
	struct aws_error e;
	sg_err err = aws_asg_describe_groups(x->aws, (const char *[]){in->asg}, 1, &rep, &e);
	if (err)
		return read_failed(x, err, "DescribeAutoScalingGroups", in->asg, &e, msg, msglen);
	const struct aws_xml *g =
		aws_xml_get(rep, "DescribeAutoScalingGroupsResult/AutoScalingGroups/member");
	bool exists = g != NULL;
	long max = number_in(g, "MaxSize"), desired = number_in(g, "DesiredCapacity");
	aws_xml_free(rep);
	bool standby = want == RELEASE_ASG_STANDBY;
	p->asg = RELEASE_ASG_STAYS_OUT;
	if (!exists)
		snprintf(p->asg_why, sizeof p->asg_why, "not back in ASG %s (the group no longer "
		         "exists)", in->asg);
	else if (max >= 0 && desired >= 0 && desired + 1 > max) /* unreadable: AWS decides */
		snprintf(p->asg_why, sizeof p->asg_why, "not back %s ASG %s (%sat its max size %ld, "
		         "desired %ld: %s would exceed it; the group runs at capacity without it; %s by "
		         "hand after scaling in: aws autoscaling %s --auto-scaling-group-name %s "
		         "--instance-ids %s)", standby ? "in service in" : "in", in->asg,
		         standby ? "still in Standby there, not health-checked; " : "", max, desired,
		         standby ? "ExitStandby" : "AttachInstances",
		         standby ? "take it out of Standby" : "attach it",
		         standby ? "exit-standby" : "attach-instances", in->asg, in->id);
	else
		p->asg = want;
	return SG_OK;
}

static sg_err asg_plan(rsp_run *x, const pb_instance *in, release_plan *p, char *msg,
                       size_t msglen)
{
	p->asg = RELEASE_ASG_NONE;
	if (!in->asg[0])
		return SG_OK;
	struct aws_xml *rep = NULL;
	struct aws_error e;
	sg_err err = aws_asg_describe_instances(x->aws, (const char *[]){in->id}, 1, &rep, &e);
	if (err)
		return read_failed(x, err, "DescribeAutoScalingInstances", in->id, &e, msg, msglen);
	const struct aws_xml *m =
		aws_xml_get(rep, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
	bool member = m != NULL, standby = !strcmp(aws_xml_str_or(m, "LifecycleState", ""), "Standby");
	aws_xml_free(rep);
	if (member && !standby) {
		p->asg = RELEASE_ASG_INSIDE;
		return SG_OK;
	}
	return group_room(x, in, member ? RELEASE_ASG_STANDBY : RELEASE_ASG_ATTACH, p, msg, msglen);
}

sg_err release_check(rsp_run *x, release_plan *p, char *msg, size_t msglen)
{
	sg_err err = instance_present(x, x->inst, msg, msglen);
	return err ? err : asg_plan(x, x->inst, p, msg, msglen);
}

void release_conntrack_defaults(rsp_run *x, pb_eni *def, char *from, size_t cap)
{
	const pb_instance *in = x->inst;
	struct aws_xml *rep = NULL;
	struct aws_error e = {0};
	sg_err err = in->instance_type[0]
	                 ? aws_ec2_describe_instance_types(x->aws, in->instance_type, &rep, &e)
	                 : SG_ERR_NOTFOUND;
	bool said = !err && pb_conntrack_type_decode(aws_xml_get(rep, "instanceTypeSet/item"), def);
	aws_xml_free(rep);
	if (said) {
		snprintf(from, cap, "DescribeInstanceTypes");
		return;
	}
	pb_conntrack_defaults(in->instance_type, def);
	snprintf(from, cap, "ssrfguard's table (DescribeInstanceTypes: %.80s)",
	         !in->instance_type[0] ? "no instance type recorded"
	         : err ? (e.code[0] ? e.code : sg_strerror(err)) : "no connectionTrackingConfiguration");
}
