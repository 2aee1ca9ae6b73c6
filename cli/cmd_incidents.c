/* cmd_incidents.c — `ssrfguard incidents list | show ID | retry ID | release ID`. */
#include <stddef.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "opt/cmdline.h"
#include "playbook/incname.h"
#include "playbook/playbook.h"
#include "playbook/report.h"
#include "respond/respond.h"
#include "store/store.h"

typedef struct incidents_opts {
	char *store, *state, *reason;
	cmdline_store where;
	bool json;
	cmdline_aws aws;
} incidents_opts;

#define AT(f) .off = offsetof(incidents_opts, f)
static const opt_def incidents_opts_table[] = {
	{.type = OPT_STR, .name = "store", .arg = "PATH", AT(store), .flags = OPT_NONEMPTY,
	 .help = "incident store (default: $SSRFGUARD_STORE, else " CMDLINE_STORE_PATH ")"},
	{.type = OPT_INCLUDE, .include = cmdline_store_opts, AT(where)},
	{.type = OPT_SWITCH, .name = "json", .dflt = "off", AT(json),
	 .help = "list and show: JSON instead of a table or Markdown; open, retry and release: "
	         "one object {\"incident\", \"opened\"|\"retried\"|\"released\": bool, "
	         "\"message\"} on stdout, also when it failed"},
	{.type = OPT_STR, .name = "state", .arg = "STATE", AT(state), .flags = OPT_ARGV_ONLY,
	 .help = "list: only incidents in STATE (logged, open, containing, contained, failed, "
	         "released, closed)"},
	{.type = OPT_STR, .name = "reason", .arg = "TEXT", AT(reason), .flags = OPT_ARGV_ONLY,
	 .help = "open: the reason recorded with the incident"},
	{.type = OPT_SECTION, .help = "AWS (release only)"},
	CMDLINE_AWS_ROWS(incidents_opts, aws),
	{.type = OPT_END},
};
#undef AT

const opt_command incidents_command = {
	.name = "incidents",
	.synopsis = "[OPTIONS] list [--state STATE] [--json]\n[OPTIONS] show ID [--json]\n"
	            "[OPTIONS] retry ID\n[OPTIONS] release ID\n[OPTIONS] open INSTANCE [--reason TEXT]",
	.summary = "list, show, retry or release incidents",
	.about = "list: incidents, newest first.\n\n"
	         "show ID: one incident: the processes behind its attempts (kernel backstop: "
	         "pid, executable, command line, cgroup, unit), its steps, notes, created "
	         "resources, the timeline of every AWS call and every state change with who made "
	         "it (Markdown; --json for the report).\n\n"
	         "retry ID: a failed incident goes back to open; its failed and blocked steps run "
	         "again (the daemon claims it, or run `ssrfguard respond --incident ID`).\n\n"
	         "open INSTANCE: open an incident asking for containment of INSTANCE (a finding "
	         "from elsewhere); the responder daemon runs it.\n\n"
	         "release ID: restore what containment took away, from the recorded instance: "
	         "security groups of every ENI, the instance profile, target group and classic ELB "
	         "registrations, the ASG membership.  The revocation policy stays.\n\n"
	         "IDs are numbers; \"INC-7\" is accepted for 7.",
	.opts = incidents_opts_table,
	.epilog = "Exit status: 0 done, 1 the incident, the store or AWS said no (the message says "
	          "which), 2 usage error.",
	.words = "list show retry release open",
};

static void usage_short(void)
{
	cmdline_usage_error(&incidents_command, "which verb? list, show, retry, release or open");
}

/* "7" or "INC-7" -> 7; 0 for anything else (playbook/incname.h). */
static int64_t parse_id(const char *s)
{
	pb_incident_ref ref;
	return s && pb_incident_id_parse(s, strlen(s), false, &ref, NULL, 0) == SG_OK ? ref.n : 0;
}

static void iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Stored strings as JSON text: bytes that are not UTF-8 become U+FFFD
 * (the incident is listed, never dropped). */
static json_t *list_json_row(const store_incident *inc)
{
	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:I,s:I,s:o}", "id", (json_int_t)inc->id, "state",
	                 store_state_name(inc->state), "instance", sg_utf8_json(inc->instance_id), "source",
	                 sg_utf8_json(inc->source), "category", sg_utf8_json(inc->category), "attempts",
	                 (json_int_t)inc->attempts, "opened_ms", (json_int_t)inc->opened_ms, "reason",
	                 sg_utf8_json(inc->state_reason));
}

/* One row of the table: every stored string may hold an attacker's or a
 * victim's text (the source, a reason quoting a note), so each is escaped
 * (common/escape.h) and cut to its column on a character boundary. */
static void list_text_row(const store_incident *inc)
{
	char id[24], t[32], inst[21], src[25], cat[11], why[600];
	snprintf(id, sizeof id, "INC-%lld", (long long)inc->id);
	iso(inc->opened_ms, t);
	sg_text_clean(inst, sizeof inst, inc->instance_id, strlen(inc->instance_id));
	sg_text_clean(src, sizeof src, inc->source, strlen(inc->source));
	sg_text_clean(cat, sizeof cat, inc->category, strlen(inc->category));
	sg_text_clean(why, sizeof why, inc->state_reason, strlen(inc->state_reason));
	printf("%-8s %-10s %-20s %-24s %-10s %8lld  %-19s  %s\n", id, store_state_name(inc->state), inst,
	       src, cat, (long long)inc->attempts, t, why);
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
	for (size_t i = 0; i < n && (!as_json || ja); i++) {
		if (as_json && json_array_append_new(ja, list_json_row(&arr[i]))) {
			json_decref(ja); /* out of memory: say so rather than list fewer */
			ja = NULL;
		} else if (!as_json) {
			list_text_row(&arr[i]);
		}
	}
	store_incidents_free(arr, n);
	if (!as_json)
		return 0;
	char *s = ja ? json_dumps(ja, JSON_INDENT(2)) : NULL;
	json_decref(ja);
	if (!s) {
		fprintf(stderr, "ssrfguard incidents: %s\n", sg_strerror(SG_ERR_NOMEM));
		return 1;
	}
	puts(s);
	free(s);
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

/* The outcome of a change (open, retry, release): with --json one object
 * on stdout, {"incident": "INC-N", done_key: bool, "message": ...}, whether
 * it was done or not; else the message, on stdout when done, on stderr
 * (prefixed "ssrfguard incidents VERB: ") when not.  The exit status. */
static int said(bool as_json, const char *verb, const char *done_key, int64_t id, bool done,
                const char *msg)
{
	if (!as_json) {
		if (done)
			printf("%s\n", msg);
		else
			fprintf(stderr, "ssrfguard incidents %s: %s\n", verb, msg);
		return done ? 0 : 1;
	}
	size_t tlen;
	char inc[32], *text = sg_utf8_repair(msg, strlen(msg), &tlen);
	snprintf(inc, sizeof inc, "INC-%lld", (long long)id);
	json_t *o = json_pack("{s:s,s:b,s:s}", "incident", id > 0 ? inc : "", done_key, done,
	                      "message", text ? text : "out of memory");
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
	free(text);
	return done && s ? 0 : 1;
}

static int do_retry(responder *r, int64_t id, bool as_json)
{
	char actor[96], msg[512];
	actor_name(actor, sizeof actor);
	if (respond_retry(r, id, actor, msg, sizeof msg) != SG_OK)
		return said(as_json, "retry", "retried", id, false, msg);
	snprintf(msg, sizeof msg, "INC-%lld is open again: the responder will claim it (or run "
	         "`ssrfguard respond --incident %lld`)", (long long)id, (long long)id);
	return said(as_json, "retry", "retried", id, true, msg);
}

static int run(incidents_opts *o, const char *verb, const char *arg);

int cmd_incidents(int argc, char **argv)
{
	incidents_opts o = {0};
	char err[512];
	int npos = 0, rc = 2;
	const char **pos = calloc((size_t)argc + 1, sizeof *pos);
	if (!pos || opt_defaults(incidents_opts_table, &o, err, sizeof err) != SG_OK ||
	    !(o.store = strdup(cmdline_default_store()))) {
		fprintf(stderr, "ssrfguard incidents: out of memory\n");
		goto out;
	}
	if (!cmdline_begin(&incidents_command, &o, argc, argv, pos, &npos, &rc))
		goto out;
	if (npos == 0)
		usage_short();
	else if (npos > 2) {
		snprintf(err, sizeof err, "unexpected '%.64s'", pos[2]);
		rc = cmdline_usage_error(&incidents_command, err);
	} else
		rc = run(&o, pos[0], npos > 1 ? pos[1] : NULL);
out:
	opt_free(incidents_opts_table, &o);
	free(pos);
	return rc;
}

static int run(incidents_opts *o, const char *verb, const char *arg)
{
	respond_config cfg;
	respond_config_default(&cfg);
	respond_config_where(&cfg, o->store, &o->where, &o->aws);
	const char *state_name = o->state, *reason = o->reason;
	bool as_json = o->json;
	int64_t id = 0;
	if (!strcmp(verb, "open")) {
		if (!arg || strncmp(arg, "i-", 2) != 0) {
			fprintf(stderr, "ssrfguard incidents open: needs an instance id (i-...)\n");
			return 2;
		}
		responder *r = NULL;
		char m[256];
		if (respond_new(&cfg, &r, m, sizeof m))
			return said(as_json, "open", "opened", 0, false, m);
		sg_err err = respond_open_manual(r, arg, cfg.region, reason ? reason : "incidents open", &id);
		respond_free(r);
		if (err)
			return said(as_json, "open", "opened", 0, false, sg_strerror(err));
		if (!as_json) { /* scripts read the bare name */
			printf("INC-%lld\n", (long long)id);
			return 0;
		}
		snprintf(m, sizeof m, "INC-%lld opened for %.64s: the responder will claim it",
		         (long long)id, arg);
		return said(as_json, "open", "opened", id, true, m);
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
	if (respond_store_open(&cfg, &so, &st, msg, sizeof msg)) {
		if (so.readonly && !cfg.state_table && access(cfg.store_path, F_OK) != 0)
			fprintf(stderr, "ssrfguard incidents: no incident store at %s (nothing recorded "
			        "there yet; --store or SSRFGUARD_STORE name another)\n", cfg.store_path);
		else
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
			rc = do_retry(r, id, as_json);
		else {
			char actor[96];
			actor_name(actor, sizeof actor);
			sg_err err = respond_release(r, id, actor, msg, sizeof msg);
			rc = said(as_json, "release", "released", id, !err, msg[0] ? msg : sg_strerror(err));
		}
		respond_free(r);
	} else
		fprintf(stderr, "ssrfguard incidents: unknown verb '%s'\n", verb);
	store_close(st);
	return rc;
}
