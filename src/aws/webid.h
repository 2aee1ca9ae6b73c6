/*
 * webid.h — the web identity credential source (AWS SDKs and Tools
 * reference guide, "Assume role credential provider", web identity; STS
 * API reference, AssumeRoleWithWebIdentity): an OIDC token from a file
 * (EKS IRSA mounts one and rotates it) exchanged for a role's temporary
 * credentials by an unsigned STS call.  The file is read again at every
 * refresh.  Internal to src/aws (creds.c runs it).
 */
#ifndef SG_SRC_AWS_WEBID_H
#define SG_SRC_AWS_WEBID_H

#include <stddef.h>

#include "aws/credentials.h"
#include "ssrfguard/error.h"

/* From AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME].
 * SG_ERR_NOTFOUND when the variables are not both set; SG_ERR_AUTH with
 * why[] saying what failed. */
sg_err aws_webid_from_env(long timeout_ms, struct aws_credentials *out, char *why, size_t whylen);

/* role_arn + web_identity_token_file of a profile (session "" -> a name of
 * ours); the profile also gives STS its region. */
sg_err aws_webid_assume(const char *profile, const char *role_arn, const char *token_file,
                        const char *session, long timeout_ms, struct aws_credentials *out,
                        char *why, size_t whylen);

#endif
