/* memory.c — memory acquisition command and report (see memory.h). */
#include "playbook/memory.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

size_t pb_memory_command(const char *bucket, const char *key, char buf[2048],
                         const char *lines[PB_MEMORY_LINES])
{
	if (!bucket || !key || snprintf(buf, 2048, "aws s3 cp --only-show-errors \"$f\" s3://%s/%s",
	                                bucket, key) >= 2048)
		return 0;
	size_t n = 0;
	lines[n++] = "set -eu";
	lines[n++] = "command -v avml >/dev/null 2>&1 || { echo 'ssrfguard-memory: avml is not "
	             "installed (https://github.com/microsoft/avml)' >&2; exit 127; }";
	lines[n++] = "f=$(mktemp /var/tmp/ssrfguard-memory.XXXXXX); trap 'rm -f \"$f\"' EXIT";
	lines[n++] = "avml --compress \"$f\"";
	lines[n++] = "echo \"ssrfguard-memory-sha256 $(sha256sum \"$f\" | cut -d' ' -f1)\"";
	lines[n++] = "echo \"ssrfguard-memory-bytes $(stat -c %s \"$f\")\"";
	lines[n++] = buf;
	return n;
}

/* The value after "prefix " on a line of [p, e), or NULL. */
static const char *value_of(const char *p, const char *e, const char *prefix, size_t *vl)
{
	size_t pl = strlen(prefix);
	if ((size_t)(e - p) <= pl || memcmp(p, prefix, pl) || p[pl] != ' ')
		return NULL;
	*vl = (size_t)(e - p) - pl - 1;
	return p + pl + 1;
}

static bool hex64(const char *v, size_t vl, char hex[65])
{
	if (vl != 64)
		return false;
	for (size_t i = 0; i < vl; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return false;
	memcpy(hex, v, 64);
	hex[64] = '\0';
	return true;
}

static bool decimal(const char *v, size_t vl, uint64_t *out)
{
	if (!vl || vl > 19)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return true;
}

sg_err pb_memory_report(const char *out, size_t len, char hex[65], uint64_t *bytes)
{
	if (!out || !hex || !bytes)
		return SG_ERR_INVAL;
	bool have_hex = false, have_bytes = false;
	for (const char *p = out, *end = out + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		if (e > p && e[-1] == '\r')
			e--;
		size_t vl;
		const char *v;
		if ((v = value_of(p, e, "ssrfguard-memory-sha256", &vl)))
			have_hex |= hex64(v, vl, hex);
		else if ((v = value_of(p, e, "ssrfguard-memory-bytes", &vl)))
			have_bytes |= decimal(v, vl, bytes);
		p = nl ? nl + 1 : end;
	}
	return have_hex && have_bytes ? SG_OK : SG_ERR_PARSE;
}
