/* fuzz_opt.c — the one option parser (lib/common/opt.h): a config file's
 * text, and the same bytes split at NULs as an argv, against a table with
 * every value type.  Every error names the file (text) and never crashes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct f_opts {
	bool on;
	int64_t n;
	char *s;
	opt_list l;
	int c;
} f_opts;

#define AT(f) .off = offsetof(f_opts, f)
static const opt_def f_table[] = {
	{.type = OPT_SECTION, .help = "all types"},
	{.type = OPT_SWITCH, .name = "on", .short_name = 'o', .dflt = "off", AT(on)},
	{.type = OPT_INT, .name = "n", .arg = "N", .dflt = "5", .lo = -10, .hi = 1000, AT(n)},
	{.type = OPT_STR, .name = "s-name", .short_name = 's', .arg = "S", .dflt = "x", AT(s),
	 .flags = OPT_NONEMPTY},
	{.type = OPT_LIST, .name = "l", .arg = "L", AT(l)},
	{.type = OPT_CHOICE, .name = "c", .arg = "a|bb|ccc", .dflt = "a", AT(c)},
	{.type = OPT_SWITCH, .name = "argv-only", .flags = OPT_ARGV_ONLY, AT(on)},
	{.type = OPT_END},
};
static const opt_command f_cmd = {.name = "serve", .opts = f_table};

static void check_argv(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[65] = {"serve"};
	const char *pos[65];
	int argc = 1, npos;
	bool help;
	char err[256];
	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy; p < copy + size && argc < 64; p += strlen(p) + 1)
		argv[argc++] = p;
	f_opts o = {0};
	if (opt_defaults(f_table, &o, err, sizeof err) == SG_OK)
		opt_parse_argv(&f_cmd, &o, argc, argv, pos, &npos, &help, err, sizeof err);
	opt_free(f_table, &o);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	f_opts o = {0};
	char err[256] = "";
	if (opt_defaults(f_table, &o, err, sizeof err) != SG_OK)
		__builtin_trap(); /* the defaults are valid */
	if (opt_parse_text(&f_cmd, &o, (const char *)data, size, "fuzz", err, sizeof err) != SG_OK &&
	    strncmp(err, "fuzz:", 5) != 0)
		__builtin_trap(); /* every file error names the file and line */
	if (o.s && !o.s[0])
		__builtin_trap(); /* OPT_NONEMPTY holds */
	if (o.n < -10 || o.n > 1000 || o.c < 0 || o.c > 2)
		__builtin_trap(); /* ranges hold */
	opt_free(f_table, &o);
	check_argv(data, size);
	return 0;
}
