/* log.c — structured log lines: one JSON object a line, written with one
 * write(2) each so concurrent writers never interleave a line. */
#include "server/srv_int.h"

#include <errno.h>
#include <unistd.h>

void log_line(struct srv *s, const char *json, size_t len)
{
	if (!s || s->logfd < 0)
		return;
	while (len > 0) {
		ssize_t n = write(s->logfd, json, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a full disk must not stop the guard */
		json += n;
		len -= (size_t)n;
	}
}
