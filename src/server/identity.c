/* identity.c — where the service runs: config first, then IMDSv2.
 *
 * A small, self-contained IMDSv2 client (token PUT, then the instance
 * identity document), used only at startup.  It is deliberately not the
 * guarded fetcher: reaching the metadata service is its whole point, and
 * nothing in it comes from a request. */
#include "server/server.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define IMDS_MAX 65536

typedef struct capbuf {
	char data[IMDS_MAX + 1];
	size_t len;
	int over;
} capbuf;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	capbuf *b = ud;
	size_t len = size * n;
	if (len > IMDS_MAX - b->len) {
		b->over = 1;
		return 0;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static sg_err imds_call(const char *url, int put, const char *token, capbuf *out)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	char hdr[256];
	sg_err err = SG_ERR_NOMEM;
	long code = 0;
	if (!e)
		return SG_ERR_NOMEM;
	out->len = 0;
	out->over = 0;
	out->data[0] = '\0';
	if (put)
		snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token-ttl-seconds: 300");
	else
		snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s", token);
	if (!(h = curl_slist_append(NULL, hdr)))
		goto done;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 500L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	if (put)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
	CURLcode rc = curl_easy_perform(e);
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		err = SG_ERR_TIMEOUT;
		goto done;
	}
	if (rc != CURLE_OK) {
		err = out->over ? SG_ERR_RANGE : SG_ERR_NETWORK;
		goto done;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	err = code == 200 ? SG_OK : code == 401 || code == 403 ? SG_ERR_AUTH : SG_ERR_PROTOCOL;
done:
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return err;
}

static void take(char *dst, size_t cap, json_t *doc, const char *key)
{
	json_t *v = json_object_get(doc, key);
	const char *s = json_string_value(v);
	if (!dst[0] && s && strlen(s) < cap && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") ==
	                                            strlen(s))
		snprintf(dst, cap, "%s", s);
}

static sg_err imds_identity(const char *endpoint, srv_identity *id)
{
	static capbuf tok, doc; /* startup only, single-threaded: keep 128 KiB off the stack */
	char url[512];
	sg_err e;
	size_t n = strlen(endpoint);
	while (n && endpoint[n - 1] == '/')
		n--;
	snprintf(url, sizeof url, "%.*s/latest/api/token", (int)n, endpoint);
	if ((e = imds_call(url, 1, NULL, &tok)) != SG_OK)
		return e;
	if (tok.len == 0 || tok.len > 200 || strpbrk(tok.data, "\r\n"))
		return SG_ERR_PROTOCOL;
	snprintf(url, sizeof url, "%.*s/latest/dynamic/instance-identity/document", (int)n, endpoint);
	if ((e = imds_call(url, 0, tok.data, &doc)) != SG_OK)
		return e;
	json_error_t jerr;
	json_t *j = json_loadb(doc.data, doc.len, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return SG_ERR_PROTOCOL;
	}
	take(id->instance_id, sizeof id->instance_id, j, "instanceId");
	take(id->region, sizeof id->region, j, "region");
	take(id->az, sizeof id->az, j, "availabilityZone");
	json_decref(j);
	return id->instance_id[0] ? SG_OK : SG_ERR_PROTOCOL;
}

sg_err srv_identity_resolve(const srvcfg *cfg, srv_identity *id, char *msg, size_t msglen)
{
	memset(id, 0, sizeof *id);
	if (msglen)
		msg[0] = '\0';
	/* config (region also from AWS_REGION / AWS_DEFAULT_REGION) first */
	snprintf(id->instance_id, sizeof id->instance_id, "%s", cfg->instance_id);
	snprintf(id->region, sizeof id->region, "%s", cfg->region);
	snprintf(id->az, sizeof id->az, "%s", cfg->az);
	snprintf(id->source, sizeof id->source, "config");
	if ((!id->instance_id[0] || !id->region[0] || !id->az[0]) && cfg->imds) {
		sg_err e = imds_identity(cfg->imds_endpoint, id); /* fills only empty fields */
		if (e == SG_OK)
			snprintf(id->source, sizeof id->source, "imds");
		else
			snprintf(msg, msglen, "IMDSv2 at %s: %s; identity incomplete",
			         cfg->imds_endpoint, sg_strerror(e));
	}
	if (!id->instance_id[0])
		snprintf(id->source, sizeof id->source, "unknown");
	return SG_OK;
}
