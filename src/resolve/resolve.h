/*
 * resolve.h — stage 3 with side effects: resolve a name and judge every
 * address it resolves to (libssrfguard's sg_check_resolved).
 *
 * Pins.  Like curl's --resolve, a pin answers a name without DNS:
 *   HOST:PORT:ADDR[,ADDR...]   for that port only ("example.com:443:203.0.113.10")
 *   HOST:ADDR[,ADDR...]        for every port       ("example.com:203.0.113.10")
 * HOST is matched case-insensitively without trailing dots (IDN names as
 * their punycode, as stage 1 normalises them; a pin written in Unicode is
 * converted the same way).  ADDR is a dotted quad or IPv6, optionally in
 * brackets.  Pins repeated for the same HOST:PORT (or the same HOST for every
 * port) add up: all their addresses are judged, as libcurl may connect to
 * any.  A name with a pin for the port is never looked up; every other
 * name goes to getaddrinfo() (blocking; a name that fails to resolve is a
 * block, SG_CAT_UNRESOLVED).  At most SG_RESOLVE_ADDRS addresses per name
 * are judged; more from getaddrinfo block the name (fail closed).
 *
 * Ownership: the resolver owns its pins; sg_resolver_free(NULL) is a no-op.
 * A resolver is read-only once pinned and may be shared between threads.
 */
#ifndef SSRFGUARD_SRC_RESOLVE_H
#define SSRFGUARD_SRC_RESOLVE_H

#include "ssrfguard/guard.h"

#define SG_RESOLVE_ADDRS 64

typedef struct sg_resolver sg_resolver;

sg_err sg_resolver_new(sg_resolver **out);
void sg_resolver_free(sg_resolver *r);

/*
 * Add a pin (len bytes).  SG_ERR_PARSE with a message in err (always
 * NUL-terminated when errlen > 0) if spec is not one of the forms above.
 */
sg_err sg_resolver_pin(sg_resolver *r, const char *spec, size_t len, char *err, size_t errlen);

/*
 * The final verdict for a stage-1 verdict: if named->needs_resolve, resolve
 * named->host (pins first) and judge each address with sg_check_resolved();
 * otherwise *out = *named.  r may be NULL (no pins).  Returns what
 * sg_check_resolved returns, or SG_ERR_INVAL/SG_ERR_NOMEM; *out is a block
 * on any error.
 */
sg_err sg_resolver_check(const sg_resolver *r, const sg_policy *policy,
                         const sg_verdict *named, sg_verdict *out);

#endif
