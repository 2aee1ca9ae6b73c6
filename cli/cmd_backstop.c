/* cmd_backstop.c — `ssrfguard backstop install | remove | status | watch`:
 * the kernel backstop (src/backstop/backstop.h, docs/backstop.md). */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backstop/backstop.h"
#include "backstop/reader.h"
#include "commands.h"
#include "opt/cmdline.h"
#include "server/config.h"
#include "server/server.h"

typedef struct bs_args {
	bool print, check;
} bs_args;

#define AT(f) .off = offsetof(bs_args, f)
static const opt_def bs_opts[] = {
	{.type = OPT_SWITCH, .name = "print", .dflt = "off", AT(print), .flags = OPT_ARGV_ONLY,
	 .help = "install: print the nft script, change nothing"},
	{.type = OPT_SWITCH, .name = "check", .dflt = "off", AT(check), .flags = OPT_ARGV_ONLY,
	 .help = "install: let nft validate the rules (a dry run), change nothing"},
	{.type = OPT_END},
};
#undef AT

const opt_command backstop_command = {
	.name = "backstop",
	.synopsis = "install [--print | --check] [--config FILE]...\n"
	            "remove\n"
	            "status [--config FILE]...\n"
	            "watch [--config FILE]...",
	.summary = "kernel rules: nothing else on the host reaches the metadata service",
	.about = "The kernel backstop: one nftables table (inet " BS_TABLE ") that refuses, for "
	         "the app's users and cgroups, every cloud metadata and credential endpoint of the "
	         "guard's table over IPv4, IPv6 and IPv4 carried in IPv6; optionally the policy's "
	         "denied ranges; optionally all egress but the proxy and DNS.  The service's own user "
	         "is exempt.  TCP is refused with a reset, anything else with ICMP administratively "
	         "prohibited.\n\n"
	         "install: replace or create the table in one transaction (all or nothing; installing "
	         "twice is harmless).\n\n"
	         "remove: delete the table; nothing of it remains.\n\n"
	         "status: the rules with their counters, and whether a reader records refusals.\n\n"
	         "watch: record each refusal as an attempt in the store, naming the process (metadata "
	         "attempts open or join an incident that asks for containment), one JSON line each on "
	         "stdout, until SIGTERM; `serve` with `backstop = on` does the same inside the "
	         "service.\n\n"
	         "Its settings are serve's, read from the [serve] section of the --config files: "
	         "backstop-user, backstop-cgroup, backstop-service-user, backstop-deny-policy, "
	         "backstop-egress, backstop-proxy, backstop-dns, backstop-group, backstop-rate, and "
	         "listen, store, policy, rule, contain, instance-id, region, az, imds (ssrfguard serve "
	         "--help).",
	.opts = bs_opts,
	.epilog = "Exit status: 0 done; status 1 when not installed; 2 error (nothing was changed).  "
	          "Needs CAP_NET_ADMIN; watch also reads other processes' /proc (root).  See "
	          "docs/backstop.md.",
	.words = "install remove status watch",
};

/* Sum of "counter packets N" in nft's listing: every counter of the table
 * is on a refusing rule (lib/backstop/rules.h). */
static unsigned long long refused_packets(const char *listing)
{
	const char *p = listing;
	unsigned long long total = 0;
	while ((p = strstr(p, "counter packets "))) {
		p += strlen("counter packets ");
		total += strtoull(p, NULL, 10);
	}
	return total;
}

static int do_install(const srvcfg *cfg, int print, int check)
{
	char err[1024], *script = NULL;
	bs_stats st;
	if (bs_script(cfg, &script, &st, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\n", err);
		return 2;
	}
	if (print) {
		fputs(script, stdout);
		free(script);
		return 0;
	}
	sg_err e = bs_nft_apply(script, check, err, sizeof err);
	free(script);
	if (e != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\nnothing was changed\n", err);
		return 2;
	}
	if (check) {
		printf("backstop: the rules are valid (nothing installed)\n");
		return 0;
	}
	printf("backstop: installed table inet " BS_TABLE ": %zu refusing rules; refusals are "
	       "reported to NFLOG group %lld\n",
	       st.rules, (long long)cfg->backstop.group);
	if (st.names_skipped)
		printf("backstop: %zu name rule(s) of the policy cannot be enforced on packets "
		       "(the guard still enforces them)\n",
		       st.names_skipped);
	return 0;
}

static int do_remove(void)
{
	char err[1024];
	sg_err e = bs_nft_remove(err, sizeof err);
	if (e == SG_ERR_NOTFOUND) {
		printf("backstop: not installed; nothing to remove\n");
		return 0;
	}
	if (e != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\n", err);
		return 2;
	}
	printf("backstop: removed table inet " BS_TABLE "\n");
	return 0;
}

static int do_status(const srvcfg *cfg)
{
	char err[1024], *text = NULL;
	sg_err e = bs_nft_list(&text, err, sizeof err);
	if (e == SG_ERR_NOTFOUND) {
		printf("backstop: not installed\n");
		return 1;
	}
	if (e != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\n", err);
		return 2;
	}
	fputs(text, stdout);
	unsigned q = (unsigned)cfg->backstop.group;
	printf("\nbackstop: installed; %llu packets refused so far\n", refused_packets(text));
	if (bs_group_bound(q))
		printf("backstop: a reader records refusals (NFLOG group %u is bound)\n", q);
	else
		printf("backstop: no reader holds NFLOG group %u: refusals are enforced but not recorded "
		       "(run `ssrfguard backstop watch` or `serve --backstop on`)\n", q);
	free(text);
	return 0;
}

static int do_watch(const srvcfg *cfg)
{
	char err[1024];
	srv_identity id;
	srv_identity_resolve(cfg, &id, err, sizeof err);
	if (err[0])
		fprintf(stderr, "ssrfguard backstop: warning: %s\n", err);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the reader thread inherits this */
	bs_reader_opts o = {.cfg = cfg, .instance_id = id.instance_id, .region = id.region,
	                    .az = id.az, .log = stdout};
	bs_reader *r = NULL;
	if (bs_reader_start(&o, &r, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\n", err);
		return 2;
	}
	fprintf(stderr, "ssrfguard backstop: watching NFLOG group %lld, recording into %s\n",
	        (long long)cfg->backstop.group, cfg->store);
	int sig = 0;
	sigwait(&set, &sig);
	bs_reader_stats s;
	bs_reader_stats_get(r, &s);
	bs_reader_stop(r);
	fprintf(stderr, "ssrfguard backstop: stopped: %llu reports, %llu recorded, %llu coalesced, "
	                "%llu with their process, %llu store errors\n",
	        (unsigned long long)s.packets, (unsigned long long)s.recorded,
	        (unsigned long long)s.coalesced, (unsigned long long)s.owners_found,
	        (unsigned long long)s.store_errors);
	return s.store_errors ? 2 : 0;
}

/* serve's settings from the [serve] section of every --config file. */
static sg_err service_settings(srvcfg *cfg, int argc, char **argv, char *err, size_t errlen)
{
	const char *path;
	int i = 0;
	while ((i = opt_next_config(argc, argv, i, &path)) > 0) {
		sg_err e = cmdline_load(&serve_command, cfg, path, err, errlen);
		if (e != SG_OK)
			return e;
	}
	return SG_OK;
}

int cmd_backstop(int argc, char **argv)
{
	bs_args a = {0};
	srvcfg cfg;
	char err[1024];
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int npos = 0, rc = 2;
	if (!pos || srvcfg_init(&cfg) != SG_OK) {
		free(pos);
		return 2;
	}
	int p = cmdline_parse(&backstop_command, &a, argc, argv, pos, &npos, err, sizeof err);
	const char *sub = npos > 0 ? pos[0] : "";
	if (p == CMDLINE_HELP) {
		cmdline_help(&backstop_command, stdout);
		rc = 0;
	} else if (p == CMDLINE_ERROR) {
		rc = cmdline_usage_error(&backstop_command, err);
	} else if (npos != 1 || ((a.print || a.check) && strcmp(sub, "install"))) {
		rc = cmdline_usage_error(&backstop_command, "want one of install, remove, status, watch "
		                                            "(--print and --check only with install)");
	} else if (service_settings(&cfg, argc, argv, err, sizeof err) != SG_OK) {
		rc = cmdline_usage_error(&backstop_command, err);
	} else if (!strcmp(sub, "install")) {
		rc = do_install(&cfg, a.print, a.check);
	} else if (!strcmp(sub, "remove")) {
		rc = do_remove();
	} else if (!strcmp(sub, "status")) {
		rc = do_status(&cfg);
	} else if (!strcmp(sub, "watch")) {
		rc = do_watch(&cfg);
	} else {
		rc = cmdline_usage_error(&backstop_command, "unknown subcommand (install, remove, "
		                                            "status, watch)");
	}
	srvcfg_free(&cfg);
	free(pos);
	return rc;
}
