/* fuzz_aws_json.c — JSON replies: the bounded decoder, JSON error bodies and
 * credential documents (IMDS / container endpoint). */
#include <stdint.h>

#include "aws/awserr.h"
#include "aws/credentials.h"
#include "aws/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = 1u << 20, .max_depth = 32};
	if (aws_json_parse((const char *)data, size, &lim, &j) == SG_OK)
		json_decref(j);
	struct aws_error e = {0};
	aws_error_from_json((const char *)data, size, "rid", &e);
	struct aws_credentials c;
	aws_credentials_from_json((const char *)data, size, "fuzz", &c);
	aws_credentials_wipe(&c);
	return 0;
}
