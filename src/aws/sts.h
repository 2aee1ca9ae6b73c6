/*
 * sts.h — STS GetCallerIdentity, AssumeRole and AssumeRoleWithWebIdentity
 * (Query, Version 2011-06-15; the regional endpoint, signed with the
 * client's region).
 */
#ifndef SG_SRC_AWS_STS_H
#define SG_SRC_AWS_STS_H

#include "aws/aws.h"

struct aws_caller_identity {
	char account[16];
	char arn[2048];
	char user_id[256];
};

sg_err aws_sts_get_caller_identity(struct aws_client *c, struct aws_caller_identity *out,
                                   struct aws_error *err);

/* AssumeRole: temporary credentials of role_arn for session_name (2-64 of
 * [\w+=,.@-]), valid duration_s seconds (0: STS's 3600) -> *out (source
 * "assume-role", expiration set).  SG_ERR_AUTH when the caller may not. */
sg_err aws_sts_assume_role(struct aws_client *c, const char *role_arn, const char *session_name,
                           int duration_s, struct aws_credentials *out, struct aws_error *err);

/* AssumeRoleWithWebIdentity: the same for the holder of an OIDC token
 * (EKS IRSA and other web identities), source "web-identity".  STS takes
 * this call unsigned: c is an anonymous client (aws_client_opts.anonymous).
 * InvalidIdentityToken, ExpiredTokenException and a role whose trust
 * policy does not admit the token are SG_ERR_AUTH or SG_ERR_REMOTE with
 * err->code saying which; the token never reaches err or a log. */
sg_err aws_sts_assume_role_with_web_identity(struct aws_client *c, const char *role_arn,
                                             const char *session_name, const char *token,
                                             int duration_s, struct aws_credentials *out,
                                             struct aws_error *err);

#endif
