/* fuzz_roles.c — the proxy's roles file, then a verdict for every role. */
#include <stdint.h>
#include <string.h>

#include "proxy/roles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	px_roles rs;
	char err[256] = "", why[160];
	memset(&rs, 0, sizeof rs);
	if (px_roles_parse(&rs, (const char *)data, size, err, sizeof err) != SG_OK) {
		if (strncmp(err, "line ", 5) != 0)
			__builtin_trap(); /* every error names its line */
	} else {
		for (size_t i = 0; i < rs.n; i++) {
			(void)px_roles_judge(&rs, &rs.r[i], "api.example.com", 443, why, sizeof why);
			(void)px_roles_judge(&rs, &rs.r[i], "10.20.3.4", 5432, why, sizeof why);
			(void)px_roles_judge(&rs, &rs.r[i], "[2001:db8::1]", 80, why, sizeof why);
			(void)px_role_port_ok(&rs.r[i], 443);
		}
		int bad;
		(void)px_roles_by_user(&rs, "ci", "pw", &bad);
	}
	px_roles_free(&rs);
	return 0;
}
