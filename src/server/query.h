/*
 * query.h — the url= parameter of GET /go.  Prefix: query_.
 *
 * query_url_param() finds the one url= parameter of a raw query string
 * (NULL allowed: no query), percent-decodes it ('+' is a space) and returns
 * it in *out (malloc'd, NUL-terminated, caller frees) with its length.
 * Returns 0, or -1 with *why set to a static English message and *out NULL:
 * missing or empty, given more than once (parameter pollution is refused,
 * not guessed at), longer than max decoded bytes (or 3*max encoded),
 * containing a NUL byte, or undecodable.  Bounded: one pass over the query.
 */
#ifndef SSRFGUARD_SERVER_QUERY_H
#define SSRFGUARD_SERVER_QUERY_H

#include <stddef.h>

int query_url_param(const char *query, size_t max, char **out, size_t *outlen,
                    const char **why);

#endif
