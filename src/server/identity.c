/* identity.c — where the service runs: config first, then IMDSv2 through
 * the aws room's client (src/aws/imds.h: token PUT, then the instance
 * identity document).  Deliberately not the guarded fetcher: reaching the
 * metadata service is its whole point, and nothing in it comes from a
 * request. */
#include "server/server.h"

#include <stdio.h>
#include <string.h>

#include "aws/imds.h"

static void fill(char *dst, size_t cap, const char *src)
{
	if (!dst[0] && strlen(src) < cap)
		snprintf(dst, cap, "%s", src);
}

static sg_err imds_identity(const char *endpoint, srv_identity *id)
{
	struct imds_opts o = {.endpoint = endpoint, .timeout_ms = 1000, .attempts = 2};
	struct imds_identity got;
	memset(&got, 0, sizeof got);
	sg_err e = imds_identity_get(&o, &got);
	if (e != SG_OK)
		return e;
	fill(id->instance_id, sizeof id->instance_id, got.instance_id);
	fill(id->region, sizeof id->region, got.region);
	fill(id->az, sizeof id->az, got.availability_zone);
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
