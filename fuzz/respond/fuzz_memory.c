/* fuzz_memory.c — the memory acquisition report the instance prints
 * (untrusted: the instance may be the attacker's). */
#include <stdint.h>

#include "playbook/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char hex[65];
	uint64_t bytes;
	pb_memory_report((const char *)data, size, hex, &bytes);
	return 0;
}
