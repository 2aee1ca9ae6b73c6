/* fuzz_config.c — `respond --config` files (the [respond] section). */
#include <stdint.h>
#include <string.h>

#include "respond/respond_cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	respond_cli o;
	char msg[256] = "";
	respond_cli_init(&o);
	if (respond_cli_parse_config(&o, (const char *)data, size, "fuzz", msg, sizeof msg) != 0 &&
	    !strstr(msg, "fuzz:"))
		__builtin_trap(); /* every error names the file and line */
	respond_cli_free(&o);
	return 0;
}
