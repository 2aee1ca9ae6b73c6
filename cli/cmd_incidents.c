/* cmd_incidents.c — `ssrfguard incidents list | show ID | retry ID | release ID`. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "playbook/playbook.h"
#include "playbook/report.h"
#include "respond/respond.h"
#include "store/store.h"

static const char usage_text[] =
	"usage: ssrfguard incidents [OPTIONS] list [--state STATE] [--json]\n"
	"       ssrfguard incidents [OPTIONS] show ID [--json]\n"
	"       ssrfguard incidents [OPTIONS] retry ID\n"
	"       ssrfguard incidents [OPTIONS] release ID\n"
	"       ssrfguard incidents [OPTIONS] open INSTANCE [--reason TEXT]\n"
	"\n"
	"  list       incidents, newest first (state: logged, open, containing,\n"
	"             contained, failed, released, closed)\n"
	"  show ID    one incident: its steps, notes, created resources and the\n"
	"             timeline of every AWS call (Markdown; --json for the report)\n"
	"  retry ID   a failed incident goes back to open; its failed and blocked\n"
	"             steps run again (the daemon claims it, or run\n"
	"             `ssrfguard respond --incident ID`)\n"
	"  open I     open an incident asking for containment of instance I (a\n"
	"             finding from elsewhere); the responder daemon runs it\n"
	"  release ID restore what containment took away, from the recorded\n"
	"             instance: security groups of every ENI, the instance profile,\n"
	"             target group and classic ELB registrations, the ASG\n"
	"             membership.  The revocation policy stays.\n"
	"\n"
	"options:\n"
	"  --store PATH         incident store (default $SSRFGUARD_STORE or\n"
	"                       /var/lib/ssrfguard/incidents.db)\n"
	"  --region R, --endpoint-url URL, --ca-bundle FILE   AWS (release only)\n"
	"  -h, --help\n"
	"\n"
	"IDs are numbers; \"INC-7\" is accepted for 7.\n";

static int64_t parse_id(const char *s)
{
	if (!s)
		return 0;
	if (!strncmp(s, "INC-", 4))
		s += 4;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return 0;
	return v;
}

static void iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static int do_list(store *st, int state, bool as_json)
{
	store_incident *arr = NULL;
	size_t n = 0;
	sg_err err = store_list(st, state, 0, &arr, &n);
	if (err) {
		fprintf(stderr, "ssrfguard incidents: %s\n", sg_strerror(err));
		return 1;
	}
	json_t *ja = as_json ? json_array() : NULL;
	if (!as_json)
		printf("%-8s %-10s %-20s %-24s %-10s %8s  %-19s  %s\n", "ID", "STATE", "INSTANCE", "SOURCE",
		       "CATEGORY", "ATTEMPTS", "OPENED (UTC)", "REASON");
	for (size_t i = 0; i < n; i++) {
		char t[32];
		iso(arr[i].opened_ms, t);
		if (as_json)
			json_array_append_new(
				ja, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "id", (json_int_t)arr[i].id,
				              "state", store_state_name(arr[i].state), "instance", arr[i].instance_id,
				              "source", arr[i].source, "category", arr[i].category, "attempts",
				              (json_int_t)arr[i].attempts, "opened_ms", (json_int_t)arr[i].opened_ms,
				              "reason", arr[i].state_reason));
		else {
			char id[24];
			snprintf(id, sizeof id, "INC-%lld", (long long)arr[i].id);
			/* the source may be attacker-chosen text: printed with %.24s and
			 * control bytes replaced */
			char src[25];
			snprintf(src, sizeof src, "%s", arr[i].source);
			for (char *p = src; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			printf("%-8s %-10s %-20s %-24s %-10.10s %8lld  %-19s  %s\n", id,
			       store_state_name(arr[i].state), arr[i].instance_id, src, arr[i].category,
			       (long long)arr[i].attempts, t, arr[i].state_reason);
		}
	}
	if (as_json) {
		char *s = json_dumps(ja, JSON_INDENT(2));
		if (s)
			puts(s);
		free(s);
		json_decref(ja);
	}
	store_incidents_free(arr, n);
	return 0;
}

static int do_show(responder *r, int64_t id, bool as_json)
{
	char *js = NULL;
	sg_err err = respond_report_json(r, id, &js);
	if (err) {
		fprintf(stderr, "ssrfguard incidents: INC-%lld: %s\n", (long long)id, sg_strerror(err));
		return 1;
	}
	if (as_json) {
		puts(js);
		free(js);
		return 0;
	}
	char *md = NULL, msg[200];
	err = pb_report_markdown(js, strlen(js), &md, msg, sizeof msg);
	free(js);
	if (err) {
		fprintf(stderr, "ssrfguard incidents: %s\n", msg);
		return 1;
	}
	fputs(md, stdout);
	free(md);
	return 0;
}

static void actor_name(char *out, size_t cap)
{
	const char *u = getenv("SUDO_USER");
	if (!u || !*u)
		u = getenv("USER");
	snprintf(out, cap, "operator:%s", u && *u ? u : "unknown");
}

static int do_retry(responder *r, int64_t id)
{
	char actor[96], msg[512];
	actor_name(actor, sizeof actor);
	if (respond_retry(r, id, actor, msg, sizeof msg) != SG_OK) {
		fprintf(stderr, "ssrfguard incidents retry: %s\n", msg);
		return 1;
	}
	printf("INC-%lld is open again: the responder will claim it (or run "
	       "`ssrfguard respond --incident %lld`)\n",
	       (long long)id, (long long)id);
	return 0;
}

int cmd_incidents(int argc, char **argv)
{
	respond_config cfg;
	respond_config_default(&cfg);
	const char *st_env = getenv("SSRFGUARD_STORE");
	cfg.store_path = st_env && *st_env ? st_env : "/var/lib/ssrfguard/incidents.db";
	const char *verb = NULL, *arg = NULL, *state_name = NULL, *reason = NULL;
	bool as_json = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(a, "--json"))
			as_json = true;
		else if (!strcmp(a, "--store"))
			dst = &cfg.store_path;
		else if (!strcmp(a, "--region"))
			dst = &cfg.region;
		else if (!strcmp(a, "--endpoint-url"))
			dst = &cfg.endpoint_url;
		else if (!strcmp(a, "--ca-bundle"))
			dst = &cfg.ca_bundle;
		else if (!strcmp(a, "--state"))
			dst = &state_name;
		else if (!strcmp(a, "--reason"))
			dst = &reason;
		else if (a[0] == '-') {
			fprintf(stderr, "ssrfguard incidents: unknown option '%s'\n", a);
			return 2;
		} else if (!verb)
			verb = a;
		else if (!arg)
			arg = a;
		else {
			fprintf(stderr, "ssrfguard incidents: unexpected '%s'\n", a);
			return 2;
		}
		if (dst) {
			if (++i >= argc) {
				fprintf(stderr, "ssrfguard incidents: %s needs a value\n", a);
				return 2;
			}
			*dst = argv[i];
		}
	}
	if (!verb) {
		fputs(usage_text, stderr);
		return 2;
	}
	int64_t id = 0;
	if (!strcmp(verb, "open")) {
		if (!arg || strncmp(arg, "i-", 2) != 0) {
			fprintf(stderr, "ssrfguard incidents open: needs an instance id (i-...)\n");
			return 2;
		}
		responder *r = NULL;
		char m[256];
		if (respond_new(&cfg, &r, m, sizeof m)) {
			fprintf(stderr, "ssrfguard incidents: %s\n", m);
			return 1;
		}
		sg_err err = respond_open_manual(r, arg, cfg.region, reason ? reason : "incidents open", &id);
		respond_free(r);
		if (err) {
			fprintf(stderr, "ssrfguard incidents open: %s\n", sg_strerror(err));
			return 1;
		}
		printf("INC-%lld\n", (long long)id);
		return 0;
	}
	bool needs_id = strcmp(verb, "list") != 0;
	if (needs_id && !(id = parse_id(arg))) {
		fprintf(stderr, "ssrfguard incidents %s: needs an incident id\n", verb);
		return 2;
	}
	int state = -1;
	if (state_name) {
		store_state s;
		if (store_state_parse(state_name, &s) != SG_OK) {
			fprintf(stderr, "ssrfguard incidents: unknown state '%s'\n", state_name);
			return 2;
		}
		state = (int)s;
	}
	char msg[512];
	store *st = NULL;
	store_opts so = {.readonly = !strcmp(verb, "list") || !strcmp(verb, "show")};
	if (store_open(cfg.store_path, &so, &st, msg, sizeof msg)) {
		fprintf(stderr, "ssrfguard incidents: %s\n", msg);
		return 1;
	}
	int rc = 2;
	if (!strcmp(verb, "list"))
		rc = do_list(st, state, as_json);
	else if (!strcmp(verb, "show") || !strcmp(verb, "release") || !strcmp(verb, "retry")) {
		responder *r = NULL;
		if (respond_new(&cfg, &r, msg, sizeof msg)) {
			fprintf(stderr, "ssrfguard incidents: %s\n", msg);
			rc = 1;
		} else if (!strcmp(verb, "show"))
			rc = do_show(r, id, as_json);
		else if (!strcmp(verb, "retry"))
			rc = do_retry(r, id);
		else {
			char actor[96];
			actor_name(actor, sizeof actor);
			sg_err err = respond_release(r, id, actor, msg, sizeof msg);
			if (err)
				fprintf(stderr, "ssrfguard incidents release: %s\n", msg[0] ? msg : sg_strerror(err));
			else
				printf("%s\n", msg);
			rc = err ? 1 : 0;
		}
		respond_free(r);
	} else
		fprintf(stderr, "ssrfguard incidents: unknown verb '%s'\n", verb);
	store_close(st);
	return rc;
}
