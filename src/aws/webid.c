/* webid.c — the web identity credential source (see webid.h). */
#include "aws/webid.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/aws.h"
#include "aws/creds.h"
#include "aws/profile.h"
#include "aws/sts.h"

/* An OIDC token is a JWT of a few KiB; the file may end in a newline. */
#define TOKEN_MAX (32u << 10)

static sg_err read_token(const char *path, char **token, char *why, size_t whylen)
{
	size_t len = 0;
	char *t = aws_file_read(path, &len);
	if (!t) {
		snprintf(why, whylen, "token file %.200s unreadable", path);
		return SG_ERR_AUTH;
	}
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
		t[--len] = '\0';
	if (!len || len > TOKEN_MAX || strlen(t) != len) {
		snprintf(why, whylen, "token file %.200s is empty, too long or binary", path);
		aws_file_free(t, len);
		return SG_ERR_AUTH;
	}
	*token = t;
	return SG_OK;
}

sg_err aws_webid_assume(const char *profile, const char *role_arn, const char *token_file,
                        const char *session, long timeout_ms, struct aws_credentials *out,
                        char *why, size_t whylen)
{
	char *token = NULL, name[96], region[64];
	sg_err rc = read_token(token_file, &token, why, whylen);
	if (rc)
		return rc;
	if (session && *session)
		snprintf(name, sizeof name, "%.64s", session);
	else
		snprintf(name, sizeof name, "ssrfguard-%lld", (long long)time(NULL));
	if (aws_region_resolve(profile, region, sizeof region) != SG_OK)
		snprintf(region, sizeof region, "us-east-1"); /* STS answers there for every account */
	struct aws_client_opts o = {.region = region, .anonymous = true,
	                            .timeout_ms = timeout_ms > 5000 ? timeout_ms : 5000};
	struct aws_client *c = NULL;
	struct aws_error e;
	rc = aws_client_new(&o, &c, &e);
	if (!rc)
		rc = aws_sts_assume_role_with_web_identity(c, role_arn, name, token, 0, out, &e);
	aws_client_free(c);
	aws_file_free(token, strlen(token));
	if (rc) {
		snprintf(why, whylen, "sts:AssumeRoleWithWebIdentity %.100s: %.60s %.60s", role_arn,
		         e.code, e.message);
		return SG_ERR_AUTH;
	}
	snprintf(out->origin, sizeof out->origin, "role %.150s, token %.90s", role_arn, token_file);
	return SG_OK;
}

sg_err aws_webid_from_env(long timeout_ms, struct aws_credentials *out, char *why, size_t whylen)
{
	const char *file = aws_env("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = aws_env("AWS_ROLE_ARN");
	if (!file || !role)
		return SG_ERR_NOTFOUND;
	return aws_webid_assume(NULL, role, file, aws_env("AWS_ROLE_SESSION_NAME"), timeout_ms, out,
	                        why, whylen);
}
