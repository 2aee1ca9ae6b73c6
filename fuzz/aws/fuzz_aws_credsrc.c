/* fuzz_aws_credsrc.c — the credential sources' parsers: the container URI
 * rule (the input as a URI), the SSO token cache and the SSO portal's
 * GetRoleCredentials reply (the input as a JSON document). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char why[160], token[256], name[46];
	aws_container_uri_allowed(s, why, sizeof why);
	aws_sso_cache_name(s, name);
	long long exp;
	aws_sso_cache_token((const char *)data, size, token, sizeof token, &exp);
	struct aws_credentials c;
	aws_sso_credentials_from_json((const char *)data, size, &c);
	aws_credentials_wipe(&c);
	free(s);
	return 0;
}
