/* fuzz_config.c — `respond --config` files. */
#include <stdint.h>

#include "respond/respond_cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	respond_cli o;
	char msg[256];
	respond_cli_init(&o);
	respond_cli_parse_config(&o, (const char *)data, size, msg, sizeof msg);
	respond_cli_free(&o);
	return 0;
}
