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

static sg_err start(void *ctx, const srv_responder_env *env)
{
	embedded *e = ctx;
	char msg[512];
	respond_cli_init(&e->cli);
	const char *cf = getenv("SSRFGUARD_RESPOND_CONFIG");
	if (cf && *cf) {
		char *argv[] = {"respond", "--config", (char *)cf, NULL};
		if (respond_cli_parse(&e->cli, 3, argv, msg, sizeof msg) != 0) {
			fprintf(stderr, "respond: %s: %s\n", cf, msg);
			return SG_ERR_INVAL;
		}
	}
	e->cli.cfg.store_path = env->store_path;
	if (env->lease_ms > 0)
		e->cli.cfg.lease_ms = env->lease_ms;
	if (!e->cli.cfg.region && !getenv("AWS_REGION") && !getenv("AWS_DEFAULT_REGION") && env->identity &&
	    env->identity->region[0]) {
		snprintf(e->region, sizeof e->region, "%s", env->identity->region);
		e->cli.cfg.region = e->region;
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
