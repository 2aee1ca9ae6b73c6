/* fuzz_guardduty.c — GuardDuty findings off the queue (the EventBridge
 * envelope) and as the intake keeps them (the "detail" alone), and the
 * operator's rules (gd_action / gd_contain_min) that decide on them.  Every
 * accepted finding names a well-formed instance and decides; every refusal
 * says why; a rule leaves the configuration in range.  The input's first
 * line is tried as each kind of rule; the finding, tried both ways, is the
 * whole input when it starts with '{', else what follows that line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/guardduty.h"

static void check_finding(sg_err rc, const pb_gd_finding *f, const char *msg,
                          const pb_gd_config *cfg)
{
	if (rc != SG_OK && !msg[0])
		abort(); /* every refusal says why */
	if (rc != SG_OK)
		return;
	if (strncmp(f->instance_id, "i-", 2) || !pb_gd_type_name(f->type) ||
	    strcmp(f->type_name, pb_gd_type_name(f->type)) || f->severity < 0 || f->severity > 10)
		abort();
	pb_gd_action a = pb_guardduty_decide(cfg, f);
	if (a != PB_GD_IGNORE && a != PB_GD_OBSERVE && a != PB_GD_CONTAIN)
		abort();
	if (f->sample && a == PB_GD_CONTAIN)
		abort(); /* a sample finding is never contained */
}

/* The operator's rule text: each rule kind, the action name, and the text
 * as a pattern over every type. */
static void rules(pb_gd_config *cfg, const char *rule)
{
	char msg[512];
	size_t matched = 0;
	sg_err rc = pb_gd_rule_action(cfg, rule, &matched, msg, sizeof msg);
	if (rc != SG_OK && rc != SG_ERR_INVAL && rc != SG_ERR_NOTFOUND)
		abort();
	if (rc != SG_OK && !msg[0])
		abort();
	rc = pb_gd_rule_severity(cfg, rule, &matched, msg, sizeof msg);
	if (rc != SG_OK && rc != SG_ERR_INVAL && rc != SG_ERR_NOTFOUND)
		abort();
	if (rc != SG_OK && !msg[0])
		abort();
	size_t n = 0;
	const pb_gd_type_def *types = pb_gd_types(&n);
	for (size_t i = 0; i < n && i < PB_GD_TYPE_MAX; i++) {
		(void)pb_gd_pattern_match(rule, types[i].name);
		pb_gd_action a = cfg->action[i];
		if ((a != PB_GD_IGNORE && a != PB_GD_OBSERVE && a != PB_GD_CONTAIN) ||
		    cfg->contain_min[i] < 0 || cfg->contain_min[i] > 10)
			abort();
	}
	pb_gd_action a;
	if (pb_gd_action_parse(rule, &a) == SG_OK && strcmp(pb_gd_action_name(a), rule))
		abort();
	pb_gd_type t;
	if (pb_gd_type_lookup(rule, &t) == SG_OK && strcmp(pb_gd_type_name(t), rule))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	char rule[256];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t rl = nl ? (size_t)(nl - data) : size;
	if (rl >= sizeof rule)
		rl = sizeof rule - 1;
	memcpy(rule, data, rl);
	rule[rl] = 0;
	rules(&cfg, rule);

	const char *json = (const char *)data;
	size_t jlen = size;
	if (size && data[0] != '{' && nl) {
		json = (const char *)nl + 1;
		jlen = size - (size_t)(nl + 1 - data);
	}
	pb_gd_finding f;
	char msg[512];
	sg_err rc = pb_guardduty_parse(json, jlen, &f, msg, sizeof msg);
	check_finding(rc, &f, msg, &cfg);
	rc = pb_guardduty_parse_detail(json, jlen, &f, msg, sizeof msg);
	check_finding(rc, &f, msg, &cfg);
	if (rc == SG_OK && f.event_id[0])
		abort(); /* a detail has no envelope id */
	return 0;
}
