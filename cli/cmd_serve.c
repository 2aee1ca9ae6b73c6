/* cmd_serve.c — `ssrfguard serve`: the guarded fetch service. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backstop/reader.h"
#include "commands.h"
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "server/config.h"
#include "server/server.h"
#include "ssrfguard/guard.h"

/* The respond room's embedded responder (src/respond/embed.h), started
 * through the srv_responder hook of src/server/server.h. */
#include "respond/embed.h"

const opt_command serve_command = {
	.name = "serve",
	.synopsis = "[--config FILE] [OPTIONS]",
	.summary = "run the guarded fetch service (GET /go?url=...)",
	.about = "Run the guarded fetch service: GET /go?url=URL fetches URL for the caller unless "
	         "the guard blocks it; a blocked attempt answers 403 and is recorded as an incident "
	         "in the store before the answer leaves.  Also /healthz and /metrics, and with "
	         "--proxy-listen an egress proxy (docs/proxy.md).  SIGTERM or SIGINT drains "
	         "in-flight fetches (and the proxy's tunnels and requests, --proxy-drain-s) and "
	         "exits; SIGHUP reads the proxy's TLS files and CRLs again.  One event loop per "
	         "CPU (--workers), each also serving the proxy. "
	         "Under attack it stays up: client connections are capped below the descriptor "
	         "limit (the oldest idle one closed to make room, accepting paused rather than "
	         "spun), a pipelining client is not read while its answers wait, bodies and "
	         "unwritten answers share one budget (503 past it), a client that leaves cancels "
	         "its fetch, the service's own listeners are never fetched and a request carrying "
	         "its own Via mark is refused (508); repeated attempts are aggregated and the "
	         "store and the log are capped.",
	.opts = srvcfg_opts,
	.epilog = "Exit status: 0 after a clean drain (or a valid --check-config), 2 usage, "
	          "configuration or start-up error.\n\n"
	          "Environment: SSRFGUARD_STORE, AWS_EC2_METADATA_SERVICE_ENDPOINT, "
	          "AWS_EC2_METADATA_DISABLED, AWS_REGION, AWS_DEFAULT_REGION and, for --state-table "
	          "and the embedded responder, the standard AWS variables.  Proxy variables are ignored.  See "
	          "docs/serve.md.",
};

/* Every line serve writes on stderr is a JSON log line (logging.h), from
 * the first: what goes wrong before the service's own log exists (the
 * command line, the config files, the log file, the listeners, a TLS file)
 * is said on stderr in the same format.  Returns serve's exit status 2. */
static int start_error(const char *event, const char *message)
{
	logging_write(STDERR_FILENO, "error", event, message, NULL);
	return 2;
}

/* Remember the --config files: the embedded responder reads their
 * [respond] section. */
static sg_err keep_configs(srvcfg *cfg, int argc, char **argv)
{
	const char *path;
	int i = 0;
	while ((i = opt_next_config(argc, argv, i, &path)) > 0) {
		opt_list *l = &cfg->configs;
		char **v = realloc(l->v, (l->n + 1) * sizeof *v);
		if (!v)
			return SG_ERR_NOMEM;
		l->v = v;
		if (!(v[l->n] = strdup(path)))
			return SG_ERR_NOMEM;
		l->n++;
	}
	return SG_OK;
}

static int check_config(const srvcfg *cfg)
{
	char err[1024];
	if (srv_check_config(cfg, err, sizeof err) != SG_OK)
		return start_error("config", err);
	/* [respond] too, even with respond off: a respond daemon may read it. */
	if (respond_embedded_check(cfg, err, sizeof err) != SG_OK)
		return start_error("config", err);
	srvcfg_print(cfg, stdout);
	return 0;
}

static void raise_fd_limit(void)
{
	/* One descriptor per client and per upstream connection: use what the
	 * hard limit allows rather than the 1,024 soft default. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static sg_err start_backstop(srv *s, const srvcfg *cfg, const srv_identity *id, bs_reader **out)
{
	char err[1024];
	const srv_responder *resp = cfg->respond ? respond_embedded() : NULL;
	bs_reader_opts o = {.cfg = cfg, .instance_id = id->instance_id, .region = id->region,
	                    .az = id->az, .notify = resp ? resp->notify : NULL,
	                    .notify_ctx = resp ? resp->ctx : NULL,
	                    .log = strcmp(cfg->log, "-") ? NULL : stderr};
	sg_err e = bs_reader_start(&o, out, err, sizeof err);
	if (e != SG_OK)
		srv_log(s, "error", "backstop", err);
	return e;
}

static int run(const srvcfg *cfg)
{
	srv_identity id;
	srv *s = NULL;
	char err[1024];
	raise_fd_limit();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return start_error("start", "libcurl initialisation failed");
	int rc = 2;
	char warning[1024];
	srv_identity_resolve(cfg, &id, warning, sizeof warning);
	if (srv_new(cfg, &id, &s, err, sizeof err) != SG_OK) {
		if (warning[0])
			logging_write(STDERR_FILENO, "warning", "identity", warning, NULL);
		start_error("start", err);
	} else {
		if (warning[0]) /* the service's log exists now: JSON like every line */
			srv_log(s, "warning", "identity", warning);
		if (cfg->respond)
			srv_set_responder(s, respond_embedded());
		else if (cfg->deliver_to[0])
			srv_set_responder(s, respond_embedded_delivery());
		/* The kernel backstop's reports (src/backstop/reader.h), on a thread
		 * of their own; a metadata attempt wakes the embedded responder. */
		bs_reader *backstop = NULL;
		if (cfg->backstop.on && start_backstop(s, cfg, &id, &backstop) != SG_OK)
			rc = 2;
		else
			rc = srv_run(s) == SG_OK ? 0 : 2;
		bs_reader_stop(backstop);
		srv_free(s);
	}
	curl_global_cleanup();
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	srvcfg cfg;
	int rc = 2;

	if (srvcfg_init(&cfg) != SG_OK || keep_configs(&cfg, argc, argv) != SG_OK) {
		srvcfg_free(&cfg);
		return start_error("start", "out of memory");
	}
	cfg.cmd = &serve_command; /* SIGHUP reads `policy` and `rule` again */
	cfg.argc = argc;
	cfg.argv = argv;
	if (cmdline_begin_logged(&serve_command, &cfg, argc, argv, NULL, NULL, &rc))
		rc = cfg.check_config ? check_config(&cfg) : run(&cfg);
	srvcfg_free(&cfg);
	return rc;
}
