/*
 * imds.h — the EC2 instance metadata service, IMDSv2 only.
 *
 * Every session starts with PUT /latest/api/token
 * (X-aws-ec2-metadata-token-ttl-seconds), then GETs carry
 * X-aws-ec2-metadata-token.  The endpoint comes from opts, else
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254 — tests
 * always set it to the emulator inside tests/netns-run.
 * AWS_EC2_METADATA_DISABLED=true makes every call fail with
 * SG_ERR_UNSUPPORTED without a packet sent.  Redirects are never followed
 * and replies are capped at 64 KiB.
 */
#ifndef SG_SRC_AWS_IMDS_H
#define SG_SRC_AWS_IMDS_H

#include <stddef.h>

#include "aws/credentials.h"
#include "ssrfguard/error.h"

struct imds_opts {
	const char *endpoint;  /* NULL: env, else http://169.254.169.254 */
	long timeout_ms;       /* per request; 0: 1000 */
	int attempts;          /* 0: 2 */
};

struct imds_identity {
	char instance_id[32];
	char region[32];
	char availability_zone[32];
	char account_id[16];
	char instance_type[32];
	char image_id[32];
	char private_ip[48];
};

/*
 * Instance id / region / AZ ... from
 * /latest/dynamic/instance-identity/document.  opts may be NULL.
 * SG_ERR_NETWORK/SG_ERR_TIMEOUT: unreachable; SG_ERR_UNSUPPORTED: disabled;
 * SG_ERR_PROTOCOL: a bad document; SG_ERR_AUTH: token refused.
 */
sg_err imds_identity_get(const struct imds_opts *opts, struct imds_identity *out);

/* GET an arbitrary metadata path ("/latest/meta-data/instance-id") into a
 * malloc'd NUL-terminated *body (caller frees).  SG_ERR_NOTFOUND on 404. */
sg_err imds_get(const struct imds_opts *opts, const char *path, char **body, size_t *len);

/* Role credentials: list /latest/meta-data/iam/security-credentials/, take
 * the first role, fetch its document.  SG_ERR_NOTFOUND: no role attached. */
sg_err imds_role_credentials(const struct imds_opts *opts, struct aws_credentials *out);

#endif
