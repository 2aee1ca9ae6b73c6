/*
 * buf.h — the one growable byte buffer of libssrfguard (pure), modelled on
 * git's strbuf: build text or bytes by appending, check once at the end.
 *
 * Errors are sticky: the first failed append (out of memory, past the cap,
 * a bad format) records its sg_err in `err`, and every later append is a
 * no-op that returns the same error.  A builder may therefore append
 * freely and look at sg_buf_err() once, or check each return when it
 * wants to stop early; both see the same answer.  Nothing is ever cut
 * silently: an append either lands whole or the buffer is marked failed.
 *
 * The cap (`max`, the most content bytes the buffer may hold) guards
 * against runaway input; 0 means SG_BUF_DEFAULT_MAX, so a buffer set to
 * `sg_buf b = {0};` is ready to use.  All size arithmetic is checked.
 * While p != NULL the content is NUL-terminated (p[len] == 0), so text
 * can be read straight from p.
 *
 * This is a growable buffer.  A fixed window over caller memory for a
 * hot path that must not allocate is a different thing (src/server/text.h,
 * tbuf).
 */
#ifndef SSRFGUARD_COMMON_BUF_H
#define SSRFGUARD_COMMON_BUF_H

#include <stddef.h>

#include "ssrfguard/error.h"

typedef struct sg_buf {
	char *p;    /* content, NUL-terminated; NULL until the first append */
	size_t len; /* content bytes, without the NUL */
	size_t cap; /* bytes allocated at p */
	size_t max; /* cap on len; 0 means SG_BUF_DEFAULT_MAX */
	sg_err err; /* first failure, sticky; SG_OK while all went well */
} sg_buf;

/* A runaway guard, not a policy: callers with a real bound pass it. */
#define SG_BUF_DEFAULT_MAX ((size_t)1 << 30)

/* Empty buffer holding at most max content bytes (0: the default). */
void sg_buf_init(sg_buf *b, size_t max);
/* Release the memory; the buffer is empty and usable again (max and err
 * are kept).  NULL is fine. */
void sg_buf_free(sg_buf *b);
/* Empty the content and clear the error, keeping the memory for reuse. */
void sg_buf_reset(sg_buf *b);

/* Append; each returns the buffer's error after the append (SG_OK, or the
 * sticky error: SG_ERR_NOMEM, SG_ERR_RANGE past the cap, SG_ERR_INVAL for
 * a format vsnprintf refuses). */
sg_err sg_buf_append(sg_buf *b, const void *data, size_t len);
sg_err sg_buf_puts(sg_buf *b, const char *s);
sg_err sg_buf_putc(sg_buf *b, char c);
sg_err sg_buf_printf(sg_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline sg_err sg_buf_err(const sg_buf *b) { return b->err; }

/*
 * Hand the content to the caller (NUL-terminated, "" when nothing was
 * appended; the caller frees it) and set *len if len is not NULL.  The
 * buffer is left empty.  On a recorded error the content is freed and
 * NULL returned.
 */
char *sg_buf_take(sg_buf *b, size_t *len);

#endif
