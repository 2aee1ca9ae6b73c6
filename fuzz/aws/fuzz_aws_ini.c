/* fuzz_aws_ini.c — AWS shared credentials/config files (INI dialect). */
#include <stdint.h>

#include "aws/credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = {"default", "profile ir", "ir"};
	static const char *const keys[] = {"aws_access_key_id", "region", "aws_session_token"};
	char out[256];
	for (size_t s = 0; s < 3; s++)
		for (size_t k = 0; k < 3; k++)
			aws_ini_get((const char *)data, size, sections[s], keys[k], out, sizeof out);
	return 0;
}
