/* test_cli.c — respond options (argv and config file), delivery bodies,
 * the Markdown report writer. */
#include <stdlib.h>

#include "playbook/report.h"
#include "common/utf8.h"
#include "respond/listen.h"
#include "respond/respond_cli.h"
#include "test.h"

static int parse(respond_cli *o, const char *const *args, char *msg, size_t msglen)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)"respond";
	for (; args[argc - 1] && argc < 31; argc++)
		argv[argc] = (char *)args[argc - 1];
	respond_cli_init(o);
	return respond_cli_parse(o, argc, argv, msg, msglen);
}

static const struct {
	const char *args[12];
	int want;
	const char *label;
} argv_cases[] = {
	{{"--instance", "i-0abc", NULL}, 0, "instance"},
	{{"--instance=i-0abc", "--observe", NULL}, 0, "name=value"},
	{{"--instance", "vol-1", NULL}, -1, "not an instance id"},
	{{"--incident", "0", NULL}, -1, "incident 0"},
	{{"--incident", "12x", NULL}, -1, "incident not a number"},
	{{"--incident", "INC-12", NULL}, 0, "incident as its name"},
	{{"--incident", "INC-", NULL}, -1, "incident name without a number"},
	{{"--incident", "INC-7-3f9a2c1b0d4e5f60", NULL}, -1, "incident of a store: not here"},
	{{"--instance", "i-1", "--incident", "3", NULL}, -1, "both"},
	{{"--preflight", NULL}, -1, "preflight without instance"},
	{{"--skip", "record", NULL}, -1, "record cannot be skipped"},
	{{"--skip", "isolate", NULL}, 0, "skip isolate"},
	{{"--skip", "nope", NULL}, -1, "unknown step"},
	{{"--skip", "asg", NULL}, -1, "asg off while isolate needs it"},
	{{"--skip", "asg", "--skip", "isolate", NULL}, 0, "asg and isolate off"},
	{{"--skip", "snapshot", NULL}, -1, "snapshot off while forensics needs it"},
	{{"--skip", "snapshot", "--skip", "forensics", NULL}, 0, "snapshot and forensics off"},
	{{"--order", "record,tag,imds,revoke,preserve,lb,snapshot,capture,isolate,asg,strip,forensics,finish", NULL},
	 -1, "order breaking asg before isolate"},
	{{"--parallel", "0", NULL}, -1, "parallel 0"},
	{{"--parallel", "65", NULL}, -1, "parallel 65"},
	{{"--listen", "127.0.0.1:1", NULL}, -1, "listen without key/cert"},
	{{"--listen", "127.0.0.1:1", "--key-file", "k", "--tls-cert", "c", "--tls-key", "t", NULL}, 0, "listen"},
	{{"--deliver-to", "http://x/", "--key-file", "k", NULL}, -1, "deliver over plain http"},
	{{"--deliver-to", "https://x/", NULL}, -1, "deliver without key"},
	{{"--deliver-to", "https://x/", "--key-file", "k", "--instance", "i-1", NULL}, -1, "deliver with instance"},
	{{"--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/incidents", NULL}, 0, "queue"},
	{{"--queue", "https://sqs.us-east-1.amazonaws.com/incidents", NULL}, -1, "queue URL without account"},
	{{"--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/q", "--instance", "i-1", NULL}, -1,
	 "queue with instance"},
	{{"--deliver-to", "https://sqs.us-east-1.amazonaws.com/123456789012/q", NULL}, 0,
	 "deliver to SQS needs no key"},
	{{"--guardduty-action", "observe", "--guardduty-contain-severity", "5", NULL}, 0,
	 "guardduty action for every type"},
	{{"--guardduty-action", "Backdoor:EC2/=contain", "--guardduty-action=Trojan:*=ignore", NULL},
	 0, "guardduty action per family and glob"},
	{{"--guardduty-action", "quarantine", NULL}, -1, "guardduty unknown action"},
	{{"--guardduty-action", "Backdoor:EC3/=contain", NULL}, -1, "guardduty pattern matching nothing"},
	{{"--guardduty-action", "=contain", NULL}, -1, "guardduty empty pattern"},
	{{"--guardduty-contain-severity", "11", NULL}, -1, "guardduty severity above 10"},
	{{"--guardduty-contain-severity", "UnauthorizedAccess:EC2/MetadataDNSRebind=5.5", NULL}, 0,
	 "guardduty severity per type"},
	{{"--guardduty-contain-severity", "*=7.25", NULL}, -1, "guardduty severity with two decimals"},
	{{"--bogus", NULL}, -1, "unknown option"},
	{{"--observe=yes", NULL}, 0, "switch =yes"},
	{{"--observe", "on", "--once", "off", NULL}, 0, "switch with its word"},
	{{"--observe=maybe", NULL}, -1, "switch with a non-word"},
	{{"--lease_ms", "5000", NULL}, 0, "underscore for dash"},
	{{"--lease-ms", "999", NULL}, -1, "lease below its range"},
	{{"--config=/nonexistent/ssrfguard.conf", NULL}, -1, "--config=FILE is read"},
	{{"--store", NULL}, -1, "missing value"},
	{{"stray", NULL}, -1, "stray argument"},
	{{"--help", NULL}, 1, "help"},
	{{"-h", NULL}, 1, "-h"},
};

TEST(argv_table)
{
	for (size_t i = 0; i < sizeof argv_cases / sizeof argv_cases[0]; i++) {
		respond_cli o;
		char msg[256] = "";
		int rc = parse(&o, argv_cases[i].args, msg, sizeof msg);
		CHECKF(rc == argv_cases[i].want, "%s: got %d (%s)", argv_cases[i].label, rc, msg);
		if (rc < 0)
			CHECKF(msg[0], "%s: no message", argv_cases[i].label);
		respond_cli_free(&o);
	}
}

/* One incident, two spellings: N and INC-N (playbook/incname.h). */
TEST(incident_by_name_or_number)
{
	respond_cli o;
	char msg[256] = "";
	const char *named[] = {"--incident", "INC-7", NULL}, *number[] = {"--incident=7", NULL};
	CHECKF(parse(&o, named, msg, sizeof msg) == 0, "%s", msg);
	CHECK_INT(o.incident, 7);
	respond_cli_free(&o);
	CHECKF(parse(&o, number, msg, sizeof msg) == 0, "%s", msg);
	CHECK_INT(o.incident, 7);
	respond_cli_free(&o);
}

TEST(argv_values_land)
{
	respond_cli o;
	char msg[256];
	const char *args[] = {"--instance", "i-0abc", "--forensic-instance", "i-0f", "--skip", "capture",
	                      "--decrement-desired", "--capture-cmd", "uname -a", "--no-conntrack", NULL};
	CHECK_INT(parse(&o, args, msg, sizeof msg), 0);
	CHECK_STR(o.instance, "i-0abc");
	CHECK_STR(o.cfg.playbook.forensic_instance, "i-0f");
	CHECK(!(o.cfg.playbook.order.enabled & PB_BIT(PB_CAPTURE)));
	CHECK(o.cfg.playbook.order.enabled & PB_BIT(PB_ISOLATE));
	CHECK(o.cfg.playbook.decrement_desired);
	CHECK(!o.cfg.playbook.conntrack_timeouts);
	CHECK_INT(o.cfg.n_capture_cmds, 1);
	CHECK_STR(o.cfg.capture_cmds[0], "uname -a");
	/* a forensic instance means waiting, bounded, for its examination */
	CHECK_INT(o.cfg.forensics_wait_s, RESPOND_FORENSICS_WAIT_DEFAULT);
	respond_cli_free(&o);
	const char *named[] = {"--incident", "INC-12", NULL};
	CHECK_INT(parse(&o, named, msg, sizeof msg), 0);
	CHECK_INT(o.incident, 12);
	respond_cli_free(&o);
	const char *nowait[] = {"--instance", "i-0abc", "--forensics-wait", "0", NULL};
	CHECK_INT(parse(&o, nowait, msg, sizeof msg), 0);
	CHECK_INT(o.cfg.forensics_wait_s, 0);
	respond_cli_free(&o);
}

/* Per-type GuardDuty rules: from the file, then the flags; a later rule
 * overrides an earlier one; the defaults hold for every type not named. */
TEST(guardduty_rules_land)
{
	respond_cli o;
	respond_cli_init(&o);
	char msg[256] = "";
	const char *t = "[respond]\nguardduty-action = Backdoor:EC2/=contain\n"
	                "guardduty-action = Backdoor:EC2/Spambot=ignore\n"
	                "guardduty-contain-severity = UnauthorizedAccess:*=5.5\n";
	CHECKF(respond_cli_parse_config(&o, t, strlen(t), "g.conf", msg, sizeof msg) == 0, "%s", msg);
	pb_gd_type spambot, cc, rebind = PB_GD_EC2_DNS_REBIND, probe;
	CHECK_INT(pb_gd_type_lookup("Backdoor:EC2/Spambot", &spambot), SG_OK);
	CHECK_INT(pb_gd_type_lookup("Backdoor:EC2/C&CActivity.B!DNS", &cc), SG_OK);
	CHECK_INT(pb_gd_type_lookup("Recon:EC2/PortProbeUnprotectedPort", &probe), SG_OK);
	const pb_gd_config *g = &o.queue_cfg.guardduty;
	CHECK_INT(g->action[cc], PB_GD_CONTAIN);
	CHECK_INT(g->action[spambot], PB_GD_IGNORE);
	CHECK_INT(g->action[probe], PB_GD_IGNORE);    /* its default */
	CHECK_INT(g->action[rebind], PB_GD_CONTAIN);  /* its default */
	CHECK(g->contain_min[rebind] == 5.5);
	CHECK(g->contain_min[cc] == 7.0);
	respond_cli_free(&o);
	/* flags after the file: the last word wins */
	const char *args[] = {"--guardduty-action", "ignore", "--guardduty-action",
	                      "UnauthorizedAccess:EC2/MetadataDNSRebind=observe", NULL};
	CHECK_INT(parse(&o, args, msg, sizeof msg), 0);
	CHECK_INT(o.queue_cfg.guardduty.action[rebind], PB_GD_OBSERVE);
	CHECK_INT(o.queue_cfg.guardduty.action[PB_GD_CRED_EXFIL_OUTSIDE], PB_GD_IGNORE);
	respond_cli_free(&o);
	/* a typo in a file names the file, the line and the pattern */
	respond_cli_init(&o);
	t = "guardduty-action = Backdor:EC2/=contain\n";
	CHECK_INT(respond_cli_parse_config(&o, t, strlen(t), "g.conf", msg, sizeof msg), -1);
	CHECKF(strstr(msg, "g.conf:1") && strstr(msg, "Backdor:EC2/") &&
	       strstr(msg, "matches no GuardDuty finding type"), "%s", msg);
	respond_cli_free(&o);
}

static const struct {
	const char *text;
	int want;
	const char *label;
} config_cases[] = {
	{"# comment\n\nforensic-instance = i-0f\nreport-dir = /tmp/r\n", 0, "plain"},
	{"  skip = capture  # why\r\nobserve = on\n", 0, "spaces, CRLF, trailing comment"},
	{"observe = maybe\n", -1, "switch with a non-word"},
	{"observe\n", -1, "no = value"},
	{"report-dir =\n", 0, "empty value"},
	{"config = /etc/x\n", -1, "nested config"},
	{"help = on\n", -1, "help in a file"},
	{"instance = i-1\n", -1, "command-line-only option"},
	{"nope = 1\n", -1, "unknown"},
	{"parallel = abc\n", -1, "bad number"},
	{"ticket = a\x01" "b\n", -1, "control character"},
	{"", 0, "empty"},
	{"skip = capture", 0, "no final newline"},
	{"[serve]\nmax-body = 7\n[respond]\nsnapshot_wait = 5\n", 0, "other section skipped"},
	{"max-body = 7\n", -1, "serve setting outside its section"},
	{"ticket = \"a # b\"\n", 0, "quoted #"},
	{"ticket = \"a\n", -1, "unterminated quote"},
};

TEST(config_table)
{
	for (size_t i = 0; i < sizeof config_cases / sizeof config_cases[0]; i++) {
		respond_cli o;
		respond_cli_init(&o);
		char msg[256] = "";
		int rc = respond_cli_parse_config(&o, config_cases[i].text, strlen(config_cases[i].text),
		                                  "t.conf", msg, sizeof msg);
		CHECKF(rc == config_cases[i].want, "%s: got %d (%s)", config_cases[i].label, rc, msg);
		if (rc)
			CHECKF(!strncmp(msg, "t.conf:", 7), "%s: names the file: %s", config_cases[i].label,
			       msg);
		respond_cli_free(&o);
	}
	/* values stay valid after parsing (owned copies) and lines are numbered */
	respond_cli o;
	respond_cli_init(&o);
	char msg[256] = "";
	const char *t = "report-dir = /var/r\nwebhook = https://h/x # hook\nparallel = 9\n"
	                "ticket = \"T # 1\"\nbogus = 1\n";
	CHECK_INT(respond_cli_parse_config(&o, t, strlen(t), "r.conf", msg, sizeof msg), -1);
	CHECK_STR(msg, "r.conf:5: unknown setting 'bogus' of respond");
	CHECK_STR(o.cfg.report_dir, "/var/r");
	CHECK_STR(o.cfg.webhook_url, "https://h/x");
	CHECK_STR(o.cfg.playbook.ticket, "T # 1");
	CHECK_INT(o.cfg.parallel, 9);
	respond_cli_free(&o);
	/* an overlong line */
	char *big = malloc(6000);
	memset(big, 'a', 5999);
	big[5999] = '\0';
	respond_cli_init(&o);
	CHECK_INT(respond_cli_parse_config(&o, big, 5999, "r.conf", msg, sizeof msg), -1);
	respond_cli_free(&o);
	free(big);
}

static const struct {
	const char *body;
	sg_err want;
	const char *label;
} deliveries[] = {
	{"{\"detector\":\"web-1\",\"incident\":3,\"instance_id\":\"i-0abc\",\"url\":\"http://169.254.169.254/\"}", SG_OK, "minimal"},
	{"{\"detector\":\"web-1\",\"incident\":3}", SG_ERR_PARSE, "no instance"},
	{"{\"incident\":3,\"instance_id\":\"i-0abc\"}", SG_ERR_PARSE, "no detector"},
	{"{\"detector\":\"web-1\",\"incident\":0,\"instance_id\":\"i-0abc\"}", SG_ERR_PARSE, "incident 0"},
	{"{\"detector\":\"web-1\",\"incident\":\"3\",\"instance_id\":\"i-0abc\"}", SG_ERR_PARSE, "incident string"},
	{"{\"detector\":\"web-1\",\"incident\":3,\"instance_id\":\"i-0ABC\"}", SG_ERR_PARSE, "upper case id"},
	{"{\"detector\":\"web-1\",\"incident\":3,\"instance_id\":\"vol-1\"}", SG_ERR_PARSE, "not an instance"},
	{"{\"detector\":\"a/b\",\"incident\":3,\"instance_id\":\"i-1\"}", SG_ERR_PARSE, "slash in detector"},
	{"{\"detector\":\"a b\",\"incident\":3,\"instance_id\":\"i-1\"}", SG_ERR_PARSE, "space in detector"},
	{"{\"detector\":\"a\",\"incident\":3,\"instance_id\":\"i-1\",\"at_ms\":-1}", SG_ERR_PARSE, "negative time"},
	{"{\"detector\":\"a\",\"incident\":3,\"instance_id\":\"i-1\",\"url\":5}", SG_ERR_PARSE, "url not string"},
	{"{\"detector\":\"a\",\"detector\":\"b\",\"incident\":3,\"instance_id\":\"i-1\"}", SG_ERR_PARSE, "duplicate key"},
	{"[1]", SG_ERR_PARSE, "array"},
	{"", SG_ERR_PARSE, "empty"},
};

TEST(delivery_table)
{
	for (size_t i = 0; i < sizeof deliveries / sizeof deliveries[0]; i++) {
		respond_delivery d;
		char msg[200] = "";
		sg_err err = respond_delivery_parse(deliveries[i].body, strlen(deliveries[i].body), &d, msg,
		                                    sizeof msg);
		CHECKF(err == deliveries[i].want, "%s: got %d (%s)", deliveries[i].label, err, msg);
	}
	respond_delivery d;
	const char *ok = deliveries[0].body;
	CHECK_INT(respond_delivery_parse(ok, strlen(ok), &d, NULL, 0), SG_OK);
	CHECK_STR(d.detector, "web-1");
	CHECK_INT(d.remote_id, 3);
	CHECK_STR(d.url, "http://169.254.169.254/");
	CHECK(!d.cut);
	/* evidence longer than its field is cut and marked, never refused: a
	 * refusal would drop the containment (AUDIT8 H1) */
	char big[4096];
	int n = snprintf(big, sizeof big, "{\"detector\":\"a\",\"incident\":1,\"instance_id\":\"i-1\",\"url\":\"");
	memset(big + n, 'x', 2100);
	memcpy(big + n + 2030, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10); /* é across the cut */
	snprintf(big + n + 2100, sizeof big - (size_t)n - 2100, "\"}");
	CHECK_INT(respond_delivery_parse(big, strlen(big), &d, NULL, 0), SG_OK);
	CHECK(d.cut);
	size_t ul = strlen(d.url);
	CHECK(ul <= sizeof d.url - 1 && ul > 2030);
	CHECK(ul >= 8 && !strcmp(d.url + ul - 8, RESPOND_DELIVERY_CUT_MARK));
	CHECK(((unsigned char)d.url[ul - 9] & 0xc0) != 0xc0); /* no lead byte left alone */
	CHECK_INT((long long)sg_utf8_len((const unsigned char *)d.url + ul - 10, 2), 2); /* ends in a whole é */
	/* an identity field too long is still refused */
	n = snprintf(big, sizeof big, "{\"detector\":\"a\",\"incident\":1,\"instance_id\":\"i-");
	memset(big + n, '1', 100);
	snprintf(big + n + 100, sizeof big - (size_t)n - 100, "\"}");
	CHECK_INT(respond_delivery_parse(big, strlen(big), &d, NULL, 0), SG_ERR_PARSE);
}

TEST(markdown_escapes_hostile_values)
{
	const char *doc =
		"{\"incident\":\"INC-1\",\"url\":\"http://x/|<script>alert(1)</script>`*_[a](b)\\n# h\","
		"\"steps\":[{\"name\":\"lb\",\"state\":\"done\",\"attempts\":1,\"result\":\"a|b\","
		"\"notes\":[\"n<1>\"],\"created\":{\"k|\":\"v\"},"
		"\"calls\":[{\"at\":2000,\"ms\":1,\"api\":\"x:Y\",\"target\":\"t\",\"request_id\":\"r\",\"change\":null},"
		"{\"at\":1000,\"ms\":1,\"api\":\"x:Z\",\"target\":\"t\",\"request_id\":\"q\",\"change\":\"c\",\"error\":\"E\"},"
		"{\"at\":3000,\"ms\":1,\"api\":\"x:W\",\"target\":\"t\",\"request_id\":\"w\",\"change\":null,"
		"\"repeats\":7,\"last_at\":9000}]}]}";
	char *md = NULL, msg[100];
	CHECK_INT(pb_report_markdown(doc, strlen(doc), &md, msg, sizeof msg), SG_OK);
	if (md) {
		CHECK(strstr(md, "<script>") == NULL);
		CHECK(strstr(md, "&lt;script&gt;") != NULL);
		CHECK(strstr(md, "http://x/\\|") != NULL);
		CHECK(strstr(md, "\n# h") == NULL); /* the newline did not start a heading */
		CHECK(strstr(md, "a\\|b") != NULL);
		/* timeline in time order: the failed call at 1000 comes first */
		char *z = strstr(md, "x:Z"), *y = strstr(md, "x:Y");
		CHECK(z && y && z < y);
		CHECK(strstr(md, "FAILED: E") != NULL);
		CHECK(strstr(md, "ok (polled 7 times, until 1970-01-01 00:00:09.000Z)") != NULL);
	}
	free(md);
	CHECK_INT(pb_report_markdown("[]", 2, &md, msg, sizeof msg), SG_ERR_PARSE);
	CHECK_INT(pb_report_markdown("{", 1, &md, msg, sizeof msg), SG_ERR_PARSE);
	/* odd types are shown empty, never crash */
	const char *odd = "{\"incident\":5,\"steps\":{\"a\":1},\"capture\":[1]}";
	CHECK_INT(pb_report_markdown(odd, strlen(odd), &md, msg, sizeof msg), SG_OK);
	free(md);
	char *e = pb_md_escape("a\x01|b");
	CHECK_STR(e, "a \\|b");
	free(e);
}

/* The GuardDuty finding's section: every field escaped (GuardDuty copies
 * attacker-influenced text into findings); a sample says so; an unreadable
 * one says why. */
TEST(markdown_finding_section)
{
	const char *doc =
		"{\"incident\":\"INC-2\",\"steps\":[],\"finding\":{\"type\":\"Backdoor:EC2/C&CActivity.B!DNS\","
		"\"severity\":8,\"id\":\"f|1\",\"account\":\"123456789012\",\"region\":\"us-east-1\","
		"\"resource_type\":\"Instance\",\"resource_role\":\"<img/src=x>\",\"instance\":\"i-0abc\","
		"\"principal\":\"\",\"az\":\"us-east-1a\",\"first_seen\":\"2026-12-04T14:58:02.000Z\","
		"\"last_seen\":\"2026-12-04T15:01:40.000Z\",\"count\":3,\"sample\":true}}";
	char *md = NULL, msg[100];
	CHECK_INT(pb_report_markdown(doc, strlen(doc), &md, msg, sizeof msg), SG_OK);
	if (md) {
		CHECK(strstr(md, "## GuardDuty finding") != NULL);
		CHECKF(strstr(md, "- type: `Backdoor:EC2/C&amp;CActivity.B\\!DNS`") != NULL, "%s", md);
		CHECK(strstr(md, "- severity: `8.0`") != NULL);
		CHECK(strstr(md, "- finding id: `f\\|1`") != NULL);
		CHECK(strstr(md, "- resource role: `&lt;img/src=x&gt;`") != NULL);
		CHECK(strstr(md, "<img") == NULL);
		CHECK(strstr(md, "- first seen: `2026-12-04T14:58:02.000Z`") != NULL);
		CHECK(strstr(md, "- last seen: `2026-12-04T15:01:40.000Z`") != NULL);
		CHECK(strstr(md, "- count: `3`") != NULL);
		CHECK(strstr(md, "sample finding") != NULL);
		CHECK(strstr(md, "principal") == NULL);   /* empty: no line */
	}
	free(md);
	const char *bad = "{\"incident\":\"INC-2\",\"finding\":{\"unreadable\":\"finding: <x>\"}}";
	CHECK_INT(pb_report_markdown(bad, strlen(bad), &md, msg, sizeof msg), SG_OK);
	if (md)
		CHECK(strstr(md, "- unreadable: `finding: &lt;x&gt;`") != NULL);
	free(md);
}

/* The forensic examination's section: an intruder names the files, so
 * every path is escaped; odd shapes are shown empty; a missing result
 * line says the examination is not in the incident, never "ok". */
static void markdown_forensics_section(void)
{
	const char *doc =
		"{\"incident\":\"INC-1\",\"steps\":[],\"forensics\":{\"command_id\":\"c-1\","
		"\"ssm_status\":\"Success\",\"stdout_sha256\":\"ab\",\"examination\":{\"status\":\"ok\","
		"\"report\":\"/cases/INC-1/report.json\",\"report_sha256\":\"r1\",\"custody_head\":\"h1\","
		"\"evidence\":[{\"label\":\"vol-1\",\"status\":\"complete\",\"device_sha256\":\"d1\","
		"\"findings\":3,\"findings_omitted\":2,\"top_findings\":[{\"class\":\"added\","
		"\"path\":\"/var/www/html/<script>|x\\\\x0a.php\",\"interest\":\"web root\","
		"\"detail\":\"new file\"}]}]}}}";
	char *md = NULL, msg[100];
	CHECK_INT(pb_report_markdown(doc, strlen(doc), &md, msg, sizeof msg), SG_OK);
	if (md) {
		CHECK(strstr(md, "## Forensic examination") != NULL);
		CHECK(strstr(md, "- report SHA-256: `r1`") != NULL);
		CHECK(strstr(md, "| added | /var/www/html/&lt;script&gt;\\|x\\\\x0a.php | web root | new "
		                 "file |") != NULL);
		CHECK(strstr(md, "<script>") == NULL);
		CHECK(strstr(md, "... and 2 more in the forensic report") != NULL);
	}
	free(md);
	const char *running = "{\"steps\":[],\"forensics\":{\"command_id\":\"c-1\","
	                      "\"ssm_status\":\"InProgress\"}}";
	CHECK_INT(pb_report_markdown(running, strlen(running), &md, msg, sizeof msg), SG_OK);
	if (md) {
		CHECK(strstr(md, "no result from the examination yet") != NULL);
		CHECK(strstr(md, "- status:") == NULL);
	}
	free(md);
	const char *odd = "{\"forensics\":{\"examination\":{\"evidence\":[1,{\"top_findings\":{}}]}}}";
	CHECK_INT(pb_report_markdown(odd, strlen(odd), &md, msg, sizeof msg), SG_OK);
	free(md);
}

/* A value longer than any fixed scratch buffer lands whole: the report
 * builder grows (common/buf.h) and never cuts a line short silently. */
TEST(markdown_long_values_not_cut)
{
	char scope[701];
	memset(scope, 's', sizeof scope - 1);
	scope[sizeof scope - 1] = '\0';
	char doc[1200];
	snprintf(doc, sizeof doc,
	         "{\"steps\":[],\"forensics\":{\"examination\":{\"evidence\":[{\"label\":\"v\","
	         "\"yara\":{\"scope\":\"%s\",\"status\":\"complete\",\"matched\":1,"
	         "\"scanned\":2}}]}}}",
	         scope);
	char *md = NULL, msg[100];
	CHECK_INT(pb_report_markdown(doc, strlen(doc), &md, msg, sizeof msg), SG_OK);
	if (md) {
		char want[800];
		snprintf(want, sizeof want, "YARA (scope %s, complete): 1 of 2 scanned file(s) matched\n",
		         scope);
		CHECKF(strstr(md, want) != NULL, "%s", md);
	}
	free(md);
}

TEST_MAIN(argv_table, incident_by_name_or_number, argv_values_land, guardduty_rules_land, config_table, delivery_table, markdown_escapes_hostile_values, markdown_finding_section,
          markdown_forensics_section, markdown_long_values_not_cut)
