/* respond.c — the responder object, workers, manual incidents, release and
 * preflight. */
#include "respond/rsp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/msg.h"
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "respond/engine.h"
#include "respond/journal.h"

void respond_config_default(respond_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	pb_config_default(&cfg->playbook);
	cfg->forensics_wait_s = RESPOND_FORENSICS_WAIT_DEFAULT;
}

sg_err respond_new(const respond_config *cfg, responder **out, char *msg, size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	*out = NULL;
	if (!cfg || !cfg->store_path) {
		snprintf(msg, msglen, "no incident store given");
		return SG_ERR_INVAL;
	}
	sg_err err = pb_table_check(msg, msglen);
	if (!err)
		err = pb_order_check(&cfg->playbook.order, msg, msglen);
	if (err)
		return SG_ERR_INVAL;
	responder *r = calloc(1, sizeof *r);
	if (!r)
		return SG_ERR_NOMEM;
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca; /* idle_wait's timeout is monotonic */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (cfg->owner)
		snprintf(r->owner, sizeof r->owner, "%s", cfg->owner);
	else {
		char host[64] = "host";
		gethostname(host, sizeof host);
		host[sizeof host - 1] = '\0';
		snprintf(r->owner, sizeof r->owner, "respond:%s:%ld", host, (long)getpid());
	}
	const char *crash = getenv("SSRFGUARD_RESPOND_CRASH");
	if (crash && *crash) {
		const char *colon = strchr(crash, ':');
		if (colon && (size_t)(colon - crash) < sizeof r->crash_step) {
			memcpy(r->crash_step, crash, (size_t)(colon - crash));
			snprintf(r->crash_phase, sizeof r->crash_phase, "%s", colon + 1);
		}
	}
	*out = r;
	return SG_OK;
}

void respond_free(responder *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void respond_wake(responder *r)
{
	pthread_mutex_lock(&r->lock);
	r->wakes++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Sleep up to ms, or until respond_wake (a wake since `seen` counts): a
 * local wait, on the monotonic clock the condition is made with. */
static void idle_wait(responder *r, unsigned ms, unsigned long *seen)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (r->wakes == *seen)
		if (pthread_cond_timedwait(&r->cond, &r->lock, &ts) != 0)
			break;
	*seen = r->wakes;
	pthread_mutex_unlock(&r->lock);
}

static void aws_log(void *ctx, const char *line)
{
	(void)ctx;
	if (getenv("SSRFGUARD_RESPOND_AWS_LOG"))
		logging_write(STDERR_FILENO, "debug", "aws", line, NULL);
}

void respond_config_where(respond_config *cfg, const char *store_path, const cmdline_store *where,
                          const cmdline_aws *aws)
{
	cfg->store_path = store_path;
	cfg->state_table = where->state_table;
	cfg->region = aws->region;
	cfg->profile = aws->profile;
	cfg->endpoint_url = aws->endpoint_url;
	cfg->ca_bundle = aws->ca_bundle;
}

sg_err respond_store_open(const respond_config *cfg, const store_opts *base, store **out,
                          char *msg, size_t msglen)
{
	store_opts o = base ? *base : (store_opts){0};
	o.state_table = cfg->state_table;
	o.region = cfg->region;
	o.profile = cfg->profile;
	o.endpoint_url = cfg->endpoint_url;
	o.ca_bundle = cfg->ca_bundle;
	return store_open(cfg->store_path, &o, out, msg, msglen);
}

sg_err rsp_run_aws(rsp_run *x, char *msg, size_t msglen)
{
	const respond_config *cfg = x->cfg;
	struct aws_client_opts o = {
		.region = cfg->region,
		.profile = cfg->profile,
		.endpoint_url = cfg->endpoint_url,
		.ca_bundle = cfg->ca_bundle,
		.max_attempts = cfg->aws_max_attempts,
		.backoff_base_ms = cfg->aws_backoff_base_ms,
		.log = aws_log,
	};
	struct aws_error e;
	aws_error_clear(&e);
	sg_err err = aws_client_new(&o, &x->aws, &e);
	if (err) {
		snprintf(msg, msglen, "AWS client: %.100s%s%.300s", e.code, e.code[0] ? ": " : "", e.message);
		return err;
	}
	rsp_journal_attach(x);
	return SG_OK;
}

sg_err rsp_run_open_store(responder *r, rsp_run *x, char *msg, size_t msglen)
{
	memset(x, 0, sizeof *x);
	x->r = r;
	x->cfg = &r->cfg;
	return respond_store_open(&r->cfg, &rsp_store_opts, &x->st, msg, msglen);
}

sg_err rsp_run_open(responder *r, rsp_run *x, char *msg, size_t msglen)
{
	sg_err err = rsp_run_open_store(r, x, msg, msglen);
	if (!err && (err = rsp_run_aws(x, msg, msglen))) {
		store_close(x->st);
		x->st = NULL;
	}
	return err;
}

void respond_log(const respond_config *cfg, const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cfg && cfg->log)
		cfg->log(cfg->log_ctx, level, msg);
	else
		logging_write(STDERR_FILENO, level, "respond", msg, NULL);
}

sg_err respond_setup_check(responder *r, char *msg, size_t msglen)
{
	rsp_run x;
	sg_err err = rsp_run_open(r, &x, msg, msglen);
	if (err)
		return err;
	/* an older responder at work on a table not upgraded yet: none of ours
	 * may start beside it (store_holds_ready; observe takes no hold) */
	if (!r->cfg.observe && (err = store_holds_ready(x.st)))
		snprintf(msg, msglen, "%s", store_errmsg(x.st));
	rsp_run_close(&x);
	return err;
}

static void worker_reset(rsp_run *x)
{
	pb_instance_free(x->inst);
	x->inst = NULL;
	pb_plan_free(&x->plan);
	json_decref(x->data);
	x->data = NULL;
	x->id = 0;
}

void rsp_run_close(rsp_run *x)
{
	worker_reset(x);
	aws_client_free(x->aws);
	store_close(x->st);
	x->aws = NULL;
	x->st = NULL;
}

/* The operator's attempt for an instance; claimed for this responder in
 * the same store operation when claim is set. */
static sg_err open_by_hand(responder *r, const char *instance_id, const char *region,
                           const char *why, bool claim, int64_t *id)
{
	char msg[512], source[128], join[128];
	store *st = NULL;
	if (!instance_id || !instance_id[0] || strlen(instance_id) >= PB_ID_MAX)
		return SG_ERR_INVAL;
	sg_err err = respond_store_open(&r->cfg, NULL, &st, msg, sizeof msg);
	if (err) {
		respond_log(&r->cfg, "error", "%s", msg);
		return err;
	}
	snprintf(source, sizeof source, "operator:%s", instance_id);
	snprintf(join, sizeof join, "instance:%s", instance_id);
	store_attempt_in a = {
		.client = source,
		.request = "ssrfguard respond --instance",
		.category = "manual",
		.rule = "operator",
		.reason = why && why[0] ? why : "opened by an operator",
		.instance_id = instance_id,
		.region = region ? region : "",
		.contain = 1,
		.join = join,
		.observe = claim && r->cfg.observe,
	};
	store_record_out o = {0};
	int64_t lease = r->cfg.lease_ms ? r->cfg.lease_ms : 60000;
	err = claim ? store_record_claim(st, &a, r->owner, lease, &o) : store_record(st, &a, &o);
	if (o.incident_id)
		*id = o.incident_id;
	store_close(st);
	return err;
}

sg_err respond_open_manual(responder *r, const char *instance_id, const char *region,
                           const char *why, int64_t *id)
{
	return open_by_hand(r, instance_id, region, why, false, id);
}

sg_err respond_open_claimed(responder *r, const char *instance_id, const char *region,
                            const char *why, int64_t *id)
{
	return open_by_hand(r, instance_id, region, why, true, id);
}

sg_err respond_retry(responder *r, int64_t id, const char *actor, char *msg, size_t msglen)
{
	store *st = NULL;
	store_incident inc = {0};
	store_step *rows = NULL;
	size_t n = 0;
	sg_err err = respond_store_open(&r->cfg, &rsp_store_opts, &st, msg, msglen);
	if (err)
		return err;
	if ((err = store_get(st, id, &inc))) {
		snprintf(msg, msglen, "INC-%lld: no such incident", (long long)id);
		goto fail;
	}
	if (inc.state != STORE_FAILED) {
		snprintf(msg, msglen, "INC-%lld is %s; only failed incidents are retried", (long long)id,
		         store_state_name(inc.state));
		err = SG_ERR_STATE;
		goto fail;
	}
	/* failed, blocked, skipped and turned-off steps run again (off: an
	 * observe run or config `skip`; the config decides anew), and finish */
	if ((err = store_steps(st, id, &rows, &n)))
		goto fail;
	for (size_t i = 0; i < n && !err; i++) {
		pb_step s;
		if (pb_step_parse(rows[i].name, &s) != SG_OK)
			continue;
		if (!strcmp(rows[i].status, "failed") || !strcmp(rows[i].status, "blocked") ||
		    !strcmp(rows[i].status, "skipped") || !strcmp(rows[i].status, "off") ||
		    s == PB_FINISH) {
			/* a new attempt: what ended failed is done anew (journal.h) */
			char *data = NULL;
			if ((err = rsp_journal_retried(rows[i].data, &data)))
				break;
			store_change c = {.incident_id = id, .step = rows[i].name, .to = "pending",
			                  .reason = "retry", .actor = actor, .data = data};
			err = store_transition(st, &c);
			free(data);
		}
	}
	if (!err) {
		store_change c = {.incident_id = id, .to = "open", .reason = "retried by an operator",
		                  .actor = actor};
		err = store_transition(st, &c);
	}
	if (err)
		snprintf(msg, msglen, "INC-%lld: %s (%s)", (long long)id, sg_strerror(err), store_errmsg(st));
fail:
	store_steps_free(rows, n);
	store_incident_free(&inc);
	store_close(st);
	return err;
}

sg_err respond_run_incident(responder *r, int64_t id, char *outcome, size_t outlen)
{
	rsp_run x;
	char msg[512];
	if (outcome && outlen)
		outcome[0] = '\0';
	sg_err err = rsp_run_open(r, &x, msg, sizeof msg);
	if (err) {
		respond_log(&r->cfg, "error", "%s", msg);
		return err;
	}
	int64_t lease = r->cfg.lease_ms ? r->cfg.lease_ms : 60000;
	int64_t claimed = 0;
	err = store_claim(x.st, id, r->owner, lease, &claimed);
	if (err == SG_ERR_STATE) {
		/* joined an incident that is already over: say what it is */
		store_incident inc = {0};
		if (store_get(x.st, id, &inc) == SG_OK) {
			if (inc.state == STORE_CONTAINED) {
				if (outcome)
					snprintf(outcome, outlen, "already contained");
				err = SG_OK;
			}
			if (r->cfg.progress) {
				char line[300];
				snprintf(line, sizeof line, "INC-%lld is %s: %s", (long long)id,
				         store_state_name(inc.state), inc.state_reason);
				r->cfg.progress(r->cfg.progress_ctx, id, line);
			}
			store_incident_free(&inc);
		}
	} else if (!err) {
		x.id = id;
		err = rsp_run_claimed(&x, outcome, outlen);
	}
	rsp_run_close(&x);
	return err;
}

typedef struct loop_ctx {
	responder *r;
	atomic_int *stop;
	bool once;
	int index;
	sg_err err;
} loop_ctx;

static void *worker_main(void *arg)
{
	loop_ctx *c = arg;
	responder *r = c->r;
	rsp_run x;
	char msg[512], owner[192];
	if ((c->err = rsp_run_open(r, &x, msg, sizeof msg))) {
		respond_log(&r->cfg, "error", "worker %d: %s", c->index, msg);
		return NULL;
	}
	/* every worker claims under the responder's owner id plus its index:
	 * the store's lease then names the thread that holds an incident */
	snprintf(owner, sizeof owner, "%.170s/w%d", r->owner, c->index);
	/* a per-worker view of the responder: same config, own owner id
	 * (the lock and condition stay the shared ones, used through r) */
	responder *wr = malloc(sizeof *wr);
	if (!wr) {
		rsp_run_close(&x);
		c->err = SG_ERR_NOMEM;
		return NULL;
	}
	memcpy(wr, r, sizeof *wr);
	snprintf(wr->owner, sizeof wr->owner, "%s", owner);
	x.r = wr;
	unsigned long seen = 0;
	int64_t lease = r->cfg.lease_ms ? r->cfg.lease_ms : 60000;
	unsigned idle = r->cfg.poll_ms ? r->cfg.poll_ms : 1000;
	char refused[256] = ""; /* the last claim error logged: each said once, not every poll */
	while (!atomic_load(c->stop)) {
		int64_t id = 0;
		sg_err err = store_claim(x.st, 0, owner, lease, &id);
		if (err == SG_ERR_NOTFOUND) {
			if (c->once)
				break;
			idle_wait(r, idle, &seen);
			continue;
		}
		if (err && err != SG_ERR_BUSY && strncmp(refused, store_errmsg(x.st), sizeof refused - 1)) {
			snprintf(refused, sizeof refused, "%s", store_errmsg(x.st));
			respond_log(&r->cfg, "error", "worker %d: claiming: %s (%s)", c->index,
			            sg_strerror(err), refused);
		}
		if (err) {
			rsp_sleep_ms(idle);
			continue;
		}
		refused[0] = '\0';
		x.id = id;
		x.stop = c->stop;
		char outcome[32];
		err = rsp_run_claimed(&x, outcome, sizeof outcome);
		if (err)
			respond_log(&r->cfg, "error", "INC-%lld: %s", (long long)id, sg_strerror(err));
		worker_reset(&x);
	}
	rsp_run_close(&x);
	free(wr);
	return NULL;
}

sg_err respond_loop(responder *r, atomic_int *stop, bool once)
{
	int n = r->cfg.parallel > 0 ? r->cfg.parallel : 4;
	if (n > 64)
		n = 64;
	pthread_t th[64];
	loop_ctx ctx[64];
	int started = 0;
	for (int i = 0; i < n; i++) {
		ctx[i] = (loop_ctx){r, stop, once, i, SG_OK};
		if (pthread_create(&th[i], NULL, worker_main, &ctx[i]) != 0)
			break;
		started++;
	}
	sg_err err = started ? SG_OK : SG_ERR_NOMEM;
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		if (ctx[i].err && !err)
			err = ctx[i].err;
	}
	return err;
}
