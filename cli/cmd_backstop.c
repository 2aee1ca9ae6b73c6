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
#include "logging/logging.h"
#include "opt/cmdline.h"
#include "server/config.h"
#include "server/server.h"

/* backstop's own switches, then every serve setting (read from [serve]). */
typedef struct backstop_cli {
	srvcfg cfg;
	bool print, check;
} backstop_cli;

static const opt_def backstop_opts[] = {
	{.type = OPT_SWITCH, .name = "print", .dflt = "off", .off = offsetof(backstop_cli, print),
	 .flags = OPT_ARGV_ONLY, .help = "install: show the rules only"},
	{.type = OPT_SWITCH, .name = "check", .dflt = "off", .off = offsetof(backstop_cli, check),
	 .flags = OPT_ARGV_ONLY, .help = "install: let nft validate the rules, change nothing"},
	{.type = OPT_SECTION, .help = "The service's settings (serve's, from the [serve] section; "
	                              "the backstop rows at the end)"},
	{.type = OPT_INCLUDE, .include = srvcfg_opts, .off = offsetof(backstop_cli, cfg)},
	{.type = OPT_END},
};

const opt_command backstop_command = {
	.name = "backstop",
	.section = "serve",
	.synopsis = "install [--print | --check] [OPTIONS]\nremove\nstatus\nwatch [OPTIONS]",
	.summary = "kernel rules: nothing else on the host reaches metadata",
	.about = "The kernel backstop: an nftables table (inet " BS_TABLE ") that refuses, for the "
	         "app's users and cgroups, every cloud metadata and credential endpoint the guard "
	         "knows (IPv4, IPv6, IPv4 carried in IPv6), optionally the policy's denied ranges, "
	         "optionally all egress but the proxy and DNS.  The service's own user is exempt.  "
	         "Refusals are immediate (TCP reset, ICMP administratively prohibited).\n\n"
	         "install: replace or create the table in one transaction (--print: show the rules "
	         "only; --check: let nft validate them, change nothing).\n\n"
	         "remove: delete the table; nothing of it remains.\n\n"
	         "status: the rules with their counters, and whether a reader records refusals "
	         "(exit 1 when not installed).\n\n"
	         "watch: record each refusal as an attempt in the store (metadata ones open or join "
	         "an incident), one JSON line each on stdout, until SIGTERM; `ssrfguard serve "
	         "--backstop on` does the same inside the service.\n\n"
	         "Needs CAP_NET_ADMIN (watch: root, to read other processes' /proc).  Settings are "
	         "serve's, read from the [serve] section of the --config files.",
	.opts = backstop_opts,
	.epilog = "Exit status: 0 done (status: installed), 1 status: not installed, 2 usage error, "
	          "or the kernel, nft or the store refused (nothing was changed; watch: a refusal "
	          "could not be recorded).  watch's stderr is its JSON log, usage errors included.  "
	          "See docs/backstop.md.",
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

/* The NFLOG group the installed table logs to (nft lists a log statement
 * as `log prefix "..." group N`: the table's own, which may differ from
 * the configuration's).  False when the listing names none. */
static bool listed_group(const char *listing, unsigned *group)
{
	static const char key[] = " group ";
	const char *p = strstr(listing, key);
	char *end = NULL;
	unsigned long g = p ? strtoul(p + strlen(key), &end, 10) : 0;
	if (!p || end == p + strlen(key) || g > 65535)
		return false;
	*group = (unsigned)g;
	return true;
}

/* What status can say of the refusals' recording: only that some process
 * holds the installed table's NFLOG group, not which one. */
static void say_recording(const char *listing, unsigned configured)
{
	unsigned q;
	if (!listed_group(listing, &q)) {
		printf("backstop: the installed table logs to no NFLOG group: refusals are enforced but "
		       "not recorded\n");
		return;
	}
	if (bs_group_bound(q))
		printf("backstop: a process holds NFLOG group %u, the installed table's (which process is "
		       "not checked: refusals are recorded if it is `ssrfguard backstop watch` or `serve "
		       "--backstop on`)\n", q);
	else
		printf("backstop: no process holds NFLOG group %u, the installed table's: refusals are "
		       "enforced but not recorded (run `ssrfguard backstop watch` or `serve --backstop "
		       "on`)\n", q);
	if (q != configured)
		printf("backstop: the configuration says NFLOG group %u, the installed table %u: a reader "
		       "started now listens on the other group (install again)\n", configured, q);
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
	printf("\nbackstop: installed; %llu packets refused so far\n", refused_packets(text));
	say_recording(text, (unsigned)cfg->backstop.group);
	free(text);
	return 0;
}

static int do_watch(const srvcfg *cfg)
{
	char err[1024];
	srv_identity id;
	srv_identity_resolve(cfg, &id, err, sizeof err);
	if (err[0])
		logging_emitf("warning", "identity", "%s", err);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the reader thread inherits this */
	bs_reader_opts o = {.cfg = cfg, .instance_id = id.instance_id, .region = id.region,
	                    .az = id.az, .log = stdout};
	bs_reader *r = NULL;
	if (bs_reader_start(&o, &r, err, sizeof err) != SG_OK) {
		logging_emitf("error", "backstop", "%s", err);
		return 2;
	}
	logging_emitf("info", "watching", "watching NFLOG group %lld, recording into %s",
	              (long long)cfg->backstop.group, cfg->store);
	int sig = 0;
	sigwait(&set, &sig);
	bs_reader_stats s;
	bs_reader_stats_get(r, &s);
	bs_reader_stop(r);
	logging_emitf(s.store_errors ? "error" : "info", "stopped",
	              "%llu reports, %llu recorded, %llu coalesced, %llu with their process, "
	              "%llu store errors",
	              (unsigned long long)s.packets, (unsigned long long)s.recorded,
	              (unsigned long long)s.coalesced, (unsigned long long)s.owners_found,
	              (unsigned long long)s.store_errors);
	return s.store_errors ? 2 : 0;
}

/* watch is a service: its stderr is its JSON log from the first line, a
 * usage error included (as serve's and the dashboard's); the others speak
 * to people.  A command line naming watch anywhere is watch's. */
static bool names_watch(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "watch"))
			return true;
	return false;
}

static int usage_error(bool logged, const char *err)
{
	return logged ? cmdline_usage_error_logged(&backstop_command, err)
	              : cmdline_usage_error(&backstop_command, err);
}

static int run(const backstop_cli *b, const char *sub, bool logged)
{
	if ((b->print || b->check) && strcmp(sub, "install"))
		return usage_error(logged, "--print and --check only with install");
	if (!strcmp(sub, "install"))
		return do_install(&b->cfg, b->print, b->check);
	if (!strcmp(sub, "remove"))
		return do_remove();
	if (!strcmp(sub, "status"))
		return do_status(&b->cfg);
	if (!strcmp(sub, "watch"))
		return do_watch(&b->cfg);
	return usage_error(logged, "want one of install, remove, status, watch");
}

int cmd_backstop(int argc, char **argv)
{
	backstop_cli b = {0};
	int npos = 0, rc = 2;
	bool logged = names_watch(argc, argv);
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	if (!pos || srvcfg_init(&b.cfg) != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: out of memory\n");
		free(pos);
		return 2;
	}
	bool go = logged ? cmdline_begin_logged(&backstop_command, &b, argc, argv, pos, &npos, &rc)
	                 : cmdline_begin(&backstop_command, &b, argc, argv, pos, &npos, &rc);
	char err[128];
	if (go && npos > 1) {
		snprintf(err, sizeof err, "unexpected argument '%.64s'", pos[1]);
		rc = usage_error(logged, err);
	} else if (go && b.cfg.check_config) {   /* serve's row: here it would check nothing */
		rc = usage_error(logged, "--check-config is serve's; `backstop install --check` lets nft "
		                         "validate the rules");
	} else if (go)
		rc = npos == 1 ? run(&b, pos[0], logged)
		               : usage_error(logged, "want one of install, remove, status, watch");
	srvcfg_free(&b.cfg);
	free(pos);
	return rc;
}
