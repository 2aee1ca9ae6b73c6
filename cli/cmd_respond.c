/* cmd_respond.c — `ssrfguard respond`: contain and preserve instances. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common/escape.h"
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "playbook/sign.h"
#include "respond/deliver.h"
#include "respond/listen.h"
#include "respond/respond.h"
#include "respond/respond_cli.h"
#include "store/store.h"

static atomic_int stop_flag;   /* set by the signal handler, read by every thread */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may store only a lock-free atomic");

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

/* A progress line on the operator's terminal: it may quote the victim's
 * or the forensic host's text, escaped by the step; whatever is not
 * printable all the same is escaped here (common/escape.h): nothing is
 * left to the terminal to interpret. */
static void print_progress(void *ctx, int64_t incident, const char *line)
{
	(void)ctx;
	char ts[16], shown[1024];
	snprintf(shown, sizeof shown, "%s", line);
	sg_text_settle(shown, sizeof shown);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	printf("%s INC-%lld %s\n", ts, (long long)incident, shown);
	fflush(stdout);
}

/* --json and the long-running modes: one JSON line a step (logging.h),
 * {"ts","level","event":"progress","message":LINE,"incident":"INC-N"}. */
static void print_progress_json(void *ctx, int64_t incident, const char *line)
{
	(void)ctx;
	char name[32];
	respond_incident_name(incident, name, sizeof name);
	json_t *f = json_pack("{s:s}", "incident", name);
	logging_write(STDOUT_FILENO, "info", "progress", line, f);
	json_decref(f);
}

/* The responder's messages as JSON lines on stderr. */
static void log_json(void *ctx, const char *level, const char *message)
{
	(void)ctx;
	logging_write(STDERR_FILENO, level, "respond", message, NULL);
}

/* An operator's one-shot run without --json: "ssrfguard respond: ...". */
static void log_text(void *ctx, const char *level, const char *message)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "ssrfguard respond: %s\n", message);
}

/* A message for the operator: a JSON line with --json, else
 * "ssrfguard respond: ..." on stderr. */
static void say(const respond_cli *o, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(const respond_cli *o, const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (o->json)
		log_json(NULL, level, msg);
	else
		fprintf(stderr, "ssrfguard respond: %s\n", msg);
}

static void on_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* "INC-7 held by ... for N more seconds": exit 3. */
static int held_elsewhere(const respond_cli *o, int64_t id)
{
	char msg[512];
	store *st = NULL;
	store_incident inc = {0};
	if (respond_store_open(&o->cfg, NULL, &st, msg, sizeof msg) == SG_OK &&
	    store_get(st, id, &inc) == SG_OK) {
		/* the owner is any responder's text in a shared store: escaped, and
		 * offered as an argument only when it needs no quoting */
		char owner[256];
		sg_text_clean(owner, sizeof owner, inc.lease_owner, strlen(inc.lease_owner));
		bool plain = owner[0] && owner[strspn(owner, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
		                                             "opqrstuvwxyz0123456789:._@/-")] == '\0';
		long long left = (long long)(inc.lease_until_ms - (int64_t)time(NULL) * 1000) / 1000;
		say(o, "error", "INC-%lld is held by %s for %lld more second(s); run "
		        "again then (a killed run's lease expires), or with --owner %s if that "
		        "run is dead",
		        (long long)id, owner, left > 0 ? left : 0,
		        plain ? owner : "set to that owner (quoted for your shell)");
		store_incident_free(&inc);
	} else
		say(o, "error", "INC-%lld: %s", (long long)id,
		        sg_strerror(SG_ERR_BUSY));
	store_close(st);
	return 3;
}

/* The incident's report, if this run wrote it (or, since < 0, if it exists:
 * a run that found the work done writes none).  path is filled either way. */
static bool report_written(responder *r, int64_t id, time_t since, char *path, size_t cap)
{
	struct stat sb;
	if (respond_report_path(r, id, "md", path, cap) != SG_OK || !path[0])
		return false;
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_mtime >= since)
		return true;
	return false;
}

static int print_result(responder *r, const respond_cli *o, int64_t id, const char *outcome,
                        time_t since)
{
	char path[4096];
	bool earlier = !strcmp(outcome, "merged") || !strcmp(outcome, "already contained");
	bool wrote = report_written(r, id, earlier ? -1 : since, path, sizeof path);
	int status = earlier || !strcmp(outcome, "contained") || !strcmp(outcome, "observed") ? 0 : 1;
	if (o->cfg.report_dir && !wrote && !earlier) {
		say(o, "error", "INC-%lld: the report was not written to %s (see `ssrfguard incidents "
		    "show %lld`)", (long long)id, o->cfg.report_dir, (long long)id);
		status = 1;
	}
	if (o->json) {
		char name[32];
		respond_incident_name(id, name, sizeof name);
		json_t *j = json_pack("{s:s,s:s,s:s?}", "incident", name, "outcome", outcome, "report",
		                      wrote ? path : NULL);
		char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(j);
	} else {
		printf("INC-%lld %s\n", (long long)id, outcome);
		if (wrote)
			printf("report: %s\n", path);
	}
	return status;
}

/* --instance or --incident: run one incident now. */
static int run_one(responder *r, const respond_cli *o)
{
	char msg[512], outcome[32] = "";
	int64_t id = o->incident;
	time_t since = time(NULL);
	sg_err err = SG_OK;
	if (o->instance) {
		err = respond_open_claimed(r, o->instance, o->cfg.region, "respond --instance", &id);
		if (err == SG_ERR_BUSY)
			return held_elsewhere(o, id);
		if (err && err != SG_ERR_STATE) {
			say(o, "error", "cannot open an incident: %s", sg_strerror(err));
			return 2;
		}
	}
	err = respond_run_incident(r, id, outcome, sizeof outcome);
	if (err == SG_ERR_STATE && o->instance) {
		/* the instance's incident had failed (or was only observed): an
		 * operator asking again means "run it again" */
		char actor[96];
		const char *u = getenv("USER");
		snprintf(actor, sizeof actor, "operator:%s", u && *u ? u : "unknown");
		if (respond_retry(r, id, actor, msg, sizeof msg) == SG_OK)
			err = respond_run_incident(r, id, outcome, sizeof outcome);
	}
	if (err == SG_ERR_BUSY)
		return held_elsewhere(o, id);
	if (err) {
		say(o, "error", "INC-%lld: %s", (long long)id, sg_strerror(err));
		return 1;
	}
	return print_result(r, o, id, outcome, since);
}

/* The daemon: claim open incidents (and take signed ones with --listen). */
static int run_daemon(responder *r, respond_cli *o)
{
	char msg[512];
	respond_listener *l = NULL;
	on_stop_signals();
	if (o->listen) {
		logging_libevent_to_stderr(); /* the listener's libevent speaks in our log */
		if (respond_listen_start(&o->listen_cfg, &l, msg, sizeof msg)) {
			say(o, "error", "--listen: %s", msg);
			return 2;
		}
		respond_log(&o->cfg, "info", "listening on %s", o->listen);
	}
	respond_queue *q = NULL;
	if (o->queue) {
		if (respond_queue_start(&o->queue_cfg, &q, msg, sizeof msg)) {
			say(o, "error", "--queue: %s", msg);
			respond_listen_stop(l);
			return 2;
		}
		respond_log(&o->cfg, "info", "taking incidents from %s", o->queue);
	}
	sg_err err = respond_loop(r, &stop_flag, o->once && !o->listen && !o->queue);
	respond_queue_stop(q);
	respond_listen_stop(l);
	return err ? 1 : 0;
}

static int run_deliver(respond_cli *o)
{
	char msg[512];
	on_stop_signals();
	sg_err err = respond_deliver_loop(&o->deliver_cfg, &stop_flag, o->once, msg, sizeof msg);
	if (err)
		say(o, "error", "--deliver-to: %s", msg);
	return err ? 2 : 0;
}

static int run(respond_cli *o)
{
	char msg[512];
	responder *r = NULL;
	if (o->deliver_to)
		return run_deliver(o); /* the detector side: no AWS but SQS */
	if (respond_new(&o->cfg, &r, msg, sizeof msg)) {
		say(o, "error", "%s", msg);
		return 2;
	}
	int status;
	/* Setup first: a responder that cannot work records nothing. */
	if (respond_setup_check(r, msg, sizeof msg) != SG_OK) {
		say(o, "error", "%s", msg);
		status = 2;
	} else if (o->preflight)
		status = respond_preflight(r, o->instance, stdout, o->json) == SG_OK ? 0 : 1;
	else if (o->instance || o->incident)
		status = run_one(r, o);
	else
		status = run_daemon(r, o);
	respond_free(r);
	return status;
}

/* --derive-key: the detector's key on stdout, for its --key-file. */
static int run_derive_key(const respond_cli *o)
{
	uint8_t master[RESPOND_KEY_MAX];
	size_t len = 0;
	char msg[300], key[65];
	sg_err err = respond_key_read(o->listen_cfg.key_file, master, &len, msg, sizeof msg);
	if (!err && (err = rsig_derive_key(master, len, o->derive_key, key)))
		snprintf(msg, sizeof msg, "cannot derive the key: %s", sg_strerror(err));
	OPENSSL_cleanse(master, sizeof master);
	if (err) {
		fprintf(stderr, "ssrfguard respond: --derive-key: %s\n", msg);
		return 2;
	}
	printf("%s\n", key);
	OPENSSL_cleanse(key, sizeof key);
	return fflush(stdout) ? 1 : 0;
}

int cmd_respond(int argc, char **argv)
{
	respond_cli o;
	respond_cli_init(&o);
	char msg[512];
	int rc = respond_cli_parse(&o, argc, argv, msg, sizeof msg);
	if (rc == 1) {
		cmdline_help(&respond_command, stdout);
		rc = 0;
	} else if (rc) /* a daemon's stderr is its JSON log from the first line */
		rc = o.json || o.deliver_to || (!o.instance && !o.incident && !o.preflight)
		             ? cmdline_usage_error_logged(&respond_command, msg)
		             : cmdline_usage_error(&respond_command, msg);
	else if (o.derive_key)
		rc = run_derive_key(&o);
	else {
		/* a daemon (and the detector's delivery) logs JSON lines only */
		if (o.deliver_to || (!o.instance && !o.incident && !o.preflight))
			o.json = true;
		if (!o.quiet) {
			o.cfg.progress = o.json ? print_progress_json : print_progress;
			o.cfg.progress_ctx = NULL;
		}
		o.cfg.log = o.json ? log_json : log_text;
		curl_global_init(CURL_GLOBAL_DEFAULT); /* before any worker thread */
		rc = run(&o);
		curl_global_cleanup();
	}
	respond_cli_free(&o);
	return rc;
}
