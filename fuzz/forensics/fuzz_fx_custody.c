/* fuzz_fx_custody.c — chain-of-custody log verification on untrusted text. */
#include <stdint.h>

#include "forensics/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fx_custody_state st;
	if (fx_custody_verify((const char *)data, size, &st) == SG_OK) {
		fx_buf b = {0};
		fx_custody_entry(&b, &st, "t", "w", "a", "s", NULL, 0, NULL);
		fx_buf_free(&b);
	}
	return 0;
}
