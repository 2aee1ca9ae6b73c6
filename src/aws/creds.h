/*
 * creds.h — the credential provider chain, in the SDKs' order:
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *   2. shared files for the profile (AWS_PROFILE or "default"):
 *      AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then
 *      AWS_CONFIG_FILE (~/.aws/config, section "profile NAME"): its keys,
 *      else its credential_process (credproc.h)
 *   3. container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI or
 *      http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, with
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
 *   4. IMDSv2 role credentials (unless AWS_EC2_METADATA_DISABLED=true)
 * Refreshable sources (container, IMDS) carry an expiration; the client
 * calls aws_creds_resolve again when less than 5 minutes remain.
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
