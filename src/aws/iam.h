/*
 * iam.h — typed IAM calls (Query, Version 2010-05-08; global, signed in
 * us-east-1).  Conventions as in ec2.h.
 */
#ifndef SG_SRC_AWS_IAM_H
#define SG_SRC_AWS_IAM_H

#include "aws/aws.h"

/* Reply: GetInstanceProfileResult/InstanceProfile/{Arn,InstanceProfileName,
 * Roles/member/{RoleName,Arn}} */
sg_err aws_iam_get_instance_profile(struct aws_client *c, const char *name,
                                    struct aws_xml **reply, struct aws_error *err);
/* PutRolePolicy (idempotent: replaces the inline policy of that name). */
sg_err aws_iam_put_role_policy(struct aws_client *c, const char *role, const char *policy_name,
                               const char *policy_json, unsigned flags,
                               struct aws_error *err);
/* GetRolePolicy: the URL-decoded document -> *policy_json (malloc'd, caller
 * frees; may be NULL if unwanted). SG_ERR_NOTFOUND: NoSuchEntity. */
sg_err aws_iam_get_role_policy(struct aws_client *c, const char *role, const char *policy_name,
                               char **policy_json, struct aws_error *err);
/* GetRole. Reply: GetRoleResult/Role/{Arn,RoleName,Path,...} */
sg_err aws_iam_get_role(struct aws_client *c, const char *role, struct aws_xml **reply,
                        struct aws_error *err);

/* SimulatePrincipalPolicy of one action on resources (n may be 0: "*"),
 * with string context keys (e.g. iam:PassedToService; ncontext may be 0).
 * Reply: SimulatePrincipalPolicyResult/EvaluationResults/member/EvalDecision. */
sg_err aws_iam_simulate_principal_policy(struct aws_client *c, const char *source_arn,
                                         const char *action, const char *const *resources,
                                         size_t n, const struct aws_kv *context,
                                         size_t ncontext, struct aws_xml **reply,
                                         struct aws_error *err);

/* ListRolePolicies, every page: each() gets one inline policy name; a code
 * other than SG_OK stops the walk with it. */
sg_err aws_iam_each_role_policy(struct aws_client *c, const char *role,
                                sg_err (*each)(void *ctx, const char *name), void *ctx,
                                struct aws_error *err);

sg_err aws_iam_delete_role_policy(struct aws_client *c, const char *role,
                                  const char *policy_name, unsigned flags,
                                  struct aws_error *err);

#endif
