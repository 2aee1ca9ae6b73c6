/*
 * uri.h — RFC 3986 percent-encoding for AWS requests (pure): SigV4
 * canonical paths and query strings, and form-encoded query bodies.
 */
#ifndef SG_AWS_URI_H
#define SG_AWS_URI_H

#include <stddef.h>

#include "common/buf.h"

/* Append s[0..len) percent-encoded: the unreserved A-Za-z0-9-_.~ kept
 * (and '/' if keep_slash), every other byte as %HH upper case.  Returns
 * the buffer's error (common/buf.h). */
sg_err aws_uri_encode(sg_buf *b, const char *s, size_t len, int keep_slash);

#endif
