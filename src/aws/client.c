/* client.c — making the AWS client: its options, region, endpoints and
 * credentials (see aws.h; the call path: client_int.h). */
#include "aws/client_int.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "aws/creds.h"
#include "aws/imds.h"

static const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void awsc_logf(struct aws_client *c, const char *fmt, ...)
{
	if (!c->log)
		return;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	c->log(c->log_ctx, line);
}

static long env_long(const char *name, long dflt, long lo, long hi)
{
	const char *v = env_get(name);
	if (!v)
		return dflt;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return dflt;
	return x;
}

static sg_err split_url(struct endpoint *e)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	sg_err rc = SG_ERR_NOMEM;
	if (!u)
		return rc;
	rc = SG_ERR_INVAL;
	if (curl_url_set(u, CURLUPART_URL, e->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto fail;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	int n = port ? snprintf(e->host, sizeof e->host, "%s:%s", host, port)
	             : snprintf(e->host, sizeof e->host, "%s", host);
	if (n < 0 || (size_t)n >= sizeof e->host)
		goto fail;
	n = snprintf(e->path, sizeof e->path, "%s", path && *path ? path : "/");
	if (n < 0 || (size_t)n >= sizeof e->path)
		goto fail;
	rc = SG_OK;
fail:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

void aws_client_free(struct aws_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	aws_credentials_wipe(&c->creds);
	free(c);
}

/* The options that shape every call: log sink, cancel flag, timeouts,
 * attempts and backoff (options first, then the environment, then the
 * SDKs' defaults), and the jitter's seed. */
static void take_limits(struct aws_client *c, const struct aws_client_opts *opts)
{
	c->log = opts->log;
	c->log_ctx = opts->log_ctx;
	c->cancel = opts->cancel;
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 30000;
	c->max_attempts = opts->max_attempts > 0
	                          ? opts->max_attempts
	                          : (int)env_long("AWS_MAX_ATTEMPTS", 3, 1, 100);
	c->base_ms = opts->backoff_base_ms
	                     ? opts->backoff_base_ms
	                     : (unsigned)env_long("SSRFGUARD_AWS_BACKOFF_BASE_MS", 1000, 1, 60000);
	c->cap_ms = opts->backoff_cap_ms ? opts->backoff_cap_ms : 20000;
	aws_retry_init(&c->retry, c->max_attempts, c->base_ms, c->cap_ms);
	if (getrandom(&c->rng, sizeof c->rng, GRND_NONBLOCK) != (ssize_t)sizeof c->rng)
		c->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL;
	c->rng |= 1;
}

/* The region: the options', else the environment's or the profile's, else
 * the instance's own (IMDS). */
static sg_err take_region(struct aws_client *c, const struct aws_client_opts *opts,
                          struct aws_error *err)
{
	if (opts->region && *opts->region) {
		snprintf(c->region, sizeof c->region, "%s", opts->region);
	} else if (aws_region_resolve(opts->profile, c->region, sizeof c->region) != SG_OK) {
		struct imds_identity id;
		if (imds_identity_get(NULL, &id) != SG_OK) {
			aws_error_set(err, NULL, "no region: set AWS_REGION, a profile region, or "
			                         "run on EC2");
			return SG_ERR_INVAL;
		}
		snprintf(c->region, sizeof c->region, "%s", id.region);
	}
	return SG_OK;
}

/* Every service's endpoint in the client's region.
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns the AWS_ENDPOINT_URL*
 * variables off, as in the SDKs. */
static sg_err take_endpoints(struct aws_client *c, const struct aws_client_opts *opts,
                             struct aws_error *err)
{
	const char *ign = env_get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	aws_getenv_fn ep_env = ign && !strcasecmp(ign, "true") ? NULL : env_get;
	for (int s = 0; s < AWS__SERVICE_COUNT; s++) {
		sg_err rc = aws_endpoint_resolve((enum aws_service)s, c->region, opts->endpoint_url,
		                                 ep_env, c->ep[s].url, sizeof c->ep[s].url,
		                                 c->ep[s].sign_region, sizeof c->ep[s].sign_region);
		if (!rc)
			rc = split_url(&c->ep[s]);
		if (rc) {
			aws_error_set(err, NULL, "bad endpoint or region for %s",
			              aws_service_info((enum aws_service)s)->name);
			return rc;
		}
	}
	return SG_OK;
}

/* The credentials: none (anonymous), the caller's (never refreshed), or
 * the provider chain's. */
static sg_err take_credentials(struct aws_client *c, const struct aws_client_opts *opts,
                               struct aws_error *err)
{
	if (opts->anonymous) {
		c->anonymous = c->static_creds = 1;
	} else if (opts->credentials) {
		c->creds = *opts->credentials;
		c->static_creds = 1;
		if (!c->creds.access_key_id[0] || !c->creds.secret_access_key[0]) {
			aws_error_set(err, NULL, "the credentials passed in are empty");
			return SG_ERR_AUTH;
		}
	} else {
		struct aws_creds_opts co = {.profile = c->profile[0] ? c->profile : NULL};
		return aws_creds_resolve(&co, &c->creds, err);
	}
	return SG_OK;
}

sg_err aws_client_new(const struct aws_client_opts *opts, struct aws_client **out,
                      struct aws_error *err)
{
	struct aws_client_opts none = {0};
	struct aws_client *c = NULL;
	sg_err rc = SG_ERR_INVAL;
	aws_error_clear(err);
	if (!out)
		return SG_ERR_INVAL;
	*out = NULL;
	if (!opts)
		opts = &none;
	static int curl_ready;
	if (!curl_ready) {
		/* CLI-level, idempotent; libcurl requires it before threads anyway */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return SG_ERR_NOMEM;
		curl_ready = 1;
	}
	c = calloc(1, sizeof *c);
	if (!c)
		return SG_ERR_NOMEM;
	c->curl = curl_easy_init();
	rc = SG_ERR_NOMEM;
	if (!c->curl)
		goto fail;
	take_limits(c, opts);
	const char *ca = opts->ca_bundle ? opts->ca_bundle : env_get("AWS_CA_BUNDLE");
	if (ca) {
		rc = SG_ERR_RANGE;
		if (snprintf(c->ca_bundle, sizeof c->ca_bundle, "%s", ca) >= (int)sizeof c->ca_bundle)
			goto fail;
		c->have_ca = 1;
	}
	if (opts->profile)
		snprintf(c->profile, sizeof c->profile, "%s", opts->profile);

	if ((rc = take_region(c, opts, err)) || (rc = take_endpoints(c, opts, err)) ||
	    (rc = take_credentials(c, opts, err)))
		goto fail;
	*out = c;
	return SG_OK;
fail:
	aws_client_free(c);
	return rc;
}

const char *aws_client_region(const struct aws_client *c)
{
	return c ? c->region : NULL;
}

void aws_client_credentials_origin(const struct aws_client *c, char *out, size_t cap,
                                   long long *expires)
{
	if (!out || !cap)
		return;
	if (expires)
		*expires = c ? c->creds.expiration : 0;
	if (!c || c->anonymous)
		snprintf(out, cap, "none (unsigned requests)");
	else if (c->creds.origin[0])
		snprintf(out, cap, "%s (%s)", c->creds.source, c->creds.origin);
	else
		snprintf(out, cap, "%s", c->creds.source[0] ? c->creds.source : "given by the caller");
}

const char *aws_client_endpoint(const struct aws_client *c, enum aws_service svc)
{
	if (!c || (unsigned)svc >= AWS__SERVICE_COUNT)
		return NULL;
	return c->ep[svc].url;
}

sg_err aws_client_token(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return SG_ERR_IO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
	         b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	         b[14], b[15]);
	return SG_OK;
}
