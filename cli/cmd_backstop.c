/* cmd_backstop.c — `ssrfguard backstop install | remove | status | watch`:
 * the kernel backstop (src/backstop/backstop.h, docs/backstop.md). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backstop/backstop.h"
#include "backstop/reader.h"
#include "commands.h"
#include "opt/cmdline.h"
#include "server/config.h"
#include "server/server.h"

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: ssrfguard backstop install [--print | --check] [--config FILE] [--OPTION VALUE]...\n"
	        "       ssrfguard backstop remove\n"
	        "       ssrfguard backstop status\n"
	        "       ssrfguard backstop watch [--config FILE] [--OPTION VALUE]...\n\n"
	        "The kernel backstop: an nftables table (inet " BS_TABLE ") that refuses, for the\n"
	        "app's users and cgroups, every cloud metadata and credential endpoint the guard\n"
	        "knows (IPv4, IPv6, IPv4 carried in IPv6), optionally the policy's denied ranges,\n"
	        "optionally all egress but the proxy and DNS.  The service's own user is exempt.\n"
	        "Refusals are immediate (TCP reset, ICMP administratively prohibited).\n\n"
	        "  install   replace or create the table in one transaction (--print: show the\n"
	        "            rules only; --check: let nft validate them, change nothing)\n"
	        "  remove    delete the table; nothing of it remains\n"
	        "  status    the rules with their counters, and whether a reader records refusals\n"
	        "            (exit 1 when not installed)\n"
	        "  watch     record each refusal as an attempt in the store (metadata ones open\n"
	        "            or join an incident), one JSON line each on stdout, until SIGTERM;\n"
	        "            `ssrfguard serve --backstop on` does the same inside the service\n\n"
	        "Needs CAP_NET_ADMIN (watch: root, to read other processes' /proc).\n\n"
	        "Settings are serve's, read from the [serve] section of the --config files (and\n"
	        "--name VALUE flags): listen, store, policy, rule, contain, instance-id,\n"
	        "region, az, imds (ssrfguard serve --help), and:\n");
	int in_backstop = 0;
	for (const opt_def *d = srvcfg_opts; d->type != OPT_END; d++) {
		in_backstop = d->name ? in_backstop && !strncmp(d->name, "backstop", 8)
		                      : d->type == OPT_SECTION && strstr(d->help, "backstop");
		if (in_backstop && d->name)
			fprintf(to, "  --%s %s\n      %s%s%s%s\n", d->name, d->arg ? d->arg : "on|off",
			        d->help, d->dflt ? " (default " : "", d->dflt ? d->dflt : "",
			        d->dflt ? ")" : "");
	}
	fprintf(to, "\nSee docs/backstop.md and ssrfguard(1).\n");
}

/* Sum of "counter packets N" in nft's listing: only refusing rules count
 * (the refuse chain's, and the report chain's held SYNs). */
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

int cmd_backstop(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	int print = 0, check = 0, rc = 2;
	char err[1024];
	/* install's own switches; everything else is a service setting, read
	 * with serve's table from the same [serve] section. */
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	int nrest = 0, npos = 0;
	srvcfg cfg;
	if (!rest || !pos || srvcfg_init(&cfg) != SG_OK) {
		free(rest);
		free(pos);
		return 2;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--print"))
			print = 1;
		else if (!strcmp(argv[i], "--check"))
			check = 1;
		else
			rest[nrest++] = argv[i];
	}
	int p = cmdline_parse(&serve_command, &cfg, nrest, rest, pos, &npos, err, sizeof err);
	const char *sub = npos > 0 ? pos[0] : "";
	if (p == CMDLINE_HELP) {
		usage(stdout);
		rc = 0;
	} else if (p == CMDLINE_ERROR) {
		fprintf(stderr, "ssrfguard backstop: %s\nTry 'ssrfguard backstop --help'.\n", err);
	} else if (npos != 1 || ((print || check) && strcmp(sub, "install"))) {
		fprintf(stderr, "ssrfguard backstop: want one of install, remove, status, watch "
		                "(--print and --check only with install)\n");
	} else if (!strcmp(sub, "install")) {
		rc = do_install(&cfg, print, check);
	} else if (!strcmp(sub, "remove")) {
		rc = do_remove();
	} else if (!strcmp(sub, "status")) {
		rc = do_status(&cfg);
	} else if (!strcmp(sub, "watch")) {
		rc = do_watch(&cfg);
	} else {
		fprintf(stderr, "ssrfguard backstop: unknown subcommand '%.32s'\n", sub);
	}
	srvcfg_free(&cfg);
	free(rest);
	free(pos);
	return rc;
}
