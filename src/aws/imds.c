/* imds.c — IMDSv2 client (see imds.h). */
#include "aws/imds.h"

#include <strings.h>

#include "aws/http.h"
#include "aws/json.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_MAX_REPLY (64u << 10)
#define IMDS_TOKEN_TTL "21600"

static int disabled(void)
{
	const char *d = getenv("AWS_EC2_METADATA_DISABLED");
	return d && !strcasecmp(d, "true");
}

static const char *endpoint(const struct imds_opts *o)
{
	if (o && o->endpoint && *o->endpoint)
		return o->endpoint;
	const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	return e && *e ? e : IMDS_DEFAULT_ENDPOINT;
}

static sg_err make_url(const struct imds_opts *o, const char *path, char *url, size_t len)
{
	const char *ep = endpoint(o);
	size_t l = strlen(ep);
	while (l && ep[l - 1] == '/')
		l--;
	if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8))
		return SG_ERR_INVAL;
	int n = snprintf(url, len, "%.*s%s", (int)l, ep, path);
	return (n < 0 || (size_t)n >= len) ? SG_ERR_RANGE : SG_OK;
}

/* One request with retries on transport failure / 5xx. */
static sg_err exchange(CURL *h, const struct imds_opts *o, const char *method, const char *path,
                       const struct aws_kv *hdr, struct aws_http_resp *resp)
{
	char url[1024];
	sg_err rc = make_url(o, path, url, sizeof url);
	if (rc)
		return rc;
	int attempts = o && o->attempts > 0 ? o->attempts : 2;
	long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : 1000;
	for (int i = 0; i < attempts; i++) {
		struct aws_http_req req = {.method = method, .url = url, .headers = hdr,
		                           .nheaders = hdr ? 1 : 0, .connect_timeout_ms = timeout,
		                           .timeout_ms = timeout, .max_reply = IMDS_MAX_REPLY,
		                           .no_proxy = 1};
		enum aws_failure f;
		char diag[256];
		rc = aws_http_do(h, &req, resp, &f, diag, sizeof diag);
		if (rc == SG_OK && resp->status < 500)
			return SG_OK;
		if (rc == SG_OK) {
			aws_http_resp_free(resp);
			rc = SG_ERR_REMOTE;
		}
		if (f == AWS_FAIL_FATAL)
			break;
	}
	return rc;
}

static sg_err get_token(CURL *h, const struct imds_opts *o, char *tok, size_t toklen)
{
	struct aws_kv hdr = {"X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL};
	struct aws_http_resp resp;
	sg_err rc = exchange(h, o, "PUT", "/latest/api/token", &hdr, &resp);
	if (rc)
		return rc;
	if (resp.status == 403 || resp.status == 401)
		rc = SG_ERR_AUTH;
	else if (resp.status != 200 || resp.len == 0 || resp.len >= toklen)
		rc = SG_ERR_PROTOCOL;
	else {
		for (size_t i = 0; i < resp.len; i++)
			if ((unsigned char)resp.body[i] <= ' ' || resp.body[i] == 0x7f)
				rc = SG_ERR_PROTOCOL;
		if (!rc)
			memcpy(tok, resp.body, resp.len + 1);
	}
	aws_http_resp_free(&resp);
	return rc;
}

static sg_err get_with(CURL *h, const struct imds_opts *o, const char *tok, const char *path,
                       char **body, size_t *len)
{
	struct aws_kv hdr = {"X-aws-ec2-metadata-token", tok};
	struct aws_http_resp resp;
	sg_err rc = exchange(h, o, "GET", path, &hdr, &resp);
	if (rc)
		return rc;
	if (resp.status == 200) {
		*body = resp.body;
		if (len)
			*len = resp.len;
		return SG_OK;
	}
	rc = resp.status == 404 ? SG_ERR_NOTFOUND
	     : (resp.status == 401 || resp.status == 403) ? SG_ERR_AUTH
	                                                  : SG_ERR_PROTOCOL;
	aws_http_resp_free(&resp);
	return rc;
}

sg_err imds_get(const struct imds_opts *o, const char *path, char **body, size_t *len)
{
	if (!path || path[0] != '/' || !body)
		return SG_ERR_INVAL;
	*body = NULL;
	if (disabled())
		return SG_ERR_UNSUPPORTED;
	CURL *h = curl_easy_init();
	if (!h)
		return SG_ERR_NOMEM;
	char tok[256];
	sg_err rc = get_token(h, o, tok, sizeof tok);
	if (!rc)
		rc = get_with(h, o, tok, path, body, len);
	curl_easy_cleanup(h);
	return rc;
}

static sg_err copy_str(char *dst, size_t dstlen, const char *src)
{
	if (!src)
		return SG_ERR_PROTOCOL;
	size_t l = strlen(src);
	if (l + 1 > dstlen)
		return SG_ERR_PROTOCOL;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)src[i] <= ' ' || src[i] == 0x7f)
			return SG_ERR_PROTOCOL;
	memcpy(dst, src, l + 1);
	return SG_OK;
}

sg_err imds_identity_get(const struct imds_opts *o, struct imds_identity *out)
{
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	char *doc = NULL;
	size_t len = 0;
	sg_err rc = imds_get(o, "/latest/dynamic/instance-identity/document", &doc, &len);
	if (rc)
		return rc;
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = IMDS_MAX_REPLY, .max_depth = 4};
	rc = aws_json_parse(doc, len, &lim, &j);
	free(doc);
	if (rc)
		return rc == SG_ERR_NOMEM ? rc : SG_ERR_PROTOCOL;
	rc = copy_str(out->instance_id, sizeof out->instance_id, aws_json_str(j, "instanceId"));
	if (!rc)
		rc = copy_str(out->region, sizeof out->region, aws_json_str(j, "region"));
	if (!rc)
		rc = copy_str(out->availability_zone, sizeof out->availability_zone,
		              aws_json_str(j, "availabilityZone"));
	/* optional fields */
	if (!rc) {
		copy_str(out->account_id, sizeof out->account_id, aws_json_str(j, "accountId"));
		copy_str(out->instance_type, sizeof out->instance_type,
		         aws_json_str(j, "instanceType"));
		copy_str(out->image_id, sizeof out->image_id, aws_json_str(j, "imageId"));
		copy_str(out->private_ip, sizeof out->private_ip, aws_json_str(j, "privateIp"));
	}
	json_decref(j);
	if (rc)
		memset(out, 0, sizeof *out);
	return rc;
}

sg_err imds_role_credentials(const struct imds_opts *o, struct aws_credentials *out)
{
	if (!out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	if (disabled())
		return SG_ERR_UNSUPPORTED;
	CURL *h = curl_easy_init();
	if (!h)
		return SG_ERR_NOMEM;
	char tok[256], *list = NULL, *doc = NULL;
	size_t len = 0;
	sg_err rc = get_token(h, o, tok, sizeof tok);
	if (!rc)
		rc = get_with(h, o, tok, "/latest/meta-data/iam/security-credentials/", &list, &len);
	if (rc)
		goto done;
	/* first line is the role name */
	size_t rl = strcspn(list, "\r\n");
	rc = SG_ERR_NOTFOUND;
	if (rl == 0)
		goto done;
	rc = SG_ERR_PROTOCOL;
	if (rl > 128)
		goto done;
	for (size_t i = 0; i < rl; i++) {
		char c = list[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("+=,.@_-", c)))
			goto done;
	}
	char path[256];
	snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%.*s", (int)rl,
	         list);
	rc = get_with(h, o, tok, path, &doc, &len);
	if (!rc)
		rc = aws_credentials_from_json(doc, len, "imds", out);
	if (!rc)
		snprintf(out->origin, sizeof out->origin, "instance profile role %.*s", (int)rl, list);
done:
	if (doc) {
		memset(doc, 0, len);
		free(doc);
	}
	free(list);
	curl_easy_cleanup(h);
	return rc;
}
