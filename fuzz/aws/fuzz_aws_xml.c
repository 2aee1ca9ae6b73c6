/* fuzz_aws_xml.c — AWS XML replies: the tree decoder, error decoding and the
 * instance model decoded from it. */
#include <stdint.h>
#include <stdlib.h>

#include "aws/awserr.h"
#include "playbook/instance.h"
#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aws_xml *r = NULL;
	struct aws_xml_limits lim = {.max_bytes = 1u << 20, .max_depth = 32, .max_elements = 20000};
	if (aws_xml_parse((const char *)data, size, &lim, &r) == SG_OK) {
		pb_instance *v = pb_instance_new();
		if (v && pb_instance_decode(v, r, NULL) == SG_OK) {
			pb_instance_merge_volumes(v, r);
			pb_instance_merge_iam(v, r);
			pb_instance_merge_asg(v, r);
			free(pb_instance_to_json(v));
		}
		pb_instance_free(v);
		aws_xml_free(r);
	}
	struct aws_error e = {0};
	aws_error_from_xml((const char *)data, size, &e);
	return 0;
}
