/* creds.c — the credential provider chain and region lookup (see creds.h). */
#include "aws/creds.h"

#include <errno.h>
#include <strings.h>
#include <sys/stat.h>

#include "aws/credproc.h"
#include "aws/http.h"
#include "aws/imds.h"

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

	/* 2. shared credentials file, then config file */
	char path[1024], section[300];
	if (shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path)) {
		sg_err rc = from_ini(path, profile, out);
		if (rc == SG_OK)
			return SG_OK;
		if (rc == SG_ERR_PARSE) {
			aws_error_set(err, NULL, "shared credentials file: profile '%s' is malformed",
			              profile);
			return SG_ERR_AUTH;
		}
	}
	if (shared_path("AWS_CONFIG_FILE", "config", path, sizeof path)) {
		if (!strcmp(profile, "default"))
			snprintf(section, sizeof section, "default");
		else
			snprintf(section, sizeof section, "profile %s", profile);
		sg_err rc = from_ini(path, section, out);
		if (rc == SG_OK)
			return SG_OK;
		if (rc == SG_ERR_PARSE) {
			aws_error_set(err, NULL, "config file: profile '%s' is malformed", profile);
			return SG_ERR_AUTH;
		}
		/* credential_process: an external command prints them */
		rc = from_process(path, section, timeout, out, why, sizeof why);
		if (rc == SG_OK)
			return SG_OK;
		if (rc != SG_ERR_NOTFOUND) {
			aws_error_set(err, NULL, "profile '%s': %s", profile, why);
			return SG_ERR_AUTH;
		}
	}
	/* An explicitly named profile that does not exist is an error, not a
	 * reason to fall through to the instance's role. */
	if (opts && opts->profile && *opts->profile) {
		aws_error_set(err, NULL, "profile '%s' has no credentials", profile);
		return SG_ERR_AUTH;
	}

	/* 3. container endpoint */
	sg_err rc = from_container(timeout, out, why, sizeof why);
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
