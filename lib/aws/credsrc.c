/* credsrc.c — container URI rule, SSO token cache and portal reply (see
 * credsrc.h). */
#include "aws/credsrc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/json.h"

static bool loopback_or_container_host(const char *host)
{
	static const char *const named[] = {"localhost", "169.254.170.2", "169.254.170.23",
	                                    "[fd00:ec2::23]", NULL};
	for (size_t i = 0; named[i]; i++)
		if (!strcasecmp(host, named[i]))
			return true;
	unsigned char a[16];
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	return !strcmp(host, "[::1]");
}

bool aws_container_uri_allowed(const char *uri, char *why, size_t whylen)
{
	bool ok = false;
	char *scheme = NULL, *host = NULL;
	CURLU *u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a URL");
		goto out;
	}
	if (!strcmp(scheme, "https")) {
		ok = true;
	} else if (strcmp(scheme, "http")) {
		snprintf(why, whylen, "scheme %s: only http and https", scheme);
	} else if (!(ok = loopback_or_container_host(host))) {
		snprintf(why, whylen,
		         "http to a host that is neither loopback nor the ECS/EKS container "
		         "endpoint (use https)");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

sg_err aws_sso_cache_name(const char *key, char out[46])
{
	if (!key || !out)
		return SG_ERR_INVAL;
	unsigned char d[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)key, strlen(key), d);
	for (size_t i = 0; i < sizeof d; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	memcpy(out + 40, ".json", 6);
	return SG_OK;
}

static sg_err parse_doc(const char *buf, size_t len, json_t **j)
{
	struct aws_json_limits lim = {.max_bytes = 64u << 10, .max_depth = 4};
	sg_err rc = aws_json_parse(buf, len, &lim, j);
	if (rc == SG_OK && !json_is_object(*j)) {
		json_decref(*j);
		*j = NULL;
		rc = SG_ERR_PARSE;
	}
	return rc == SG_ERR_NOMEM ? rc : rc ? SG_ERR_PARSE : SG_OK;
}

/* A token or key: printable ASCII without spaces, non-empty. */
static bool clean(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

sg_err aws_sso_cache_token(const char *buf, size_t len, char *token, size_t cap,
                           long long *expires_at)
{
	if (!buf || !token || !cap || !expires_at)
		return SG_ERR_INVAL;
	token[0] = '\0';
	json_t *j = NULL;
	sg_err rc = parse_doc(buf, len, &j);
	if (rc)
		return rc;
	const char *t = aws_json_str(j, "accessToken");
	const char *exp = aws_json_str(j, "expiresAt");
	rc = SG_ERR_PARSE;
	if (clean(t) && exp && aws_parse_iso8601(exp, expires_at) == SG_OK) {
		rc = strlen(t) < cap ? SG_OK : SG_ERR_RANGE;
		if (!rc)
			memcpy(token, t, strlen(t) + 1);
	}
	json_decref(j);
	return rc;
}

static sg_err put(char *dst, size_t cap, const char *src)
{
	if (!clean(src) || strlen(src) >= cap)
		return SG_ERR_PROTOCOL;
	memcpy(dst, src, strlen(src) + 1);
	return SG_OK;
}

sg_err aws_sso_credentials_from_json(const char *buf, size_t len, struct aws_credentials *out)
{
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	json_t *j = NULL;
	sg_err rc = parse_doc(buf, len, &j);
	if (rc)
		return rc == SG_ERR_NOMEM ? rc : SG_ERR_PROTOCOL;
	json_t *rc_obj = json_object_get(j, "roleCredentials");
	json_t *exp = json_object_get(rc_obj, "expiration");
	rc = SG_ERR_PROTOCOL;
	if (json_is_object(rc_obj) && json_is_integer(exp) && json_integer_value(exp) > 0 &&
	    !put(out->access_key_id, sizeof out->access_key_id,
	         json_string_value(json_object_get(rc_obj, "accessKeyId"))) &&
	    !put(out->secret_access_key, sizeof out->secret_access_key,
	         json_string_value(json_object_get(rc_obj, "secretAccessKey"))) &&
	    !put(out->session_token, sizeof out->session_token,
	         json_string_value(json_object_get(rc_obj, "sessionToken")))) {
		out->expiration = (long long)(json_integer_value(exp) / 1000);
		snprintf(out->source, sizeof out->source, "sso");
		rc = SG_OK;
	}
	json_decref(j);
	if (rc)
		aws_credentials_wipe(out);
	return rc;
}
