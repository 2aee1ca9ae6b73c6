/* embed.c — the embedded responder behind serve's srv_responder hook. */
#include "respond/embed.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "respond/deliver.h"
#include "respond/queue.h"
#include "respond/respond.h"
#include "respond/respond_cli.h"

#define RETRY_S 10 /* a failing responder checks its setup again this often */

typedef struct embedded {
	bool deliver;                /* the detector side (serve --deliver-to), else the responder */
	respond_cli cli;
	responder *r;
	respond_queue *q;            /* [respond] queue = URL: the SQS intake */
	pthread_t th;
	bool started;
	atomic_int stop;   /* set by the stopping thread, read by the responder thread */
	char region[32];
	srv_responder_env env;       /* copy: the log hook */
	pthread_mutex_t mu;          /* guards state and why */
	srv_responder_state state;
	char why[256];
	char *started_with;          /* the [respond] settings of the files at the
	                                start (settings_of), for restart_needed */
} embedded;

/* One of each per process: the responder (serve --respond) and the
 * detector side (serve --deliver-to); serve runs at most one of them. */
static embedded E = {.mu = PTHREAD_MUTEX_INITIALIZER};
static embedded D = {.deliver = true, .mu = PTHREAD_MUTEX_INITIALIZER};

static void log_to_service(embedded *e, const char *level, const char *event, const char *msg)
{
	if (e->env.log)
		e->env.log(e->env.log_ctx, level, event, msg);
	else
		logging_write(STDERR_FILENO, level, event, msg, NULL);
}

static void log_progress(void *ctx, int64_t incident, const char *line)
{
	char msg[600];
	snprintf(msg, sizeof msg, "INC-%lld %s", (long long)incident, line);
	log_to_service(ctx, "info", "respond", msg);
}

static void log_message(void *ctx, const char *level, const char *message)
{
	log_to_service(ctx, level, "respond", message);
}

/* Record the state /healthz and the 403 report; log each change, with why. */
static void set_state(embedded *e, srv_responder_state st, const char *why)
{
	pthread_mutex_lock(&e->mu);
	bool changed = e->state != st || strcmp(e->why, why);
	e->state = st;
	snprintf(e->why, sizeof e->why, "%s", why);
	pthread_mutex_unlock(&e->mu);
	if (!changed)
		return;
	if (st == SRV_RESPONDER_FAILING) {
		char msg[400];
		snprintf(msg, sizeof msg, "embedded responder failing, containment unavailable: %s "
		         "(checked again every %d s)", why, RETRY_S);
		log_to_service(e, "error", "responder_failing", msg);
	} else
		log_to_service(e, "info", "responder_running", e->deliver ? "delivering incidents to "
		               "the responder" : "embedded responder running");
}

static srv_responder_state status(void *ctx, char *why, size_t whylen)
{
	embedded *e = ctx;
	pthread_mutex_lock(&e->mu);
	srv_responder_state st = e->state;
	if (why && whylen)
		snprintf(why, whylen, "%s", e->why);
	pthread_mutex_unlock(&e->mu);
	return st;
}

/* Can the responder work (store, AWS client with credentials, and the
 * queue intake when one is configured)? */
static bool setup_ok(embedded *e)
{
	char msg[512], why[600];
	if (respond_setup_check(e->r, msg, sizeof msg) != SG_OK) {
		set_state(e, SRV_RESPONDER_FAILING, msg);
		return false;
	}
	if (e->cli.queue && !e->q &&
	    respond_queue_start(&e->cli.queue_cfg, &e->q, msg, sizeof msg) != SG_OK) {
		snprintf(why, sizeof why, "queue intake: %s", msg);
		set_state(e, SRV_RESPONDER_FAILING, why);
		return false;
	}
	set_state(e, SRV_RESPONDER_RUNNING, respond_queue_without_redrive(e->q)
	          ? "the queue has no RedrivePolicy (or it could not be read): refused messages back "
	            "off instead of going to a dead-letter queue (docs/fleet.md)" : "");
	return true;
}

static void pause_retry(embedded *e)
{
	for (int i = 0; i < RETRY_S * 10 && !atomic_load(&e->stop); i++)
		usleep(100 * 1000);
}

/* The detector side: respond_deliver_loop until stop; it returns early
 * only when it cannot start (store, key, AWS client). */
static void *deliver_main(void *arg)
{
	embedded *e = arg;
	while (!atomic_load(&e->stop)) {
		char msg[512], why[600];
		set_state(e, SRV_RESPONDER_RUNNING, "");
		if (respond_deliver_loop(&e->cli.deliver_cfg, &e->stop, false, msg, sizeof msg) != SG_OK &&
		    !atomic_load(&e->stop)) {
			snprintf(why, sizeof why, "delivery: %s", msg);
			set_state(e, SRV_RESPONDER_FAILING, why);
			pause_retry(e);
		}
	}
	return NULL;
}

static void *loop_main(void *arg)
{
	embedded *e = arg;
	while (!atomic_load(&e->stop)) {
		if (!setup_ok(e)) {
			pause_retry(e);
			continue;
		}
		sg_err err = respond_loop(e->r, &e->stop, false);
		if (err && !atomic_load(&e->stop)) {
			char msg[200];
			snprintf(msg, sizeof msg, "responder loop stopped: %s", sg_strerror(err));
			set_state(e, SRV_RESPONDER_FAILING, msg);
			pause_retry(e);
		}
	}
	return NULL;
}

/* serve's deliver-to, set like the [respond] row (its URL checks). */
static int take_deliver_to(respond_cli *cli, const srvcfg *cfg, char *msg, size_t msglen)
{
	size_t base;
	const opt_def *d = opt_find(respond_command.opts, "deliver-to", strlen("deliver-to"), &base);
	char err[300];
	if (!d || opt_set(d, (char *)cli + base, cfg->deliver_to, err, sizeof err) != SG_OK) {
		snprintf(msg, msglen, "%s", d ? err : "deliver-to: no such setting");
		return -1;
	}
	return 0;
}

/* The [respond] settings of serve's config files, serve's store and lease,
 * the region from serve's identity when the environment names none.  With
 * serve's deliver-to, the detector side's settings instead: [respond]'s
 * own deliver-to (for `ssrfguard respond`) is replaced by serve's. */
static int configure(respond_cli *cli, const srv_responder_env *env, char *region, size_t rcap,
                     char *msg, size_t msglen)
{
	const srvcfg *sc = env->cfg;
	bool deliver = sc && sc->deliver_to && sc->deliver_to[0];
	respond_cli_init(cli);
	for (size_t i = 0; sc && i < sc->configs.n; i++)
		if (respond_cli_load(cli, sc->configs.v[i], msg, msglen) != 0)
			return -1;
	if (deliver && sc->respond) {
		snprintf(msg, msglen, "serve's respond and deliver-to exclude each other (contain here, "
		         "or send the incidents to a responder)");
		return -1;
	}
	cli->deliver_to = NULL;
	if (deliver && take_deliver_to(cli, sc, msg, msglen) != 0)
		return -1;
	if (deliver && cli->queue) {
		snprintf(msg, msglen, "serve's deliver-to is the detector side; queue (in [respond]) "
		         "belongs to a responder");
		return -1;
	}
	if (respond_cli_check(cli, msg, msglen) != 0)
		return -1;
	cli->cfg.store_path = env->store_path;
	cli->deliver_cfg.store_path = env->store_path;
	if (env->cfg)
		cli->cfg.state_table = env->cfg->where.state_table;
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

/* ---- the [respond] settings of the files, to compare on a reload ---- */

#define SETTINGS_ROWS 256
#define SETTINGS_MAX (1 << 20)

/* A row of the trace table: the value as "name=value\n", normalised. */
static sg_err note_row(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (d->type == OPT_SWITCH)
		return sg_buf_printf(dst, "%s=%s\n", d->name, v->on ? "on" : "off");
	if (d->type == OPT_INT || d->type == OPT_CHOICE)
		return sg_buf_printf(dst, "%s=%lld\n", d->name, (long long)v->num);
	return sg_buf_printf(dst, "%s=%s\n", d->name, v->text ? v->text : "");
}

/* Every [respond] setting (and shared name) the config files set, in
 * order, one "name=value" a line, as respond reads them: NULL when a file
 * cannot be read or parsed (the responder in force keeps its settings). */
static char *settings_of(const opt_list *configs)
{
	opt_def *rows = calloc(SETTINGS_ROWS, sizeof *rows);
	opt_command trace = respond_command;
	opt_iter it;
	size_t base, n = 0;
	sg_buf b;
	char err[300];
	if (!rows)
		return NULL;
	opt_iter_init(&it, respond_command.opts);
	for (const opt_def *d; (d = opt_iter_next(&it, &base)) && n + 1 < SETTINGS_ROWS;)
		if (d->type != OPT_SECTION) {
			rows[n] = *d;
			rows[n].set = note_row;
			rows[n++].off = 0;
		}
	rows[n] = (opt_def){.type = OPT_END};
	trace.opts = rows;
	sg_buf_init(&b, SETTINGS_MAX);
	for (size_t i = 0; i < configs->n; i++)
		if (cmdline_load(&trace, &b, configs->v[i], err, sizeof err) != SG_OK) {
			sg_buf_free(&b);
			free(rows);
			return NULL;
		}
	free(rows);
	return sg_buf_take(&b, NULL);
}

/* The values of name in a settings text, in order ("v1\nv2\n"), into out. */
static void values_of(const char *text, const char *name, sg_buf *out)
{
	size_t nl = strlen(name);
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		if (len > nl && l[nl] == '=' && !memcmp(l, name, nl))
			sg_buf_append(out, l + nl + 1, len - nl);
		l += len + (end ? 1 : 0);
	}
}

/* The [respond] settings the --config files (serve's, the same paths)
 * now set otherwise than at the start, "respond.NAME" each, comma
 * separated. */
static void restart_needed(void *ctx, char *out, size_t cap)
{
	embedded *e = ctx;
	char *now = e->env.cfg ? settings_of(&e->env.cfg->configs) : NULL;
	opt_iter it;
	size_t base, n = 0;
	if (cap)
		out[0] = '\0';
	if (!now || !e->started_with) {
		free(now);
		return;
	}
	opt_iter_init(&it, respond_command.opts);
	for (const opt_def *d; (d = opt_iter_next(&it, &base));) {
		if (d->type == OPT_SECTION)
			continue;
		sg_buf a, b;
		sg_buf_init(&a, SETTINGS_MAX);
		sg_buf_init(&b, SETTINGS_MAX);
		values_of(e->started_with, d->name, &a);
		values_of(now, d->name, &b);
		int same = a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
		sg_buf_free(&a);
		sg_buf_free(&b);
		if (same)
			continue;
		int k = snprintf(out + n, cap - n, "%srespond.%s", n ? "," : "", d->name);
		if (k < 0 || (size_t)k >= cap - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)k;
	}
	free(now);
}

static sg_err start(void *ctx, const srv_responder_env *env)
{
	embedded *e = ctx;
	char msg[512];
	e->env = *env;
	free(e->started_with);
	e->started_with = env->cfg ? settings_of(&env->cfg->configs) : NULL;
	if (configure(&e->cli, env, e->region, sizeof e->region, msg, sizeof msg) != 0) {
		log_to_service(e, "error", "error", msg);
		return SG_ERR_INVAL;
	}
	if (!e->cli.quiet) {
		e->cli.cfg.progress = log_progress;
		e->cli.cfg.progress_ctx = e;
	}
	e->cli.cfg.log = log_message;
	e->cli.cfg.log_ctx = e;
	e->cli.deliver_cfg.log = log_message;
	e->cli.deliver_cfg.log_ctx = e;
	atomic_store(&e->stop, 0);
	if (e->deliver) {
		set_state(e, SRV_RESPONDER_RUNNING, "");
		if (pthread_create(&e->th, NULL, deliver_main, e) != 0)
			return SG_ERR_NOMEM;
		e->started = true;
		return SG_OK;
	}
	if (respond_new(&e->cli.cfg, &e->r, msg, sizeof msg)) {
		log_to_service(e, "error", "error", msg);
		return SG_ERR_INVAL;
	}
	setup_ok(e); /* the state is known (and logged) before the listener opens */
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
	atomic_store(&e->stop, 1);
	if (e->r)
		respond_wake(e->r);
	if (e->started)
		pthread_join(e->th, NULL);
	e->started = false;
	respond_queue_stop(e->q);
	e->q = NULL;
	respond_free(e->r);
	e->r = NULL;
	respond_cli_free(&e->cli);
	free(e->started_with);
	e->started_with = NULL;
}

const srv_responder *respond_embedded(void)
{
	static const srv_responder hook = {&E, start, notify, stop, status, restart_needed};
	return &hook;
}

const srv_responder *respond_embedded_delivery(void)
{
	static const srv_responder hook = {&D, start, notify, stop, status, restart_needed};
	return &hook;
}
