/* fuzz_request.c — the dashboard's request text: the input split at the
 * first two NULs into an Authorization header, a Cookie header and a path
 * id; the whole input also through the UTF-8 repair, whose output must be
 * well-formed UTF-8 without NUL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "dashboard/dash_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	const char *auth = buf, *cookie = auth + strlen(auth) + 1;
	if (cookie > buf + size)
		cookie = buf + size + 1;
	const char *digits = cookie + strlen(cookie) + 1;
	if (digits > buf + size + 2)
		digits = buf + size + 2;
	size_t len = 0;
	const char *tok = dash_request_token(auth, cookie, &len);
	if (tok && (tok < buf || tok + len > buf + size + 2))
		abort();
	int64_t id = dash_path_id(digits);
	if (id < 0 || id > DASH_ID_MAX)
		abort();
	size_t n = 0;
	char *ok = sg_utf8_repair((const char *)data, size, &n);
	for (size_t i = 0; ok && i < n;) {
		size_t k = sg_utf8_len((const unsigned char *)ok + i, n - i);
		if (!k || ok[i] == '\0')
			abort();
		i += k;
	}
	free(ok);
	free(buf);
	return 0;
}
