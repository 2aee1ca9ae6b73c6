/* query.c — the url= parameter of /go, from the raw (untrusted) query. */
#include "server/query.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* n bytes of p percent-decoded, '+' as a space, a '%' not followed by two
 * hex digits kept as it is (as evhttp_uridecode(..., 1, ...) decodes);
 * malloc'd and NUL-terminated, its length in *len (a decoded NUL shows as
 * strlen < *len); NULL when out of memory. */
static char *decode(const char *p, size_t n, size_t *len)
{
	char *d = malloc(n + 1);
	size_t o = 0;
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (p[i] == '+') {
			d[o++] = ' ';
		} else if (p[i] == '%' && i + 2 < n && (hi = hexval(p[i + 1])) >= 0 &&
		           (lo = hexval(p[i + 2])) >= 0) {
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[o++] = p[i];
		}
	}
	d[o] = '\0';
	*len = o;
	return d;
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
			size_t dn = 0;
			char *dec = decode(eq ? eq + 1 : "", vn, &dn);
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

