/* cmd_serve.c — `ssrfguard serve`: the guarded fetch service. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "backstop/reader.h"
#include "commands.h"
#include "server/config.h"
#include "server/server.h"

/* The respond room's embedded responder (src/respond/embed.h), started
 * through the srv_responder hook of src/server/server.h. */
#include "respond/embed.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: ssrfguard serve [--config FILE] [--OPTION VALUE]...\n\n"
	        "Run the guarded fetch service: GET /go?url=URL fetches URL for the caller\n"
	        "unless the guard blocks it; a blocked attempt answers 403 and is recorded as\n"
	        "an incident in the store before the answer leaves.  Also /healthz, /metrics.\n"
	        "Every option may also be set as `name = value` in the config file; flags\n"
	        "override the file.  SIGTERM or SIGINT drains in-flight fetches and exits.\n\n"
	        "options:\n");
	srvcfg_usage(to);
	fprintf(to, "\nenvironment: AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED,\n"
	            "AWS_REGION, AWS_DEFAULT_REGION.  Proxy variables are ignored.\n"
	            "See docs/serve.md and ssrfguard(1).\n");
}

int cmd_serve(int argc, char **argv)
{
	srvcfg cfg;
	srv_identity id;
	srv *s = NULL;
	char err[1024];
	int help = 0, rc = 2;

	if (srvcfg_init(&cfg) != SG_OK) {
		fprintf(stderr, "ssrfguard serve: out of memory\n");
		return 2;
	}
	if (srvcfg_args(&cfg, argc, argv, &help, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard serve: %s\n(see ssrfguard serve --help)\n", err);
		goto out;
	}
	if (help) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	/* One descriptor per client and per upstream connection: use what the
	 * hard limit allows rather than the 1,024 soft default. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ssrfguard serve: libcurl initialisation failed\n");
		goto out;
	}
	srv_identity_resolve(&cfg, &id, err, sizeof err);
	if (err[0])
		fprintf(stderr, "ssrfguard serve: warning: %s\n", err);
	if (srv_new(&cfg, &id, &s, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard serve: %s\n", err);
		goto out_curl;
	}
	if (cfg.respond)
		srv_set_responder(s, respond_embedded());
	/* The kernel backstop's reports (src/backstop/reader.h), on a thread of
	 * their own; a metadata attempt wakes the embedded responder. */
	bs_reader *backstop = NULL;
	if (cfg.backstop.on) {
		bs_reader_opts bo = {.cfg = &cfg, .instance_id = id.instance_id, .region = id.region,
		                     .az = id.az, .notify = cfg.respond ? respond_embedded()->notify : NULL,
		                     .notify_ctx = cfg.respond ? respond_embedded()->ctx : NULL,
		                     .log = strcmp(cfg.log, "-") ? NULL : stderr};
		if (bs_reader_start(&bo, &backstop, err, sizeof err) != SG_OK) {
			fprintf(stderr, "ssrfguard serve: backstop: %s\n", err);
			srv_free(s);
			goto out_curl;
		}
	}
	rc = srv_run(s) == SG_OK ? 0 : 2;
	bs_reader_stop(backstop);
	srv_free(s);
out_curl:
	curl_global_cleanup();
out:
	srvcfg_free(&cfg);
	return rc;
}
