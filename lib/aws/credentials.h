/*
 * credentials.h — AWS credentials and the pure parsers that produce them:
 * shared credentials/config files (INI with profiles) and the JSON
 * documents of the container and instance metadata endpoints.
 *
 * struct aws_credentials holds secrets: wipe it with aws_credentials_wipe
 * when done; never log it (aws_credentials_describe gives a safe summary).
 */
#ifndef SG_AWS_CREDENTIALS_H
#define SG_AWS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_credentials {
	char access_key_id[129];
	char secret_access_key[129];
	char session_token[4097];    /* "" when none */
	long long expiration;        /* Unix seconds; 0 = never expires */
	char source[32];             /* "env", "web-identity", "assume-role", "sso",
	                                "profile", "process", "container", "imds" */
	char origin[256];            /* where exactly (no secret): the profile, role,
	                                token file or endpoint; "" when not said */
};

void aws_credentials_wipe(struct aws_credentials *c);   /* NULL-safe */
/* "AKIA...ABCD (profile, session, expires 2026-...)": key id masked, no secret. */
void aws_credentials_describe(const struct aws_credentials *c, char *out, size_t outlen);

/*
 * Look up key in section of an INI buffer (AWS shared-file dialect: '#'
 * and ';' comments, "key = value", section names trimmed).  For the config
 * file pass "profile NAME" (or "default"); for the credentials file pass
 * NAME.  Copies the value to out[outlen].
 * SG_ERR_NOTFOUND: section/key absent; SG_ERR_RANGE: value too long or
 * input over 1 MiB; SG_ERR_PARSE: a malformed section header.
 */
sg_err aws_ini_get(const char *buf, size_t len, const char *section, const char *key,
                   char *out, size_t outlen);

/* Parse an ISO 8601 UTC time "2026-11-25T18:00:00Z" (fraction ignored). */
sg_err aws_parse_iso8601(const char *s, long long *out);

/*
 * Credentials from the JSON document of IMDS
 * (/latest/meta-data/iam/security-credentials/ROLE), the container
 * endpoint or a credential_process: AccessKeyId, SecretAccessKey, Token
 * (or SessionToken), Expiration.  IMDS's "Code" must be "Success" and a
 * process's "Version" 1 when present.  `source` names the origin.
 */
sg_err aws_credentials_from_json(const char *buf, size_t len, const char *source,
                                 struct aws_credentials *out);

#endif
