/* buf.c — capped growable buffer (see buf.h). */
#include "aws/buf.h"

#include <stdarg.h>
#include <stdint.h>

void aws_buf_init(struct aws_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : AWS_BUF_DEFAULT_MAX;
	b->err = SG_OK;
}

void aws_buf_free(struct aws_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int reserve(struct aws_buf *b, size_t extra)
{
	if (b->err)
		return -1;
	if (extra > b->max || b->len > b->max - extra) {
		b->err = SG_ERR_RANGE;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	char *np = realloc(b->p, ncap);
	if (!np) {
		b->err = SG_ERR_NOMEM;
		return -1;
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void aws_buf_append(struct aws_buf *b, const void *data, size_t len)
{
	if (reserve(b, len))
		return;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void aws_buf_puts(struct aws_buf *b, const char *s)
{
	aws_buf_append(b, s, strlen(s));
}

void aws_buf_putc(struct aws_buf *b, char c)
{
	aws_buf_append(b, &c, 1);
}

void aws_buf_printf(struct aws_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (!b->err)
			b->err = SG_ERR_INVAL;
		return;
	}
	if ((size_t)n < sizeof small) {
		aws_buf_append(b, small, (size_t)n);
		return;
	}
	if (reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void aws_buf_hex(struct aws_buf *b, const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		char two[2] = {digits[data[i] >> 4], digits[data[i] & 15]};
		aws_buf_append(b, two, 2);
	}
}

void aws_buf_uri_encode(struct aws_buf *b, const char *s, size_t len, int keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~' || (keep_slash && c == '/')) {
			aws_buf_putc(b, (char)c);
		} else {
			char three[3] = {'%', digits[c >> 4], digits[c & 15]};
			aws_buf_append(b, three, 3);
		}
	}
}

char *aws_buf_take(struct aws_buf *b, size_t *len)
{
	if (b->err) {
		aws_buf_free(b);
		return NULL;
	}
	if (!b->p)
		aws_buf_append(b, "", 0);
	if (b->err)
		return NULL;
	char *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
