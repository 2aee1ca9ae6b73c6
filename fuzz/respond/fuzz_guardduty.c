/* fuzz_guardduty.c — GuardDuty Finding events off the queue: parse, and
 * every accepted finding names a well-formed instance and decides. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/guardduty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pb_gd_finding f;
	char msg[512];
	sg_err rc = pb_guardduty_parse((const char *)data, size, &f, msg, sizeof msg);
	if (rc != SG_OK && !msg[0])
		abort(); /* every refusal says why */
	if (rc != SG_OK)
		return 0;
	if (strncmp(f.instance_id, "i-", 2) || !pb_gd_type_name(f.type) ||
	    strcmp(f.type_name, pb_gd_type_name(f.type)) || f.severity < 0 || f.severity > 10)
		abort();
	pb_gd_config cfg;
	pb_gd_config_default(&cfg);
	pb_gd_action a = pb_guardduty_decide(&cfg, &f);
	if (a != PB_GD_IGNORE && a != PB_GD_OBSERVE && a != PB_GD_CONTAIN)
		abort();
	return 0;
}
