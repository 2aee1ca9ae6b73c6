/*
 * cmdline.h — a command's options from its config file(s) and argv, and the
 * texts generated from its table (lib/common/opt.h): --help, the man page's
 * command section, bash and zsh completion.  Prefix: cmdline_.
 *
 * Typical use in cli/cmd_NAME.c:
 *
 *   myopts o = {0};
 *   if (opt_defaults(my_opts, &o, err, sizeof err)) ...      // table defaults
 *   ... environment-derived defaults ...
 *   rc = cmdline_parse(&my_cmd, &o, argc, argv, pos, &npos, err, sizeof err);
 *   if (rc == CMDLINE_HELP) { cmdline_help(&my_cmd, stdout); return 0; }
 *   if (rc == CMDLINE_ERROR) return cmdline_usage_error(&my_cmd, err);   // 2
 *
 * Files are read whole, at most CMDLINE_FILE_MAX bytes.
 */
#ifndef SSRFGUARD_OPT_CMDLINE_H
#define SSRFGUARD_OPT_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/opt.h"

#define CMDLINE_FILE_MAX (1 << 20)

enum { CMDLINE_OK = 0, CMDLINE_HELP = 1, CMDLINE_ERROR = -1 };

/*
 * Every --config FILE (in order), then every other argv option; positional
 * arguments land in pos (room for argc entries).  pos may be NULL for a
 * command that takes none (then one is an error).  Returns CMDLINE_OK,
 * CMDLINE_HELP or CMDLINE_ERROR (err says why).
 */
int cmdline_parse(const opt_command *cmd, void *dst, int argc, char **argv, const char **pos,
                  int *npos, char *err, size_t errlen);

/*
 * The AWS settings of every command that calls AWS (aws, respond,
 * incidents, dashboard, forensics): one table, which each command's table
 * includes under a heading of its own,
 *
 *   {.type = OPT_SECTION, .help = "AWS (release only)"},
 *   CMDLINE_AWS_ROWS(myopts, aws),
 *
 * with a cmdline_aws field `aws` in its settings struct (freed by opt_free
 * of the command's table).  NULL means "as the AWS SDKs do": the
 * environment, the shared files, instance metadata (src/aws/aws.h).
 */
typedef struct cmdline_aws {
	char *region, *profile, *endpoint_url, *ca_bundle;
} cmdline_aws;
extern const opt_def cmdline_aws_opts[];
/* The same rows but region (included by cmdline_aws_opts): for serve,
 * whose --region is already the instance's own (its --state-table is
 * reached in that region, with these), included as
 *   {.type = OPT_INCLUDE, .include = cmdline_aws_access_opts,
 *    .off = offsetof(settings, aws)}
 * (the cmdline_aws field's region stays NULL). */
extern const opt_def cmdline_aws_access_opts[];
#define CMDLINE_AWS_ROWS(settings, field) \
	{.type = OPT_INCLUDE, .include = cmdline_aws_opts, .off = offsetof(settings, field)}

/* The one default incident store of every command: $SSRFGUARD_STORE, else
 * CMDLINE_STORE_PATH. */
#define CMDLINE_STORE_PATH "/var/lib/ssrfguard/incidents.db"
const char *cmdline_default_store(void);

/*
 * The store's engine: one row, included by every command that opens the
 * store ({.type = OPT_INCLUDE, .include = cmdline_store_opts, .off =
 * offsetof(T, where)}): --state-table NAME (state-table = NAME), the
 * DynamoDB table of a fleet instead of the SQLite file (docs/fleet.md).
 */
typedef struct cmdline_store {
	char *state_table;   /* NULL: the SQLite store */
} cmdline_store;
extern const opt_def cmdline_store_opts[];

/* Apply one config file to dst (the command's section and shared names). */
sg_err cmdline_load(const opt_command *cmd, void *dst, const char *path, char *err,
                    size_t errlen);

/*
 * The start of every command: cmdline_parse, then --help printed (*rc = 0)
 * or the usage error printed (*rc = 2).  true: go on; false: exit with *rc.
 */
bool cmdline_begin(const opt_command *cmd, void *dst, int argc, char **argv, const char **pos,
                   int *npos, int *rc);

/*
 * cmdline_begin for a long-running command whose stderr is its JSON log
 * (serve, dashboard, backstop watch): the same, but a usage or config error
 * is one log line (cmdline_usage_error_logged), like every later line.
 * pos NULL: no positional arguments (one is an error).
 */
bool cmdline_begin_logged(const opt_command *cmd, void *dst, int argc, char **argv,
                          const char **pos, int *npos, int *rc);

/* The usage error as a log line on stderr (logging.h: {"ts","level":"error",
 * "event":"config","message":"ERR (ssrfguard NAME --help lists the
 * options)"}) — or, when stderr is a terminal (a person typed the command,
 * no log collector reads it), as cmdline_usage_error; returns 2. */
int cmdline_usage_error_logged(const opt_command *cmd, const char *err);

/* "ssrfguard NAME: ERR\nTry 'ssrfguard NAME --help'." on stderr; returns 2. */
int cmdline_usage_error(const opt_command *cmd, const char *err);

/* --help text. */
void cmdline_help(const opt_command *cmd, FILE *to);

/* The command's man page section (roff: .SS, .TP rows). */
void cmdline_man(const opt_command *cmd, FILE *to);

/* One command's completion data: bash `case` arm / zsh _arguments specs. */
void cmdline_bash(const opt_command *cmd, FILE *to);
void cmdline_zsh(const opt_command *cmd, FILE *to);

/* Text escaped for roff (backslashes, leading dots and quotes, dashes). */
void cmdline_roff(const char *text, FILE *to);

#endif
