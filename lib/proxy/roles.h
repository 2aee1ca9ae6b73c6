/*
 * roles.h — who is asking the egress proxy, and what that role may reach.
 * Prefix: px_role / px_roles_.  Pure: parses text, matches names; no I/O.
 *
 * The roles file (proxy_roles = FILE), '#' comments, blank lines ignored:
 *
 *   [global]                      # applies to every role
 *   deny = *.corp.example.com     # refused for everyone, in every mode
 *   allow = status.example.org    # allowed for everyone (the guard still judges)
 *   role_header = X-Ssrfguard-Role   # trusted networks only: the client names its role
 *   message = Ask #egress on chat to open a destination.
 *
 *   [role ci]
 *   mode = enforce                # open | report | enforce (default enforce)
 *   allow = *.github.com, registry.npmjs.org
 *   deny = gist.github.com
 *   rule = allow 10.20.0.0/16     # a guard rule for this role only (repeatable)
 *   ports = 443, 80, 22           # CONNECT ports (default 443, 80)
 *   users = ci-bot:SHA256HEX      # Proxy-Authorization users (":hash" optional)
 *   uids = 1001                   # peer uids on the Unix socket listener
 *   certs = ci.example.internal   # client certificate names (subject CN or a
 *                                 # DNS SAN), on a TLS listener with client CAs
 *
 * A role named "default" serves clients that name no role.  Without a roles
 * file every client is in the built-in role "default", mode open.
 *
 * Destination lists (allow, deny): each entry an exact name (any case), or
 * "*.suffix" (any name below suffix, not suffix itself), or "*" (all), or an
 * address or a range ("10.20.0.0/16", "2001:db8::/32"), each optionally
 * with a port: "api.example.com:8443", "*.corp.example:443",
 * "10.20.0.0/16:5432", "[2001:db8::/32]:443" (an IPv6 entry takes a port
 * only inside brackets).  An entry without a port matches every port.  A
 * range matches a destination written as an address in it (a name's
 * answers are the guard's: rule lines).
 *
 * Modes, for a destination the SSRF guard allows:
 *   open     reach anything not on a deny list;
 *   report   like open, but a destination enforce would refuse is reported;
 *   enforce  only hosts on the role's or the global allow list, never one
 *            on a deny list.
 * The guard's own verdicts (metadata, private ranges, ...) hold in every
 * mode: a role widens the guard only through its `rule = allow ...` lines.
 *
 * Ownership: px_roles owns everything in it; px_roles_free() releases it.
 */
#ifndef SSRFGUARD_PROXY_ROLES_H
#define SSRFGUARD_PROXY_ROLES_H

#include <stddef.h>
#include <stdint.h>

#include "guard/ip.h"
#include "ssrfguard/error.h"

#define PX_ROLE_NAME_MAX 64
#define PX_ROLES_MAX 256
#define PX_LIST_MAX 4096      /* entries of one list */
#define PX_PORTS_MAX 64
#define PX_LINE_MAX 4096
#define PX_PAT_TEXT_MAX 272   /* a list entry as written: name, ':', port */

typedef enum px_mode { PX_MODE_OPEN = 0, PX_MODE_REPORT, PX_MODE_ENFORCE } px_mode;

typedef struct px_strs {
	char **v;
	size_t n;
} px_strs;

/* One entry of an allow or deny list, parsed. */
typedef enum px_pat_kind { PX_PAT_NAME, PX_PAT_SUFFIX, PX_PAT_ANY, PX_PAT_RANGE } px_pat_kind;
typedef struct px_pat {
	char text[PX_PAT_TEXT_MAX]; /* as written, lower case (for "why") */
	px_pat_kind kind;
	char host[256];           /* NAME: the name; SUFFIX: ".suffix" */
	sg_ip net;                /* RANGE: the network */
	unsigned bits;            /* RANGE: its prefix length */
	uint16_t port;            /* 0: every port */
} px_pat;

typedef struct px_pats {
	px_pat *v;
	size_t n;
} px_pats;

typedef struct px_role {
	char name[PX_ROLE_NAME_MAX];
	px_mode mode;
	px_pats allow, deny;      /* destinations */
	px_strs rules;            /* guard rules (sg_policy_add syntax) */
	px_strs users;            /* "user" or "user:sha256-hex-of-password" */
	px_strs certs;            /* client certificate names, lower case */
	uint32_t uids[PX_PORTS_MAX];
	size_t nuids;
	uint16_t ports[PX_PORTS_MAX];
	size_t nports;            /* 0 = the default 443, 80 */
} px_role;

typedef struct px_roles {
	px_role *r;
	size_t n;
	px_pats allow, deny;      /* global destinations */
	char role_header[64];     /* "" = none */
	char message[256];        /* every refusal's message instead of the
	                             standard sentence; "" = none */
} px_roles;

/* "open", "report", "enforce". */
const char *px_mode_name(px_mode m);

/*
 * Parse a roles file's text into rs (zero it first, or reuse a freed one).
 * Errors: SG_ERR_PARSE / SG_ERR_RANGE with "LINE: what" in err; SG_ERR_NOMEM.
 * On error rs holds what was read so far (free it).
 */
sg_err px_roles_parse(px_roles *rs, const char *text, size_t len, char *err, size_t errlen);
void px_roles_free(px_roles *rs);

/* The built-in role set: one role "default", mode open. */
sg_err px_roles_default(px_roles *rs);

const px_role *px_roles_find(const px_roles *rs, const char *name);

/*
 * The role of Proxy-Authorization user `user` with password pw.  NULL when
 * no role lists the user, or when its entry carries a password hash that
 * pw does not match (*bad_password is then 1).
 */
const px_role *px_roles_by_user(const px_roles *rs, const char *user, const char *pw,
                                int *bad_password);
const px_role *px_roles_by_uid(const px_roles *rs, uint32_t uid);
/* The role listing any of the n names of a verified client certificate
 * (compared without regard to ASCII case), or NULL. */
const px_role *px_roles_by_cert(const px_roles *rs, const char *const *names, size_t n);

/* 1 if the list entry matches the destination: host as the guard
 * normalised it (lower case, no trailing dot; an address's canonical text,
 * an IPv6 one with or without brackets) and port. */
int px_pat_match(const px_pat *p, const char *host, unsigned port);

/* May this role CONNECT to port? */
int px_role_port_ok(const px_role *r, unsigned port);

typedef enum px_acl { PX_ACL_ALLOW = 0, PX_ACL_REPORT, PX_ACL_DENY } px_acl;

/*
 * The role's verdict on host and port (host normalised, as the guard judged
 * it).  *why names the list that decided ("global deny *.x", "role ci: not
 * on its allow list", ...) in why (at most whylen bytes, NUL-terminated).
 */
px_acl px_roles_judge(const px_roles *rs, const px_role *r, const char *host, unsigned port,
                      char *why, size_t whylen);

#endif
