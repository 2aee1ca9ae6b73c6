/*
 * escape.h — lossless text form of raw path bytes, used in every output.
 *
 * The escaping of common/escape.h (sg_escape: printable text, C0, DEL and
 * C1 controls and bytes that are not well-formed UTF-8 as "\xHH" in lower
 * case, '\' as "\\"), plus '|' as "\x7c" (the bodyfile separator).  The
 * result is valid UTF-8 with no control characters, so it is safe in JSON,
 * Markdown, hashdeep and bodyfile lines; fx_unescape() gives back the exact
 * bytes.
 */
#ifndef SSRFGUARD_FX_ESCAPE_H
#define SSRFGUARD_FX_ESCAPE_H

#include "forensics/fx.h"

/* Append the escaped form of in[0..len) to out. */
sg_err fx_escape(sg_buf *out, const char *in, size_t len);

/* Malloc'd NUL-terminated escaped copy, or NULL on OOM. */
char *fx_escape_dup(const char *in, size_t len);

/*
 * Decode escaped text (len bytes) into a malloc'd NUL-terminated string
 * (*out, length *outlen).  SG_ERR_PARSE on a bad escape or a raw control
 * byte; a decoded NUL byte is refused too (names never hold one).
 */
sg_err fx_unescape(const char *in, size_t len, char **out, size_t *outlen);

#endif
