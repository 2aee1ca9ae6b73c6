/*
 * credsrc.h — pure pieces of the credential sources that are not plain
 * key files (creds.h runs them):
 *
 *   container   which AWS_CONTAINER_CREDENTIALS_FULL_URI the SDKs accept
 *               (AWS SDKs and Tools reference guide, "Container credential
 *               provider"): any https URL; http only to a loopback address
 *               (127.0.0.0/8, ::1, "localhost") or the ECS and EKS Pod
 *               Identity hosts 169.254.170.2, 169.254.170.23 and
 *               [fd00:ec2::23].  The host is the one the URL really names
 *               (parsed by libcurl: "http://localhost:@evil/" is evil).
 *   IAM Identity Center (SSO)
 *               the token cache ~/.aws/sso/cache/SHA1(KEY).json, KEY the
 *               sso_session name (or the legacy profile's sso_start_url),
 *               as "aws sso login" writes it ("IAM Identity Center
 *               credential provider"); and the portal's GetRoleCredentials
 *               reply (SSO Portal API reference: roleCredentials with
 *               accessKeyId, secretAccessKey, sessionToken and expiration
 *               in milliseconds since the epoch).
 */
#ifndef SG_AWS_CREDSRC_H
#define SG_AWS_CREDSRC_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/credentials.h"
#include "ssrfguard/error.h"

/* May the container provider fetch from uri?  false with why[] saying why. */
bool aws_container_uri_allowed(const char *uri, char *why, size_t whylen);

/* The cache file's name for key: 40 lower-case hex digits + ".json". */
sg_err aws_sso_cache_name(const char *key, char out[46]);

/* The access token and its expiry (Unix seconds) from a cache document
 * (at most 64 KiB): accessToken and expiresAt (RFC 3339, UTC).
 * SG_ERR_PARSE when either is missing or malformed; SG_ERR_RANGE when the
 * token does not fit token[cap]. */
sg_err aws_sso_cache_token(const char *buf, size_t len, char *token, size_t cap,
                           long long *expires_at);

/* Credentials from a GetRoleCredentials reply (source "sso").
 * SG_ERR_PROTOCOL when malformed. */
sg_err aws_sso_credentials_from_json(const char *buf, size_t len, struct aws_credentials *out);

#endif
