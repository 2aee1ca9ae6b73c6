/*
 * listen.h — the one parser of a listening address, for every listener of
 * ssrfguard (serve's `listen`, the proxy's `proxy_listen`, the dashboard's
 * and the responder's `--listen`).  Prefix: sg_listen_.  Pure.
 *
 * Forms:
 *   HOST:PORT      "127.0.0.1:8080", "localhost:8080" (a name is resolved
 *                  by the caller; "0.0.0.0:8080" or "[::]:8080" for every
                  address)
 *   [V6]:PORT      "[::1]:8080", "[::]:0"; brackets are required for IPv6
 *                  (an unbracketed "::1:80" is an error, not a guess)
 *   unix:PATH      a Unix socket (when allowed), PATH 1..107 bytes
 * PORT is 1..65535 in plain decimal (no sign, no leading zeros except "0"),
 * or 0 (the kernel picks) when allowed.  HOST is at most 253 bytes of
 * [A-Za-z0-9.-_] (a name or IPv4 address) or, inside brackets, of
 * [0-9A-Fa-f:.%] plus an interface name after '%'.  Any other byte (space,
 * control, '/', '@') is an error.
 *
 * Errors: SG_ERR_PARSE, err a sentence quoting at most 64 bytes of spec.
 */
#ifndef SSRFGUARD_COMMON_LISTEN_H
#define SSRFGUARD_COMMON_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

#define SG_LISTEN_HOST_MAX 253
#define SG_LISTEN_PATH_MAX 107 /* sizeof sun_path - 1 */

enum {
	SG_LISTEN_UNIX = 1u << 0,     /* accept unix:PATH */
	SG_LISTEN_PORT0 = 1u << 1,    /* accept port 0 (any free port) */
};

typedef struct sg_listen {
	bool is_unix;
	bool v6;                          /* HOST was bracketed */
	char host[SG_LISTEN_HOST_MAX + 1]; /* without brackets, never empty */
	char port[6];                     /* the port as text ("8080") */
	unsigned portnum;
	char path[SG_LISTEN_PATH_MAX + 1]; /* is_unix */
} sg_listen;

sg_err sg_listen_parse(const char *spec, unsigned flags, sg_listen *out, char *err,
                       size_t errlen);

#endif
