/*
 * credproc.h — the credential_process source of a shared config profile
 * (AWS SDKs and Tools reference guide, "Sourcing credentials with an
 * external process"): run the command, read its JSON from stdout
 * ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
 * "Expiration"}).  Internal to src/aws.
 *
 * The command line is split as a shell would split words (blanks; '...'
 * and "..." quote; \ escapes outside single quotes) but never given to a
 * shell: no expansion, no redirection.  stdin is /dev/null, stderr is
 * passed through, stdout is read up to 64 KiB; the process is killed when
 * it runs past timeout_ms.  A non-zero exit, a timeout, or output that is
 * not a credentials document: SG_ERR_AUTH with why[] saying which (never
 * the output itself, which may hold secrets).
 */
#ifndef SG_SRC_AWS_CREDPROC_H
#define SG_SRC_AWS_CREDPROC_H

#include <stddef.h>

#include "aws/credentials.h"

sg_err aws_credential_process(const char *cmdline, long timeout_ms, struct aws_credentials *out,
                              char *why, size_t whylen);

#endif
