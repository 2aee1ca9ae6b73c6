/* buf.c — the growable buffer (see buf.h). */
#include "common/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_buf_init(sg_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = SG_OK;
}

void sg_buf_free(sg_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void sg_buf_reset(sg_buf *b)
{
	b->len = 0;
	b->err = SG_OK;
	if (b->p)
		b->p[0] = '\0';
}

static sg_err fail(sg_buf *b, sg_err err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

/* Room for extra more content bytes plus the NUL, or the sticky error. */
static sg_err reserve(sg_buf *b, size_t extra)
{
	if (b->err)
		return b->err;
	size_t max = b->max ? b->max : SG_BUF_DEFAULT_MAX;
	if (extra > max || b->len > max - extra)
		return fail(b, SG_ERR_RANGE);
	size_t need = b->len + extra + 1; /* max < SIZE_MAX: cannot wrap */
	if (need <= b->cap)
		return SG_OK;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	char *np = realloc(b->p, ncap);
	if (!np)
		return fail(b, SG_ERR_NOMEM);
	b->p = np;
	b->cap = ncap;
	return SG_OK;
}

sg_err sg_buf_append(sg_buf *b, const void *data, size_t len)
{
	sg_err err = reserve(b, len);
	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return SG_OK;
}

sg_err sg_buf_puts(sg_buf *b, const char *s)
{
	return sg_buf_append(b, s, strlen(s));
}

sg_err sg_buf_putc(sg_buf *b, char c)
{
	return sg_buf_append(b, &c, 1);
}

sg_err sg_buf_printf(sg_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b, SG_ERR_INVAL);
	if ((size_t)n < sizeof small)
		return sg_buf_append(b, small, (size_t)n);
	sg_err err = reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return SG_OK;
}

char *sg_buf_take(sg_buf *b, size_t *len)
{
	if (!b->p)
		sg_buf_append(b, "", 0);
	if (b->err) {
		sg_buf_free(b);
		return NULL;
	}
	char *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
