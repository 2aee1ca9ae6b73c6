/* main.c — `ssrfguard COMMAND ...`: dispatch to cli/cmd_COMMAND.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"check", cmd_check, "judge URLs against the policy, print verdicts"},
	{"serve", cmd_serve, "run the guarded fetch service (GET /go?url=...)"},
	{"respond", cmd_respond, "contain and preserve instances for incidents"},
	{"incidents", cmd_incidents, "list, show, retry or release incidents"},
	{"forensics", cmd_forensics, "examine preserved volumes on the forensic instance"},
	{"aws", cmd_aws, "operator views of AWS: whoami, instance ID"},
	{"backstop", cmd_backstop, "kernel rules: nothing else on the host reaches metadata"},
};

static void usage(FILE *to)
{
	fprintf(to, "usage: ssrfguard COMMAND [ARGS...]\n\n"
	            "SSRF guard and incident responder for services on AWS EC2.\n\n"
	            "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(to, "\n`ssrfguard COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("ssrfguard " SSRFGUARD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ssrfguard: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
