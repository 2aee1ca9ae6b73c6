/* fuzz_record.c — the recorded instance (release data) read back from the
 * store: parse, and every accepted record survives a JSON round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/instance.h"
#include "playbook/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pb_instance *in = NULL;
	char msg[128];
	if (pb_instance_from_json((const char *)data, size, &in, msg, sizeof msg) != SG_OK)
		return 0;
	char *j = pb_instance_to_json(in);
	if (j) {
		pb_instance *back = NULL;
		if (pb_instance_from_json(j, strlen(j), &back, msg, sizeof msg) != SG_OK)
			abort(); /* what we write we must read */
		char *j2 = pb_instance_to_json(back);
		if (!j2 || strcmp(j, j2) != 0)
			abort();
		free(j2);
		pb_instance_free(back);
	}
	pb_config cfg;
	pb_config_default(&cfg);
	pb_plan plan = {0};
	pb_plan_build(in, &cfg, "INC-1", &plan);
	pb_plan_free(&plan);
	free(j);
	pb_instance_free(in);
	return 0;
}
