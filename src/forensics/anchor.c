/* anchor.c — the custody head written to the evidence bucket (see anchor.h). */
#include "forensics/anchor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/aws.h"
#include "aws/s3.h"
#include "forensics/fx.h"

/* ssrfguard-custody/INCIDENT/YYYYMMDDTHHMMSSZ-HEAD16.json */
static void anchor_key(const char *incident, const char *head, char *key, size_t len)
{
	char inc[129];
	const char *src = incident && *incident ? incident : "none";
	size_t i = 0;
	for (; src[i] && i + 1 < sizeof inc; i++) {
		char c = src[i];
		inc[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		         c == '-' || c == '_' ? c : '_';
	}
	inc[i] = 0;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(key, len, "ssrfguard-custody/%s/%s-%.16s.json", inc, when, head);
}

json_t *anchor_put(const anchor_opts *o, const char *incident, const char *head,
                   const json_t *record, int *ok)
{
	char key[512], err[1400] = "";
	anchor_key(incident, head, key, sizeof key);
	json_t *r = json_pack("{s:s,s:s}", "bucket", o->bucket, "key", key);
	*ok = 0;
	char *body = json_dumps(record, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	struct aws_client *c = NULL;
	struct aws_error e;
	aws_error_clear(&e);
	struct aws_client_opts co = {.region = o->region, .endpoint_url = o->endpoint_url,
	                             .ca_bundle = o->ca_bundle};
	sg_err rc = body ? SG_OK : SG_ERR_NOMEM;
	if (!rc && !aws_s3_bucket_ok(o->bucket)) {
		snprintf(err, sizeof err, "'%.100s' is not an S3 bucket name (3-63 of a-z 0-9 . -)",
		         o->bucket);
		rc = SG_ERR_INVAL;
	}
	if (!rc && (rc = aws_client_new(&co, &c, &e)))
		snprintf(err, sizeof err, "%s: %.400s",
		         rc == SG_ERR_AUTH ? "no AWS credentials" : "no AWS client", e.message);
	if (!rc && (rc = aws_s3_put_object(c, o->bucket, key, "application/json", body,
	                                   strlen(body), &e)))
		snprintf(err, sizeof err, "PutObject s3://%s/%s: %s%s%.400s", o->bucket, key, e.code,
		         e.code[0] ? ": " : "", e.message[0] ? e.message : sg_strerror(rc));
	if (rc) {
		json_object_set_new(r, "status", json_string("failed"));
		json_object_set_new(r, "error", json_string(err[0] ? err : sg_strerror(rc)));
	} else {
		uint8_t md[FX_SHA256_LEN];
		char hex[FX_SHA256_HEX];
		fx_sha256(body, strlen(body), md);
		sg_hex_encode(md, FX_SHA256_LEN, hex);
		json_object_set_new(r, "sha256", json_string(hex));
		json_object_set_new(r, "status", json_string("written"));
		*ok = 1;
	}
	aws_client_free(c);
	free(body);
	return r;
}
