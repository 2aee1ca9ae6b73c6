/*
 * sso.h — the IAM Identity Center (SSO) credential source (AWS SDKs and
 * Tools reference guide, "IAM Identity Center credential provider"; SSO
 * Portal API reference, GetRoleCredentials).  Internal to src/aws.
 *
 * A profile with sso_session (its [sso-session NAME] section gives
 * sso_start_url and sso_region) or, in the legacy form, sso_start_url and
 * sso_region itself, plus sso_account_id and sso_role_name.  The access
 * token is the one "aws sso login" cached in
 * ~/.aws/sso/cache/SHA1(session name or start URL).json; it is exchanged
 * at https://portal.sso.REGION.amazonaws.com/federation/credentials
 * (AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL override it) for the role's
 * credentials, which expire and are fetched again.  A missing, expired or
 * refused token is SG_ERR_AUTH with why[] telling the user to run
 * "aws sso login"; ssrfguard never refreshes the token itself.
 */
#ifndef SG_SRC_AWS_SSO_H
#define SG_SRC_AWS_SSO_H

#include <stddef.h>

#include "aws/credentials.h"
#include "ssrfguard/error.h"

/* SG_ERR_NOTFOUND when the profile has no IAM Identity Center settings. */
sg_err aws_sso_credentials(const char *profile, long timeout_ms, struct aws_credentials *out,
                           char *why, size_t whylen);

#endif
