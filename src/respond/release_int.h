/* release_int.h — what release.c and release_check.c share (not a public
 * interface): the reads a release makes before it changes anything. */
#ifndef SG_SRC_RESPOND_RELEASE_INT_H
#define SG_SRC_RESPOND_RELEASE_INT_H

#include "respond/rsp.h"

/* What release does about the instance's Auto Scaling group. */
typedef enum release_asg {
	RELEASE_ASG_NONE,      /* none recorded */
	RELEASE_ASG_INSIDE,    /* still a member: nothing to do */
	RELEASE_ASG_STANDBY,   /* in Standby (--asg-standby): ExitStandby */
	RELEASE_ASG_ATTACH,    /* out, and the group has room: AttachInstances */
	RELEASE_ASG_STAYS_OUT, /* out, and it cannot take it back: named under stays */
} release_asg;

typedef struct release_plan {
	release_asg asg;
	char asg_why[800]; /* RELEASE_ASG_STAYS_OUT: "not back in ASG ... (why)" */
} release_plan;

/*
 * The reads before any change, so that a release that cannot work changes
 * nothing:
 * - DescribeInstances: an instance terminated, shutting down or gone
 *   (InvalidInstanceID.NotFound) has nothing to restore: SG_ERR_STATE, msg
 *   pointing to `incidents close`;
 * - with a recorded group: DescribeAutoScalingInstances, and for an
 *   instance out of it DescribeAutoScalingGroups.  AttachInstances fails
 *   when the instances attached plus the desired capacity exceed the
 *   group's maximum size (EC2 Auto Scaling API reference, AttachInstances):
 *   a group at its maximum (its replacement launched: detach kept the
 *   desired capacity) or deleted keeps the instance out, said in asg_why.
 * A read that fails: SG_ERR_REMOTE (or its error), msg naming it.
 */
sg_err release_check(rsp_run *x, release_plan *p, char *msg, size_t msglen);

/*
 * The connection-tracking timeouts an ENI of the instance's type has when
 * none were ever set on it, into def: what EC2 says of the type
 * (DescribeInstanceTypes, networkInfo/connectionTrackingConfiguration: one
 * read), else, the call refused or its answer without them, ssrfguard's
 * own table (pb_conntrack_defaults).  from (cap bytes) says which, and why
 * the table: "DescribeInstanceTypes" or "ssrfguard's table
 * (DescribeInstanceTypes: UnauthorizedOperation)".
 */
void release_conntrack_defaults(rsp_run *x, pb_eni *def, char *from, size_t cap);

#endif
