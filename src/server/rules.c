/* rules.c — the guard's rules in force, for /go and the egress proxy
 * alike: the service's policy (the `policy` file and the `rule` settings),
 * the proxy's roles (the `proxy_roles` file: global lists, roles, a policy
 * per role), each role's row of the request counters, `contain` and the
 * limits and timeouts (each loop's share), one immutable reading of them
 * all (rset).  Read at the start (an error there is
 * fatal), again on SIGHUP and when one of the files changes (the policy
 * file, the roles file, the --config files; their change times are looked
 * at every RULES_POLL_S).  A reload that fails keeps the reading in force,
 * logs why (policy_reload) and shows in /healthz and the metrics.  Each
 * loop takes the newest reading at its next request or accepted
 * connection, and at least once a second (conn.c's sweep); a request
 * already judged keeps the reading it was judged by (srv_int.h says which
 * limit is read through which reading).  Any other setting changed in
 * a --config file is named in a log line (config_restart_needed) and in
 * /healthz: it takes effect only on restart.  See srv_int.h. */
#include "server/srv_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ROLES_FILE_MAX (1 << 20)
#define RULES_POLL_S 2
#define RULES_FILES_MAX 18 /* the policy file, the roles file, 16 --config files */

/* The primary's: the reading in force and its reloads. */
struct rules {
	pthread_mutex_t mu;
	rset *cur;                    /* the reading in force (one reference), under mu */
	uint64_t gen;                 /* cur->gen; read by every loop */
	char *policy_path;            /* the policy file of the reading in force */
	struct timespec mtime[RULES_FILES_MAX]; /* the watched files' when last read */
	struct event *poll;
	size_t nloops;                /* the limits are shared out between them */
	srvcfg_limits asked;          /* the limits of the reading in force, as the
	                                 settings give them (before sharing out) */
	uint64_t reloads, failures;
	int failing;                  /* the last reload failed: the reading before is in force */
	char why[300];                /* and why, under mu */
	char restart[RULES_RESTART_MAX]; /* settings changed in the files that only a
	                                    restart takes (srvcfg_restart_needed), under mu */
	/* The request counters' rows by role name, append-only: a role keeps
	 * its counts across reloads.  A name is written before nnames counts it. */
	char names[RULES_SLOTS][PX_ROLE_NAME_MAX];
	size_t nnames;
};

/* ---- one reading ---- */

static void set_free(rset *set)
{
	if (!set)
		return;
	for (size_t i = 0; set->pol && i < set->roles.n; i++)
		if (set->pol[i] != set->policy)
			sg_policy_free(set->pol[i]);
	free(set->pol);
	free(set->slot);
	px_roles_free(&set->roles);
	sg_policy_free(set->policy);
	free(set);
}

rset *rset_hold(rset *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void rset_release(rset *set)
{
	if (set && __atomic_sub_fetch(&set->refs, 1, __ATOMIC_ACQ_REL) == 0)
		set_free(set);
}

static sg_err read_roles(const char *path, px_roles *rs, char *err, size_t errlen)
{
	char msg[256];
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "proxy_roles %s: %s", path, strerror(errno));
		return SG_ERR_IO;
	}
	char *buf = malloc(ROLES_FILE_MAX);
	size_t n = buf ? fread(buf, 1, ROLES_FILE_MAX, f) : 0;
	int bad = buf && ferror(f);
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "proxy_roles %s: out of memory", path);
		return SG_ERR_NOMEM;
	}
	sg_err e = SG_ERR_RANGE;
	if (bad)
		snprintf(err, errlen, "proxy_roles %s: cannot read it", path);
	else if (n == ROLES_FILE_MAX)
		snprintf(err, errlen, "proxy_roles %s: larger than 1 MiB", path);
	else if ((e = px_roles_parse(rs, buf, n, msg, sizeof msg)) != SG_OK)
		snprintf(err, errlen, "proxy_roles %s: %s", path, msg);
	free(buf);
	return bad ? SG_ERR_IO : e;
}

/* The service's policy, with a copy of it for each role that adds rules. */
static sg_err role_policies(rset *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->roles.n; i++) {
		const px_role *r = &set->roles.r[i];
		char msg[300];
		sg_err e;
		set->pol[i] = set->policy; /* shared, never written */
		if (!r->rules.n)
			continue;
		if ((e = sg_policy_copy(set->policy, &set->pol[i])) != SG_OK) {
			set->pol[i] = set->policy;
			snprintf(err, errlen, "proxy_roles: role %s: %s", r->name, sg_strerror(e));
			return e;
		}
		for (size_t k = 0; k < r->rules.n; k++) {
			const char *rule = r->rules.v[k];
			if ((e = sg_policy_add(set->pol[i], rule, strlen(rule), msg, sizeof msg)) != SG_OK) {
				snprintf(err, errlen, "proxy_roles: role %s: rule '%.100s': %s", r->name,
				         rule, msg);
				return e;
			}
		}
	}
	return SG_OK;
}

static size_t name_row(const struct rules *rl, const char *name)
{
	for (size_t k = 0; k < rl->nnames; k++)
		if (!strcmp(rl->names[k], name))
			return k;
	return RULES_SLOTS;
}

/* Each role's counter row, by name; a new name gets a new row (all or
 * none: -1 when the rows would run out). */
static int assign_rows(struct rules *rl, rset *set, char *err, size_t errlen)
{
	size_t fresh = 0;
	for (size_t i = 0; i < set->roles.n; i++)
		fresh += name_row(rl, set->roles.r[i].name) == RULES_SLOTS;
	if (fresh > RULES_SLOTS - rl->nnames) {
		snprintf(err, errlen, "proxy_roles: more than %d role names since the start; restart"
		         " the service to load this file", RULES_SLOTS);
		return -1;
	}
	for (size_t i = 0; i < set->roles.n; i++) {
		const char *name = set->roles.r[i].name;
		size_t k = name_row(rl, name);
		if (k == RULES_SLOTS) {
			k = rl->nnames;
			memcpy(rl->names[k], name, sizeof rl->names[k]);
			__atomic_store_n(&rl->nnames, k + 1, __ATOMIC_RELEASE);
		}
		set->slot[i] = k;
	}
	return 0;
}

/* The roles file, read when the proxy is on and one is configured; else
 * the built-in role. */
static sg_err set_roles(const srvcfg *cfg, rset *set, char *err, size_t errlen)
{
	if (cfg->proxy_listen[0] && cfg->proxy_roles[0])
		return read_roles(cfg->proxy_roles, &set->roles, err, errlen);
	return px_roles_default(&set->roles);
}

/* The files' part of a reading under the settings fresh (policy, rule)
 * and cfg (the roles file): the policy, the roles and each role's policy,
 * into a fresh *out, or an error and err. */
static sg_err set_read(const srvcfg *cfg, const srvcfg *fresh, rset **out, char *err,
                       size_t errlen)
{
	rset *set = calloc(1, sizeof *set);
	sg_err e = SG_ERR_NOMEM;
	*out = NULL;
	snprintf(err, errlen, "out of memory");
	if (!set)
		return e;
	if ((e = srvcfg_policy(fresh, &set->policy, err, errlen)) != SG_OK ||
	    (e = set_roles(cfg, set, err, errlen)) != SG_OK)
		goto fail;
	set->pol = calloc(set->roles.n, sizeof *set->pol);
	set->slot = calloc(set->roles.n, sizeof *set->slot);
	e = SG_ERR_NOMEM;
	if (!set->pol || !set->slot)
		goto fail;
	if ((e = role_policies(set, err, errlen)) != SG_OK)
		goto fail;
	err[0] = '\0';
	*out = set;
	return SG_OK;
fail:
	set_free(set);
	return e;
}

/* A whole reading under the settings fresh (policy, rule, contain, the
 * limits) and cfg (the roles file) into *out, or an error and err. */
static sg_err set_build(struct rules *rl, const srvcfg *cfg, const srvcfg *fresh, rset **out,
                        char *err, size_t errlen)
{
	rset *set;
	sg_err e = set_read(cfg, fresh, &set, err, errlen);
	*out = NULL;
	if (e != SG_OK)
		return e;
	if (assign_rows(rl, set, err, errlen) != 0) {
		set_free(set);
		return SG_ERR_RANGE;
	}
	set->contain_mask = fresh->contain_mask;
	set->lim = fresh->lim;
	srv_limits_share(&set->lim, rl->nloops);
	set->refs = 1;
	*out = set;
	return SG_OK;
}

sg_err rules_check(const srvcfg *cfg, char *err, size_t errlen)
{
	rset *set;
	sg_err e = set_read(cfg, cfg, &set, err, errlen);
	set_free(set);
	return e;
}

/* ---- the files ---- */

/* The files a reading comes from: the policy file, the roles file, the
 * --config files ("" where none). */
static size_t watched(const struct srv *s, const char *paths[RULES_FILES_MAX])
{
	const srvcfg *c = s->cfg;
	size_t n = 0;
	paths[n++] = s->rules->policy_path;
	paths[n++] = c->proxy_listen[0] ? c->proxy_roles : "";
	for (size_t i = 0; i < c->configs.n && n < RULES_FILES_MAX; i++)
		paths[n++] = c->configs.v[i];
	while (n < RULES_FILES_MAX)
		paths[n++] = "";
	return n;
}

void srv_file_mtimes(const char *const *paths, size_t n, struct timespec *out)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		memset(&out[i], 0, sizeof out[i]);
		if (paths[i][0] && stat(paths[i], &st) == 0)
			out[i] = st.st_mtim;
	}
}

static void note_mtimes(struct srv *s, struct timespec *out)
{
	const char *paths[RULES_FILES_MAX];
	srv_file_mtimes(paths, watched(s, paths), out);
}

/* Every RULES_POLL_S: a watched file that changed is read again (as on
 * SIGHUP). */
static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	struct timespec now[RULES_FILES_MAX];
	(void)fd;
	(void)what;
	note_mtimes(s, now);
	if (memcmp(now, s->rules->mtime, sizeof now) != 0)
		rules_reload(s, "file_changed");
}

/* ---- the reading in force ---- */

sg_err rules_init(struct srv *s, char *err, size_t errlen)
{
	struct timeval every = {RULES_POLL_S, 0};
	struct rules *rl = calloc(1, sizeof *rl);
	if (!rl || !(rl->policy_path = strdup(s->cfg->policy))) {
		free(rl);
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	pthread_mutex_init(&rl->mu, NULL);
	rl->nloops = s->nloops ? s->nloops : 1;
	rl->asked = s->cfg->lim;
	s->rules = rl;
	note_mtimes(s, rl->mtime);
	sg_err e = set_build(rl, s->cfg, s->cfg, &rl->cur, err, errlen);
	if (e != SG_OK)
		return e;
	rl->cur->gen = rl->gen = 1;
	s->rset = rset_hold(rl->cur);
	rl->poll = event_new(s->base, -1, EV_PERSIST, on_poll, s);
	if (!rl->poll || event_add(rl->poll, &every) != 0) {
		snprintf(err, errlen, "out of memory");
		return SG_ERR_NOMEM;
	}
	return SG_OK;
}

void rules_free(struct srv *s)
{
	rset_release(s->rset);
	s->rset = NULL;
	struct rules *rl = s->rules;
	s->rules = NULL;
	if (!rl)
		return;
	if (rl->poll)
		event_free(rl->poll);
	rset_release(rl->cur);
	free(rl->policy_path);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

/* limits: the names of those the reading changed ("" none). */
static void log_rules_reload(struct srv *s, const char *why, const rset *set,
                             const char *limits, const char *error)
{
	char extra[RULES_RESTART_MAX + 100] = "";
	if (set)
		snprintf(extra, sizeof extra, ",\"roles\":%zu,\"generation\":%llu%s%s%s",
		         set->roles.n, (unsigned long long)set->gen,
		         limits[0] ? ",\"limits\":\"" : "", limits, limits[0] ? "\"" : "");
	log_reload(s, "policy_reload", why, extra, error,
	           "the policy, roles, contain and limits loaded before stay in force");
}

/* The settings changed that a reload does not take: kept for /healthz,
 * logged when there are any. */
static void note_restart_needed(struct srv *s, const srvcfg *fresh, const char *why)
{
	struct rules *rl = s->rules;
	char names[RULES_RESTART_MAX], line[RULES_RESTART_MAX + 300];
	srvcfg_restart_needed(s->cfg, fresh, names, sizeof names);
	size_t n = strlen(names);
	if (s->resp_started && s->resp.restart_needed && n + 2 < sizeof names) {
		/* the embedded responder's [respond] of the same files */
		s->resp.restart_needed(s->resp.ctx, names + n + (n ? 1 : 0), sizeof names - n - 1);
		if (n && names[n + 1])
			names[n] = ',';
	}
	pthread_mutex_lock(&rl->mu);
	snprintf(rl->restart, sizeof rl->restart, "%s", names);
	pthread_mutex_unlock(&rl->mu);
	if (!names[0])
		return;
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"config_restart_needed\",\"trigger\":");
	tb_json(&b, why, strlen(why), 32);
	tb_str(&b, ",\"settings\":");
	tb_json(&b, names, strlen(names), RULES_RESTART_MAX);
	tb_str(&b, ",\"message\":\"changed in the config files, not in force: a reload takes only "
	           "the settings docs/serve.md names; restart the service for these\"}\n");
	log_line(s, "warning", b.p, b.len);
}

/* The settings again (`policy`, `rule`, `contain`, the limits), then the
 * files they name; the names of the limits it changes into limits. */
static rset *reread(struct srv *s, const char *why, char limits[RULES_RESTART_MAX], char *err,
                    size_t errlen)
{
	srvcfg fresh;
	rset *set = NULL;
	char *path = NULL;
	sg_err e = srvcfg_reread(s->cfg, &fresh, err, errlen);
	if (e == SG_OK && s->cfg->cmd)   /* without a command line: only what a reload takes */
		note_restart_needed(s, &fresh, why);
	if (e == SG_OK && (path = strdup(fresh.policy)) != NULL &&
	    set_build(s->rules, s->cfg, &fresh, &set, err, errlen) == SG_OK) {
		free(s->rules->policy_path);
		s->rules->policy_path = path;
		path = NULL;
		srvcfg_limits_changed(&s->rules->asked, &fresh.lim, limits, RULES_RESTART_MAX);
		s->rules->asked = fresh.lim;
	}
	free(path);
	srvcfg_free(&fresh);
	return set;
}

void rules_reload(struct srv *s, const char *why)
{
	struct rules *rl = s->rules;
	char err[300] = "", limits[RULES_RESTART_MAX] = "";
	rset *set = reread(s, why, limits, err, sizeof err), *old = NULL;
	note_mtimes(s, rl->mtime); /* a bad file is not retried until it changes */
	pthread_mutex_lock(&rl->mu);
	if (set) {
		set->gen = rl->gen + 1;
		old = rl->cur;
		rl->cur = set;
		__atomic_store_n(&rl->gen, set->gen, __ATOMIC_RELEASE);
	}
	rl->failing = !set;
	snprintf(rl->why, sizeof rl->why, "%s", set ? "" : err);
	pthread_mutex_unlock(&rl->mu);
	SRV_COUNT(rl->reloads, 1);
	if (!set)
		SRV_COUNT(rl->failures, 1);
	log_rules_reload(s, why, set, limits, set ? NULL : err);
	rset_release(old); /* loops, jobs and connections holding it keep it alive */
	rules_current(s);
}

rset *rules_current(struct srv *s)
{
	struct rules *rl = s->primary->rules;
	if (s->rset->gen == __atomic_load_n(&rl->gen, __ATOMIC_ACQUIRE))
		return s->rset;
	pthread_mutex_lock(&rl->mu);
	rset *now = rset_hold(rl->cur);
	pthread_mutex_unlock(&rl->mu);
	rset_release(s->rset);
	s->rset = now;
	return now;
}

void rules_state(const struct srv *s, rules_status *out)
{
	struct rules *rl = s->primary->rules;
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&rl->mu);
	out->failing = rl->failing;
	snprintf(out->why, sizeof out->why, "%s", rl->why);
	snprintf(out->restart, sizeof out->restart, "%s", rl->restart);
	out->gen = rl->gen;
	pthread_mutex_unlock(&rl->mu);
	out->reloads = SRV_READ(rl->reloads);
	out->failures = SRV_READ(rl->failures);
}

size_t rules_names(const struct srv *s, const char *names[RULES_SLOTS])
{
	struct rules *rl = s->primary->rules;
	size_t n = __atomic_load_n(&rl->nnames, __ATOMIC_ACQUIRE);
	for (size_t k = 0; k < n; k++)
		names[k] = rl->names[k];
	return n;
}
