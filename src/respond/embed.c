/* embed.c — the embedded responder behind serve's srv_responder hook. */
#include "respond/embed.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "respond/respond.h"
#include "respond/respond_cli.h"

typedef struct embedded {
	respond_cli cli;
	responder *r;
	pthread_t th;
	bool started;
	volatile int stop;
	char region[32];
} embedded;

static embedded E; /* one per process: serve runs one service */

static void log_progress(void *ctx, int64_t incident, const char *line)
{
	(void)ctx;
	fprintf(stderr, "respond: INC-%lld %s\n", (long long)incident, line);
}

static void *loop_main(void *arg)
{
	embedded *e = arg;
	sg_err err = respond_loop(e->r, &e->stop, false);
	if (err)
		fprintf(stderr, "respond: embedded responder stopped: %s\n", sg_strerror(err));
	return NULL;
}

/* The [respond] settings of serve's config files, serve's store and lease,
 * the region from serve's identity when the environment names none. */
static int configure(respond_cli *cli, const srv_responder_env *env, char *region, size_t rcap,
                     char *msg, size_t msglen)
{
	respond_cli_init(cli);
	for (size_t i = 0; env->cfg && i < env->cfg->configs.n; i++)
		if (respond_cli_load(cli, env->cfg->configs.v[i], msg, msglen) != 0)
			return -1;
	if (respond_cli_check(cli, msg, msglen) != 0)
		return -1;
	cli->cfg.store_path = env->store_path;
	if (env->lease_ms > 0)
		cli->cfg.lease_ms = env->lease_ms;
	if (!cli->cfg.region && !getenv("AWS_REGION") && !getenv("AWS_DEFAULT_REGION") &&
	    env->identity && env->identity->region[0]) {
		snprintf(region, rcap, "%s", env->identity->region);
		cli->cfg.region = region;
	}
	return 0;
}

sg_err respond_embedded_check(const srvcfg *cfg, char *err, size_t errlen)
{
	respond_cli cli;
	char region[32], msg[512];
	srv_responder_env env = {.store_path = cfg->store, .lease_ms = cfg->lease_ms, .cfg = cfg};
	responder *r = NULL;
	sg_err e = SG_ERR_INVAL;
	if (configure(&cli, &env, region, sizeof region, msg, sizeof msg) != 0)
		snprintf(err, errlen, "respond: %s", msg);
	else if (respond_new(&cli.cfg, &r, msg, sizeof msg) != SG_OK)
		snprintf(err, errlen, "respond: %s", msg);
	else
		e = SG_OK;
	respond_free(r);
	respond_cli_free(&cli);
	return e;
}

static sg_err start(void *ctx, const srv_responder_env *env)
{
	embedded *e = ctx;
	char msg[512];
	if (configure(&e->cli, env, e->region, sizeof e->region, msg, sizeof msg) != 0) {
		fprintf(stderr, "respond: %s\n", msg);
		return SG_ERR_INVAL;
	}
	if (!e->cli.quiet) {
		e->cli.cfg.progress = log_progress;
		e->cli.cfg.progress_ctx = NULL;
	}
	if (respond_new(&e->cli.cfg, &e->r, msg, sizeof msg)) {
		fprintf(stderr, "respond: %s\n", msg);
		return SG_ERR_INVAL;
	}
	e->stop = 0;
	if (pthread_create(&e->th, NULL, loop_main, e) != 0) {
		respond_free(e->r);
		e->r = NULL;
		return SG_ERR_NOMEM;
	}
	e->started = true;
	return SG_OK;
}

static void notify(void *ctx, int64_t incident_id)
{
	embedded *e = ctx;
	(void)incident_id;
	if (e->r)
		respond_wake(e->r);
}

static void stop(void *ctx)
{
	embedded *e = ctx;
	e->stop = 1;
	if (e->r)
		respond_wake(e->r);
	if (e->started)
		pthread_join(e->th, NULL);
	e->started = false;
	respond_free(e->r);
	e->r = NULL;
	respond_cli_free(&e->cli);
}

const srv_responder *respond_embedded(void)
{
	static const srv_responder hook = {&E, start, notify, stop};
	return &hook;
}
