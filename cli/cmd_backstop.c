/* cmd_backstop.c — `ssrfguard backstop install | remove | status | watch`:
 * the kernel backstop (src/backstop/backstop.h, docs/backstop.md). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backstop/backstop.h"
#include "backstop/reader.h"
#include "commands.h"
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
	        "Needs CAP_NET_ADMIN (watch: root, to read other processes' /proc).\n"
	        "Settings come from the service's config file (ssrfguard serve --help):\n"
	        "listen, store, policy, rule, contain, instance_id, region, az, imds, and\n");
	for (const struct bscfg_key *k = bscfg_keys; k->name; k++)
		fprintf(to, "  --%s %s\n      %s\n", k->name, k->arg, k->help);
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
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *sub = argv[1];
	int print = 0, check = 0, help = 0, rc = 2;
	char err[1024];
	/* install's own switches; the rest are service settings. */
	char **rest = calloc((size_t)argc, sizeof *rest);
	int nrest = 0;
	if (!rest)
		return 2;
	rest[nrest++] = argv[1];
	for (int i = 2; i < argc; i++) {
		if (!strcmp(sub, "install") && !strcmp(argv[i], "--print"))
			print = 1;
		else if (!strcmp(sub, "install") && !strcmp(argv[i], "--check"))
			check = 1;
		else
			rest[nrest++] = argv[i];
	}
	srvcfg cfg;
	if (srvcfg_init(&cfg) != SG_OK) {
		free(rest);
		return 2;
	}
	if (srvcfg_args(&cfg, nrest, rest, &help, err, sizeof err) != SG_OK) {
		fprintf(stderr, "ssrfguard backstop: %s\n(see ssrfguard backstop --help)\n", err);
		goto out;
	}
	if (help) {
		usage(stdout);
		rc = 0;
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
		usage(stderr);
	}
out:
	srvcfg_free(&cfg);
	free(rest);
	return rc;
}
