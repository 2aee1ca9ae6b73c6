/* fuzz_report.c — the Markdown report from a report document: never a
 * crash, and no raw '<' or newline-led heading from any value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "playbook/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *md = NULL, msg[128];
	if (pb_report_markdown((const char *)data, size, &md, msg, sizeof msg) == SG_OK) {
		if (!md || strchr(md, '<'))
			abort(); /* every '<' from a value is escaped; the writer emits none */
		free(md);
	}
	return 0;
}
