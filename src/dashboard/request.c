/* request.c — the dashboard's parsing of request text (pure: no I/O): the
 * token a request carries and an incident id in a path. */
#include "dashboard/dash_int.h"

#include <string.h>

#define COOKIE_PREFIX DASH_COOKIE "="

const char *dash_request_token(const char *authorization, const char *cookie, size_t *len)
{
	if (authorization && !strncmp(authorization, "Bearer ", 7)) {
		*len = strlen(authorization + 7);
		return authorization + 7;
	}
	for (const char *p = cookie; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t n = strcspn(p, ";");
		if (n >= sizeof COOKIE_PREFIX - 1 && !strncmp(p, COOKIE_PREFIX, sizeof COOKIE_PREFIX - 1)) {
			*len = n - (sizeof COOKIE_PREFIX - 1);
			return p + sizeof COOKIE_PREFIX - 1;
		}
		p += n;
	}
	*len = 0;
	return NULL;
}

int64_t dash_path_id(const char *text)
{
	return pb_incident_id(text);
}
