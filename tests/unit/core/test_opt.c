/* test_opt.c — the one option parser (lib/common/opt.h): argv forms, the
 * config file grammar, defaults, errors that name the option, file and line. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/opt.h"
#include "test.h"

typedef struct t_opts {
	bool fast, quiet;
	int64_t max_body;
	char *name;
	opt_list rule;
	int sync;
} t_opts;

#define AT(f) .off = offsetof(t_opts, f)
static const opt_def t_table[] = {
	{.type = OPT_SECTION, .help = "Things"},
	{.type = OPT_SWITCH, .name = "fast", .dflt = "off", AT(fast), .help = "go fast"},
	{.type = OPT_SWITCH, .name = "quiet", .short_name = 'q', AT(quiet), .help = "hush"},
	{.type = OPT_INT, .name = "max-body", .arg = "BYTES", .dflt = "100", .lo = 0, .hi = 1000,
	 AT(max_body), .help = "largest body"},
	{.type = OPT_STR, .name = "name", .arg = "TEXT", .dflt = "anon", AT(name), .help = "a name"},
	{.type = OPT_LIST, .name = "rule", .short_name = 'r', .arg = "RULE", AT(rule), .help = "rules"},
	{.type = OPT_CHOICE, .name = "sync", .arg = "full|normal", .dflt = "full", AT(sync),
	 .help = "sync"},
	{.type = OPT_SWITCH, .name = "once", .flags = OPT_ARGV_ONLY, AT(quiet), .help = "x"},
	{.type = OPT_END},
};
#undef AT
static const opt_command t_cmd = {.name = "serve", .opts = t_table};

static sg_err argv_parse(t_opts *o, const char *const *args, const char **pos, int *npos,
                         bool *help, char *err)
{
	char *argv[32] = {"serve"};
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	memset(o, 0, sizeof *o);
	CHECK_INT(opt_defaults(t_table, o, err, 256), SG_OK);
	return opt_parse_argv(&t_cmd, o, argc, argv, pos, npos, help, err, 256);
}

TEST(defaults)
{
	t_opts o = {0};
	char err[256];
	CHECK_INT(opt_defaults(t_table, &o, err, sizeof err), SG_OK);
	CHECK(!o.fast);
	CHECK_INT(o.max_body, 100);
	CHECK_STR(o.name, "anon");
	CHECK_INT(o.sync, 0);
	opt_free(t_table, &o);
	CHECK(o.name == NULL);
}

TEST(switch_forms)
{
	static const struct {
		const char *args[4];
		bool fast;
	} rows[] = {
		{{"--fast", NULL}, true},        {{"--fast", "on", NULL}, true},
		{{"--fast=on", NULL}, true},     {{"--fast", "off", NULL}, false},
		{{"--fast=off", NULL}, false},   {{"--fast=yes", NULL}, true},
		{{"--fast", "false", NULL}, false}, {{"--no-fast", NULL}, false},
		{{"--fast", "1", NULL}, true},   {{"--fast=0", NULL}, false},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		t_opts o;
		const char *pos[8];
		int npos;
		bool help;
		char err[256] = "";
		CHECKF(argv_parse(&o, rows[i].args, pos, &npos, &help, err) == SG_OK, "row %zu: %s", i,
		       err);
		CHECKF(o.fast == rows[i].fast && npos == 0, "row %zu", i);
		opt_free(t_table, &o);
	}
}

TEST(values_and_positionals)
{
	t_opts o;
	const char *pos[16];
	int npos;
	bool help;
	char err[256] = "";
	const char *args[] = {"a", "--max_body", "7", "-r", "x", "--rule=y z", "-q", "b",
	                      "--name=", "--sync", "normal", "--", "--fast", NULL};
	CHECK_INT(argv_parse(&o, args, pos, &npos, &help, err), SG_OK);
	CHECK_INT(o.max_body, 7);
	CHECK_INT(o.rule.n, 2);
	CHECK_STR(o.rule.v[1], "y z");
	CHECK(o.quiet && !o.fast && !help);
	CHECK_STR(o.name, "");
	CHECK_INT(o.sync, 1);
	CHECK_INT(npos, 3);
	CHECK_STR(pos[0], "a");
	CHECK_STR(pos[1], "b");
	CHECK_STR(pos[2], "--fast");
	opt_free(t_table, &o);
	/* --config is the caller's (read first); -h stops */
	const char *a2[] = {"--config", "f", "--config=g", "-h", "--bogus", NULL};
	CHECK_INT(argv_parse(&o, a2, pos, &npos, &help, err), SG_OK);
	CHECK(help && npos == 0);
	opt_free(t_table, &o);
}

TEST(argv_errors)
{
	static const struct {
		const char *args[4];
		const char *want;
	} rows[] = {
		{{"--bogus", NULL}, "unknown option '--bogus'"},
		{{"--max-body", NULL}, "--max-body needs a value BYTES"},
		{{"--max-body", "1001", NULL}, "--max-body: 1001 is not in 0..1000"},
		{{"--max-body=12x", NULL}, "--max-body: '12x' is not a whole number"},
		{{"--fast=maybe", NULL}, "--fast: 'maybe' is not on or off"},
		{{"--sync", "often", NULL}, "--sync: 'often' is not one of full|normal"},
		{{"--no-name", NULL}, "unknown option '--no-name'"},
		{{"-x", NULL}, "unknown option '-x'"},
		{{"-r", NULL}, "-r: --rule needs a value RULE"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		t_opts o;
		const char *pos[8];
		int npos;
		bool help;
		char err[256] = "";
		CHECKF(argv_parse(&o, rows[i].args, pos, &npos, &help, err) != SG_OK, "row %zu", i);
		CHECKF(!strcmp(err, rows[i].want), "row %zu: '%s'", i, err);
		opt_free(t_table, &o);
	}
}

TEST(file_grammar)
{
	static const struct {
		const char *text;
		sg_err want;
		const char *err;
	} rows[] = {
		{"# c\n\n  max-body = 5   # five\nname = \"a # b \\\" \\\\\"\n", SG_OK, NULL},
		{"max_body=5\n", SG_OK, NULL},
		{"name = x#y\n", SG_OK, NULL},
		{"rule = a\nrule = b\n", SG_OK, NULL},
		{"store = /s\nregion = r\n[serve]\nfast = on\n", SG_OK, NULL},
		{"[respond]\nanything = goes\n[serve]\nfast = on\n", SG_OK, NULL},
		{"bogus = 1\n", SG_ERR_PARSE, "c.conf:1: unknown setting 'bogus' of serve"},
		{"[serve]\nstore = /s\n", SG_ERR_PARSE, "c.conf:2: unknown setting 'store' of serve"},
		{"\n[srv]\n", SG_ERR_PARSE, "c.conf:2: unknown section [srv]"},
		{"[serve\n", SG_ERR_PARSE, "c.conf:1: expected [section]"},
		{"fast\n", SG_ERR_PARSE, "c.conf:1: expected name = value"},
		{"= 3\n", SG_ERR_PARSE, "c.conf:1: expected name = value"},
		{"once = on\n", SG_ERR_PARSE, "c.conf:1: command-line-only option 'once' of serve"},
		{"max-body = 2000\n", SG_ERR_RANGE, "c.conf:1: max-body: 2000 is not in 0..1000"},
		{"fast = sometimes\n", SG_ERR_PARSE, "c.conf:1: fast: 'sometimes' is not on or off"},
		{"name = \"open\n", SG_ERR_PARSE, "c.conf:1: unterminated \""},
		{"name = \"a\" b\n", SG_ERR_PARSE, "c.conf:1: text after the closing \""},
		{"name = a\x02\n", SG_ERR_PARSE, "c.conf:1: control character"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		t_opts o = {0};
		char err[256] = "";
		CHECK_INT(opt_defaults(t_table, &o, err, sizeof err), SG_OK);
		sg_err e = opt_parse_text(&t_cmd, &o, rows[i].text, strlen(rows[i].text), "c.conf", err,
		                          sizeof err);
		CHECKF(e == rows[i].want, "row %zu: %d %s", i, e, err);
		if (rows[i].err)
			CHECKF(!strcmp(err, rows[i].err), "row %zu: '%s'", i, err);
		opt_free(t_table, &o);
	}
	t_opts o = {0};
	char err[256];
	const char *t = "max-body = 5 # five\nname = \"a # b \\\" \\\\\"\nfast = on\n";
	CHECK_INT(opt_parse_text(&t_cmd, &o, t, strlen(t), "c.conf", err, sizeof err), SG_OK);
	CHECK_INT(o.max_body, 5);
	CHECK_STR(o.name, "a # b \" \\");
	CHECK(o.fast);
	opt_free(t_table, &o);
	/* NUL, an overlong line */
	CHECK_INT(opt_parse_text(&t_cmd, &o, "name = a\0b\n", 11, "c.conf", err, sizeof err),
	          SG_ERR_PARSE);
	CHECK_STR(err, "c.conf:1: NUL byte");
	char *big = malloc(OPT_LINE_MAX + 10);
	memset(big, 'a', OPT_LINE_MAX + 10);
	CHECK_INT(opt_parse_text(&t_cmd, &o, big, OPT_LINE_MAX + 10, "c.conf", err, sizeof err),
	          SG_ERR_RANGE);
	free(big);
	opt_free(t_table, &o);
}

TEST(next_config)
{
	char *argv[] = {"x", "--config", "a", "--config=b", "--", "--config", "c", NULL};
	const char *p;
	int i = opt_next_config(7, argv, 0, &p);
	CHECK_STR(p, "a");
	i = opt_next_config(7, argv, i, &p);
	CHECK_STR(p, "b");
	CHECK_INT(opt_next_config(7, argv, i, &p), 0);
	CHECK(p == NULL);
	char *bad[] = {"x", "--config", NULL};
	CHECK_INT(opt_next_config(2, bad, 0, &p), -1);
}

/* A command that takes another's settings (OPT_INCLUDE), and a section
 * named differently from the command. */
typedef struct t_outer {
	bool own;
	t_opts inner;
} t_outer;

static const opt_def t_outer_table[] = {
	{.type = OPT_SWITCH, .name = "own", .dflt = "off", .off = offsetof(t_outer, own)},
	{.type = OPT_INCLUDE, .include = t_table, .off = offsetof(t_outer, inner)},
	{.type = OPT_END},
};
static const opt_command t_outer_cmd = {.name = "backstop", .section = "serve",
                                        .opts = t_outer_table};

TEST(include)
{
	t_outer o = {0};
	char err[256] = "", *argv[] = {"backstop", "--own", "--max-body=9", "-r", "x", NULL};
	const char *pos[8];
	int npos;
	bool help;
	CHECK_INT(opt_defaults(t_outer_table, &o, err, sizeof err), SG_OK);
	CHECK_INT(o.inner.max_body, 100);
	CHECK_STR(o.inner.name, "anon");
	CHECK_INT(opt_parse_argv(&t_outer_cmd, &o, 5, argv, pos, &npos, &help, err, sizeof err), SG_OK);
	CHECK(o.own);
	CHECK_INT(o.inner.max_body, 9);
	CHECK_INT(o.inner.rule.n, 1);
	const char *t = "[serve]\nname = n2\nown = off\n[respond]\nbogus = 1\n";
	CHECK_INT(opt_parse_text(&t_outer_cmd, &o, t, strlen(t), "c.conf", err, sizeof err), SG_OK);
	CHECK_STR(o.inner.name, "n2");
	CHECK(!o.own);
	size_t base = 1;
	CHECK(opt_find(t_outer_table, "max_body", 8, &base) != NULL && base == offsetof(t_outer, inner));
	opt_free(t_outer_table, &o);
	CHECK(o.inner.name == NULL && o.inner.rule.n == 0);
}

TEST_MAIN(defaults, switch_forms, values_and_positionals, argv_errors, file_grammar, next_config,
          include)
