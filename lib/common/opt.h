/*
 * opt.h — the one option parser: every command's command line and the one
 * config file, from one table per command.  Prefix: opt_.
 *
 * A command describes its settings with a table of opt_def rows (designated
 * initializers), ended by an OPT_END row, and a settings struct the rows
 * point into with .off = offsetof(...).  From that single table come:
 *   - the command line: --name VALUE, --name=VALUE, -s VALUE (short name);
 *   - the config file: `name = value` under the command's [section];
 *   - the defaults (.dflt, parsed like any other value by opt_defaults);
 *   - --help, the man page and the shell completions (src/opt/cmdline.h).
 * So a new option is ONE row (plus a field); nothing else can drift.
 *
 * Example (the whole conversion of an option):
 *
 *   typedef struct myopts { int64_t max_body; bool fast; char *policy; } myopts;
 *   static const opt_def my_opts[] = {
 *       {.type = OPT_INT, .name = "max-body", .arg = "BYTES", .dflt = "8388608",
 *        .lo = 0, .hi = INT64_C(1) << 32, .off = offsetof(myopts, max_body),
 *        .help = "largest upstream body, else 502"},
 *       {.type = OPT_SWITCH, .name = "fast", .short_name = 'f', .dflt = "off",
 *        .off = offsetof(myopts, fast), .help = "go faster"},
 *       {.type = OPT_END},
 *   };
 *
 * Value types (the field type the row's .off points at):
 *   OPT_SWITCH  bool.      --x, --x on, --x=off, --no-x; file: x = on.
 *                          Words: on|off, true|false, yes|no, 1|0 — the same
 *                          everywhere.  `--x WORD` takes the next argument only
 *                          when it is one of these words.
 *   OPT_INT     int64_t.   Decimal, checked against [.lo, .hi].
 *   OPT_STR     char *.    Owned by the struct (strdup'd); the old value is
 *                          freed on set; opt_free() releases.  NULL until set.
 *   OPT_LIST    opt_list.  Repeatable: every use appends (file, then flags).
 *   OPT_CHOICE  int.       One of the '|'-separated words of .arg
 *                          ("full|normal"); stores the word's index.
 *   OPT_SECTION            no value: a heading in --help and the man page
 *                          (.help is the heading).
 *   OPT_INCLUDE            every row of another table (.include), its fields
 *                          inside this struct at .off (a command that takes
 *                          all of another's settings, e.g. backstop: serve's).
 * A row with .set does not store: after the type's own check (range, words)
 * .set(dst, def, value, err, errlen) receives the value and decides (used for
 * values with a grammar of their own: category lists, step names, ids).
 *
 * Names: .name uses dashes; the user may write '_' for '-' anywhere (on the
 * command line and in the file).  Every command also understands, without a
 * row: --help/-h, and --config FILE (read before every other flag, so flags
 * override the file; repeatable, read in order).
 *
 * Config file grammar (one file for all commands, e.g.
 * /etc/ssrfguard/ssrfguard.conf):
 *   # comment                       blank lines and comments are ignored
 *   name = value   # comment        ' #' or '\t#' starts a trailing comment
 *   name = "a # b \" c"             double quotes keep '#', \" and \\ escape
 *   [serve]                         the following names belong to `serve`
 * Names before any [section] are shared: a command applies those it knows
 * and skips those in opt_shared_names (settings of other commands); any
 * other name is an error.  In the command's own section every name must be
 * known.  Other known sections (opt_sections) are skipped; an unknown
 * section is an error.  Lines are at most OPT_LINE_MAX bytes; a NUL or a
 * control character is an error.  Every error names "FILE:LINE: name".
 * Rows with OPT_ARGV_ONLY are refused in files.  Rows with .set own their
 * storage: opt_free() leaves them alone (free them in the command's own
 * free function).
 *
 * Errors: SG_ERR_PARSE (malformed, unknown), SG_ERR_RANGE (out of range,
 * too long), SG_ERR_NOMEM; err always says which option and why, and never
 * echoes more than 64 bytes of the offending text.
 *
 * Pure: no files (the caller reads them: src/opt/cmdline.h does), no
 * globals written, no output.  Not thread-safe per settings struct.
 */
#ifndef SSRFGUARD_COMMON_OPT_H
#define SSRFGUARD_COMMON_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define OPT_LINE_MAX 4096
#define OPT_NAME_MAX 63
#define OPT_LIST_MAX 1024 /* entries of one OPT_LIST */

typedef enum opt_type {
	OPT_END = 0, /* ends a table */
	OPT_SECTION,
	OPT_SWITCH,
	OPT_INT,
	OPT_STR,
	OPT_LIST,
	OPT_CHOICE,
	OPT_INCLUDE, /* every row of .include, at .off inside this struct */
} opt_type;

enum {
	OPT_ARGV_ONLY = 1u << 0, /* command line only (actions like --once) */
	OPT_HIDDEN = 1u << 1,    /* accepted, left out of help and man page */
	OPT_NONEMPTY = 1u << 2,  /* OPT_STR, OPT_LIST: "" is an error */
};

typedef struct opt_list {
	char **v;
	size_t n;
} opt_list;

typedef struct opt_def opt_def;

/* What .set receives: the text as written, and the checked number (OPT_INT),
 * word (OPT_SWITCH: on) or index (OPT_CHOICE). */
typedef struct opt_value {
	const char *text;
	int64_t num;
	bool on;
} opt_value;

struct opt_def {
	opt_type type;
	const char *name;   /* "max-body" */
	char short_name;    /* 'q' for -q, or 0 */
	const char *arg;    /* placeholder in help: "BYTES"; OPT_CHOICE: the words */
	const char *dflt;   /* default as text (applied by opt_defaults), or NULL */
	const char *help;   /* one paragraph; the default is appended by help */
	size_t off;         /* offsetof the field in the settings struct */
	int64_t lo, hi;     /* OPT_INT range */
	unsigned flags;     /* OPT_ARGV_ONLY, OPT_HIDDEN */
	sg_err (*set)(void *dst, const opt_def *d, const opt_value *v, char *err, size_t errlen);
	const opt_def *include; /* OPT_INCLUDE: another command's table */
};

/* A command: its name (also its config section), and texts for --help and
 * the man page. */
typedef struct opt_command {
	const char *name;     /* "serve" */
	const char *synopsis; /* after "ssrfguard NAME ": "[OPTIONS]" (lines split by '\n') */
	const char *summary;  /* one line */
	const char *about;    /* paragraphs (blank line between) */
	const opt_def *opts;
	const char *epilog;   /* paragraphs after the options (exit status, ...) */
	const char *words;    /* subcommands, space-separated, for completion, or NULL */
	const char *section;  /* config file section, NULL: name */
} opt_command;

/* Section names a config file may hold, NULL-terminated.  A new command with
 * a config section adds its name here. */
extern const char *const opt_sections[];
/* Top-level names a command may skip when it does not know them. */
extern const char *const opt_shared_names[];

/* Every row of a table in order, included tables inline (never an
 * OPT_INCLUDE or OPT_END row); *base is the offset of the row's struct. */
typedef struct opt_iter {
	const opt_def *at[4];
	size_t base[4];
	int depth;
} opt_iter;
void opt_iter_init(opt_iter *it, const opt_def *table);
const opt_def *opt_iter_next(opt_iter *it, size_t *base);

/* The row named name ('_' = '-'), or NULL; *base as for opt_iter_next.
 * Sections never match. */
const opt_def *opt_find(const opt_def *table, const char *name, size_t len, size_t *base);
const opt_def *opt_find_short(const opt_def *table, char c, size_t *base);

/* Apply every row's .dflt.  Call once on a zeroed struct. */
sg_err opt_defaults(const opt_def *table, void *dst, char *err, size_t errlen);

/* Free every OPT_STR and OPT_LIST field of dst (NULL-safe fields). */
void opt_free(const opt_def *table, void *dst);

/* Replace the heap string *slot by a copy of v (the old one freed).
 * SG_ERR_NOMEM leaves *slot as it was. */
sg_err opt_set_str(char **slot, const char *v);

/* Set one option from text (value NULL: a bare switch, = on).  err gets
 * "NAME: why". */
sg_err opt_set(const opt_def *d, void *dst, const char *value, char *err, size_t errlen);

/* Apply a config file's text for command cmd->name; fname names it in errors. */
sg_err opt_parse_text(const opt_command *cmd, void *dst, const char *text, size_t len,
                      const char *fname, char *err, size_t errlen);

/*
 * argv[1..argc-1] (argv[0] is the command name): every option except
 * --config applied in order; positional arguments stored in pos[] (room for
 * argc entries) in order, *npos their number; "--" ends the options.
 * *help is set by --help/-h (parsing stops there).
 */
sg_err opt_parse_argv(const opt_command *cmd, void *dst, int argc, char **argv,
                      const char **pos, int *npos, bool *help, char *err, size_t errlen);

/* The --config FILE arguments of argv, in order: call with i = 0, then with
 * the returned index; returns 0 when none is left (*path NULL), -1 when
 * --config lacks its FILE. */
int opt_next_config(int argc, char **argv, int i, const char **path);

/* Is s a switch word?  *on gets its meaning. */
bool opt_switch_word(const char *s, bool *on);

#endif
