/* listen.c — see listen.h. */
#include "common/listen.h"

#include <stdio.h>
#include <string.h>

static sg_err fail(const char *spec, const char *why, char *err, size_t errlen)
{
	if (errlen)
		snprintf(err, errlen, "'%.64s': %s", spec, why);
	return SG_ERR_PARSE;
}

static bool host_byte(char c, bool v6)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.')
		return true;
	if (v6)
		return c == ':' || c == '%' || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') ||
		       c == '_' || c == '-';
	return (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '-' || c == '_';
}

/* "0".."65535", plain decimal. */
static bool port_text(const char *p, unsigned *out)
{
	size_t n = strlen(p);
	unsigned v = 0;
	if (n == 0 || n > 5 || (n > 1 && p[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	*out = v;
	return v <= 65535;
}

static sg_err unix_path(const char *spec, sg_listen *out, char *err, size_t errlen)
{
	const char *path = spec + 5;
	size_t n = strlen(path);
	if (n == 0 || n > SG_LISTEN_PATH_MAX)
		return fail(spec, "a unix: path of 1 to 107 bytes", err, errlen);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return fail(spec, "a control byte in the unix: path", err, errlen);
	out->is_unix = true;
	memcpy(out->path, path, n + 1);
	return SG_OK;
}

sg_err sg_listen_parse(const char *spec, unsigned flags, sg_listen *out, char *err,
                       size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!spec)
		spec = "";
	if (!strncmp(spec, "unix:", 5)) {
		if (!(flags & SG_LISTEN_UNIX))
			return fail(spec, "a Unix socket is not possible here: want HOST:PORT", err, errlen);
		return unix_path(spec, out, err, errlen);
	}
	const char *want = flags & SG_LISTEN_UNIX ? "want HOST:PORT, [V6]:PORT or unix:PATH"
	                                          : "want HOST:PORT or [V6]:PORT";
	const char *colon = strrchr(spec, ':');
	if (!colon)
		return fail(spec, want, err, errlen);
	const char *h = spec;
	size_t hn = (size_t)(colon - spec);
	if (h[0] == '[') {
		if (hn < 3 || h[hn - 1] != ']')
			return fail(spec, want, err, errlen);
		h++;
		hn -= 2;
		out->v6 = true;
	}
	if (hn > SG_LISTEN_HOST_MAX)
		return fail(spec, "the host is too long", err, errlen);
	for (size_t i = 0; i < hn; i++)
		if (!host_byte(h[i], out->v6))
			return fail(spec, out->v6 || h[i] != ':' ? "a byte that cannot be in a host"
			                                        : "an IPv6 address needs [brackets]",
			            err, errlen);
	if (hn == 0)
		return fail(spec, "no host (127.0.0.1, [::1], 0.0.0.0, ...)", err, errlen);
	if (!port_text(colon + 1, &out->portnum))
		return fail(spec, "the port must be 0 to 65535", err, errlen);
	if (out->portnum == 0 && !(flags & SG_LISTEN_PORT0))
		return fail(spec, "the port must be 1 to 65535", err, errlen);
	memcpy(out->host, h, hn);
	out->host[hn] = '\0';
	snprintf(out->port, sizeof out->port, "%u", out->portnum);
	return SG_OK;
}
