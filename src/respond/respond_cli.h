/*
 * respond_cli.h — `ssrfguard respond` options: command line and config file
 * parsed into a respond_config (kept here, beside the responder, so the
 * parsing is unit-tested without running anything).  Prefix: respond_cli_.
 *
 * Config file: one option per line, "name value" (the long option name
 * without "--"); flags stand alone; '#' starts a comment; blank lines are
 * ignored.  Lines are at most 4096 bytes, the file at most 1 MiB.
 * Command-line options given after --config override it.
 */
#ifndef SSRFGUARD_RESPOND_CLI_H
#define SSRFGUARD_RESPOND_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "respond/deliver.h"
#include "respond/listen.h"
#include "respond/respond.h"

typedef struct respond_cli {
	respond_config cfg;
	const char *instance;
	int64_t incident;
	bool once, preflight, quiet;
	const char *listen;
	respond_listen_config listen_cfg;
	const char *deliver_to;          /* detector mode: --deliver-to URL */
	respond_deliver_config deliver_cfg;
	char **owned;      /* strings read from config files */
	size_t n_owned;
} respond_cli;

void respond_cli_init(respond_cli *o);
void respond_cli_free(respond_cli *o);

/* 0 ok, 1 --help asked, -1 error (msg says why). */
int respond_cli_parse(respond_cli *o, int argc, char **argv, char *msg, size_t msglen);

/* Parse config text (not a file: the caller read it). */
int respond_cli_parse_config(respond_cli *o, const char *text, size_t len, char *msg, size_t msglen);

#endif
