/* test_guardduty.c — GuardDuty Finding events: each supported type names
 * its instance, config picks the action, and everything else is refused
 * with a reason (the fuzz corpus holds the same shapes). */
#include <stdio.h>
#include <stdlib.h>

#include "playbook/guardduty.h"
#include "test.h"

#define WEB1 "i-0a1b2c3d4e5f60001"
#define ENV_HEAD "{\"version\":\"0\",\"id\":\"ev-1\",\"detail-type\":\"GuardDuty Finding\"," \
	"\"source\":\"aws.guardduty\",\"account\":\"123456789012\",\"region\":\"us-east-1\"," \
	"\"detail\":{\"id\":\"f-1\",\"accountId\":\"123456789012\",\"region\":\"us-east-1\","
#define ACCESS_KEY(principal) "\"resource\":{\"resourceType\":\"AccessKey\",\"accessKeyDetails\":" \
	"{\"principalId\":\"" principal "\",\"userType\":\"AssumedRole\"}}"
#define INSTANCE(id) "\"resource\":{\"resourceType\":\"Instance\",\"instanceDetails\":" \
	"{\"instanceId\":\"" id "\"}}"

static char *event(const char *type, const char *severity, const char *resource, const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, ENV_HEAD "\"type\":\"%s\",\"severity\":%s,%s%s}}", type, severity,
	         resource, extra);
	return buf;
}

static sg_err parse(const char *j, pb_gd_finding *f, char *msg)
{
	return pb_guardduty_parse(j, strlen(j), f, msg, 256);
}

TEST(each_supported_type_names_its_instance)
{
	static const struct {
		const char *type, *resource;
		pb_gd_type want;
	} rows[] = {
		{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
		 ACCESS_KEY("AROAEXAMPLE:" WEB1), PB_GD_CRED_EXFIL_OUTSIDE},
		{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
		 ACCESS_KEY("AROAEXAMPLE:" WEB1), PB_GD_CRED_EXFIL_INSIDE},
		{"UnauthorizedAccess:EC2/MetadataDNSRebind", INSTANCE(WEB1), PB_GD_EC2_DNS_REBIND},
		{"UnauthorizedAccess:Runtime/MetadataDNSRebind", INSTANCE(WEB1), PB_GD_RUNTIME_DNS_REBIND},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		pb_gd_finding f;
		char msg[256];
		sg_err rc = parse(event(rows[i].type, "8.5", rows[i].resource, ""), &f, msg);
		CHECKF(rc == SG_OK, "%s: %s", rows[i].type, msg);
		CHECK_INT(f.type, rows[i].want);
		CHECK_STR(f.type_name, rows[i].type);
		CHECK_STR(f.instance_id, WEB1);
		CHECK_STR(f.finding_id, "f-1");
		CHECK_STR(f.event_id, "ev-1");
		CHECK_STR(f.account, "123456789012");
		CHECK_STR(f.region, "us-east-1");
		CHECK(f.severity == 8.5);
		CHECK(!f.sample);
	}
}

TEST(refusals_say_why)
{
	static const struct {
		const char *label, *json;
		sg_err want;
		const char *says;
	} rows[] = {
		{"unknown type", NULL, SG_ERR_UNSUPPORTED, "Recon:EC2/PortProbeUnprotectedPortX"},
		{"not json", "{\"source\":", SG_ERR_PARSE, "event: "},
		{"array", "[]", SG_ERR_PARSE, "not a JSON object"},
		{"other source", "{\"source\":\"ssrfguard\",\"detail-type\":\"GuardDuty Finding\"}",
		 SG_ERR_PARSE, "not a GuardDuty Finding"},
		{"no detail", "{\"source\":\"aws.guardduty\",\"detail-type\":\"GuardDuty Finding\","
		              "\"id\":\"e\"}", SG_ERR_PARSE, "detail is not an object"},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const char *j = rows[i].json ? rows[i].json
		                             : event("Recon:EC2/PortProbeUnprotectedPortX", "8",
		                                     INSTANCE(WEB1), "");
		pb_gd_finding f;
		char msg[256];
		CHECKF(parse(j, &f, msg) == rows[i].want, "%s", rows[i].label);
		CHECKF(strstr(msg, rows[i].says) != NULL, "%s: msg \"%s\"", rows[i].label, msg);
	}
}

TEST(bad_fields_are_refused)
{
	const char *outside = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS";
	const char *rebind = "UnauthorizedAccess:EC2/MetadataDNSRebind";
	pb_gd_finding f;
	char msg[256];
	/* an IAM user's key is not an instance's credentials */
	CHECK_INT(parse(event(outside, "8", ACCESS_KEY("AIDAEXAMPLE"), ""), &f, msg), SG_ERR_PARSE);
	CHECK(strstr(msg, "not an instance profile") != NULL);
	CHECK_INT(parse(event(outside, "8", ACCESS_KEY("AROA:i-zzzz"), ""), &f, msg), SG_ERR_PARSE);
	CHECK_INT(parse(event(rebind, "8", ACCESS_KEY("AROA:" WEB1), ""), &f, msg), SG_ERR_PARSE);
	CHECK_INT(parse(event(rebind, "8", INSTANCE("i-0A1B2C3D"), ""), &f, msg), SG_ERR_PARSE);
	CHECK_INT(parse(event(rebind, "8", INSTANCE("i-0a1b2c3d"), ""), &f, msg), SG_OK);
	CHECK_INT(parse(event(rebind, "\"high\"", INSTANCE(WEB1), ""), &f, msg), SG_ERR_PARSE);
	CHECK(strstr(msg, "severity") != NULL);
	CHECK_INT(parse(event(rebind, "11", INSTANCE(WEB1), ""), &f, msg), SG_ERR_PARSE);
	CHECK_INT(parse(event(rebind, "-1", INSTANCE(WEB1), ""), &f, msg), SG_ERR_PARSE);
	CHECK(f.instance_id[0] == '\0');   /* nothing half-filled on refusal */
	/* control characters in attacker text are escaped in the message */
	CHECK_INT(parse(event("Evil\\u001b[2J\\nX", "8", INSTANCE(WEB1), ""), &f, msg),
	          SG_ERR_UNSUPPORTED);
	CHECKF(strstr(msg, "Evil\\x1b[2J\\x0aX") != NULL, "msg \"%s\"", msg);
	CHECK(strchr(msg, '\n') == NULL && strchr(msg, 0x1b) == NULL);
	/* the principal's excerpt too: C0, C1, DEL and invalid bytes escaped,
	 * text kept, cut after 64 bytes */
	CHECK_INT(parse(event(outside, "8", ACCESS_KEY("A\\u001b[2J\\u0085\\u007f|\\u00e9\\n"
	                                                 "0123456789012345678901234567890123456789"
	                                                 "01234567890123456789"), ""), &f, msg),
	          SG_ERR_PARSE);
	CHECKF(strstr(msg, "\"A\\x1b[2J\\xc2\\x85\\x7f|\xc3\xa9\\x0a"
	                   "0123456789012345678901234567890123456789012345678901...\"") != NULL,
	       "msg \"%s\"", msg);
	CHECK(strchr(msg, 0x1b) == NULL && strchr(msg, 0x7f) == NULL);
	/* duplicate keys: the event may not say two things at once */
	const char *dup = "{\"source\":\"aws.guardduty\",\"source\":\"x\"}";
	CHECK_INT(parse(dup, &f, msg), SG_ERR_PARSE);
	/* too big, too deep */
	char *big = calloc(PB_GD_EVENT_MAX + 2, 1);
	if (big) {
		memset(big, ' ', PB_GD_EVENT_MAX + 1);
		CHECK_INT(pb_guardduty_parse(big, PB_GD_EVENT_MAX + 1, &f, msg, sizeof msg), SG_ERR_RANGE);
		free(big);
	}
	char deep[400];
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	CHECK_INT(pb_guardduty_parse(deep, sizeof deep, &f, msg, sizeof msg), SG_ERR_RANGE);
	CHECKF(strstr(msg, "event nested deeper than 32") != NULL, "msg \"%s\"", msg);
	CHECK_INT(pb_guardduty_parse(NULL, 0, &f, msg, sizeof msg), SG_ERR_INVAL);
}

TEST(config_decides)
{
	const char *rebind = "UnauthorizedAccess:EC2/MetadataDNSRebind";
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	pb_gd_finding f;
	char msg[256];
	CHECK_INT(parse(event(rebind, "8", INSTANCE(WEB1), ""), &f, msg), SG_OK);
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_CONTAIN);
	f.severity = 5.0;   /* medium: below the default containment threshold */
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_OBSERVE);
	f.severity = 0.5;
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_IGNORE);
	cfg.contain_min[PB_GD_EC2_DNS_REBIND] = 4.0;
	f.severity = 5.0;
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_CONTAIN);
	cfg.action[PB_GD_EC2_DNS_REBIND] = PB_GD_IGNORE;
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_IGNORE);
	cfg.action[PB_GD_EC2_DNS_REBIND] = PB_GD_OBSERVE;
	f.severity = 9.0;
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_OBSERVE);
	/* a generated sample finding is never contained */
	pb_gd_config_default(&cfg);
	CHECK_INT(parse(event(rebind, "8", INSTANCE(WEB1),
	                      ",\"service\":{\"additionalInfo\":{\"sample\":true}}"), &f, msg), SG_OK);
	CHECK(f.sample);
	CHECK_INT(pb_guardduty_decide(&cfg, &f), PB_GD_OBSERVE);
	pb_gd_action a;
	CHECK_INT(pb_gd_action_parse("contain", &a), SG_OK);
	CHECK_INT(a, PB_GD_CONTAIN);
	CHECK_INT(pb_gd_action_parse("Contain", &a), SG_ERR_INVAL);
	CHECK_STR(pb_gd_action_name(PB_GD_OBSERVE), "observe");
}

/* Every row of the table: a finding of that type in its documented shape
 * names its instance and gets the row's default action; the table has no
 * duplicate and every name is in GuardDuty's ThreatPurpose:Resource/Name
 * form. */
TEST(every_type_of_the_table)
{
	size_t n;
	const pb_gd_type_def *t = pb_gd_types(&n);
	CHECK(n > 60 && n <= PB_GD_TYPE_MAX);
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	size_t by_action[3] = {0};
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++)
			CHECKF(strcmp(t[i].name, t[j].name), "duplicate %s", t[i].name);
		const char *colon = strchr(t[i].name, ':'), *slash = strchr(t[i].name, '/');
		CHECKF(colon && slash && colon < slash && slash[1], "%s", t[i].name);
		const char *res = t[i].subject == PB_GD_BY_SESSION ? ACCESS_KEY("AROAEXAMPLE:" WEB1)
		                                                   : INSTANCE(WEB1);
		pb_gd_finding f;
		char msg[256];
		CHECKF(parse(event(t[i].name, "8", res, ""), &f, msg) == SG_OK, "%s: %s", t[i].name, msg);
		CHECK_INT(f.type, (int)i);
		CHECK_STR(f.instance_id, WEB1);
		CHECK_INT(pb_guardduty_decide(&cfg, &f), t[i].dflt);
		by_action[t[i].dflt]++;
	}
	CHECK_INT(by_action[PB_GD_CONTAIN], 4);   /* only what SSRF leads to is contained */
	CHECK(by_action[PB_GD_OBSERVE] > 40 && by_action[PB_GD_IGNORE] >= 6);
}

TEST(patterns)
{
	static const struct {
		const char *pattern, *type;
		bool want;
	} rows[] = {
		{"Backdoor:EC2/Spambot", "Backdoor:EC2/Spambot", true},
		{"Backdoor:EC2/", "Backdoor:EC2/Spambot", true},
		{"Backdoor:", "Backdoor:EC2/Spambot", true},
		{"Backdoor", "Backdoor:EC2/Spambot", true},
		{"Back", "Backdoor:EC2/Spambot", false},             /* not at a boundary */
		{"Trojan:EC2/DropPoint", "Trojan:EC2/DropPoint!DNS", true},
		{"Trojan:EC2/Drop", "Trojan:EC2/DropPoint", false},
		{"CryptoCurrency:EC2/BitcoinTool.B", "CryptoCurrency:EC2/BitcoinTool.B!DNS", true},
		{"*:Runtime/*", "Execution:Runtime/ReverseShell", true},
		{"*:Runtime/*", "Backdoor:EC2/Spambot", false},
		{"*DNS", "Trojan:EC2/DropPoint!DNS", true},
		{"*DNS", "Trojan:EC2/DropPoint", false},
		{"Backdoor:EC2/C&CActivity.?", "Backdoor:EC2/C&CActivity.B", true},
		{"*", "Recon:EC2/Portscan", true},
		{"", "Recon:EC2/Portscan", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECKF(pb_gd_pattern_match(rows[i].pattern, rows[i].type) == rows[i].want, "%s ~ %s",
		       rows[i].pattern, rows[i].type);
}

TEST(rules)
{
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	char msg[256];
	size_t hits = 0;
	pb_gd_type spambot, probe;
	CHECK_INT(pb_gd_type_lookup("Backdoor:EC2/Spambot", &spambot), SG_OK);
	CHECK_INT(pb_gd_type_lookup("Recon:EC2/PortProbeUnprotectedPort", &probe), SG_OK);
	CHECK_INT(pb_gd_rule_action(&cfg, "Backdoor:EC2/=contain", &hits, msg, sizeof msg), SG_OK);
	CHECK_INT(hits, 8);
	CHECK_INT(cfg.action[spambot], PB_GD_CONTAIN);
	CHECK_INT(cfg.action[probe], PB_GD_IGNORE);
	CHECK_INT(pb_gd_rule_action(&cfg, "observe", &hits, msg, sizeof msg), SG_OK);
	size_t n;
	pb_gd_types(&n);
	CHECK_INT(hits, n);
	CHECK_INT(cfg.action[PB_GD_CRED_EXFIL_INSIDE], PB_GD_OBSERVE);
	CHECK_INT(pb_gd_rule_severity(&cfg, "UnauthorizedAccess:IAMUser/=4.5", &hits, msg, sizeof msg),
	          SG_OK);
	CHECK_INT(hits, 2);
	CHECK(cfg.contain_min[PB_GD_CRED_EXFIL_OUTSIDE] == 4.5);
	CHECK(cfg.contain_min[PB_GD_EC2_DNS_REBIND] == 7.0);
	CHECK_INT(pb_gd_rule_severity(&cfg, "10", NULL, msg, sizeof msg), SG_OK);
	CHECK(cfg.contain_min[PB_GD_EC2_DNS_REBIND] == 10.0);
	static const struct {
		const char *rule;
		bool severity;
		sg_err want;
		const char *says;
	} bad[] = {
		{"Backdor:EC2/=contain", false, SG_ERR_NOTFOUND, "matches no GuardDuty finding type"},
		{"Backdoor:EC2/=quarantine", false, SG_ERR_INVAL, "contain, observe or ignore"},
		{"Backdoor:EC2/=", false, SG_ERR_INVAL, "contain, observe or ignore"},
		{"=contain", false, SG_ERR_INVAL, "pattern"},
		{"Evil\x1b[2J=contain", false, SG_ERR_NOTFOUND, "Evil\\x1b[2J"},
		{"10.5", true, SG_ERR_INVAL, "0-10"},
		{"7.25", true, SG_ERR_INVAL, "one decimal"},
		{"-1", true, SG_ERR_INVAL, "0-10"},
		{"1e1", true, SG_ERR_INVAL, "0-10"},
		{"Recon:*=abc", true, SG_ERR_INVAL, "0-10"},
		{"Nothing*=5", true, SG_ERR_NOTFOUND, "matches no"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sg_err rc = bad[i].severity ? pb_gd_rule_severity(&cfg, bad[i].rule, NULL, msg, sizeof msg)
		                            : pb_gd_rule_action(&cfg, bad[i].rule, NULL, msg, sizeof msg);
		CHECKF(rc == bad[i].want, "%s: %d", bad[i].rule, rc);
		CHECKF(strstr(msg, bad[i].says) != NULL, "%s: msg \"%s\"", bad[i].rule, msg);
		CHECK(strchr(msg, 0x1b) == NULL);
	}
}

/* The documented shape (tests/data/guardduty/): what each sample says, and
 * the action its type gets by default. */
static char *slurp(const char *name, size_t *len)
{
	char path[512];
	const char *dir = getenv("GUARDDUTY_SAMPLES");
	snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data/guardduty", name);
	FILE *fp = fopen(path, "rb");
	char *buf = fp ? malloc(PB_GD_EVENT_MAX) : NULL;
	*len = buf ? fread(buf, 1, PB_GD_EVENT_MAX, fp) : 0;
	if (fp)
		fclose(fp);
	return buf;
}

TEST(documented_samples)
{
	static const struct {
		const char *file, *type, *instance, *az, *role, *principal;
		pb_gd_action dflt;
	} rows[] = {
		{"cred_exfil_outside.json", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
		 "i-0a1b2c3d4e5f60001", "", "TARGET", "AROAEXAMPLEROLEID0001:i-0a1b2c3d4e5f60001", PB_GD_CONTAIN},
		{"cred_exfil_inside.json", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
		 "i-0a1b2c3d4e5f60002", "", "TARGET", "AROAEXAMPLEROLEID0001:i-0a1b2c3d4e5f60002", PB_GD_CONTAIN},
		{"ec2_metadata_dns_rebind.json", "UnauthorizedAccess:EC2/MetadataDNSRebind",
		 "i-0a1b2c3d4e5f60001", "us-east-1a", "ACTOR", "", PB_GD_CONTAIN},
		{"runtime_metadata_dns_rebind.json", "UnauthorizedAccess:Runtime/MetadataDNSRebind",
		 "i-0a1b2c3d4e5f60001", "us-east-1a", "ACTOR", "", PB_GD_CONTAIN},
		{"backdoor_cc_dns.json", "Backdoor:EC2/C&CActivity.B!DNS", "i-0a1b2c3d4e5f60001",
		 "us-east-1a", "ACTOR", "", PB_GD_OBSERVE},
		{"recon_port_probe.json", "Recon:EC2/PortProbeUnprotectedPort", "i-0a1b2c3d4e5f60001",
		 "us-east-1a", "TARGET", "", PB_GD_IGNORE},
	};
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len;
		char *j = slurp(rows[i].file, &len), msg[256];
		CHECKF(j && len > 0, "%s: cannot read it", rows[i].file);
		if (!j)
			continue;
		pb_gd_finding f;
		CHECKF(pb_guardduty_parse(j, len, &f, msg, sizeof msg) == SG_OK, "%s: %s", rows[i].file, msg);
		CHECK_STR(f.type_name, rows[i].type);
		CHECK_STR(f.instance_id, rows[i].instance);
		CHECK_STR(f.az, rows[i].az);
		CHECK_STR(f.resource_role, rows[i].role);
		CHECK_STR(f.principal, rows[i].principal);
		CHECK_STR(f.account, "123456789012");
		CHECK_STR(f.first_seen, "2026-12-04T14:58:02.000Z");
		CHECK_STR(f.last_seen, "2026-12-04T15:01:40.000Z");
		CHECK_INT(f.count, 3);
		CHECK(f.event_id[0] && f.finding_id[0]);
		CHECK_INT(pb_guardduty_decide(&cfg, &f), rows[i].dflt);
		free(j);
	}
}

/* The finding alone (as kept with the incident) reads the same. */
TEST(detail_alone)
{
	const char *d = "{\"id\":\"f-9\",\"accountId\":\"123456789012\",\"region\":\"eu-west-1\","
	                "\"type\":\"UnauthorizedAccess:EC2/MetadataDNSRebind\",\"severity\":8,"
	                INSTANCE(WEB1) ",\"service\":{\"eventFirstSeen\":\"2026-12-04T10:00:00Z\"}}";
	pb_gd_finding f;
	char msg[256];
	CHECKF(pb_guardduty_parse_detail(d, strlen(d), &f, msg, sizeof msg) == SG_OK, "%s", msg);
	CHECK_STR(f.finding_id, "f-9");
	CHECK_STR(f.region, "eu-west-1");
	CHECK_STR(f.first_seen, "2026-12-04T10:00:00Z");
	CHECK_STR(f.event_id, "");
	CHECK_INT(pb_guardduty_parse_detail("[1]", 3, &f, msg, sizeof msg), SG_ERR_PARSE);
	CHECK(strstr(msg, "not a JSON object") != NULL);
	/* an EKS runtime finding without an EC2 node names no instance */
	const char *eks = "{\"id\":\"f-9\",\"accountId\":\"123456789012\",\"region\":\"eu-west-1\","
	                  "\"type\":\"Execution:Runtime/ReverseShell\",\"severity\":8,"
	                  "\"resource\":{\"resourceType\":\"ECSCluster\"}}";
	CHECK_INT(pb_guardduty_parse_detail(eks, strlen(eks), &f, msg, sizeof msg), SG_ERR_PARSE);
	CHECKF(strstr(msg, "resource ECSCluster") != NULL, "%s", msg);
}

TEST_MAIN(each_supported_type_names_its_instance, refusals_say_why, bad_fields_are_refused,
          config_decides, every_type_of_the_table, patterns, rules, documented_samples,
          detail_alone)
