/* fuzz_fx_custody.c — chain-of-custody log verification on untrusted text. */
#include <stdint.h>
#include <string.h>

#include "forensics/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fx_custody_state st;
	if (fx_custody_verify((const char *)data, size, &st) == SG_OK) {
		sg_buf b = {0};
		fx_custody_entry(&b, &st, "t", "w", "a", "s", NULL, 0, NULL);
		sg_buf_free(&b);
		/* the report's anchor: the head of entry 1, some report hash */
		fx_custody_anchor a = {.entries = 1};
		char msg[200];
		memset(a.head, 'a', FX_SHA256_HEX - 1);
		memset(a.report_sha256, 'b', FX_SHA256_HEX - 1);
		fx_custody_check_anchor((const char *)data, size, &a, msg, sizeof msg);
		if (st.entries) {
			a.entries = st.entries;
			sg_hex_encode(st.head, FX_SHA256_LEN, a.head);
			fx_custody_check_anchor((const char *)data, size, &a, msg, sizeof msg);
		}
	}
	return 0;
}
