/* escape.c — lossless escaping of path bytes (see escape.h). */
#include "forensics/escape.h"

#include <stdlib.h>

#include "common/escape.h"

sg_err fx_escape(sg_buf *out, const char *in, size_t len)
{
	return sg_escape(out, in, len, "|");
}

char *fx_escape_dup(const char *in, size_t len)
{
	sg_buf b = {0};
	fx_escape(&b, in, len);
	return sg_buf_take(&b, NULL);
}

sg_err fx_unescape(const char *in, size_t len, char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (len == SIZE_MAX)
		return SG_ERR_RANGE;
	char *s = malloc(len + 1);
	if (!s)
		return SG_ERR_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x20 || c == 0x7f)
			goto bad;
		if (c != '\\') {
			s[o++] = (char)c;
			continue;
		}
		if (i + 1 < len && in[i + 1] == '\\') {
			s[o++] = '\\';
			i++;
			continue;
		}
		if (i + 3 >= len)
			goto bad;
		if (in[i + 1] != 'x')
			goto bad;
		int hi = sg_hex_value((unsigned char)in[i + 2]);
		int lo = sg_hex_value((unsigned char)in[i + 3]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			goto bad;
		s[o++] = (char)(hi << 4 | lo);
		i += 3;
	}
	s[o] = 0;
	*out = s;
	*outlen = o;
	return SG_OK;
bad:
	free(s);
	return SG_ERR_PARSE;
}
