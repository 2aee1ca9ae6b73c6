/* fuzz_incname.c — an incident named by an operator or a peer (N, INC-N,
 * INC-N-STORE): untrusted text. */
#include <stdint.h>
#include <string.h>

#include "playbook/incname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pb_incident_ref r;
	char why[96], key[PB_INCIDENT_KEY_MAX];
	for (int allow = 0; allow < 2; allow++)
		if (pb_incident_id_parse((const char *)data, size, allow, &r, why, sizeof why) == SG_OK) {
			pb_incident_key(&r, key, sizeof key);
			pb_incident_ref back;
			/* what was read writes back to the same incident */
			if (pb_incident_id_parse(key, strlen(key), true, &back, NULL, 0) != SG_OK ||
			    back.n != r.n || strcmp(back.store, r.store))
				__builtin_trap();
		}
	return 0;
}
