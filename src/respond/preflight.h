/*
 * preflight.h — `respond --preflight` inside (src/respond only): one line
 * per (step, call) the plan needs and how it was decided.
 *
 * Three methods, each one that works unchanged on real AWS:
 *   DryRun       the changing EC2 calls (EC2 API reference, "DryRun": the
 *                answer is DryRunOperation or UnauthorizedOperation); a
 *                create sent with its tags has a second line, its tags'
 *                ec2:CreateTags with ec2:CreateAction ("ec2:CreateTags on
 *                CreateVolume"), told from the create's own by the same
 *                DryRun without the tags when the tagged one is refused;
 *   read         read-only calls the playbook makes, made now for real
 *                (DescribeAddresses, GetConsoleOutput,
 *                DescribeInstanceInformation, DescribeAutoScalingInstances,
 *                GetInstanceProfile): AccessDenied / UnauthorizedOperation
 *                is the answer;
 *   simulated    iam:SimulatePrincipalPolicy of the caller's principal (an
 *                assumed role as its role), or of the quarantine profile's
 *                role for what its SSM agent needs, on the resources the
 *                call names (iam:PassRole on the quarantine role,
 *                s3:GetObject / s3:PutObject on the evidence bucket, the
 *                KMS actions EBS needs on the evidence key, ...); when the
 *                caller may not simulate, those lines stay "not checked"
 *                and say why.
 * Simulation does not see resource policies (a bucket or key policy may
 * still refuse) nor SCPs: docs/respond.md says so.
 */
#ifndef SSRFGUARD_RESPOND_PREFLIGHT_H
#define SSRFGUARD_RESPOND_PREFLIGHT_H

#include <stdio.h>

#include "respond/rsp.h"

#define PF_RES_MAX 1024 /* an ARN built from a 512-byte target and the instance's ids */

enum pf_result { PF_OK, PF_DENIED, PF_OTHER, PF_UNCHECKED };

/* One (step, api) checked once, with the plan's first action for it. */
typedef struct pf_line {
	const pb_action *a;
	const char *api;
	enum pf_result res;
	bool simulated;     /* decided by SimulatePrincipalPolicy, not DryRun */
	bool read;          /* decided by making the (read-only) call itself */
	bool unknowable;    /* left "not checked" here, detail says why */
	char detail[160];   /* error code, or the simulation's decision */
	char resource[PF_RES_MAX];   /* simulate on this resource ("" : by api) */
	char principal[PB_ARN_MAX];  /* simulate as this principal ("" : the caller) */
} pf_line;

#define PF_LINES_MAX (PB_STEP__COUNT * 8)
#define PF_EXTRA_MAX 24 /* needs beyond the plan's changing calls */

typedef struct pf {
	rsp_run *x;
	FILE *out;
	size_t n;
	pf_line lines[PF_LINES_MAX];
	size_t count[4];
	char simulate_note[300]; /* why the calls without DryRun stay unchecked */
	size_t n_extra;
	pb_action extra[PF_EXTRA_MAX]; /* the steps and targets of those needs */
} pf;


/* Add the reads and grants the plan needs beyond its changing calls (each
 * checked at once when it is a read, else left for the simulation). */
void pf_add_needs(pf *f);

#endif
