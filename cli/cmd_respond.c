/* cmd_respond.c — `ssrfguard respond`: contain and preserve instances. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "opt/cmdline.h"
#include "respond/deliver.h"
#include "respond/listen.h"
#include "respond/respond.h"
#include "respond/respond_cli.h"
#include "store/store.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void print_progress(void *ctx, int64_t incident, const char *line)
{
	(void)ctx;
	char ts[16];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	printf("%s INC-%lld %s\n", ts, (long long)incident, line);
	fflush(stdout);
}

int cmd_respond(int argc, char **argv)
{
	respond_cli o;
	respond_cli_init(&o);
	char msg[512];
	int rc = respond_cli_parse(&o, argc, argv, msg, sizeof msg);
	if (rc == 1) {
		cmdline_help(&respond_command, stdout);
		respond_cli_free(&o);
		return 0;
	}
	if (rc) {
		respond_cli_free(&o);
		return cmdline_usage_error(&respond_command, msg);
	}
	if (!o.quiet) {
		o.cfg.progress = print_progress;
		o.cfg.progress_ctx = NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any worker thread */
	responder *r = NULL;
	if (respond_new(&o.cfg, &r, msg, sizeof msg)) {
		fprintf(stderr, "ssrfguard respond: %s\n", msg);
		respond_cli_free(&o);
		return 2;
	}
	int status = 0;
	if (o.deliver_to) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sg_err err = respond_deliver_loop(&o.deliver_cfg, &stop_flag, o.once, msg, sizeof msg);
		if (err)
			fprintf(stderr, "ssrfguard respond: --deliver-to: %s\n", msg);
		status = err ? 2 : 0;
	} else if (o.preflight) {
		sg_err err = respond_preflight(r, o.instance, stdout);
		status = err == SG_OK ? 0 : 1;
	} else if (o.instance || o.incident) {
		int64_t id = o.incident;
		sg_err err = SG_OK;
		if (o.instance) {
			err = respond_open_manual(r, o.instance, o.cfg.region, "respond --instance", &id);
			if (err)
				fprintf(stderr, "ssrfguard respond: cannot open an incident: %s\n", sg_strerror(err));
		}
		char outcome[32] = "";
		if (!err)
			err = respond_run_incident(r, id, outcome, sizeof outcome);
		if (err == SG_ERR_STATE && o.instance) {
			/* the instance's incident had failed (or was only observed): an
			 * operator asking again means "run it again" */
			char actor[96];
			const char *u = getenv("USER");
			snprintf(actor, sizeof actor, "operator:%s", u && *u ? u : "unknown");
			if (respond_retry(r, id, actor, msg, sizeof msg) == SG_OK)
				err = respond_run_incident(r, id, outcome, sizeof outcome);
		}
		if (err == SG_ERR_BUSY) {
			/* another responder (or a killed run of this one) holds the lease */
			store *st = NULL;
			store_incident inc = {0};
			if (store_open(o.cfg.store_path, NULL, &st, msg, sizeof msg) == SG_OK &&
			    store_get(st, id, &inc) == SG_OK) {
				long long left = (long long)(inc.lease_until_ms - (int64_t)time(NULL) * 1000) / 1000;
				fprintf(stderr,
				        "ssrfguard respond: INC-%lld is held by %s for %lld more second(s); run "
				        "again then (a killed run's lease expires), or with --owner %s if that "
				        "run is dead\n",
				        (long long)id, inc.lease_owner, left > 0 ? left : 0, inc.lease_owner);
				store_incident_free(&inc);
			} else
				fprintf(stderr, "ssrfguard respond: INC-%lld: %s\n", (long long)id, sg_strerror(err));
			store_close(st);
			status = 3;
		} else if (err) {
			fprintf(stderr, "ssrfguard respond: INC-%lld: %s\n", (long long)id, sg_strerror(err));
			status = 1;
		} else {
			printf("INC-%lld %s\n", (long long)id, outcome);
			if (o.cfg.report_dir)
				printf("report: %s/INC-%lld.md\n", o.cfg.report_dir, (long long)id);
			status = !strcmp(outcome, "contained") || !strcmp(outcome, "observed") ||
			                 !strcmp(outcome, "merged") || !strcmp(outcome, "already contained")
			                 ? 0
			                 : 1;
		}
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		respond_listener *l = NULL;
		if (o.listen) {
			if (respond_listen_start(&o.listen_cfg, &l, msg, sizeof msg)) {
				fprintf(stderr, "ssrfguard respond: --listen: %s\n", msg);
				respond_free(r);
				respond_cli_free(&o);
				return 2;
			}
			fprintf(stderr, "respond: listening on %s\n", o.listen);
		}
		sg_err err = respond_loop(r, &stop_flag, o.once && !o.listen);
		respond_listen_stop(l);
		status = err ? 1 : 0;
	}
	respond_free(r);
	respond_cli_free(&o);
	return status;
}
