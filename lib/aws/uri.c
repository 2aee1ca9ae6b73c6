/* uri.c — percent-encoding (see uri.h). */
#include "aws/uri.h"

sg_err aws_uri_encode(sg_buf *b, const char *s, size_t len, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len && !b->err; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (keep_slash && c == '/')) {
			sg_buf_putc(b, (char)c);
		} else {
			char three[3] = {'%', digits[c >> 4], digits[c & 15]};
			sg_buf_append(b, three, 3);
		}
	}
	return b->err;
}
