/* query.c — the url= parameter of /go, from the raw (untrusted) query. */
#include "server/query.h"

#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

int query_url_param(const char *query, size_t max, char **out, size_t *outlen,
                    const char **why)
{
	*out = NULL;
	*why = "missing url parameter: use /go?url=http://example.com/";
	if (!query)
		return -1;
	const char *p = query;
	int found = 0;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t kn = eq ? (size_t)(eq - p) : n;
		if (kn == 3 && !memcmp(p, "url", 3)) {
			if (found++) {
				free(*out);
				*out = NULL;
				*why = "url parameter given more than once";
				return -1;
			}
			size_t vn = eq ? n - kn - 1 : 0;
			if (vn > max * 3) {
				*why = "url parameter too long";
				return -1;
			}
			char *raw = dupn(eq ? eq + 1 : "", vn);
			size_t dn = 0;
			char *dec = raw ? evhttp_uridecode(raw, 1, &dn) : NULL;
			free(raw);
			if (!dec) {
				*why = "cannot decode the url parameter";
				return -1;
			}
			if (strlen(dec) != dn) {
				free(dec);
				*why = "url parameter contains a NUL byte";
				return -1;
			}
			if (dn > max) {
				free(dec);
				*why = "url parameter too long";
				return -1;
			}
			*out = dec;
			*outlen = dn;
		}
		p += n + (amp ? 1 : 0);
	}
	if (!found || !*out || !**out) {
		free(*out);
		*out = NULL;
		*why = "missing url parameter: use /go?url=http://example.com/";
		return -1;
	}
	return 0;
}

