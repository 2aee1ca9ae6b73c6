/* creds.c — the credential provider chain and region lookup (see creds.h). */
#include "aws/creds.h"

#include <errno.h>
#include <strings.h>
#include <sys/stat.h>

#include "aws/aws.h"
#include "aws/credproc.h"
#include "aws/http.h"
#include "aws/imds.h"
#include "aws/sts.h"

#define SHARED_FILE_MAX (1u << 20)
#define CONTAINER_HOST "http://169.254.170.2"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static const char *profile_name(const char *p)
{
	if (p && *p)
		return p;
	p = env("AWS_PROFILE");
	return p ? p : "default";
}

/* Read a whole small file. NULL (errno kept) when absent or unreadable. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SHARED_FILE_MAX) {
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void wipe_free(char *p, size_t len)
{
	if (p) {
		memset(p, 0, len);
		free(p);
	}
}

static int shared_path(const char *var, const char *leaf, char *out, size_t outlen)
{
	const char *p = env(var);
	if (p)
		return snprintf(out, outlen, "%s", p) < (int)outlen;
	const char *home = env("HOME");
	if (!home)
		return 0;
	return snprintf(out, outlen, "%s/.aws/%s", home, leaf) < (int)outlen;
}

/* Credentials keys of one section of one shared file. */
static sg_err from_ini(const char *path, const char *section, struct aws_credentials *out)
{
	size_t len = 0;
	char *buf = read_file(path, &len);
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
	wipe_free(buf, len);
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
	char *buf = read_file(path, &len), cmd[4096];
	if (!buf)
		return SG_ERR_NOTFOUND;
	sg_err rc = aws_ini_get(buf, len, section, "credential_process", cmd, sizeof cmd);
	wipe_free(buf, len);
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

/* The config file's section for a profile. */
static void config_section(const char *profile, char *out, size_t cap)
{
	if (!strcmp(profile, "default"))
		snprintf(out, cap, "default");
	else
		snprintf(out, cap, "profile %s", profile);
}

/* key of the profile's config-file section -> out; SG_ERR_NOTFOUND if absent. */
static sg_err config_get(const char *profile, const char *key, char *out, size_t cap)
{
	char path[1024], section[300];
	if (!shared_path("AWS_CONFIG_FILE", "config", path, sizeof path))
		return SG_ERR_NOTFOUND;
	size_t len = 0;
	char *buf = read_file(path, &len);
	if (!buf)
		return SG_ERR_NOTFOUND;
	config_section(profile, section, sizeof section);
	sg_err rc = aws_ini_get(buf, len, section, key, out, cap);
	wipe_free(buf, len);
	return rc;
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
	sg_err rc = config_get(profile, "role_arn", role, sizeof role);
	if (rc)
		return rc == SG_ERR_NOTFOUND ? rc : SG_ERR_AUTH;
	struct aws_credentials source = {0};
	if (depth >= 4) {
		snprintf(why, whylen, "role_arn: source profiles chained more than 4 deep");
		return SG_ERR_AUTH;
	}
	if (config_get(profile, "source_profile", src, sizeof src) == SG_OK) {
		rc = profile_credentials(src, timeout_ms, depth + 1, &source, why, whylen);
		if (rc == SG_ERR_NOTFOUND)
			snprintf(why, whylen, "source_profile '%.200s' has no credentials", src);
	} else if (config_get(profile, "credential_source", cred_src, sizeof cred_src) == SG_OK &&
	           !strcmp(cred_src, "Ec2InstanceMetadata")) {
		struct imds_opts io = {.timeout_ms = timeout_ms, .attempts = 2};
		rc = imds_role_credentials(&io, &source);
		if (rc)
			snprintf(why, whylen, "credential_source Ec2InstanceMetadata: %s", sg_strerror(rc));
	} else if (!strcmp(cred_src, "Environment") && env("AWS_ACCESS_KEY_ID") &&
	           env("AWS_SECRET_ACCESS_KEY")) {
		snprintf(source.access_key_id, sizeof source.access_key_id, "%.128s",
		         env("AWS_ACCESS_KEY_ID"));
		snprintf(source.secret_access_key, sizeof source.secret_access_key, "%.128s",
		         env("AWS_SECRET_ACCESS_KEY"));
		snprintf(source.session_token, sizeof source.session_token, "%.4096s",
		         env("AWS_SESSION_TOKEN") ? env("AWS_SESSION_TOKEN") : "");
		rc = SG_OK;
	} else {
		snprintf(why, whylen, "role_arn without a usable source_profile or credential_source");
		rc = SG_ERR_AUTH;
	}
	if (rc)
		return SG_ERR_AUTH;
	if (config_get(profile, "role_session_name", session, sizeof session) != SG_OK)
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
	return SG_OK;
}

/*
 * A profile's credentials, as the SDKs look for them: role_arn (assume
 * role), then its keys in the credentials file, then in the config file,
 * then its credential_process.  SG_ERR_NOTFOUND when it has none; another
 * error (why[] says it) when it has some that do not work.
 */
static sg_err profile_credentials(const char *profile, long timeout_ms, int depth,
                                  struct aws_credentials *out, char *why, size_t whylen)
{
	char path[1024], section[300];
	sg_err rc = from_assume_role(profile, timeout_ms, depth, out, why, whylen);
	if (rc != SG_ERR_NOTFOUND)
		return rc;
	if (shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path)) {
		rc = from_ini(path, profile, out);
		if (rc != SG_ERR_NOTFOUND) {
			if (rc)
				snprintf(why, whylen, "shared credentials file: profile is malformed");
			return rc;
		}
	}
	if (!shared_path("AWS_CONFIG_FILE", "config", path, sizeof path))
		return SG_ERR_NOTFOUND;
	config_section(profile, section, sizeof section);
	rc = from_ini(path, section, out);
	if (rc != SG_ERR_NOTFOUND) {
		if (rc)
			snprintf(why, whylen, "config file: profile is malformed");
		return rc;
	}
	/* credential_process: an external command prints them */
	return from_process(path, section, timeout_ms, out, why, whylen);
}

static int full_uri_allowed(const char *uri)
{
	if (!strncmp(uri, "https://", 8))
		return 1;
	static const char *const ok[] = {"http://127.", "http://localhost:", "http://localhost/",
	                                 "http://[::1]", "http://169.254.170.2:",
	                                 "http://169.254.170.2/", "http://169.254.170.23",
	                                 "http://[fd00:ec2::23]", NULL};
	for (size_t i = 0; ok[i]; i++)
		if (!strncmp(uri, ok[i], strlen(ok[i])))
			return 1;
	return 0;
}

static sg_err from_container(long timeout_ms, struct aws_credentials *out, char *why,
                             size_t whylen)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char url[1024];
	if (rel) {
		if (rel[0] != '/' || snprintf(url, sizeof url, "%s%s", CONTAINER_HOST, rel) >=
		                             (int)sizeof url)
			return SG_ERR_INVAL;
	} else if (full) {
		if (!full_uri_allowed(full)) {
			snprintf(why, whylen, "container URI not loopback/https");
			return SG_ERR_INVAL;
		}
		if (snprintf(url, sizeof url, "%s", full) >= (int)sizeof url)
			return SG_ERR_INVAL;
	} else {
		return SG_ERR_NOTFOUND;
	}
	char token[4096] = "";
	const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (tf) {
		size_t len = 0;
		char *t = read_file(tf, &len);
		if (!t)
			return SG_ERR_IO;
		size_t l = strcspn(t, "\r\n");
		if (l < sizeof token)
			memcpy(token, t, l), token[l] = '\0';
		wipe_free(t, len);
	} else if (tv) {
		snprintf(token, sizeof token, "%s", tv);
	}
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
	sg_err rc = aws_http_do(h, &req, &resp, &f, diag, sizeof diag);
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
	}
	wipe_free(resp.body, resp.len);
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
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	if (ak && sk && !(opts && opts->profile && *opts->profile)) {
		const char *tok = env("AWS_SESSION_TOKEN");
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
		return SG_OK;
	}

	/* 2. the profile in the shared files */
	sg_err rc = profile_credentials(profile, timeout, 0, out, why, sizeof why);
	if (rc == SG_OK)
		return SG_OK;
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

	/* 3. container endpoint */
	rc = from_container(timeout, out, why, sizeof why);
	if (rc == SG_OK)
		return SG_OK;
	if (rc != SG_ERR_NOTFOUND) {
		aws_error_set(err, NULL, "container credentials failed (%s)",
		              why[0] ? why : sg_strerror(rc));
		return SG_ERR_AUTH;
	}

	/* 4. IMDSv2 */
	struct imds_opts io = {.timeout_ms = timeout, .attempts = 2};
	rc = imds_role_credentials(&io, out);
	if (rc == SG_OK)
		return SG_OK;
	aws_error_set(err, NULL,
	              "no credentials: environment, shared files (profile '%s'), container "
	              "endpoint and instance metadata (%s) gave none",
	              profile, sg_strerror(rc));
	return SG_ERR_AUTH;
}

sg_err aws_region_resolve(const char *profile, char *out, size_t outlen)
{
	if (!out || !outlen)
		return SG_ERR_INVAL;
	out[0] = '\0';
	const char *r = env("AWS_REGION");
	if (!r)
		r = env("AWS_DEFAULT_REGION");
	if (r)
		return snprintf(out, outlen, "%s", r) < (int)outlen ? SG_OK : SG_ERR_RANGE;
	char path[1024], section[300];
	const char *p = profile_name(profile);
	if (!shared_path("AWS_CONFIG_FILE", "config", path, sizeof path))
		return SG_ERR_NOTFOUND;
	if (!strcmp(p, "default"))
		snprintf(section, sizeof section, "default");
	else
		snprintf(section, sizeof section, "profile %s", p);
	size_t len = 0;
	char *buf = read_file(path, &len);
	if (!buf)
		return SG_ERR_NOTFOUND;
	sg_err rc = aws_ini_get(buf, len, section, "region", out, outlen);
	free(buf);
	return rc;
}

bool aws_creds_expiring(const struct aws_credentials *c, long long now, long long margin)
{
	return c && c->expiration && now + margin >= c->expiration;
}
