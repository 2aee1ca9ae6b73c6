/* test_plan.c — recorded instance, its JSON, plan generation and helpers. */
#include <jansson.h>
#include <stdlib.h>

#include "playbook/memory.h"
#include "playbook/plan.h"
#include "playbook/revoke.h"
#include "test.h"

/* A web server with two ENIs in two VPCs (IPv4 + IPv6), in an ASG, behind
 * an instance target group, an IP target group and a classic ELB. */
static pb_instance *sample(void)
{
	pb_instance *in = pb_instance_new();
	pb_eni *e;
	pb_strset(in->id, sizeof in->id, "i-0abc");
	pb_strset(in->vpc, sizeof in->vpc, "vpc-1");
	pb_strset(in->region, sizeof in->region, "eu-west-1");
	pb_strset(in->account, sizeof in->account, "123456789012");
	pb_strset(in->asg, sizeof in->asg, "web-asg");
	pb_strset(in->role_name, sizeof in->role_name, "web-role");
	pb_strset(in->profile_arn, sizeof in->profile_arn, "arn:aws:iam::123456789012:instance-profile/web");
	pb_strset(in->profile_assoc, sizeof in->profile_assoc, "iip-assoc-1");
	pb_strset(in->http_tokens, sizeof in->http_tokens, "optional");
	in->hop_limit = 2;
	pb_instance_add_eni(in, "eni-1", "vpc-1", "subnet-1", 0, &e);
	pb_eni_add_group(e, "sg-web");
	pb_eni_add_group(e, "sg-ssh");
	pb_eni_add_addr(e, "10.0.0.5");
	pb_eni_add_addr(e, "2001:db8:1::5");
	e->conntrack_tcp_established_s = 3600;
	e->conntrack_udp_stream_s = 120;
	e->conntrack_udp_s = 45;
	pb_instance_add_eni(in, "eni-2", "vpc-2", "subnet-2", 1, &e);
	pb_eni_add_group(e, "sg-db");
	pb_eni_add_addr(e, "10.1.0.7");
	pb_instance_add_volume(in, "vol-root", "/dev/xvda", true, true);
	pb_instance_add_volume(in, "vol-data", "/dev/sdf", false, false);
	pb_instance_add_target(in, "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1", "i-0abc", 80, "");
	pb_instance_add_target(in, "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/web/1", "i-0abc", 8080, "");
	pb_instance_add_target(in, "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/ip/2", "10.1.0.7", 443, "all");
	pb_instance_add_elb(in, "classic-web");
	pb_instance_add_tag(in, "Name", "web-1");
	return in;
}

TEST(plan_full_instance)
{
	pb_instance *in = sample();
	pb_config cfg;
	pb_config_default(&cfg);
	pb_strset(cfg.forensic_instance, sizeof cfg.forensic_instance, "i-forensic");
	pb_plan plan = {0};
	CHECK_INT(pb_plan_build(in, &cfg, "INC-7", &plan), SG_OK);
	CHECK_INT(pb_plan_count(&plan, PB_RECORD), 1);
	CHECK_INT(pb_plan_count(&plan, PB_ASG), 1);
	CHECK_INT(pb_plan_count(&plan, PB_LB), 4);          /* 3 registrations + 1 ELB */
	CHECK_INT(pb_plan_count(&plan, PB_PRESERVE), 4);    /* 3 attributes + 1 volume to keep */
	CHECK_INT(pb_plan_count(&plan, PB_REVOKE), 1);
	CHECK_INT(pb_plan_count(&plan, PB_STRIP), 1);
	/* 2 VPCs x (open + quarantine) + 2 ENIs x (open, conntrack, quarantine) */
	CHECK_INT(pb_plan_count(&plan, PB_ISOLATE), 10);
	CHECK_INT(pb_plan_count(&plan, PB_FORENSICS), 5);
	CHECK(plan.applicable & PB_BIT(PB_ASG));
	/* actions appear in playbook order */
	for (size_t i = 1; i < plan.n; i++)
		CHECKF(plan.actions[i - 1].step <= plan.actions[i].step, "action %zu out of order", i);
	/* the IP target keeps its port */
	bool ip_seen = false;
	for (size_t i = 0; i < plan.n; i++)
		if (plan.actions[i].op == PB_OP_TG_DEREGISTER && !strcmp(plan.actions[i].arg, "10.1.0.7"))
			ip_seen = plan.actions[i].port == 443;
	CHECK(ip_seen);
	CHECK(pb_op_mutating(PB_OP_ENI_GROUPS));
	CHECK(!pb_op_mutating(PB_OP_DESCRIBE));
	CHECK_STR(pb_op_api(PB_OP_ASG_DETACH), "autoscaling:DetachInstances");
	pb_plan_free(&plan);
	pb_plan_free(&plan); /* idempotent */
	pb_instance_free(in);
}

TEST(plan_bare_instance)
{
	/* no ASG, no profile, no LB, no forensic instance configured */
	pb_instance *in = pb_instance_new();
	pb_eni *e;
	pb_strset(in->id, sizeof in->id, "i-bare");
	pb_instance_add_eni(in, "eni-9", "vpc-9", "subnet-9", 0, &e);
	pb_instance_add_volume(in, "vol-9", "/dev/xvda", false, true);
	pb_config cfg;
	pb_config_default(&cfg);
	cfg.conntrack_timeouts = false;
	pb_plan plan = {0};
	CHECK_INT(pb_plan_build(in, &cfg, "INC-8", &plan), SG_OK);
	CHECK_INT(pb_plan_count(&plan, PB_ASG), 0);
	CHECK_INT(pb_plan_count(&plan, PB_LB), 0);
	CHECK_INT(pb_plan_count(&plan, PB_REVOKE), 0);
	CHECK_INT(pb_plan_count(&plan, PB_STRIP), 0);
	CHECK_INT(pb_plan_count(&plan, PB_FORENSICS), 0);
	CHECK_INT(pb_plan_count(&plan, PB_ISOLATE), 4);
	CHECK(!(plan.applicable & PB_BIT(PB_ASG)));
	CHECK(plan.applicable & PB_BIT(PB_FINISH));
	/* disabled steps plan nothing; a bad incident id plans nothing */
	cfg.order.enabled &= ~PB_BIT(PB_ISOLATE);
	CHECK_INT(pb_plan_build(in, &cfg, "INC-8", &plan), SG_OK);
	CHECK_INT(pb_plan_count(&plan, PB_ISOLATE), 0);
	CHECK_INT(pb_plan_build(in, &cfg, "INC 8", &plan), SG_ERR_INVAL);
	CHECK_INT(plan.n, 0);
	pb_plan_free(&plan);
	pb_instance_free(in);
}

TEST(configured_quarantine_profile_replaces)
{
	pb_instance *in = sample();
	pb_config cfg;
	pb_config_default(&cfg);
	pb_strset(cfg.quarantine_profile, sizeof cfg.quarantine_profile,
	          "arn:aws:iam::1:instance-profile/quarantine");
	pb_plan plan = {0};
	CHECK_INT(pb_plan_build(in, &cfg, "INC-1", &plan), SG_OK);
	/* swapped in by revoke, before the deny (the SSM agent keeps working),
	 * and strip's replacement finds it done */
	size_t n = 0, first = plan.n, deny = plan.n;
	for (size_t i = 0; i < plan.n; i++) {
		if (plan.actions[i].op == PB_OP_PROFILE_REPLACE && n++ == 0)
			first = i;
		if (plan.actions[i].op == PB_OP_PUT_ROLE_POLICY)
			deny = i;
	}
	CHECK_INT(n, 2);
	CHECK(first < plan.n && plan.actions[first].step == PB_REVOKE);
	CHECK(first < deny);
	pb_plan_free(&plan);
	pb_instance_free(in);
}

TEST(json_roundtrip)
{
	pb_instance *in = sample();
	char *j = pb_instance_to_json(in);
	CHECK(j != NULL);
	pb_instance *back = NULL;
	char msg[200];
	CHECK_INT(pb_instance_from_json(j, strlen(j), &back, msg, sizeof msg), SG_OK);
	if (back) {
		char *j2 = pb_instance_to_json(back);
		CHECK_STR(j2, j);
		CHECK_INT(back->n_enis, 2);
		CHECK_STR(back->enis[0].groups[1], "sg-ssh");
		CHECK_STR(back->enis[0].addrs[1], "2001:db8:1::5");
		CHECK_INT(back->enis[0].conntrack_tcp_established_s, 3600);
		CHECK_INT(back->enis[0].conntrack_udp_s, 45);
		CHECK_INT(back->enis[1].conntrack_tcp_established_s, 0); /* none reported */
		CHECK_INT(back->targets[2].port, 443);
		CHECK(back->volumes[0].delete_on_termination);
		CHECK_STR(back->tags[0].value, "web-1");
		free(j2);
	}
	pb_instance_free(back);
	free(j);
	pb_instance_free(in);
}

static const struct {
	const char *json;
	const char *label;
} bad_json[] = {
	{"", "empty"},
	{"[]", "array"},
	{"{}", "no id"},
	{"{\"id\":5}", "id not a string"},
	{"{\"id\":\"i-1\",\"enis\":{}}", "enis not array"},
	{"{\"id\":\"i-1\",\"enis\":[5]}", "eni not object"},
	{"{\"id\":\"i-1\",\"enis\":[{}]}", "eni without id"},
	{"{\"id\":\"i-1\",\"enis\":[{\"id\":\"e\",\"groups\":[1]}]}", "group not string"},
	{"{\"id\":\"i-1\",\"hop_limit\":1000}", "hop limit range"},
	{"{\"id\":\"i-1\",\"hop_limit\":\"1\"}", "hop limit type"},
	{"{\"id\":\"i-1\",\"targets\":[{\"group_arn\":\"a\",\"id\":\"b\",\"port\":70000}]}", "port range"},
	{"{\"id\":\"i-1\",\"targets\":[{\"group_arn\":\"a\"}]}", "target without id"},
	{"{\"id\":\"i-1\",\"tags\":[]}", "tags not object"},
	{"{\"id\":\"i-1\",\"tags\":{\"a\":1}}", "tag not string"},
	{"{\"id\":\"i-1\",\"id\":\"i-2\"}", "duplicate key"},
	{"{\"id\":\"i-\\u0000\"}", "NUL in string"},
	{"{\"id\":\"i-1\",\"termination_protection\":1}", "bool type"},
	{"{\"id\":\"i-1\"", "truncated"},
};

TEST(json_rejects_malformed)
{
	for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
		pb_instance *out = (pb_instance *)1;
		char msg[200] = "";
		sg_err err = pb_instance_from_json(bad_json[i].json, strlen(bad_json[i].json), &out, msg,
		                                   sizeof msg);
		CHECKF(err == SG_ERR_PARSE, "%s: got %d", bad_json[i].label, err);
		CHECKF(out == NULL, "%s: out set", bad_json[i].label);
		CHECKF(msg[0], "%s: no message", bad_json[i].label);
	}
	/* over capacity: 33 ENIs */
	char buf[8192];
	size_t n = (size_t)snprintf(buf, sizeof buf, "{\"id\":\"i-1\",\"enis\":[");
	for (int i = 0; i < PB_MAX_ENIS + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"id\":\"eni-%d\"}", i ? "," : "", i);
	snprintf(buf + n, sizeof buf - n, "]}");
	pb_instance *out = NULL;
	CHECK_INT(pb_instance_from_json(buf, strlen(buf), &out, NULL, 0), SG_ERR_PARSE);
	/* long string */
	char big[1024];
	memset(big, 'a', sizeof big);
	n = (size_t)snprintf(big, sizeof big, "{\"id\":\"");
	memset(big + n, 'x', 200);
	snprintf(big + n + 200, sizeof big - n - 200, "\"}");
	CHECK_INT(pb_instance_from_json(big, strlen(big), &out, NULL, 0), SG_ERR_PARSE);
}

TEST(capacities_are_enforced)
{
	pb_instance *in = pb_instance_new();
	for (int i = 0; i < PB_MAX_ELBS; i++)
		CHECK_INT(pb_instance_add_elb(in, "x"), SG_OK);
	CHECK_INT(pb_instance_add_elb(in, "x"), SG_ERR_RANGE);
	pb_eni *e;
	CHECK_INT(pb_instance_add_eni(in, "eni-1", "v", "s", 0, &e), SG_OK);
	for (int i = 0; i < PB_MAX_GROUPS; i++)
		CHECK_INT(pb_eni_add_group(e, "sg"), SG_OK);
	CHECK_INT(pb_eni_add_group(e, "sg"), SG_ERR_RANGE);
	char longid[PB_ID_MAX + 1];
	memset(longid, 'a', PB_ID_MAX);
	longid[PB_ID_MAX] = '\0';
	CHECK_INT(pb_instance_add_volume(in, longid, "/dev/sdf", false, false), SG_ERR_RANGE);
	CHECK_INT(pb_instance_add_target(in, "arn", "i", 70000, ""), SG_ERR_RANGE);
	pb_instance_free(in);
	pb_instance_free(NULL);
}

TEST(target_matching)
{
	pb_instance *in = sample();
	CHECK(pb_instance_matches_target(in, "i-0abc"));
	CHECK(pb_instance_matches_target(in, "10.0.0.5"));
	CHECK(pb_instance_matches_target(in, "10.1.0.7"));
	CHECK(pb_instance_matches_target(in, "2001:DB8:1:0::5"));
	CHECK(!pb_instance_matches_target(in, "10.0.0.50"));
	CHECK(!pb_instance_matches_target(in, "i-0abcd"));
	CHECK(!pb_instance_matches_target(in, ""));
	char vpcs[4][PB_ID_MAX];
	CHECK_INT(pb_instance_vpcs(in, vpcs, 4), 2);
	CHECK_STR(vpcs[1], "vpc-2");
	pb_instance_free(in);
}

/* The statement of instance arn in a merged document, or NULL. */
static json_t *stmt_of(json_t *doc, const char *arn)
{
	size_t i;
	json_t *st;
	json_array_foreach(json_object_get(doc, "Statement"), i, st)
	{
		json_t *c = json_object_get(st, "Condition");
		const char *a = json_string_value(
			json_object_get(json_object_get(c, "ArnEquals"), "ec2:SourceInstanceARN"));
		if (a && !strcmp(a, arn))
			return st;
	}
	return NULL;
}

TEST(revoke_policy)
{
	const char *a1 = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc";
	const char *a2 = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0def";
	long long now = 1795000000; /* 2026-11-18 */
	char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL;
	CHECK_INT(pb_revoke_merge(NULL, a1, "2026-11-18T08:00:00Z", now, &d1), SG_OK);
	json_t *j = d1 ? json_loads(d1, 0, NULL) : NULL;
	json_t *st = stmt_of(j, a1);
	CHECK(st != NULL);
	CHECK_STR(json_string_value(json_object_get(st, "Effect")), "Deny");
	CHECK_STR(json_string_value(json_object_get(st, "Action")), "*");
	CHECK_STR(json_string_value(json_object_get(st, "Sid")), "SsrfguardRevokei0abc");
	json_t *cond = json_object_get(st, "Condition");
	CHECK_STR(json_string_value(json_object_get(json_object_get(cond, "DateLessThan"),
	                                            "aws:TokenIssueTime")),
	          "2026-11-18T08:00:00Z");
	CHECK_INT(json_object_size(cond), 2); /* both conditions, so AND */
	json_decref(j);
	/* a second instance joins; the first one's later incident replaces its
	 * statement in place: no growth per incident */
	CHECK_INT(pb_revoke_merge(d1, a2, "2026-11-18T09:00:00Z", now, &d2), SG_OK);
	CHECK_INT(pb_revoke_merge(d2, a1, "2026-11-18T10:00:00Z", now, &d3), SG_OK);
	free(d2);
	j = d3 ? json_loads(d3, 0, NULL) : NULL;
	CHECK_INT(json_array_size(json_object_get(j, "Statement")), 2);
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(json_object_get(stmt_of(j, a1), "Condition"), "DateLessThan"),
			  "aws:TokenIssueTime")),
	          "2026-11-18T10:00:00Z");
	json_decref(j);
	CHECK_INT(pb_revoke_merge(d3, a1, "2026-11-18T10:00:00Z", now, &d4), SG_OK);
	CHECK_STR(d4, d3); /* a rerun writes the same document */
	free(d4);
	/* a day later the old statements have outlived every session: dropped */
	CHECK_INT(pb_revoke_merge(d3, a2, "2026-11-19T12:00:00Z", now + 86400 + 3600 * 10, &d4),
	          SG_OK);
	j = d4 ? json_loads(d4, 0, NULL) : NULL;
	CHECK_INT(json_array_size(json_object_get(j, "Statement")), 1);
	CHECK(stmt_of(j, a1) == NULL);
	json_decref(j);
	CHECK_INT((int)pb_policy_size("{ \"a\" :\n 1 }"), 7);
	CHECK_INT(pb_revoke_merge("not json", a1, "2026-11-18T08:00:00Z", now, &d2), SG_ERR_PARSE);
	CHECK_INT(pb_revoke_merge(NULL, "arn:aws:ec2:r:1:instance/i\"", "2026-11-25T17:00:00Z", now, &d2),
	          SG_ERR_INVAL);
	CHECK_INT(pb_revoke_merge(NULL, a1, "2026-11-25 17:00:00", now, &d2), SG_ERR_INVAL);
	free(d1);
	free(d3);
	free(d4);
	char arn[256];
	CHECK_INT(pb_instance_arn("cn-north-1", "1", "i-1", arn, sizeof arn), SG_OK);
	CHECK_STR(arn, "arn:aws-cn:ec2:cn-north-1:1:instance/i-1");
	CHECK_INT(pb_instance_arn("us-gov-west-1", "1", "i-1", arn, sizeof arn), SG_OK);
	CHECK_STR(arn, "arn:aws-us-gov:ec2:us-gov-west-1:1:instance/i-1");
	CHECK_INT(pb_instance_arn("eu-west-1", "1:2", "i-1", arn, sizeof arn), SG_ERR_INVAL);
}

TEST(client_tokens)
{
	char a[65], b[65], c[65];
	CHECK_INT(pb_client_token("INC-1", "snap-1", a), SG_OK);
	CHECK_INT(pb_client_token("INC-1", "snap-1", b), SG_OK);
	CHECK_INT(pb_client_token("INC-1", "snap-2", c), SG_OK);
	CHECK_STR(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK_INT(strlen(a), 64);
	/* sha256("ssrfguard:INC-1:snap-1"), computed independently */
	CHECK_STR(a, "27fa1935d2a9ffced7caea9185204d1ed04c8f729f63063696ece944dbe71ebd");
	CHECK_INT(pb_client_token("", "snap", a), SG_ERR_INVAL);
	/* the attempt-th evidence volume: the first keeps the token above, each
	 * later one its own (sha256("ssrfguard:INC-1:snap-1#2")) */
	CHECK_INT(pb_volume_token("INC-1", "snap-1", 1, b), SG_OK);
	CHECK_STR(b, "27fa1935d2a9ffced7caea9185204d1ed04c8f729f63063696ece944dbe71ebd");
	CHECK_INT(pb_volume_token("INC-1", "snap-1", 2, b), SG_OK);
	CHECK_STR(b, "63ac438a99dc7f095f6343d5ea8ce0b17db68dc0f1a2fb9e0588294f7fbc939d");
	CHECK_INT(pb_volume_token("INC-1", "snap-1", 3, c), SG_OK);
	CHECK(strcmp(b, c) != 0);
	CHECK_INT(pb_volume_token("INC-1", "snap-1", 0, c), SG_ERR_RANGE);
}

/* The memory acquisition report the instance prints (untrusted). */
TEST(memory_report)
{
	char hex[65], buf[2048];
	uint64_t bytes = 0;
	const char *ok = "avml: done\nssrfguard-memory-sha256 "
	                 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\r\n"
	                 "ssrfguard-memory-bytes 17179869184\n";
	CHECK_INT(pb_memory_report(ok, strlen(ok), hex, &bytes), SG_OK);
	CHECK_STR(hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	CHECK(bytes == 17179869184ULL);
	const char *bad[] = {
		"ssrfguard-memory-bytes 5\n", /* no hash */
		"ssrfguard-memory-sha256 2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824\n"
		"ssrfguard-memory-bytes 5\n", /* upper case: not what sha256sum prints */
		"ssrfguard-memory-sha256 2cf24dba\nssrfguard-memory-bytes 5\n",
		"ssrfguard-memory-sha256 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
		"ssrfguard-memory-bytes 12345678901234567890\n", /* past 19 digits */
		"ssrfguard-memory-sha256  2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98\n"
		"ssrfguard-memory-bytes -1\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECKF(pb_memory_report(bad[i], strlen(bad[i]), hex, &bytes) == SG_ERR_PARSE, "%zu", i);
	/* the command names the object and never runs AVML without the hash */
	const char *lines[PB_MEMORY_LINES];
	size_t n = pb_memory_command("ir-evidence", "ssrfguard/INC-1/memory/i-1.lime.compressed", buf,
	                             lines);
	CHECK_INT(n, 7);
	CHECK_STR(lines[n - 1],
	          "aws s3 cp --only-show-errors \"$f\" s3://ir-evidence/ssrfguard/INC-1/memory/i-1.lime.compressed");
}

static const struct {
	const char *used[8];
	size_t n_used, want;
	sg_err err;
	const char *first, *last;
	const char *label;
} slots[] = {
	{{0}, 0, 2, SG_OK, "/dev/sdf", "/dev/sdg", "empty"},
	{{"/dev/xvda", "/dev/sdf"}, 2, 1, SG_OK, "/dev/sdg", "/dev/sdg", "sdf taken"},
	{{"xvdf", "/dev/xvdg", "sdh1"}, 3, 2, SG_OK, "/dev/sdi", "/dev/sdj", "xvd and partition forms"},
	{{"/dev/sdf", "/dev/sdh"}, 2, 2, SG_OK, "/dev/sdg", "/dev/sdi", "holes are used"},
	{{"/dev/xvdba", "/dev/nvme1n1"}, 2, 1, SG_OK, "/dev/sdf", "/dev/sdf", "foreign names ignored"},
	{{0}, 0, 21, SG_OK, "/dev/sdf", "/dev/sdz", "all of f..z"},
	{{0}, 0, 22, SG_ERR_RANGE, NULL, NULL, "more than f..z"},
	{{"/dev/sdf"}, 1, 21, SG_ERR_RANGE, NULL, NULL, "one taken, 21 wanted"},
};

TEST(device_slots)
{
	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
		char out[26][PB_DEV_MAX];
		uint32_t taken = 0;
		for (size_t u = 0; u < slots[i].n_used; u++)
			taken |= pb_device_slot_bit(slots[i].used[u]);
		sg_err err = pb_device_slots(taken, slots[i].want, out);
		CHECKF(err == slots[i].err, "%s: got %d", slots[i].label, err);
		if (err == SG_OK && slots[i].want) {
			CHECKF(!strcmp(out[0], slots[i].first), "%s: first %s", slots[i].label, out[0]);
			CHECKF(!strcmp(out[slots[i].want - 1], slots[i].last), "%s: last %s", slots[i].label,
			       out[slots[i].want - 1]);
		}
	}
}

TEST_MAIN(plan_full_instance, plan_bare_instance, configured_quarantine_profile_replaces,
          json_roundtrip, json_rejects_malformed, capacities_are_enforced, target_matching,
          revoke_policy, client_tokens, device_slots, memory_report)
