/* fuzz_listen.c — the one listening-address parser (lib/common/listen.h)
 * with every flag: never a crash, a result that fits its fields, an error
 * that is a sentence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	for (unsigned flags = 0; flags < 4; flags++) {
		sg_listen l;
		char err[128];
		if (sg_listen_parse(spec, flags, &l, err, sizeof err) == SG_OK) {
			if (l.is_unix && (!(flags & SG_LISTEN_UNIX) || !l.path[0]))
				abort();
			if (!l.is_unix && (!l.host[0] || l.portnum > 65535 ||
			                   (l.portnum == 0 && !(flags & SG_LISTEN_PORT0))))
				abort();
		} else if (!err[0] || strlen(err) >= sizeof err) {
			abort();
		}
	}
	free(spec);
	return 0;
}
