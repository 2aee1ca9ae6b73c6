/* persist.c — persistence places, listed whatever their hash says (see persist.h). */
#include "forensics/persist.h"

#include <stdlib.h>
#include <string.h>

#include "forensics/escape.h"
#include "forensics/report.h"

/* A directory whose files (at any depth) are of a kind. */
static const struct {
	const char *dir, *kind;
} dirs[] = {
	{"/etc/cron.d", "cron"},           {"/etc/cron.hourly", "cron"},
	{"/etc/cron.daily", "cron"},       {"/etc/cron.weekly", "cron"},
	{"/etc/cron.monthly", "cron"},     {"/var/spool/cron", "cron"},
	{"/etc/systemd/system", "systemd unit"}, {"/etc/systemd/user", "systemd unit"},
	{"/etc/init.d", "init script"},    {"/etc/rc.d", "init script"},
	{"/etc/profile.d", "shell startup"}, {"/etc/sudoers.d", "sudoers"},
};

/* A file of a kind, by its whole path. */
static const struct {
	const char *path, *kind;
} files[] = {
	{"/etc/crontab", "cron"},          {"/etc/anacrontab", "cron"},
	{"/etc/rc.local", "init script"},  {"/etc/profile", "shell startup"},
	{"/etc/bashrc", "shell startup"},  {"/etc/bash.bashrc", "shell startup"},
	{"/etc/ld.so.preload", "preload"}, {"/etc/sudoers", "sudoers"},
};

/* A file of a kind by its last components, wherever it is (a home). */
static const struct {
	const char *suffix, *kind;
} suffixes[] = {
	{"/.ssh/authorized_keys", "ssh authorized_keys"},
	{"/.ssh/authorized_keys2", "ssh authorized_keys"},
	{"/.bashrc", "shell startup"},     {"/.bash_profile", "shell startup"},
	{"/.bash_login", "shell startup"}, {"/.profile", "shell startup"},
	{"/.zshrc", "shell startup"},
};

static const char user_units[] = "/.config/systemd/user/";

static int below(const char *p, size_t n, const char *dir)
{
	size_t dl = strlen(dir);
	return n > dl + 1 && !memcmp(p, dir, dl) && p[dl] == '/';
}

const char *fx_persistence_kind(const fx_entry *e)
{
	if (e->deleted || (e->type != FX_T_FILE && e->type != FX_T_LINK))
		return NULL;
	size_t skip = fx_part_prefix_len(e->path, e->path_len);
	const char *p = e->path + skip;
	size_t n = e->path_len - skip;
	if (e->type == FX_T_FILE && (e->mode & 06000))
		return "setuid/setgid";
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (strlen(files[i].path) == n && !memcmp(p, files[i].path, n))
			return files[i].kind;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (below(p, n, dirs[i].dir))
			return dirs[i].kind;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (n >= sl && !memcmp(p + n - sl, suffixes[i].suffix, sl))
			return suffixes[i].kind;
	}
	size_t ul = sizeof user_units - 1;
	for (size_t i = 0; i + ul < n; i++) /* a home's own units: …/.config/systemd/user/NAME */
		if (p[i] == '/' && !memcmp(p + i, user_units, ul))
			return "systemd unit";
	return NULL;
}

/* What the diff says of e: its finding's class, else "unchanged". */
static const char *against_baseline(const fx_diff *d, const fx_entry *e)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].cur == e)
			return fx_class_name(d->v[i].cls);
	return "unchanged";
}

static json_t *place_json(const fx_entry *e, const char *kind, const fx_diff *d)
{
	json_t *o = fx_entry_json(e);
	char *path = fx_escape_dup(e->path, e->path_len);
	int bad = !o || !path || json_object_set_new(o, "path", json_string(path)) ||
	          json_object_set_new(o, "kind", json_string(kind)) ||
	          (d && json_object_set_new(o, "baseline", json_string(against_baseline(d, e))));
	free(path);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *fx_persistence_json(const fx_list *cur, const fx_diff *d, size_t max, size_t *omitted)
{
	json_t *a = json_array();
	size_t more = 0;
	for (size_t i = 0; a && i < cur->n; i++) {
		const char *kind = fx_persistence_kind(&cur->v[i]);
		if (!kind)
			continue;
		if (max && json_array_size(a) >= max) {
			more++;
			continue;
		}
		json_t *o = place_json(&cur->v[i], kind, d);
		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	if (omitted)
		*omitted = more;
	return a;
}
