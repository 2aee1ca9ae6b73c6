/* sso.c — the IAM Identity Center credential source (see sso.h). */
#include "aws/sso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/credsrc.h"
#include "aws/endpoint.h"
#include "aws/http.h"
#include "aws/profile.h"

struct sso_profile {
	char session[128];     /* sso_session, "" in the legacy form */
	char start_url[512];
	char region[64];
	char account[16];
	char role[128];
	char login[200];       /* the command that makes a new token */
};

static bool has(const char *profile, const char *key)
{
	char v[8];
	sg_err rc = aws_profile_get(profile, key, v, sizeof v);
	return rc == SG_OK || rc == SG_ERR_RANGE;
}

static sg_err read_profile(const char *profile, struct sso_profile *p, char *why, size_t whylen)
{
	memset(p, 0, sizeof *p);
	if (!has(profile, "sso_session") && !has(profile, "sso_start_url") &&
	    !has(profile, "sso_account_id") && !has(profile, "sso_role_name"))
		return SG_ERR_NOTFOUND;
	const char *missing = NULL;
	if (aws_profile_get(profile, "sso_session", p->session, sizeof p->session) == SG_OK) {
		char section[200];
		snprintf(section, sizeof section, "sso-session %s", p->session);
		if (aws_config_get(section, "sso_start_url", p->start_url, sizeof p->start_url))
			missing = "sso_start_url of its [sso-session]";
		else if (aws_config_get(section, "sso_region", p->region, sizeof p->region))
			missing = "sso_region of its [sso-session]";
		snprintf(p->login, sizeof p->login, "aws sso login --sso-session %.100s", p->session);
	} else {
		if (aws_profile_get(profile, "sso_start_url", p->start_url, sizeof p->start_url))
			missing = "sso_session or sso_start_url";
		else if (aws_profile_get(profile, "sso_region", p->region, sizeof p->region))
			missing = "sso_region";
		snprintf(p->login, sizeof p->login, "aws sso login --profile %.100s", profile);
	}
	if (!missing && aws_profile_get(profile, "sso_account_id", p->account, sizeof p->account))
		missing = "sso_account_id";
	if (!missing && aws_profile_get(profile, "sso_role_name", p->role, sizeof p->role))
		missing = "sso_role_name";
	if (missing) {
		snprintf(why, whylen, "IAM Identity Center profile lacks %s", missing);
		return SG_ERR_AUTH;
	}
	if (strlen(p->account) != 12 || strspn(p->account, "0123456789") != 12) {
		snprintf(why, whylen, "sso_account_id is not a 12-digit account id");
		return SG_ERR_AUTH;
	}
	/* role names: [\w+=,.@-], 1-64 (IAM) */
	size_t rl = strlen(p->role);
	for (size_t i = 0; i < rl; i++) {
		char ch = p->role[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      strchr("_+=,.@-", ch)) || rl > 64) {
			snprintf(why, whylen, "sso_role_name is not a role name");
			return SG_ERR_AUTH;
		}
	}
	return SG_OK;
}

/* The cached access token: present and not expired, else why[] says to log in. */
static sg_err cached_token(const struct sso_profile *p, char *token, size_t cap, char *why,
                           size_t whylen)
{
	char name[46], path[1200];
	const char *home = aws_env("HOME");
	aws_sso_cache_name(p->session[0] ? p->session : p->start_url, name);
	if (!home || snprintf(path, sizeof path, "%s/.aws/sso/cache/%s", home, name) >=
	                     (int)sizeof path) {
		snprintf(why, whylen, "no IAM Identity Center token cache: run `%s`", p->login);
		return SG_ERR_AUTH;
	}
	size_t len = 0;
	long long expires = 0;
	char *doc = aws_file_read(path, &len);
	sg_err rc = doc ? aws_sso_cache_token(doc, len, token, cap, &expires) : SG_ERR_NOTFOUND;
	aws_file_free(doc, len);
	if (rc) {
		snprintf(why, whylen, "no usable IAM Identity Center token in %s: run `%s`", name,
		         p->login);
		return SG_ERR_AUTH;
	}
	if (expires <= (long long)time(NULL)) {
		memset(token, 0, cap);
		char when[32] = "?";
		time_t t = (time_t)expires;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(why, whylen, "the IAM Identity Center token expired at %s: run `%s`", when,
		         p->login);
		return SG_ERR_AUTH;
	}
	return SG_OK;
}

static const char *endpoint_env(const char *name)
{
	const char *ign = aws_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	return ign && !strcasecmp(ign, "true") ? NULL : aws_env(name);
}

/* GET /federation/credentials with the bearer token. */
static sg_err role_credentials(const struct sso_profile *p, const char *token, long timeout_ms,
                               struct aws_credentials *out, char *why, size_t whylen)
{
	char base[512], sign_region[64], url[1024], role[200] = "";
	if (aws_endpoint_resolve(AWS_SSO, p->region, NULL, endpoint_env, base, sizeof base,
	                         sign_region, sizeof sign_region)) {
		snprintf(why, whylen, "bad sso_region or SSO endpoint");
		return SG_ERR_AUTH;
	}
	for (const char *r = p->role; *r; r++) /* percent-encode what is not unreserved */
		snprintf(role + strlen(role), sizeof role - strlen(role),
		         strchr("+=,@", *r) ? "%%%02X" : "%c", (unsigned char)*r);
	snprintf(url, sizeof url, "%s/federation/credentials?account_id=%s&role_name=%s", base,
	         p->account, role);
	CURL *h = curl_easy_init();
	if (!h)
		return SG_ERR_NOMEM;
	struct aws_kv hdr = {"x-amz-sso_bearer_token", token};
	const char *ca = aws_env("AWS_CA_BUNDLE");
	struct aws_http_req req = {.method = "GET", .url = url, .headers = &hdr, .nheaders = 1,
	                           .connect_timeout_ms = timeout_ms,
	                           .timeout_ms = timeout_ms > 5000 ? timeout_ms : 5000,
	                           .ca_bundle = ca, .max_reply = 64u << 10};
	struct aws_http_resp resp;
	enum aws_failure f;
	char diag[256];
	sg_err rc = aws_http_do(h, &req, &resp, &f, diag, sizeof diag);
	curl_easy_cleanup(h);
	if (rc) {
		snprintf(why, whylen, "SSO portal: %.200s", diag);
		return SG_ERR_AUTH;
	}
	rc = SG_ERR_AUTH;
	if (resp.status == 200) {
		if ((rc = aws_sso_credentials_from_json(resp.body, resp.len, out)))
			snprintf(why, whylen, "SSO portal: an answer without credentials");
	} else if (resp.status == 401) {
		snprintf(why, whylen, "the SSO portal refused the cached token: run `%s`", p->login);
	} else if (resp.status == 403 || resp.status == 404) {
		snprintf(why, whylen, "SSO portal: no role %s in account %s for this user (HTTP %ld)",
		         p->role, p->account, resp.status);
	} else {
		snprintf(why, whylen, "SSO portal: HTTP %ld", resp.status);
	}
	aws_file_free(resp.body, resp.len);
	return rc;
}

sg_err aws_sso_credentials(const char *profile, long timeout_ms, struct aws_credentials *out,
                           char *why, size_t whylen)
{
	struct sso_profile p;
	char token[8192];
	sg_err rc = read_profile(profile, &p, why, whylen);
	if (rc)
		return rc;
	if ((rc = cached_token(&p, token, sizeof token, why, whylen)))
		return rc;
	rc = role_credentials(&p, token, timeout_ms, out, why, whylen);
	memset(token, 0, sizeof token);
	if (!rc)
		snprintf(out->origin, sizeof out->origin, "profile %.60s: role %.64s in %s", profile,
		         p.role, p.account);
	return rc;
}
