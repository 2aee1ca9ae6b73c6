/* fuzz_delivery.c — a delivered incident's body (untrusted until its
 * signature verified, and the parser must hold even after). */
#include <stdint.h>
#include <string.h>

#include "respond/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	respond_delivery d;
	char msg[128];
	if (respond_delivery_parse((const char *)data, size, &d, msg, sizeof msg) == SG_OK) {
		if (strncmp(d.instance_id, "i-", 2) != 0 || d.remote_id <= 0 || !d.detector[0])
			__builtin_trap();
	}
	return 0;
}
