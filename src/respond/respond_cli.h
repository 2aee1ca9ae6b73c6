/*
 * respond_cli.h — `ssrfguard respond` options: command line and config file
 * parsed into a respond_config (kept here, beside the responder, so the
 * parsing is unit-tested without running anything).  Prefix: respond_cli_.
 *
 * Every option is one row of respond_command's table (lib/common/opt.h):
 * `--name VALUE` on the command line, `name = value` under [respond] (or
 * shared, before any section) in the config file that serve's embedded
 * responder reads too, --help and the man page.  Values read from files are
 * owned by the respond_cli (respond_cli_free releases them).
 */
#ifndef SSRFGUARD_RESPOND_CLI_H
#define SSRFGUARD_RESPOND_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/opt.h"
#include "opt/cmdline.h"
#include "respond/deliver.h"
#include "respond/listen.h"
#include "respond/queue.h"
#include "respond/respond.h"

typedef struct respond_cli {
	respond_config cfg;
	const char *instance;
	int64_t incident;
	bool once, preflight, quiet, json;
	const char *listen;
	respond_listen_config listen_cfg;
	const char *derive_key;          /* --derive-key INSTANCE: print its key, exit */
	const char *deliver_to;          /* detector mode: --deliver-to URL */
	respond_deliver_config deliver_cfg;
	const char *queue;               /* --queue URL (SQS intake) */
	respond_queue_config queue_cfg;
	cmdline_store where;             /* --state-table */
	cmdline_aws aws;                 /* the shared AWS rows (src/opt/cmdline.h) */
	char **owned;      /* copies of every value (argv and files) */
	size_t n_owned;
} respond_cli;

/* The command: name, texts and option table (for --help and the man page). */
extern const opt_command respond_command;

void respond_cli_init(respond_cli *o);
void respond_cli_free(respond_cli *o);

/* argv (--config files first): 0 ok, 1 --help asked, -1 error (msg says
 * why).  The cross-option checks of respond_cli_check run at the end. */
int respond_cli_parse(respond_cli *o, int argc, char **argv, char *msg, size_t msglen);

/* Config text (the caller read it; fname names it in errors): 0 or -1. */
int respond_cli_parse_config(respond_cli *o, const char *text, size_t len, const char *fname,
                             char *msg, size_t msglen);

/* Apply one config file (the embedded responder: serve's --config files). */
int respond_cli_load(respond_cli *o, const char *path, char *msg, size_t msglen);

/* Checks between options (--listen needs its key and certificate, ...), that
 * --report-dir is (or, its parent existing, becomes) a writable directory,
 * and the derived settings of listener and delivery.  0 or -1. */
int respond_cli_check(respond_cli *o, char *msg, size_t msglen);

#endif
