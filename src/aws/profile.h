/*
 * profile.h — what the credential sources share (internal to src/aws):
 * the environment, small local files, and the shared config file.
 *
 * Shared files: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 * AWS_CONFIG_FILE (~/.aws/config), where a profile's section is
 * "profile NAME" ("default" for the default profile) and an IAM Identity
 * Center session's is "sso-session NAME".
 */
#ifndef SG_SRC_AWS_PROFILE_H
#define SG_SRC_AWS_PROFILE_H

#include <stddef.h>

#include "ssrfguard/error.h"

/* The variable's value when set and not empty, else NULL. */
const char *aws_env(const char *name);

/* A whole regular file of at most 1 MiB, NUL-terminated (caller frees with
 * aws_file_free, which wipes it: it may hold secrets).  NULL when absent,
 * unreadable or too large. */
char *aws_file_read(const char *path, size_t *len);
void aws_file_free(char *buf, size_t len);

/* The path of a shared file: $var, else $HOME/.aws/leaf.  0 when neither. */
int aws_shared_path(const char *var, const char *leaf, char *out, size_t outlen);

/* The config-file section of a profile ("default" or "profile NAME"). */
void aws_profile_section(const char *profile, char *out, size_t cap);

/* key of a config-file section / of a profile's section -> out[cap].
 * SG_ERR_NOTFOUND when the file, section or key is absent. */
sg_err aws_config_get(const char *section, const char *key, char *out, size_t cap);
sg_err aws_profile_get(const char *profile, const char *key, char *out, size_t cap);

#endif
