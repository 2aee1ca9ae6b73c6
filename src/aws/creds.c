/* creds.c — the credential provider chain and region lookup (see creds.h). */
#include "aws/creds.h"

#include <strings.h>

#include "aws/aws.h"
#include "aws/credproc.h"
#include "aws/credsrc.h"
#include "aws/profile.h"
#include "aws/sso.h"
#include "aws/webid.h"
#include "aws/http.h"
#include "aws/imds.h"
#include "aws/sts.h"

#define CONTAINER_HOST "http://169.254.170.2"

static const char *profile_name(const char *p)
{
	if (p && *p)
		return p;
	p = aws_env("AWS_PROFILE");
	return p ? p : "default";
}

/* Credentials keys of one section of one shared file. */
static sg_err from_ini(const char *path, const char *section, struct aws_credentials *out)
{
	size_t len = 0;
	char *buf = aws_file_read(path, &len);
	if (!buf)
		return SG_ERR_NOTFOUND;
	sg_err rc = aws_ini_get(buf, len, section, "aws_access_key_id", out->access_key_id,
	                        sizeof out->access_key_id);
	if (!rc)
		rc = aws_ini_get(buf, len, section, "aws_secret_access_key", out->secret_access_key,
		                 sizeof out->secret_access_key);
	if (!rc) {
		sg_err t = aws_ini_get(buf, len, section, "aws_session_token", out->session_token,
		                       sizeof out->session_token);
		if (t && t != SG_ERR_NOTFOUND)
			rc = t;
	}
	aws_file_free(buf, len);
	if (rc) {
		aws_credentials_wipe(out);
		return rc == SG_ERR_NOTFOUND ? SG_ERR_NOTFOUND : SG_ERR_PARSE;
	}
	snprintf(out->source, sizeof out->source, "profile");
	return SG_OK;
}

/* The profile's credential_process, run: SG_ERR_NOTFOUND when it has none. */
static sg_err from_process(const char *path, const char *section, long timeout_ms,
                           struct aws_credentials *out, char *why, size_t whylen)
{
	size_t len = 0;
	char *buf = aws_file_read(path, &len), cmd[4096];
	if (!buf)
		return SG_ERR_NOTFOUND;
	sg_err rc = aws_ini_get(buf, len, section, "credential_process", cmd, sizeof cmd);
	aws_file_free(buf, len);
	if (rc == SG_ERR_NOTFOUND)
		return rc;
	if (rc) {
		snprintf(why, whylen, "credential_process: %s", sg_strerror(rc));
		return SG_ERR_AUTH;
	}
	/* a process may take a while (an SSO or hardware-key prompt): 30 s at
	 * least, whatever the HTTP timeout */
	return aws_credential_process(cmd, timeout_ms > 30000 ? timeout_ms : 30000, out, why, whylen);
}

static sg_err profile_credentials(const char *profile, long timeout_ms, int depth,
                                  struct aws_credentials *out, char *why, size_t whylen);

/*
 * role_arn with source_profile (or credential_source Environment |
 * Ec2InstanceMetadata): sts:AssumeRole signed with the source's
 * credentials (AWS SDKs and Tools reference guide, "Assume role
 * credential provider").  SG_ERR_NOTFOUND when the profile has no role_arn.
 */
static sg_err from_assume_role(const char *profile, long timeout_ms, int depth,
                               struct aws_credentials *out, char *why, size_t whylen)
{
	char role[2048], src[256] = "", cred_src[64] = "", session[128], region[64];
	sg_err rc = aws_profile_get(profile, "role_arn", role, sizeof role);
	if (rc)
		return rc == SG_ERR_NOTFOUND ? rc : SG_ERR_AUTH;
	struct aws_credentials source = {0};
	char token_file[1024];
	if (aws_profile_get(profile, "source_profile", src, sizeof src) != SG_OK &&
	    aws_profile_get(profile, "credential_source", cred_src, sizeof cred_src) != SG_OK &&
	    aws_profile_get(profile, "web_identity_token_file", token_file, sizeof token_file) ==
	            SG_OK) {
		if (aws_profile_get(profile, "role_session_name", session, sizeof session) != SG_OK)
			session[0] = '\0';
		return aws_webid_assume(profile, role, token_file, session, timeout_ms, out, why,
		                        whylen);
	}
	if (depth >= 4) {
		snprintf(why, whylen, "role_arn: source profiles chained more than 4 deep");
		return SG_ERR_AUTH;
	}
	if (src[0]) {
		rc = profile_credentials(src, timeout_ms, depth + 1, &source, why, whylen);
		if (rc == SG_ERR_NOTFOUND)
			snprintf(why, whylen, "source_profile '%.200s' has no credentials", src);
	} else if (!strcmp(cred_src, "Ec2InstanceMetadata")) {
		struct imds_opts io = {.timeout_ms = timeout_ms, .attempts = 2};
		rc = imds_role_credentials(&io, &source);
		if (rc)
			snprintf(why, whylen, "credential_source Ec2InstanceMetadata: %s", sg_strerror(rc));
	} else if (!strcmp(cred_src, "Environment") && aws_env("AWS_ACCESS_KEY_ID") &&
	           aws_env("AWS_SECRET_ACCESS_KEY")) {
		snprintf(source.access_key_id, sizeof source.access_key_id, "%.128s",
		         aws_env("AWS_ACCESS_KEY_ID"));
		snprintf(source.secret_access_key, sizeof source.secret_access_key, "%.128s",
		         aws_env("AWS_SECRET_ACCESS_KEY"));
		snprintf(source.session_token, sizeof source.session_token, "%.4096s",
		         aws_env("AWS_SESSION_TOKEN") ? aws_env("AWS_SESSION_TOKEN") : "");
		rc = SG_OK;
	} else {
		snprintf(why, whylen, "role_arn without a usable source_profile, credential_source or "
		                      "web_identity_token_file");
		rc = SG_ERR_AUTH;
	}
	if (rc)
		return SG_ERR_AUTH;
	if (aws_profile_get(profile, "role_session_name", session, sizeof session) != SG_OK)
		snprintf(session, sizeof session, "ssrfguard-%lld", (long long)time(NULL));
	if (aws_region_resolve(profile, region, sizeof region) != SG_OK)
		snprintf(region, sizeof region, "us-east-1"); /* STS answers there for every account */
	struct aws_client_opts o = {.region = region, .credentials = &source};
	struct aws_client *c = NULL;
	struct aws_error e;
	rc = aws_client_new(&o, &c, &e);
	if (!rc)
		rc = aws_sts_assume_role(c, role, session, 0, out, &e);
	aws_client_free(c);
	aws_credentials_wipe(&source);
	if (rc) {
		snprintf(why, whylen, "sts:AssumeRole %.100s: %.60s %.60s", role, e.code, e.message);
		return SG_ERR_AUTH;
	}
	snprintf(out->origin, sizeof out->origin, "profile %.60s: role %.150s", profile, role);
	return SG_OK;
}

/*
 * A profile's credentials, as the AWS CLI (botocore) looks for them:
 * role_arn (assume role, or with web_identity_token_file assume role with
 * web identity), then IAM Identity Center (sso_session / sso_start_url),
 * then its keys in the credentials file, then in the config file, then its
 * credential_process.  SG_ERR_NOTFOUND when it has none; another error
 * (why[] says it) when it has some that do not work.
 */
static sg_err profile_credentials(const char *profile, long timeout_ms, int depth,
                                  struct aws_credentials *out, char *why, size_t whylen)
{
	char path[1024], section[300];
	sg_err rc = from_assume_role(profile, timeout_ms, depth, out, why, whylen);
	if (rc != SG_ERR_NOTFOUND)
		return rc;
	rc = aws_sso_credentials(profile, timeout_ms, out, why, whylen);
	if (rc != SG_ERR_NOTFOUND)
		return rc;
	if (aws_shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path)) {
		rc = from_ini(path, profile, out);
		if (rc != SG_ERR_NOTFOUND) {
			if (rc)
				snprintf(why, whylen, "shared credentials file: profile is malformed");
			return rc;
		}
	}
	if (!aws_shared_path("AWS_CONFIG_FILE", "config", path, sizeof path))
		return SG_ERR_NOTFOUND;
	aws_profile_section(profile, section, sizeof section);
	rc = from_ini(path, section, out);
	if (rc != SG_ERR_NOTFOUND) {
		if (rc)
			snprintf(why, whylen, "config file: profile is malformed");
		return rc;
	}
	/* credential_process: an external command prints them */
	return from_process(path, section, timeout_ms, out, why, whylen);
}

/* The container endpoint's URL: the relative URI on the ECS host wins over
 * the full URI, which must pass the SDKs' host rule (credsrc.h). */
static sg_err container_url(char *url, size_t cap, char *why, size_t whylen)
{
	const char *rel = aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char reason[160];
	if (rel) {
		if (rel[0] != '/' || snprintf(url, cap, "%s%s", CONTAINER_HOST, rel) >= (int)cap) {
			snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path");
			return SG_ERR_INVAL;
		}
		return SG_OK;
	}
	if (!full)
		return SG_ERR_NOTFOUND;
	if (!aws_container_uri_allowed(full, reason, sizeof reason)) {
		snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI refused: %s", reason);
		return SG_ERR_INVAL;
	}
	if (snprintf(url, cap, "%s", full) >= (int)cap) {
		snprintf(why, whylen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is too long");
		return SG_ERR_INVAL;
	}
	return SG_OK;
}

/* The Authorization value: the token file (read at every fetch: EKS rotates
 * it) wins over the variable; CR or LF makes it no header value. */
static sg_err container_token(char *token, size_t cap, char *why, size_t whylen)
{
	const char *tf = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tv = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	token[0] = '\0';
	if (tf) {
		size_t len = 0;
		char *t = aws_file_read(tf, &len);
		if (!t) {
			snprintf(why, whylen, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE unreadable");
			return SG_ERR_IO;
		}
		int fits = snprintf(token, cap, "%s", t) < (int)cap && strlen(t) == len;
		aws_file_free(t, len);
		if (!fits) {
			snprintf(why, whylen, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE too long");
			return SG_ERR_RANGE;
		}
	} else if (tv && snprintf(token, cap, "%s", tv) >= (int)cap) {
		snprintf(why, whylen, "AWS_CONTAINER_AUTHORIZATION_TOKEN too long");
		return SG_ERR_RANGE;
	}
	if (strpbrk(token, "\r\n")) {
		memset(token, 0, cap);
		snprintf(why, whylen, "the container authorization token holds a line break");
		return SG_ERR_INVAL;
	}
	return SG_OK;
}

static sg_err from_container(long timeout_ms, struct aws_credentials *out, char *why,
                             size_t whylen)
{
	char url[1024], token[4096];
	sg_err rc = container_url(url, sizeof url, why, whylen);
	if (rc)
		return rc;
	if ((rc = container_token(token, sizeof token, why, whylen)))
		return rc;
	CURL *h = curl_easy_init();
	if (!h)
		return SG_ERR_NOMEM;
	struct aws_kv hdr = {"Authorization", token};
	struct aws_http_req req = {.method = "GET", .url = url, .headers = &hdr,
	                           .nheaders = token[0] ? 1 : 0,
	                           .connect_timeout_ms = timeout_ms, .timeout_ms = timeout_ms,
	                           .max_reply = 64u << 10, .no_proxy = 1};
	struct aws_http_resp resp;
	enum aws_failure f;
	char diag[256];
	rc = aws_http_do(h, &req, &resp, &f, diag, sizeof diag);
	curl_easy_cleanup(h);
	memset(token, 0, sizeof token);
	if (rc) {
		snprintf(why, whylen, "container endpoint: %.200s", diag);
		return rc;
	}
	if (resp.status != 200) {
		snprintf(why, whylen, "container endpoint: HTTP %ld", resp.status);
		rc = SG_ERR_AUTH;
	} else {
		rc = aws_credentials_from_json(resp.body, resp.len, "container", out);
		if (!rc)
			snprintf(out->origin, sizeof out->origin, "%.250s", url);
	}
	aws_file_free(resp.body, resp.len);
	return rc;
}

sg_err aws_creds_resolve(const struct aws_creds_opts *opts, struct aws_credentials *out,
                         struct aws_error *err)
{
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	const char *profile = profile_name(opts ? opts->profile : NULL);
	long timeout = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 1000;
	char why[256] = "";

	/* 1. environment — only when no explicit profile was asked for */
	const char *ak = aws_env("AWS_ACCESS_KEY_ID"), *sk = aws_env("AWS_SECRET_ACCESS_KEY");
	if (ak && sk && !(opts && opts->profile && *opts->profile)) {
		const char *tok = aws_env("AWS_SESSION_TOKEN");
		if (strlen(ak) >= sizeof out->access_key_id ||
		    strlen(sk) >= sizeof out->secret_access_key ||
		    (tok && strlen(tok) >= sizeof out->session_token)) {
			aws_error_set(err, NULL, "credentials in the environment are too long");
			return SG_ERR_AUTH;
		}
		snprintf(out->access_key_id, sizeof out->access_key_id, "%s", ak);
		snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", sk);
		snprintf(out->session_token, sizeof out->session_token, "%s", tok ? tok : "");
		snprintf(out->source, sizeof out->source, "env");
		snprintf(out->origin, sizeof out->origin, "AWS_ACCESS_KEY_ID");
		return SG_OK;
	}

	/* 2. web identity from the environment (EKS IRSA) — likewise */
	sg_err rc = SG_ERR_NOTFOUND;
	if (!(opts && opts->profile && *opts->profile))
		rc = aws_webid_from_env(timeout, out, why, sizeof why);
	if (rc == SG_OK)
		return SG_OK;
	if (rc != SG_ERR_NOTFOUND) {
		aws_error_set(err, NULL, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): %s", why);
		return SG_ERR_AUTH;
	}

	/* 3. the profile in the shared files */
	rc = profile_credentials(profile, timeout, 0, out, why, sizeof why);
	if (rc == SG_OK) {
		if (!out->origin[0])
			snprintf(out->origin, sizeof out->origin, "profile %.200s", profile);
		return SG_OK;
	}
	if (rc != SG_ERR_NOTFOUND) {
		aws_error_set(err, NULL, "profile '%s': %s", profile, why);
		return SG_ERR_AUTH;
	}
	/* An explicitly named profile that does not exist is an error, not a
	 * reason to fall through to the instance's role. */
	if (opts && opts->profile && *opts->profile) {
		aws_error_set(err, NULL, "profile '%s' has no credentials", profile);
		return SG_ERR_AUTH;
	}

	/* 4. container endpoint (ECS, EKS Pod Identity) */
	rc = from_container(timeout, out, why, sizeof why);
	if (rc == SG_OK)
		return SG_OK;
	if (rc != SG_ERR_NOTFOUND) {
		aws_error_set(err, NULL, "container credentials failed (%s)",
		              why[0] ? why : sg_strerror(rc));
		return SG_ERR_AUTH;
	}

	/* 5. IMDSv2 */
	struct imds_opts io = {.timeout_ms = timeout, .attempts = 2};
	rc = imds_role_credentials(&io, out);
	if (rc == SG_OK)
		return SG_OK;
	aws_error_set(err, NULL,
	              "no credentials: environment, web identity, shared files (profile '%s'), "
	              "container endpoint and instance metadata (%s) gave none",
	              profile, sg_strerror(rc));
	return SG_ERR_AUTH;
}

sg_err aws_region_resolve(const char *profile, char *out, size_t outlen)
{
	if (!out || !outlen)
		return SG_ERR_INVAL;
	out[0] = '\0';
	const char *r = aws_env("AWS_REGION");
	if (!r)
		r = aws_env("AWS_DEFAULT_REGION");
	if (r)
		return snprintf(out, outlen, "%s", r) < (int)outlen ? SG_OK : SG_ERR_RANGE;
	return aws_profile_get(profile_name(profile), "region", out, outlen);
}

bool aws_creds_expiring(const struct aws_credentials *c, long long now, long long margin)
{
	return c && c->expiration && now + margin >= c->expiration;
}
