/*
 * test_aws_creds.c — the credential sources beyond keys, against the
 * emulator (with_emulator.py under tests/netns-run): web identity (the
 * environment and a profile; unsigned STS AssumeRoleWithWebIdentity; the
 * token re-read at refresh), IAM Identity Center (sso_session and legacy
 * profiles, the token cache, expiry and refusal say "aws sso login"), the
 * container endpoint with an authorization token file (loopback only: never
 * a metadata address), the order of the chain, refresh before expiry, and
 * where the credentials came from.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/aws.h"
#include "aws/credsrc.h"
#include "aws/sts.h"
#include "emu.h"
#include "test.h"

#define ACCOUNT "123456789012"
#define ISSUER "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
#define ISSUER_ID "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"

static char home[512], cfg[600], token_file[600];
static char keep_ak[256], keep_sk[256];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECKF(f != NULL, "cannot write %s", path);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A JSON string value of a control reply (static copy). */
static const char *emu_str(const char *path, const char *body, const char *key)
{
	static char out[4096];
	json_t *j = emu("POST", path, body);
	snprintf(out, sizeof out, "%s", j ? json_string_value(json_object_get(j, key)) ?: "" : "");
	json_decref(j);
	return out;
}

static size_t count_calls(const char *what)
{
	json_t *s = emu("GET", "/state", NULL);
	size_t n = json_array_size(json_object_get(json_object_get(s, "identity"), what));
	json_decref(s);
	return n;
}

/* A fresh client from the chain; NULL (and e filled) when it refuses. */
static struct aws_client *chain(const char *profile, struct aws_error *e)
{
	struct aws_client_opts o = {.profile = profile, .backoff_base_ms = 5, .timeout_ms = 5000};
	struct aws_client *c = NULL;
	if (aws_client_new(&o, &c, e) != SG_OK)
		return NULL;
	return c;
}

static void expect_arn(struct aws_client *c, const char *want_part)
{
	struct aws_caller_identity id = {0};
	struct aws_error e;
	CHECKF(c && aws_sts_get_caller_identity(c, &id, &e) == SG_OK, "whoami: %s",
	       c ? e.message : "no client");
	CHECKF(strstr(id.arn, want_part) != NULL, "arn %s lacks %s", id.arn, want_part);
}

static void expect_origin(struct aws_client *c, const char *want_part)
{
	char origin[320] = "";
	long long exp = 0;
	aws_client_credentials_origin(c, origin, sizeof origin, &exp);
	CHECKF(strstr(origin, want_part) != NULL, "origin '%s' lacks '%s'", origin, want_part);
}

static void expect_refusal(const char *profile, const char *want_part)
{
	struct aws_error e;
	struct aws_client *c = chain(profile, &e);
	CHECKF(c == NULL, "profile %s: a client where a refusal was due", profile ? profile : "-");
	CHECKF(strstr(e.message, want_part) != NULL, "refusal '%s' lacks '%s'", e.message,
	       want_part);
	aws_client_free(c);
}

TEST(setup)
{
	snprintf(home, sizeof home, "%s", getenv("HOME"));
	snprintf(cfg, sizeof cfg, "%s/config", home);
	snprintf(token_file, sizeof token_file, "%s/web-identity-token", home);
	snprintf(keep_ak, sizeof keep_ak, "%s", getenv("AWS_ACCESS_KEY_ID"));
	snprintf(keep_sk, sizeof keep_sk, "%s", getenv("AWS_SECRET_ACCESS_KEY"));
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	write_file(cfg, "");
	char dir[700];
	snprintf(dir, sizeof dir, "%s/.aws", home);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/.aws/sso", home);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/.aws/sso/cache", home);
	mkdir(dir, 0700);
	/* the cluster's OIDC provider and two roles trusting it: one for any
	 * service account, one only for system:serviceaccount:prod:app */
	emu_do("POST", "/identity/oidc-provider",
	       "{\"url\": \"" ISSUER "\", \"client_ids\": [\"sts.amazonaws.com\"]}");
	char seed[2048];
	snprintf(seed, sizeof seed,
	         "{\"iam\": {\"roles\": ["
	         "{\"RoleName\": \"irsa-role\", \"AssumeRolePolicyDocument\": {\"Version\": "
	         "\"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": "
	         "{\"Federated\": \"arn:aws:iam::" ACCOUNT ":oidc-provider/" ISSUER_ID "\"}, "
	         "\"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Condition\": {\"StringEquals\": "
	         "{\"" ISSUER_ID ":aud\": \"sts.amazonaws.com\"}}}]}},"
	         "{\"RoleName\": \"prod-only\", \"AssumeRolePolicyDocument\": {\"Version\": "
	         "\"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": "
	         "{\"Federated\": \"arn:aws:iam::" ACCOUNT ":oidc-provider/" ISSUER_ID "\"}, "
	         "\"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Condition\": {\"StringEquals\": "
	         "{\"" ISSUER_ID ":sub\": \"system:serviceaccount:prod:app\"}}}]}},"
	         "{\"RoleName\": \"ReadOnly\"}, {\"RoleName\": \"pod-role\"}]}}");
	emu_do("POST", "/seed", seed);
}

static void new_token(const char *sub, const char *aud, int expires_in)
{
	char body[512];
	snprintf(body, sizeof body,
	         "{\"iss\": \"" ISSUER "\", \"sub\": \"%s\", \"aud\": \"%s\", \"expires_in\": %d}", sub,
	         aud, expires_in);
	char text[4200];
	snprintf(text, sizeof text, "%s\n", emu_str("/identity/oidc-token", body, "token"));
	write_file(token_file, text);
}

TEST(web_identity_env)
{
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", 3600);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_file, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::" ACCOUNT ":role/irsa-role", 1);
	setenv("AWS_ROLE_SESSION_NAME", "pod-session", 1);
	size_t before = count_calls("web_identity_calls");
	struct aws_error e;
	struct aws_client *c = chain(NULL, &e);
	CHECKF(c != NULL, "web identity: %s", e.message);
	expect_arn(c, "assumed-role/irsa-role/pod-session");
	expect_origin(c, "web-identity");
	expect_origin(c, token_file);
	CHECK_INT(count_calls("web_identity_calls"), before + 1);
	/* the STS call went unsigned: no access key in the emulator's journal */
	json_t *j = emu("GET", "/journal", NULL);
	size_t i;
	json_t *call;
	int unsigned_seen = 0;
	json_array_foreach(json_object_get(j, "calls"), i, call)
		if (!strcmp(json_string_value(json_object_get(call, "action")) ?: "",
		            "AssumeRoleWithWebIdentity"))
			unsigned_seen = json_is_null(json_object_get(call, "access_key")) &&
			                json_integer_value(json_object_get(call, "status")) == 200;
	json_decref(j);
	CHECK(unsigned_seen);

	aws_client_free(c);
	unsetenv("AWS_ROLE_SESSION_NAME");
}

/* The client's clock, moved to just before the credentials expire. */
static long long late_clock(void *ctx)
{
	return *(long long *)ctx;
}

TEST(web_identity_refresh)
{
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", 3600);
	struct aws_error e;
	struct aws_client *c = chain(NULL, &e);
	CHECKF(c != NULL, "web identity: %s", e.message);
	expect_arn(c, "assumed-role/irsa-role/");
	size_t before = count_calls("web_identity_calls");
	char origin[320];
	long long exp = 0, late = 0;
	aws_client_credentials_origin(c, origin, sizeof origin, &exp);
	CHECK(exp > (long long)time(NULL) + 3000);
	/* four minutes before they expire (inside the five-minute margin), and
	 * with a token file EKS has rotated meanwhile: the next call gets new
	 * credentials first (then signs: the emulator's refusal of the late
	 * clock is corrected from its Date header and the call sent once more) */
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", 3600);
	late = exp - 240;
	aws_client_set_clock(c, late_clock, &late);
	expect_arn(c, "assumed-role/irsa-role/");
	CHECK_INT(count_calls("web_identity_calls"), before + 1);
	long long exp2 = 0;
	aws_client_credentials_origin(c, origin, sizeof origin, &exp2);
	CHECK(exp2 >= exp);
	aws_client_free(c);
}

TEST(web_identity_refusals)
{
	/* wrong audience, expired token, a role whose trust wants another
	 * subject: each refusal names STS's reason */
	new_token("system:serviceaccount:default:app", "not-sts", 3600);
	expect_refusal(NULL, "InvalidIdentityToken");
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", -10);
	expect_refusal(NULL, "ExpiredTokenException");
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", 3600);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::" ACCOUNT ":role/prod-only", 1);
	expect_refusal(NULL, "AccessDenied");
	new_token("system:serviceaccount:prod:app", "sts.amazonaws.com", 3600);
	struct aws_error e;
	struct aws_client *c = chain(NULL, &e);
	CHECKF(c != NULL, "the subject the trust names: %s", e.message);
	expect_arn(c, "assumed-role/prod-only/");
	aws_client_free(c);
	write_file(token_file, "");
	expect_refusal(NULL, "empty");
	/* keys in the environment come first in the chain */
	setenv("AWS_ACCESS_KEY_ID", keep_ak, 1);
	setenv("AWS_SECRET_ACCESS_KEY", keep_sk, 1);
	c = chain(NULL, &e);
	CHECKF(c != NULL, "env keys: %s", e.message);
	expect_origin(c, "env");
	aws_client_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
}

TEST(web_identity_profile)
{
	new_token("system:serviceaccount:default:app", "sts.amazonaws.com", 3600);
	char text[2048];
	snprintf(text, sizeof text,
	         "[profile eks]\nregion = us-east-1\nrole_arn = arn:aws:iam::" ACCOUNT
	         ":role/irsa-role\nweb_identity_token_file = %s\nrole_session_name = from-profile\n",
	         token_file);
	write_file(cfg, text);
	struct aws_error e;
	struct aws_client *c = chain("eks", &e);
	CHECKF(c != NULL, "profile web identity: %s", e.message);
	expect_arn(c, "assumed-role/irsa-role/from-profile");
	expect_origin(c, "web-identity");
	aws_client_free(c);
}

static void write_cache(const char *key, const char *token, const char *expires_at)
{
	char name[46], path[800], text[1024];
	aws_sso_cache_name(key, name);
	snprintf(path, sizeof path, "%s/.aws/sso/cache/%s", home, name);
	snprintf(text, sizeof text,
	         "{\"startUrl\": \"https://example.awsapps.com/start\", \"region\": \"us-east-1\", "
	         "\"accessToken\": \"%s\", \"expiresAt\": \"%s\"}",
	         token, expires_at);
	write_file(path, text);
}

TEST(sso)
{
	const char *cfg_text =
		"[profile dev]\nsso_session = corp\nsso_account_id = " ACCOUNT "\n"
		"sso_role_name = ReadOnly\nregion = us-east-1\n"
		"[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
		"sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
		"[profile legacy]\nsso_start_url = https://legacy.awsapps.com/start\n"
		"sso_region = us-east-1\nsso_account_id = " ACCOUNT "\nsso_role_name = ReadOnly\n"
		"[profile other-role]\nsso_session = corp\nsso_account_id = " ACCOUNT "\n"
		"sso_role_name = Admin\n"
		"[profile half]\nsso_session = corp\nsso_role_name = ReadOnly\n";
	write_file(cfg, cfg_text);
	/* no token cached yet: the user is told to log in */
	expect_refusal("dev", "aws sso login --sso-session corp");
	char token[256];
	snprintf(token, sizeof token, "%s",
	         emu_str("/identity/sso-token",
	                 "{\"user\": \"analyst\", \"assignments\": [{\"account_id\": \"" ACCOUNT
	                 "\", \"role_name\": \"ReadOnly\", \"iam_role\": \"ReadOnly\"}]}",
	                 "token"));
	CHECK(token[0] != '\0');
	write_cache("corp", token, "2099-01-01T00:00:00Z");
	size_t before = count_calls("sso_calls");
	struct aws_error e;
	struct aws_client *c = chain("dev", &e);
	CHECKF(c != NULL, "sso: %s", e.message);
	expect_arn(c, "assumed-role/ReadOnly/analyst");
	expect_origin(c, "sso (profile dev: role ReadOnly in " ACCOUNT ")");
	long long exp = 0;
	char origin[320];
	aws_client_credentials_origin(c, origin, sizeof origin, &exp);
	CHECK(exp > (long long)time(NULL)); /* portal credentials expire: refreshed like others */
	aws_client_free(c);
	CHECK_INT(count_calls("sso_calls"), before + 1);
	/* the legacy form keys its cache by the start URL */
	expect_refusal("legacy", "aws sso login --profile legacy");
	write_cache("https://legacy.awsapps.com/start", token, "2099-01-01T00:00:00Z");
	c = chain("legacy", &e);
	CHECKF(c != NULL, "legacy sso: %s", e.message);
	aws_client_free(c);
	/* a role the user has no assignment for; a profile missing a key */
	expect_refusal("other-role", "no role Admin");
	expect_refusal("half", "sso_account_id");
	/* an expired cached token, and one the portal no longer knows */
	write_cache("corp", token, "2020-01-01T00:00:00Z");
	expect_refusal("dev", "expired at 2020-01-01T00:00:00Z: run `aws sso login --sso-session corp`");
	write_cache("corp", "sso-revoked-token", "2099-01-01T00:00:00Z");
	expect_refusal("dev", "refused the cached token: run `aws sso login");
	write_file(cfg, "");
}

TEST(container)
{
	char url[512], tf[600], text[256];
	snprintf(url, sizeof url, "%s/v1/credentials", getenv("EMULATOR_URL"));
	snprintf(tf, sizeof tf, "%s/eks-pod-identity-token", home);
	snprintf(text, sizeof text, "%s",
	         emu_str("/identity/container-token", "{\"role\": \"pod-role\"}", "token"));
	write_file(tf, text);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tf, 1);
	struct aws_error e;
	struct aws_client *c = chain(NULL, &e);
	CHECKF(c != NULL, "container: %s", e.message);
	expect_arn(c, "assumed-role/pod-role/");
	expect_origin(c, "container (");
	aws_client_free(c);
	/* the file wins over the variable, and is read at every fetch */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong", 1);
	c = chain(NULL, &e);
	CHECKF(c != NULL, "token file first: %s", e.message);
	aws_client_free(c);
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	expect_refusal(NULL, "HTTP 401");
	/* a token holding a line break is no header value */
	snprintf(text + strlen(text), sizeof text - strlen(text), "\n");
	write_file(tf, text);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tf, 1);
	expect_refusal(NULL, "line break");
	/* only loopback or the ECS/EKS hosts over http: the host is the real one */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:@203.0.113.10/creds", 1);
	expect_refusal(NULL, "neither loopback");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1.nip.example/creds", 1);
	expect_refusal(NULL, "neither loopback");
	/* a profile's credentials come before the container's */
	char cfg_text[1024];
	snprintf(cfg_text, sizeof cfg_text, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
	         keep_ak, keep_sk);
	write_file(cfg, cfg_text);
	c = chain(NULL, &e);
	CHECKF(c != NULL, "profile before container: %s", e.message);
	expect_origin(c, "profile (profile default)");
	aws_client_free(c);
	write_file(cfg, "");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
}

TEST_MAIN(setup, web_identity_env, web_identity_refresh, web_identity_refusals,
          web_identity_profile, sso, container)
