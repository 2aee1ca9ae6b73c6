/* fuzz_fx_tags.c — the DescribeVolumes reply walk of `forensics --from-tags`
 * (src/forensics/disctags.c) on an untrusted reply: both passes, one page
 * after another, as aws_query_pages() hands them over. */
#include <stdint.h>
#include <string.h>

#include "aws/xml.h"
#include "forensics/disctags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_xml *r = NULL;
	struct aws_xml_limits lim = {.max_bytes = 1u << 20, .max_depth = 32, .max_elements = 20000};
	if (aws_xml_parse((const char *)data, size, &lim, &r) != SG_OK)
		return 0;
	char err[512];
	disctags_scan s;
	if (disctags_scan_init(&s, "INC-7", "i-0f0000000000000f1", err, sizeof err) == SG_OK) {
		/* the same page twice: duplicates across pages must not double up */
		if (disctags_scan_page(&s, r) == SG_OK)
			disctags_scan_page(&s, r);
		s.pass_b = 1;
		if (!s.failed)
			disctags_scan_page(&s, r);
		if (json_array_size(s.found) > DISCTAGS_MAX || strlen(s.away) >= sizeof s.away)
			__builtin_trap();
	}
	disctags_scan_free(&s);
	aws_xml_free(r);
	return 0;
}
