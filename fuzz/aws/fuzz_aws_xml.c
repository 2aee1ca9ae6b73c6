/* fuzz_aws_xml.c — AWS XML replies: the tree decoder, error decoding and the
 * instance view built on top of it. */
#include <stdint.h>
#include <stdlib.h>

#include "aws/awserr.h"
#include "aws/instance.h"
#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_xml *r = NULL;
	struct aws_xml_limits lim = {.max_bytes = 1u << 20, .max_depth = 32, .max_elements = 20000};
	if (aws_xml_parse((const char *)data, size, &lim, &r) == SG_OK) {
		struct aws_instance_view *v = NULL;
		if (aws_instance_view_decode(r, NULL, &v) == SG_OK) {
			aws_instance_view_merge_volumes(v, r);
			aws_instance_view_merge_iam(v, r);
			aws_instance_view_merge_asg(v, r);
			char *json = NULL;
			if (aws_instance_view_json(v, &json) == SG_OK)
				free(json);
			aws_instance_view_free(v);
		}
		aws_xml_free(r);
	}
	struct aws_error e = {0};
	aws_error_from_xml((const char *)data, size, &e);
	return 0;
}
