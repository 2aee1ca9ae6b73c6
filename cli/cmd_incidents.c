/* cmd_incidents.c — `ssrfguard incidents list | show ID | retry ID | release ID |
 * close ID | open INSTANCE`. */
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
	 .help = "list and show: JSON instead of a table or Markdown; open, retry, release and close: "
	         "one object {\"incident\", \"opened\"|\"retried\"|\"released\"|\"closed\": bool, "
	         "\"partial\": bool, \"message\"} on stdout, also when it failed"},
	{.type = OPT_STR, .name = "state", .arg = "STATE", AT(state), .flags = OPT_ARGV_ONLY,
	 .help = "list: only incidents in STATE (logged, open, containing, contained, failed, "
	         "released, closed)"},
	{.type = OPT_STR, .name = "reason", .arg = "TEXT", AT(reason), .flags = OPT_ARGV_ONLY,
	 .help = "open: the reason recorded with the incident; close (required): why it is "
	         "closed, recorded in its history"},
	{.type = OPT_SECTION, .help = "AWS (release, and the DynamoDB table of --state-table)"},
	CMDLINE_AWS_ROWS(incidents_opts, aws),
	{.type = OPT_END},
};
#undef AT

const opt_command incidents_command = {
	.name = "incidents",
	.synopsis = "[OPTIONS] list [--state STATE] [--json]\n[OPTIONS] show ID [--json]\n"
	            "[OPTIONS] retry ID\n[OPTIONS] release ID\n[OPTIONS] close ID --reason TEXT\n"
	            "[OPTIONS] open INSTANCE [--reason TEXT]",
	.summary = "list, show, retry, release, close or open incidents",
	.about = "list: every incident, newest first, however many (read from the store a "
	         "page of 1000 at a time and written as they come; a store that fails part-way "
	         "exits 1, its --json array left unclosed).  An incident under the live lease "
	         "of a responder older than this ssrfguard (one that writes no holder items; "
	         "docs/fleet.md, \"Upgrading\") is named in a warning on stderr, and "
	         "\"older_responder\": true with --json.\n\n"
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
	         "registrations, the ASG membership (not when its group is at its maximum size: "
	         "named under stays, out of the group or in Standby there).  The revocation policy "
	         "stays.  When some calls fail after others changed the instance, the incident is "
	         "released partly (its reason says what failed) and release may be run again.  An instance terminated or gone has "
	         "nothing to restore: release says so and points to close.\n\n"
	         "close ID --reason TEXT: the case is over (the instance terminated, a false "
	         "positive): the incident is closed from any state, the reason and who closed it in "
	         "its history.  Then the instance's ssrfguard:status tag is set to closed when it "
	         "is still there (a terminated or gone instance keeps its tag, said so); nothing "
	         "else on AWS changes: what containment set stays.\n\n"
	         "IDs are numbers; \"INC-7\" is accepted for 7.",
	.opts = incidents_opts_table,
	.epilog = "Exit status: 0 done, 1 the incident, the store or AWS said no, or a release was "
	          "partial (released, but some restore calls failed or the instance's status tag "
	          "could not be set; closed, but the status tag could not be set; --json: "
	          "\"partial\": true); the message says which, 2 usage error.",
	.words = "list show retry release close open",
};

static const char *const verbs[] = {"list", "show", "retry", "release", "close", "open"};

static bool known_verb(const char *v)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(v, verbs[i]))
			return true;
	return false;
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
	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:I,s:I,s:o,s:b}", "id", (json_int_t)inc->id, "state",
	                 store_state_name(inc->state), "instance", sg_utf8_json(inc->instance_id), "source",
	                 sg_utf8_json(inc->source), "category", sg_utf8_json(inc->category), "attempts",
	                 (json_int_t)inc->attempts, "opened_ms", (json_int_t)inc->opened_ms, "reason",
	                 sg_utf8_json(inc->state_reason), "older_responder", inc->lease_old != 0);
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

/* The list is written as the store's pages come: every incident, however
 * many (--json: one array, a row a line).  A store that fails part-way
 * exits 1 and leaves the JSON unclosed: never taken for a whole list. */
typedef struct list_out {
	bool json;
	size_t rows;
	size_t old;         /* under an older responder's lease (store.h lease_old) */
	char old_ids[160];  /* the first of them */
} list_out;

static void note_old_lease(list_out *lo, const store_incident *inc)
{
	size_t used = strlen(lo->old_ids);
	if (lo->old++ < 8)
		snprintf(lo->old_ids + used, sizeof lo->old_ids - used, "%sINC-%lld", used ? ", " : "",
		         (long long)inc->id);
}

/* After the list, on stderr: responders of an older ssrfguard are at work. */
static void warn_old_leases(const list_out *lo)
{
	if (lo->old)
		fprintf(stderr, "ssrfguard incidents: warning: %zu incident%s under the lease of a "
		        "responder older than this ssrfguard (%s%s): it writes no holder items, so "
		        "another responder may act on the same instance; stop every older responder "
		        "(docs/fleet.md, \"Upgrading a table written before holders\")\n", lo->old,
		        lo->old == 1 ? " is" : "s are", lo->old_ids, lo->old > 8 ? ", ..." : "");
}

static sg_err list_row(void *ctx, const store_incident *inc)
{
	list_out *lo = ctx;
	if (inc->lease_old)
		note_old_lease(lo, inc);
	if (!lo->json) {
		list_text_row(inc);
		lo->rows++;
		return SG_OK;
	}
	json_t *row = list_json_row(inc);
	char *s = row ? json_dumps(row, JSON_COMPACT) : NULL;
	json_decref(row);
	if (!s)
		return SG_ERR_NOMEM; /* say so rather than list fewer */
	printf("%s  %s", lo->rows++ ? ",\n" : "[\n", s);
	free(s);
	return SG_OK;
}

static int do_list(store *st, int state, bool as_json)
{
	list_out lo = {.json = as_json};
	if (!as_json)
		printf("%-8s %-10s %-20s %-24s %-10s %8s  %-19s  %s\n", "ID", "STATE", "INSTANCE", "SOURCE",
		       "CATEGORY", "ATTEMPTS", "OPENED (UTC)", "REASON");
	sg_err err = store_each_incident(st, state, list_row, &lo);
	if (err) {
		fflush(stdout);
		fprintf(stderr, "ssrfguard incidents: after %zu incidents: %s: %s\n", lo.rows,
		        sg_strerror(err), store_errmsg(st));
		return 1;
	}
	if (as_json)
		puts(lo.rows ? "\n]" : "[]");
	warn_old_leases(&lo);
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

/* The outcome of a change (open, retry, release, close). */
typedef enum said_what { SAID_NOT_DONE, SAID_DONE, SAID_PARTLY } said_what;

/* With --json one object on stdout, {"incident": "INC-N", done_key: bool,
 * "partial": bool, "message": ...}, whether it was done or not; else the
 * message, on stdout when done, on stderr (prefixed "ssrfguard incidents
 * VERB: ") when not or only partly (a release whose status tag was not
 * set).  The exit status: 0 done, 1 not done or partly (respond's
 * `partial` is 1 too). */
static int said(bool as_json, const char *verb, const char *done_key, int64_t id, said_what what,
                const char *msg)
{
	if (!as_json) {
		if (what == SAID_DONE)
			printf("%s\n", msg);
		else
			fprintf(stderr, "ssrfguard incidents %s: %s\n", verb, msg);
		return what == SAID_DONE ? 0 : 1;
	}
	size_t tlen;
	char inc[32], *text = sg_utf8_repair(msg, strlen(msg), &tlen);
	snprintf(inc, sizeof inc, "INC-%lld", (long long)id);
	json_t *o = json_pack("{s:s,s:b,s:b,s:s}", "incident", id > 0 ? inc : "", done_key,
	                      what != SAID_NOT_DONE, "partial", what == SAID_PARTLY, "message",
	                      text ? text : "out of memory");
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		puts(s);
	free(s);
	json_decref(o);
	free(text);
	return what == SAID_DONE && s ? 0 : 1;
}

static int do_retry(responder *r, int64_t id, bool as_json)
{
	char actor[96], msg[512];
	actor_name(actor, sizeof actor);
	if (respond_retry(r, id, actor, msg, sizeof msg) != SG_OK)
		return said(as_json, "retry", "retried", id, SAID_NOT_DONE, msg);
	snprintf(msg, sizeof msg, "INC-%lld is open again: the responder will claim it (or run "
	         "`ssrfguard respond --incident %lld`)", (long long)id, (long long)id);
	return said(as_json, "retry", "retried", id, SAID_DONE, msg);
}

static int do_close(responder *r, int64_t id, const char *reason, bool as_json)
{
	char actor[96], msg[1280];
	bool partial = false;
	actor_name(actor, sizeof actor);
	sg_err err = respond_close(r, id, actor, reason, &partial, msg, sizeof msg);
	return said(as_json, "close", "closed", id,
	            err ? SAID_NOT_DONE : partial ? SAID_PARTLY : SAID_DONE, msg);
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
	if (npos == 0 || !known_verb(pos[0])) {
		snprintf(err, sizeof err, "%s%.64s%swhich verb? list, show, retry, release, close or open",
		         npos ? "unknown verb '" : "", npos ? pos[0] : "", npos ? "': " : "");
		rc = cmdline_usage_error(&incidents_command, err);
	} else if (npos > 2) {
		snprintf(err, sizeof err, "unexpected '%.64s'", pos[2]);
		rc = cmdline_usage_error(&incidents_command, err);
	} else if ((o.state && strcmp(pos[0], "list")) ||
	           (o.reason && strcmp(pos[0], "open") && strcmp(pos[0], "close"))) {
		snprintf(err, sizeof err, "%s is for %s only, not %.16s", o.state ? "--state" : "--reason",
		         o.state ? "list" : "open and close", pos[0]);
		rc = cmdline_usage_error(&incidents_command, err);
	} else if (!strcmp(pos[0], "close") && !o.reason)
		rc = cmdline_usage_error(&incidents_command, "close needs --reason TEXT (why the case is over)");
	else
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
		if (!arg || strncmp(arg, "i-", 2) != 0)
			return cmdline_usage_error(&incidents_command, "open needs an instance id (i-...)");
		responder *r = NULL;
		char m[256];
		if (respond_new(&cfg, &r, m, sizeof m))
			return said(as_json, "open", "opened", 0, SAID_NOT_DONE, m);
		sg_err err = respond_open_manual(r, arg, cfg.region, reason ? reason : "incidents open", &id);
		respond_free(r);
		if (err)
			return said(as_json, "open", "opened", 0, SAID_NOT_DONE, sg_strerror(err));
		if (!as_json) { /* scripts read the bare name */
			printf("INC-%lld\n", (long long)id);
			return 0;
		}
		snprintf(m, sizeof m, "INC-%lld opened for %.64s: the responder will claim it",
		         (long long)id, arg);
		return said(as_json, "open", "opened", id, SAID_DONE, m);
	}
	bool needs_id = strcmp(verb, "list") != 0;
	char msg[4096]; /* a release names every change that stays */
	if (needs_id && !(id = pb_incident_id(arg))) {
		snprintf(msg, sizeof msg, "%s needs an incident id (7 or INC-7)", verb);
		return cmdline_usage_error(&incidents_command, msg);
	}
	int state = -1;
	if (state_name) {
		store_state s;
		if (store_state_parse(state_name, &s) != SG_OK) {
			snprintf(msg, sizeof msg, "--state: unknown state '%.64s'", state_name);
			return cmdline_usage_error(&incidents_command, msg);
		}
		state = (int)s;
	}
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
	else {
		responder *r = NULL;
		if (respond_new(&cfg, &r, msg, sizeof msg)) {
			fprintf(stderr, "ssrfguard incidents: %s\n", msg);
			rc = 1;
		} else if (!strcmp(verb, "show"))
			rc = do_show(r, id, as_json);
		else if (!strcmp(verb, "retry"))
			rc = do_retry(r, id, as_json);
		else if (!strcmp(verb, "close"))
			rc = do_close(r, id, reason, as_json);
		else {
			char actor[96];
			actor_name(actor, sizeof actor);
			bool partial = false;
			sg_err err = respond_release(r, id, actor, &partial, msg, sizeof msg);
			rc = said(as_json, "release", "released", id,
			          err ? SAID_NOT_DONE : partial ? SAID_PARTLY : SAID_DONE,
			          msg[0] ? msg : sg_strerror(err));
		}
		respond_free(r);
	}
	store_close(st);
	return rc;
}
