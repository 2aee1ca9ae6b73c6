/* opt.c — the one option parser; see opt.h. */
#include "common/opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const opt_sections[] = {
	"serve", "respond", "incidents", "check", "aws", "forensics", "dashboard", NULL,
};

const char *const opt_shared_names[] = {
	"store", "state-table", "region", "endpoint-url", "ca-bundle", "log", "log-format", NULL,
};

/* Compare a row's name with user text, '_' counting as '-'. */
static bool name_is(const char *row, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && row[i]; i++) {
		char c = s[i] == '_' ? '-' : s[i];
		if (c != row[i])
			return false;
	}
	return i == n && row[i] == '\0';
}

static bool has_value(opt_type t)
{
	return t >= OPT_SWITCH && t <= OPT_CHOICE;
}

void opt_iter_init(opt_iter *it, const opt_def *table)
{
	it->at[0] = table;
	it->base[0] = 0;
	it->depth = 0;
}

const opt_def *opt_iter_next(opt_iter *it, size_t *base)
{
	while (it->depth >= 0) {
		const opt_def *d = it->at[it->depth];
		if (d->type == OPT_END) {
			it->depth--;
			continue;
		}
		it->at[it->depth]++;
		if (d->type == OPT_INCLUDE) {
			if (it->depth + 1 < 4) {
				it->at[it->depth + 1] = d->include;
				it->base[it->depth + 1] = it->base[it->depth] + d->off;
				it->depth++;
			}
			continue;
		}
		if (base)
			*base = it->base[it->depth];
		return d;
	}
	return NULL;
}

const opt_def *opt_find(const opt_def *table, const char *name, size_t len, size_t *base)
{
	opt_iter it;
	opt_iter_init(&it, table);
	for (const opt_def *d; (d = opt_iter_next(&it, base));)
		if (has_value(d->type) && name_is(d->name, name, len))
			return d;
	return NULL;
}

const opt_def *opt_find_short(const opt_def *table, char c, size_t *base)
{
	opt_iter it;
	opt_iter_init(&it, table);
	for (const opt_def *d; (d = opt_iter_next(&it, base));)
		if (has_value(d->type) && c && d->short_name == c)
			return d;
	return NULL;
}

bool opt_switch_word(const char *s, bool *on)
{
	static const char *const yes[] = {"on", "true", "yes", "1"};
	static const char *const no[] = {"off", "false", "no", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*on = true;
			return true;
		}
		if (!strcmp(s, no[i])) {
			*on = false;
			return true;
		}
	}
	return false;
}

/* Index of word among the '|'-separated words of list, or -1. */
static int choice_index(const char *list, const char *word)
{
	size_t wn = strlen(word);
	int i = 0;
	for (const char *p = list; p; i++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == wn && !memcmp(p, word, n))
			return i;
		p = bar ? bar + 1 : NULL;
	}
	return -1;
}

static sg_err parse_num(const opt_def *d, const char *v, int64_t *out, char *err, size_t errlen)
{
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno == ERANGE || end == v || *end) {
		snprintf(err, errlen, "%s: '%.64s' is not a whole number", d->name, v);
		return SG_ERR_PARSE;
	}
	if (x < d->lo || x > d->hi) {
		snprintf(err, errlen, "%s: %lld is not in %lld..%lld", d->name, x, (long long)d->lo,
		         (long long)d->hi);
		return SG_ERR_RANGE;
	}
	*out = x;
	return SG_OK;
}

sg_err opt_set_str(char **slot, const char *v)
{
	size_t n = strlen(v);
	char *p = malloc(n + 1);
	if (!p)
		return SG_ERR_NOMEM;
	memcpy(p, v, n + 1);
	free(*slot);
	*slot = p;
	return SG_OK;
}

static sg_err list_add(const opt_def *d, opt_list *l, const char *v, char *err, size_t errlen)
{
	if (l->n >= OPT_LIST_MAX) {
		snprintf(err, errlen, "%s: more than %d values", d->name, OPT_LIST_MAX);
		return SG_ERR_RANGE;
	}
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return SG_ERR_NOMEM;
	l->v = nv;
	l->v[l->n] = NULL;
	if (opt_set_str(&l->v[l->n], v) != SG_OK)
		return SG_ERR_NOMEM;
	l->n++;
	return SG_OK;
}

/* Check value against the row's type; fill v. */
static sg_err check_value(const opt_def *d, const char *value, opt_value *v, char *err, size_t errlen)
{
	v->text = value;
	switch (d->type) {
	case OPT_SWITCH:
		if (!value) {
			v->on = true;
			v->text = "on";
		} else if (!opt_switch_word(value, &v->on)) {
			snprintf(err, errlen, "%s: '%.64s' is not on or off", d->name, value);
			return SG_ERR_PARSE;
		}
		return SG_OK;
	case OPT_INT:
		return parse_num(d, value, &v->num, err, errlen);
	case OPT_CHOICE:
		if ((v->num = choice_index(d->arg, value)) < 0) {
			snprintf(err, errlen, "%s: '%.64s' is not one of %s", d->name, value, d->arg);
			return SG_ERR_PARSE;
		}
		return SG_OK;
	default:
		return SG_OK;
	}
}

sg_err opt_set(const opt_def *d, void *dst, const char *value, char *err, size_t errlen)
{
	opt_value v = {0};
	if (!value && d->type != OPT_SWITCH) {
		snprintf(err, errlen, "%s needs a value%s%s", d->name, d->arg ? " " : "",
		         d->arg ? d->arg : "");
		return SG_ERR_PARSE;
	}
	if ((d->flags & OPT_NONEMPTY) && !*value) {
		snprintf(err, errlen, "%s must not be empty", d->name);
		return SG_ERR_PARSE;
	}
	sg_err e = check_value(d, value, &v, err, errlen);
	if (e != SG_OK)
		return e;
	if (d->set)
		return d->set(dst, d, &v, err, errlen);
	void *field = (char *)dst + d->off;
	switch (d->type) {
	case OPT_SWITCH:
		*(bool *)field = v.on;
		return SG_OK;
	case OPT_INT:
		*(int64_t *)field = v.num;
		return SG_OK;
	case OPT_CHOICE:
		*(int *)field = (int)v.num;
		return SG_OK;
	case OPT_STR:
		return opt_set_str((char **)field, value);
	case OPT_LIST:
		return list_add(d, (opt_list *)field, value, err, errlen);
	default:
		snprintf(err, errlen, "%s: not a setting", d->name);
		return SG_ERR_INVAL;
	}
}

sg_err opt_defaults(const opt_def *table, void *dst, char *err, size_t errlen)
{
	opt_iter it;
	size_t base;
	opt_iter_init(&it, table);
	for (const opt_def *d; (d = opt_iter_next(&it, &base));) {
		if (!has_value(d->type) || !d->dflt)
			continue;
		sg_err e = opt_set(d, (char *)dst + base, d->dflt, err, errlen);
		if (e != SG_OK)
			return e;
	}
	return SG_OK;
}

void opt_free(const opt_def *table, void *dst)
{
	opt_iter it;
	size_t base;
	opt_iter_init(&it, table);
	for (const opt_def *d; (d = opt_iter_next(&it, &base));) {
		if (d->set)
			continue;
		void *field = (char *)dst + base + d->off;
		if (d->type == OPT_STR) {
			free(*(char **)field);
			*(char **)field = NULL;
		} else if (d->type == OPT_LIST) {
			opt_list *l = field;
			for (size_t i = 0; i < l->n; i++)
				free(l->v[i]);
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}

/* ---- config file text ---------------------------------------------------- */

static bool in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (name_is(*list, s, n))
			return true;
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The value part of a line, unquoted and without its trailing comment,
 * written into out (as large as the line).  NULL on a quoting error. */
static const char *file_value(char *p, char *out, const char **why)
{
	while (is_blank(*p))
		p++;
	if (*p == '"') {
		size_t o = 0;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			out[o++] = *p;
		}
		if (*p != '"') {
			*why = "unterminated \"";
			return NULL;
		}
		out[o] = '\0';
		for (p++; is_blank(*p); p++)
			;
		if (*p && *p != '#') {
			*why = "text after the closing \"";
			return NULL;
		}
		return out;
	}
	char *e = p;
	while (*e && !(*e == '#' && (e == p || is_blank(e[-1]))))
		e++;
	while (e > p && is_blank(e[-1]))
		e--;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return out;
}

typedef struct file_pos {
	const char *fname;
	int line;
	bool mine;   /* in our section, or before any section */
	bool shared; /* before any section */
} file_pos;

static sg_err file_section(const opt_command *cmd, char *p, file_pos *fp, char *err, size_t errlen)
{
	char *close = strchr(p, ']');
	char *rest = close ? close + 1 : NULL;
	while (rest && is_blank(*rest))
		rest++;
	if (!close || (*rest && *rest != '#')) {
		snprintf(err, errlen, "%s:%d: expected [section]", fp->fname, fp->line);
		return SG_ERR_PARSE;
	}
	size_t n = (size_t)(close - p - 1);
	if (!in_list(opt_sections, p + 1, n)) {
		snprintf(err, errlen, "%s:%d: unknown section [%.*s]", fp->fname, fp->line,
		         (int)(n > 64 ? 64 : n), p + 1);
		return SG_ERR_PARSE;
	}
	fp->mine = name_is(cmd->section ? cmd->section : cmd->name, p + 1, n);
	fp->shared = false;
	return SG_OK;
}

static sg_err file_setting(const opt_command *cmd, void *dst, char *p, file_pos *fp, char *err,
                           size_t errlen)
{
	char val[OPT_LINE_MAX + 1], msg[256];
	const char *why = "expected name = value";
	char *eq = strchr(p, '=');
	char *ke = eq;
	while (ke && ke > p && is_blank(ke[-1]))
		ke--;
	const char *v = eq && ke > p ? file_value(eq + 1, val, &why) : NULL;
	if (!v) {
		snprintf(err, errlen, "%s:%d: %s", fp->fname, fp->line, why);
		return SG_ERR_PARSE;
	}
	size_t kn = (size_t)(ke - p), base = 0;
	if (!fp->mine)
		return SG_OK;
	const opt_def *d = kn <= OPT_NAME_MAX ? opt_find(cmd->opts, p, kn, &base) : NULL;
	if (!d && fp->shared && in_list(opt_shared_names, p, kn))
		return SG_OK;
	if (!d || (d->flags & OPT_ARGV_ONLY)) {
		snprintf(err, errlen, "%s:%d: %s '%.*s' of %s", fp->fname, fp->line,
		         d ? "command-line-only option" : "unknown setting", (int)(kn > 64 ? 64 : kn),
		         p, cmd->name);
		return SG_ERR_PARSE;
	}
	sg_err e = opt_set(d, (char *)dst + base, v, msg, sizeof msg);
	if (e != SG_OK)
		snprintf(err, errlen, "%s:%d: %s", fp->fname, fp->line, msg);
	return e;
}

static sg_err file_line(const opt_command *cmd, void *dst, char *line, file_pos *fp, char *err,
                        size_t errlen)
{
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t' && !(*c == '\r' && c[1] == '\0')) {
			snprintf(err, errlen, "%s:%d: control character", fp->fname, fp->line);
			return SG_ERR_PARSE;
		}
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[n - 1] = '\0';
	char *p = line;
	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return SG_OK;
	if (*p == '[')
		return file_section(cmd, p, fp, err, errlen);
	return file_setting(cmd, dst, p, fp, err, errlen);
}

sg_err opt_parse_text(const opt_command *cmd, void *dst, const char *text, size_t len,
                      const char *fname, char *err, size_t errlen)
{
	char line[OPT_LINE_MAX + 1];
	file_pos fp = {.fname = fname, .line = 0, .mine = true, .shared = true};
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		fp.line++;
		if (n > OPT_LINE_MAX) {
			snprintf(err, errlen, "%s:%d: line longer than %d bytes", fname, fp.line,
			         OPT_LINE_MAX);
			return SG_ERR_RANGE;
		}
		if (memchr(text + pos, '\0', n)) {
			snprintf(err, errlen, "%s:%d: NUL byte", fname, fp.line);
			return SG_ERR_PARSE;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		sg_err e = file_line(cmd, dst, line, &fp, err, errlen);
		if (e != SG_OK)
			return e;
	}
	return SG_OK;
}

/* ---- argv ------------------------------------------------------------------ */

int opt_next_config(int argc, char **argv, int i, const char **path)
{
	*path = NULL;
	for (i = i < 1 ? 1 : i; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return 0;
		if (!strncmp(a, "--config=", 9)) {
			*path = a + 9;
			return i + 1;
		}
		if (!strcmp(a, "--config")) {
			if (i + 1 >= argc)
				return -1;
			*path = argv[i + 1];
			return i + 2;
		}
	}
	return 0;
}

/* Value of a long or short option whose text had no '=': the next argument
 * for value options, the next switch word (if any) for switches. */
static const char *next_value(const opt_def *d, int argc, char **argv, int *i)
{
	bool on;
	if (d->type == OPT_SWITCH) {
		if (*i + 1 < argc && opt_switch_word(argv[*i + 1], &on))
			return argv[++*i];
		return NULL;
	}
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static sg_err long_option(const opt_command *cmd, void *dst, int argc, char **argv, int *i,
                          bool *help, char *err, size_t errlen)
{
	const char *a = argv[*i] + 2;
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	size_t base = 0;
	const opt_def *d = n <= OPT_NAME_MAX ? opt_find(cmd->opts, a, n, &base) : NULL;
	bool negated = false;
	if (name_is("help", a, n) && !d) {
		*help = true;
		return SG_OK;
	}
	if (name_is("config", a, n) && !d) {
		*i += eq ? 0 : 1; /* read before the flags, by the caller */
		return SG_OK;
	}
	if (!d && n > 3 && !memcmp(a, "no-", 3)) {
		d = opt_find(cmd->opts, a + 3, n - 3, &base);
		negated = d && d->type == OPT_SWITCH && !eq;
		if (!negated)
			d = NULL;
	}
	if (!d) {
		snprintf(err, errlen, "unknown option '--%.*s'", (int)(n > 64 ? 64 : n), a);
		return SG_ERR_PARSE;
	}
	const char *v = negated ? "off" : eq ? eq + 1 : next_value(d, argc, argv, i);
	char msg[256];
	sg_err e = opt_set(d, (char *)dst + base, v, msg, sizeof msg);
	if (e != SG_OK)
		snprintf(err, errlen, "--%s", msg);
	return e;
}

static sg_err short_option(const opt_command *cmd, void *dst, int argc, char **argv, int *i,
                           bool *help, char *err, size_t errlen)
{
	const char *a = argv[*i];
	size_t base = 0;
	const opt_def *d = opt_find_short(cmd->opts, a[1], &base);
	if (!d && a[1] == 'h' && !a[2]) {
		*help = true;
		return SG_OK;
	}
	if (!d || a[2]) {
		snprintf(err, errlen, "unknown option '%.64s'", a);
		return SG_ERR_PARSE;
	}
	const char *v = next_value(d, argc, argv, i);
	char msg[256];
	sg_err e = opt_set(d, (char *)dst + base, v, msg, sizeof msg);
	if (e != SG_OK)
		snprintf(err, errlen, "-%c: --%s", a[1], msg);
	return e;
}

sg_err opt_parse_argv(const opt_command *cmd, void *dst, int argc, char **argv,
                      const char **pos, int *npos, bool *help, char *err, size_t errlen)
{
	bool options = true;
	*npos = 0;
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		sg_err e = SG_OK;
		if (options && !strcmp(a, "--"))
			options = false;
		else if (options && a[0] == '-' && a[1] == '-')
			e = long_option(cmd, dst, argc, argv, &i, help, err, errlen);
		else if (options && a[0] == '-' && a[1])
			e = short_option(cmd, dst, argc, argv, &i, help, err, errlen);
		else
			pos[(*npos)++] = a;
		if (e != SG_OK || *help)
			return e;
	}
	return SG_OK;
}
