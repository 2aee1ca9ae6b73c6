/*
 * buf.h — a growable byte buffer with a hard cap, for building AWS requests.
 *
 * Appends never fail loudly: the first failure (allocation or cap) sets
 * `err` and every later append is a no-op, so a builder appends freely and
 * checks aws_buf_err() once at the end.  The content is always
 * NUL-terminated when p != NULL.  aws_buf_free(NULL-content) is safe.
 */
#ifndef SG_AWS_BUF_H
#define SG_AWS_BUF_H

#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_buf {
	char *p;
	size_t len, cap, max; /* max 0 means AWS_BUF_DEFAULT_MAX */
	sg_err err;
};

#define AWS_BUF_DEFAULT_MAX (64u << 20)

void aws_buf_init(struct aws_buf *b, size_t max);
void aws_buf_free(struct aws_buf *b);
void aws_buf_append(struct aws_buf *b, const void *data, size_t len);
void aws_buf_puts(struct aws_buf *b, const char *s);
void aws_buf_putc(struct aws_buf *b, char c);
void aws_buf_printf(struct aws_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hex of `len` bytes, lower case. */
void aws_buf_hex(struct aws_buf *b, const unsigned char *data, size_t len);
/* Percent-encode per RFC 3986 (unreserved A-Za-z0-9-_.~ kept); keep '/' if
 * keep_slash. */
void aws_buf_uri_encode(struct aws_buf *b, const char *s, size_t len, int keep_slash);
static inline sg_err aws_buf_err(const struct aws_buf *b) { return b->err; }
/* Hand the content to the caller (NUL-terminated, caller frees); the buffer
 * is reset.  Returns NULL if an append failed. */
char *aws_buf_take(struct aws_buf *b, size_t *len);

#endif
