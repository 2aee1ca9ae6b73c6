/* fuzz_config.c — the serve config file parser. */
#include <stdint.h>
#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	srvcfg c;
	char err[256];
	if (srvcfg_init(&c) != SG_OK)
		return 0;
	err[0] = '\0';
	if (srvcfg_parse(&c, (const char *)data, size, "fuzz", err, sizeof err) != SG_OK &&
	    !strstr(err, "fuzz"))
		__builtin_trap(); /* every error names the file */
	srvcfg_free(&c);
	return 0;
}
