/*
 * revoke.h — the revocation policy (pure): one inline policy per role,
 * "ssrfguard-revoke", updated in place, so that incidents do not grow it
 * without bound against IAM's quota of 10,240 characters for all of a
 * role's inline policies together (IAM user guide, "IAM and AWS STS
 * quotas"; whitespace is not counted).
 *
 * Each contained instance has one statement in it, Sid
 * "SsrfguardRevoke<instance id without dashes>": Deny every action on every
 * resource to sessions whose aws:TokenIssueTime is before the cut-off AND
 * whose ec2:SourceInstanceARN is the instance (IAM user guide, "Revoking
 * IAM role temporary security credentials").  Other instances sharing the
 * role keep working.  A statement whose cut-off is more than
 * PB_SESSION_MAX_S in the past is dropped: every session it could deny has
 * expired.
 */
#ifndef SSRFGUARD_PLAYBOOK_REVOKE_H
#define SSRFGUARD_PLAYBOOK_REVOKE_H

#include <stddef.h>

#include "ssrfguard/error.h"

#define PB_REVOKE_POLICY_NAME "ssrfguard-revoke"
#define PB_ROLE_POLICY_MAX 10240          /* characters, all inline policies */
#define PB_SESSION_MAX_S (12 * 3600)      /* the longest a role session lives */

/*
 * The policy document with this instance's statement set: existing (the
 * current "ssrfguard-revoke" document, NULL or "" when there is none)
 * keeps its other statements, minus expired ones of ours; the instance's
 * own statement is replaced.  issued_before: ISO 8601 UTC
 * "2026-11-25T17:00:00Z"; now_s: seconds since the epoch.  *out: compact
 * JSON, malloc'd, caller frees.
 * SG_ERR_INVAL: a bad ARN or time; SG_ERR_PARSE: existing is not a policy
 * document; SG_ERR_NOMEM.
 */
sg_err pb_revoke_merge(const char *existing, const char *instance_arn, const char *issued_before,
                       long long now_s, char **out);

/* A policy's size as IAM counts it: its characters except whitespace. */
size_t pb_policy_size(const char *doc);

#endif
