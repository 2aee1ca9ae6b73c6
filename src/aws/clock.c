/* clock.c — AWS's clock: the signing time and its correction (see clock.h). */
#include "aws/clock.h"

#include <string.h>
#include <time.h>

static long long local_s(struct aws_client *c)
{
	return c->now ? c->now(c->now_ctx) : (long long)time(NULL);
}

long long awsc_sign_time(struct aws_client *c)
{
	return local_s(c) + c->skew_s;
}

/* The SDKs' clock-skew codes (a request signed too far from AWS's time). */
static bool skew_code(const char *code)
{
	static const char *const codes[] = {
		"RequestTimeTooSkewed", "RequestExpired",  "RequestInTheFuture",
		"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

bool awsc_learn_clock(struct aws_client *c, const struct aws_http_resp *r, const char *code)
{
	if (!r->date_s)
		return false;
	long long local = local_s(c);
	c->server_offset_s = r->date_s - local;
	c->have_offset = 1;
	long long off = r->date_s - (local + c->skew_s);
	if (!code || !skew_code(code) || (off < 240 && off > -240))
		return false;
	c->skew_s = r->date_s - local;
	awsc_logf(c, "aws: the local clock is %lld s off AWS's (its Date header); "
	             "signing with AWS's time", -c->skew_s);
	return true;
}

void aws_client_set_clock(struct aws_client *c, long long (*now)(void *ctx), void *ctx)
{
	if (!c)
		return;
	c->now = now;
	c->now_ctx = ctx;
}

long long aws_client_now(const struct aws_client *c)
{
	long long local = c && c->now ? c->now(c->now_ctx) : (long long)time(NULL);
	return local + (c && c->have_offset ? c->server_offset_s : 0);
}
