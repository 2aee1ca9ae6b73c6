/*
 * commands.h — the subcommands of the `ssrfguard` program.
 *
 * Each cmd_NAME receives argc/argv starting at its own name (argv[0] is
 * "check", "serve", ...) and returns the process exit status:
 * 0 success, 1 "the answer is no" (a URL was blocked, a check failed),
 * 2 usage or runtime error.  Each lives in cli/cmd_NAME.c, with its
 * opt_command NAME_command (lib/common/opt.h): the option table from which
 * its parsing, --help, the man page and the completions all come.
 */
#ifndef SSRFGUARD_CLI_COMMANDS_H
#define SSRFGUARD_CLI_COMMANDS_H

#include "common/opt.h"

int cmd_check(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_respond(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_forensics(int argc, char **argv);
int cmd_aws(int argc, char **argv);
int cmd_backstop(int argc, char **argv);

extern const opt_command check_command;
extern const opt_command serve_command;
extern const opt_command incidents_command;
extern const opt_command aws_command;
extern const opt_command forensics_command;
extern const opt_command backstop_command;
extern const opt_command respond_command; /* src/respond/respond_cli.c */
extern const opt_command backstop_command;

#endif
