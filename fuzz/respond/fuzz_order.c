/* fuzz_order.c — the playbook's step order and names from the operator's
 * configuration (`order`, `skip`) and from stored rows (step and state
 * names): an accepted order holds every step once with its predecessors
 * first; a name parses only to the value that prints as it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	pb_order o;
	pb_order_default(&o);
	char msg[256] = "";
	sg_err rc = pb_order_parse(text, &o, msg, sizeof msg);
	if (rc == SG_OK) {
		if (pb_order_check(&o, msg, sizeof msg) != SG_OK)
			abort();
	} else if (!msg[0]) {
		abort(); /* every refusal says why */
	}
	pb_step s;
	if (pb_step_parse(text, &s) == SG_OK && strcmp(pb_step_name(s), text))
		abort();
	pb_state st;
	if (pb_state_parse(text, &st) == SG_OK && strcmp(pb_state_name(st), text))
		abort();
	free(text);
	return 0;
}
