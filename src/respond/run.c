/* run.c — the toolkit a step uses: time, waits with lease renewal, the
 * crash hook (see rsp.h). */
#include "respond/rsp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logging/logging.h"

const store_opts rsp_store_opts = {.sync = STORE_SYNC_NORMAL};

void rsp_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

void rsp_iso8601(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void respond_incident_name(int64_t id, char *out, size_t cap)
{
	pb_incident_name(id, out, cap);
}

void rsp_incident_key(const store *st, int64_t id, char key[PB_INCIDENT_KEY_MAX])
{
	pb_incident_ref ref = {.n = id};
	snprintf(ref.store, sizeof ref.store, "%s", store_key_identity(st, id));
	pb_incident_key(&ref, key, PB_INCIDENT_KEY_MAX);
}

void rsp_report_path(const respond_config *cfg, const char *key, const char *ext, char *out,
                     size_t cap)
{
	if (cfg->report_dir)
		snprintf(out, cap, "%s/%s.%s", cfg->report_dir, key, ext);
	else if (cap)
		out[0] = '\0';
}

void rsp_name_incident(rsp_run *x, int64_t id)
{
	x->id = id;
	respond_incident_name(id, x->inc, sizeof x->inc);
	rsp_incident_key(x->st, id, x->key);
	snprintf(x->store_id, sizeof x->store_id, "%s", store_key_identity(x->st, id));
}

sg_err rsp_load_incident(rsp_run *x, int64_t id, store_incident *inc, char *msg, size_t msglen)
{
	rsp_name_incident(x, id);
	sg_err err = store_get(x->st, id, inc);
	if (err)
		snprintf(msg, msglen, "%s: no such incident", x->inc);
	return err;
}

size_t rsp_incident_tags(const rsp_run *x, struct aws_tag tags[2])
{
	tags[0] = (struct aws_tag){"IncidentId", x->inc};
	if (!x->store_id[0])
		return 1;
	tags[1] = (struct aws_tag){"ssrfguard:store", x->store_id};
	return 2;
}

size_t rsp_incident_filters(const rsp_run *x, rsp_incident_values *v, struct aws_filter f[2])
{
	v->inc[0] = x->inc;
	v->store[0] = x->store_id;
	f[0] = (struct aws_filter){"tag:IncidentId", v->inc, 1};
	if (!x->store_id[0])
		return 1;
	f[1] = (struct aws_filter){"tag:ssrfguard:store", v->store, 1};
	return 2;
}

void rsp_crashpoint(rsp_run *x, const char *phase)
{
	if (!x->r->crash_step[0] || x->step >= PB_STEP__COUNT)
		return;
	if (strcmp(x->r->crash_step, pb_step_name(x->step)) != 0 || strcmp(x->r->crash_phase, phase) != 0)
		return;
	logging_emitf("error", "respond", "test hook: crashing at %s:%s", x->r->crash_step, phase);
	fflush(NULL);
	_exit(77);
}

sg_err rsp_renew(rsp_run *x)
{
	int64_t lease = x->cfg->lease_ms ? x->cfg->lease_ms : 60000;
	sg_err err = store_renew(x->st, x->id, x->r->owner, lease);
	if (err == SG_ERR_BUSY)
		x->lost = true;
	if (!err)
		x->renewed_ms = sg_mono_ms();
	return err;
}

sg_err rsp_pause(rsp_run *x)
{
	if (x->stop && atomic_load(x->stop))
		return RSP_STOP;
	rsp_sleep_ms(x->cfg->poll_ms ? x->cfg->poll_ms : 1000);
	if (x->stop && atomic_load(x->stop))
		return RSP_STOP;
	if (x->dry_run || !x->id)
		return SG_OK;
	int64_t lease = x->cfg->lease_ms ? x->cfg->lease_ms : 60000;
	if (sg_mono_ms() - x->renewed_ms > lease / 3)
		rsp_renew(x);
	return x->lost ? SG_ERR_BUSY : SG_OK;
}

bool rsp_settling(rsp_run *x, int *tries, sg_err *err)
{
	if (*err != SG_ERR_NOTFOUND || ++*tries > 20)
		return false;
	sg_err p = rsp_pause(x);
	if (p) {
		*err = p;
		return false;
	}
	return true;
}

void rsp_progress(rsp_run *x, const char *fmt, ...)
{
	if (!x->cfg->progress)
		return;
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	x->cfg->progress(x->cfg->progress_ctx, x->id, line);
}
