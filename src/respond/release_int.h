/* release_int.h — what release.c, release_check.c and release_restore.c
 * share (not a public interface): the reads a release makes, its restore
 * calls and how they say what came back and what failed. */
#ifndef SG_SRC_RESPOND_RELEASE_INT_H
#define SG_SRC_RESPOND_RELEASE_INT_H

#include "respond/rsp.h"

/* What release does about the instance's Auto Scaling group. */
typedef enum release_asg {
	RELEASE_ASG_NONE,      /* none recorded */
	RELEASE_ASG_INSIDE,    /* still a member: nothing to do */
	RELEASE_ASG_STANDBY,   /* in Standby (--asg-standby), the group has room: ExitStandby */
	RELEASE_ASG_ATTACH,    /* out, and the group has room: AttachInstances */
	RELEASE_ASG_STAYS_OUT, /* out or in Standby, and the group cannot take it back into
	                          service: named under stays */
} release_asg;

typedef struct release_plan {
	release_asg asg;
	char asg_why[1024]; /* RELEASE_ASG_STAYS_OUT: "not back [in service] in ASG ... (why)" */
} release_plan;

/* The restore calls that failed, named for the operator. */
typedef struct release_failures {
	size_t n;
	char text[1024];
} release_failures;
/* What release leaves as containment set it, named for the operator. */
typedef struct release_kept {
	char text[1400];
} release_kept;

/* Count a call that failed and name it in f: action, target, AWS's code
 * and message, request id.  Returns err. */
sg_err release_call(release_failures *f, sg_err err, const char *action, const char *target,
                    const struct aws_error *e);
/* Append "; " and the formatted text to k (cut when full). */
void release_keep(release_kept *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The restores (release_restore.c), each from the recorded instance in:
 * the ENIs' security groups (how many are back, of *of that had some);
 * their connection-tracking timeouts (how many set to the type's defaults,
 * def and from filled when first needed: release_conntrack_defaults); the
 * hop limit, protections, shutdown behaviour and DeleteOnTermination (what
 * stays named in k); the Elastic IPs (how many are on it; one moved
 * elsewhere named in k); the profile (is it on); the target group and ELB
 * registrations (how many are back); the Auto Scaling group as p planned
 * it (is it in its group; one that cannot take it named in k). */
size_t release_groups(rsp_run *x, const pb_instance *in, release_failures *f, size_t *of);
size_t release_conntrack(rsp_run *x, const pb_instance *in, release_failures *f, pb_eni *def,
                         char *from, size_t cap);
void release_settings(rsp_run *x, const pb_instance *in, release_failures *f, release_kept *k);
size_t release_eips(rsp_run *x, const pb_instance *in, release_failures *f, release_kept *k);
bool release_profile(rsp_run *x, const pb_instance *in, release_failures *f);
size_t release_registrations(rsp_run *x, const pb_instance *in, release_failures *f);
bool release_asg_back(rsp_run *x, const pb_instance *in, const release_plan *p,
                      release_failures *f, release_kept *k);

/*
 * The reads before any change, so that a release that cannot work changes
 * nothing:
 * - DescribeInstances: an instance terminated, shutting down or gone
 *   (InvalidInstanceID.NotFound) has nothing to restore: SG_ERR_STATE, msg
 *   pointing to `incidents close`;
 * - with a recorded group: DescribeAutoScalingInstances, and for an
 *   instance out of it or in Standby DescribeAutoScalingGroups.
 *   AttachInstances fails when the instances attached plus the desired
 *   capacity exceed the group's maximum size (EC2 Auto Scaling API
 *   reference, AttachInstances), and ExitStandby, which increments the
 *   desired capacity (API reference, ExitStandby; user guide, "Temporarily
 *   remove instances from your Auto Scaling group"), fails the same way: a
 *   group at its maximum (its replacement launched: detach or standby kept
 *   the desired capacity) or deleted keeps the instance out of service,
 *   said in asg_why, and no call is tried.
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
