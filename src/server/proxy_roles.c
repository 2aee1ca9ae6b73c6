/* proxy_roles.c — the egress proxy's roles file in force: the roles
 * (roles.h) and a guard policy per role, read at the start, again on
 * SIGHUP and when the file changes.  A reload that fails keeps the set in
 * force, logs why and shows in /healthz and the metrics, as the reload of
 * the TLS files does (proxy_tls.c).  Each loop takes the new set at its
 * next request; a request already judged keeps the set it was judged by.
 * See proxy_int.h. */
#include "server/proxy_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROLES_FILE_MAX (1 << 20)

/* The primary's: the set in force and its reloads. */
struct proles {
	pthread_mutex_t mu;
	prset *cur;                   /* the set in force (one reference), under mu */
	uint64_t gen;                 /* cur->gen; read by every loop */
	struct timespec mtime;        /* the file's when last read */
	uint64_t reloads, failures;
	int failing;                  /* the last reload failed: the set before is in force */
	char why[300];                /* and why, under mu */
	/* The request counters' rows by role name, append-only: a role keeps
	 * its counts across reloads.  A name is written before nnames counts it. */
	char names[PR_SLOTS][PX_ROLE_NAME_MAX];
	size_t nnames;
};

/* ---- one set ---- */

static void set_free(prset *set)
{
	if (!set)
		return;
	for (size_t i = 0; set->pol && i < set->roles.n; i++)
		if (set->pol[i] != set->base)
			sg_policy_free(set->pol[i]);
	free(set->pol);
	free(set->slot);
	px_roles_free(&set->roles);
	free(set);
}

prset *prset_hold(prset *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_RELAXED);
	return set;
}

void prset_release(prset *set)
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
static sg_err role_policies(prset *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->roles.n; i++) {
		const px_role *r = &set->roles.r[i];
		char msg[300];
		sg_err e;
		set->pol[i] = (sg_policy *)set->base; /* shared, never written */
		if (!r->rules.n)
			continue;
		if ((e = sg_policy_copy(set->base, &set->pol[i])) != SG_OK) {
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

static size_t name_row(const struct proles *rl, const char *name)
{
	for (size_t k = 0; k < rl->nnames; k++)
		if (!strcmp(rl->names[k], name))
			return k;
	return PR_SLOTS;
}

/* Each role's counter row, by name; a new name gets a new row (all or
 * none: -1 when the rows would run out). */
static int assign_rows(struct proles *rl, prset *set, char *err, size_t errlen)
{
	size_t fresh = 0;
	for (size_t i = 0; i < set->roles.n; i++)
		fresh += name_row(rl, set->roles.r[i].name) == PR_SLOTS;
	if (fresh > PR_SLOTS - rl->nnames) {
		snprintf(err, errlen, "proxy_roles: more than %d role names since the start; restart"
		         " the service to load this file", PR_SLOTS);
		return -1;
	}
	for (size_t i = 0; i < set->roles.n; i++) {
		const char *name = set->roles.r[i].name;
		size_t k = name_row(rl, name);
		if (k == PR_SLOTS) {
			k = rl->nnames;
			memcpy(rl->names[k], name, sizeof rl->names[k]);
			__atomic_store_n(&rl->nnames, k + 1, __ATOMIC_RELEASE);
		}
		set->slot[i] = k;
	}
	return 0;
}

/* A whole set from the file (or the built-in role) into *out, or an
 * error and err. */
static sg_err set_build(struct proxy *px, prset **out, char *err, size_t errlen)
{
	const char *path = px->s->cfg->proxy_roles;
	prset *set = calloc(1, sizeof *set);
	sg_err e = SG_ERR_NOMEM;
	*out = NULL;
	snprintf(err, errlen, "proxy_roles: out of memory");
	if (!set)
		return e;
	set->base = px->s->policy;
	e = path[0] ? read_roles(path, &set->roles, err, errlen) : px_roles_default(&set->roles);
	if (e != SG_OK)
		goto fail;
	set->pol = calloc(set->roles.n, sizeof *set->pol);
	set->slot = calloc(set->roles.n, sizeof *set->slot);
	if (!set->pol || !set->slot) {
		e = SG_ERR_NOMEM;
		goto fail;
	}
	if ((e = role_policies(set, err, errlen)) != SG_OK)
		goto fail;
	if (assign_rows(px->rl, set, err, errlen) != 0) {
		e = SG_ERR_RANGE;
		goto fail;
	}
	set->refs = 1;
	err[0] = '\0';
	*out = set;
	return SG_OK;
fail:
	set_free(set);
	return e;
}

/* ---- the set in force ---- */

sg_err proles_init(struct proxy *px, char *err, size_t errlen)
{
	struct proles *rl = calloc(1, sizeof *rl);
	if (!rl)
		return SG_ERR_NOMEM;
	pthread_mutex_init(&rl->mu, NULL);
	px->rl = rl;
	const char *path = px->s->cfg->proxy_roles;
	px_file_mtimes(&path, 1, &rl->mtime);
	sg_err e = set_build(px, &rl->cur, err, errlen);
	if (e != SG_OK)
		return e;
	rl->cur->gen = rl->gen = 1;
	px->set = prset_hold(rl->cur);
	return SG_OK;
}

void proles_free(struct proxy *px)
{
	prset_release(px->set);
	px->set = NULL;
	struct proles *rl = px->main == px ? px->rl : NULL;
	px->rl = NULL;
	if (!rl)
		return;
	prset_release(rl->cur);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

static void log_reload(struct proxy *px, const char *why, const prset *set, const char *error)
{
	char line[800];
	tbuf b;
	tb_init(&b, line, sizeof line);
	tb_str(&b, "{\"event\":\"proxy_roles_reload\",\"trigger\":");
	tb_json(&b, why, strlen(why), 32);
	tb_str(&b, ",\"file\":");
	tb_json(&b, px->s->cfg->proxy_roles, strlen(px->s->cfg->proxy_roles), 256);
	tb_fmt(&b, ",\"ok\":%s", error ? "false" : "true");
	if (set)
		tb_fmt(&b, ",\"roles\":%zu,\"generation\":%llu", set->roles.n,
		       (unsigned long long)set->gen);
	if (error) {
		tb_str(&b, ",\"error\":");
		tb_json(&b, error, strlen(error), 400);
		tb_str(&b, ",\"message\":\"the roles and policies loaded before stay in force\"");
	}
	tb_str(&b, "}\n");
	log_line(px->s, error ? "error" : "info", b.p, b.len);
}

void proles_reload(struct proxy *px, const char *why)
{
	struct proles *rl = px->rl;
	const char *path = px->s->cfg->proxy_roles;
	char err[300] = "";
	if (!rl || !path[0])
		return; /* the built-in role: nothing to read */
	px_file_mtimes(&path, 1, &rl->mtime); /* a bad file is not retried until it changes */
	prset *set = NULL, *old = NULL;
	set_build(px, &set, err, sizeof err);
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
	log_reload(px, why, set, set ? NULL : err);
	prset_release(old); /* loops and connections holding it keep it alive */
	proles_current(px);
}

void proles_check(struct proxy *px)
{
	struct timespec now;
	const char *path = px->s->cfg->proxy_roles;
	if (!px->rl || !path[0])
		return;
	px_file_mtimes(&path, 1, &now);
	if (memcmp(&now, &px->rl->mtime, sizeof now) != 0)
		proles_reload(px, "file_changed");
}

prset *proles_current(struct proxy *px)
{
	struct proles *rl = px->main->rl;
	if (px->set->gen == __atomic_load_n(&rl->gen, __ATOMIC_ACQUIRE))
		return px->set;
	pthread_mutex_lock(&rl->mu);
	prset *now = prset_hold(rl->cur);
	pthread_mutex_unlock(&rl->mu);
	prset_release(px->set);
	px->set = now;
	return now;
}

void proles_state(const struct proxy *px, proles_status *out)
{
	struct proles *rl = px->main->rl;
	memset(out, 0, sizeof *out);
	if (!rl || !px->s->cfg->proxy_roles[0])
		return;
	out->on = 1;
	pthread_mutex_lock(&rl->mu);
	out->failing = rl->failing;
	snprintf(out->why, sizeof out->why, "%s", rl->why);
	pthread_mutex_unlock(&rl->mu);
	out->reloads = SRV_READ(rl->reloads);
	out->failures = SRV_READ(rl->failures);
}

size_t proles_names(const struct proxy *px, const char *names[PR_SLOTS])
{
	struct proles *rl = px->main->rl;
	size_t n = rl ? __atomic_load_n(&rl->nnames, __ATOMIC_ACQUIRE) : 0;
	for (size_t k = 0; k < n; k++)
		names[k] = rl->names[k];
	return n;
}
