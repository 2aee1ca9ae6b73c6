/*
 * creds.h — the credential provider chain, in the order of the AWS SDKs and
 * Tools reference guide ("Understand the credential provider chain"):
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      [+ AWS_ROLE_SESSION_NAME] (webid.h) — 1 and 2 only when no profile
 *      was named explicitly
 *   3. the profile (AWS_PROFILE or "default") in the shared files, as the
 *      AWS CLI reads it: role_arn (source_profile, credential_source, or
 *      web_identity_token_file), IAM Identity Center (sso.h), keys in
 *      AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) then AWS_CONFIG_FILE
 *      (~/.aws/config, section "profile NAME"), credential_process (credproc.h)
 *   4. container credentials: http://169.254.170.2 +
 *      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to loopback or the
 *      ECS/EKS hosts: credsrc.h), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 *      (read at every fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN
 *   5. IMDSv2 role credentials (unless AWS_EC2_METADATA_DISABLED=true)
 * Every source but keys gives an expiration; the client calls
 * aws_creds_resolve again when less than 5 minutes remain.  The result's
 * source and origin say where the credentials came from (never a secret).
 */
#ifndef SG_SRC_AWS_CREDS_H
#define SG_SRC_AWS_CREDS_H

#include "aws/awserr.h"
#include "aws/credentials.h"
#include "ssrfguard/error.h"

struct aws_creds_opts {
	const char *profile;        /* NULL: AWS_PROFILE or "default" */
	long timeout_ms;            /* per HTTP fetch; 0: 1000 */
};

/* SG_ERR_AUTH when no source yields credentials (err->message lists what was
 * tried; never a secret). */
sg_err aws_creds_resolve(const struct aws_creds_opts *opts, struct aws_credentials *out,
                         struct aws_error *err);

/* Region from AWS_REGION, AWS_DEFAULT_REGION, then the profile's config
 * entry.  SG_ERR_NOTFOUND if none (the caller may ask IMDS). */
sg_err aws_region_resolve(const char *profile, char *out, size_t outlen);

/* Refresh is due when expiration is set and within `margin` seconds of now. */
bool aws_creds_expiring(const struct aws_credentials *c, long long now, long long margin);

#endif
