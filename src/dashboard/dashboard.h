/*
 * dashboard.h — the operators' incidents dashboard: a read-only web page
 * over the incident store, served from the binary.  Prefix: dash_.
 *
 * Routes (every one requires the token, see below):
 *   GET /                      the page (HTML; its script and style below)
 *   GET /app.js, /app.css      embedded assets (no CDN, no build step)
 *   GET /api/incidents         JSON array of every incident, newest first:
 *                              id, state, instance, source, category, dest,
 *                              attempts, opened_ms, ... (read from the store
 *                              a page at a time, however many there are)
 *   GET /api/page?before=ID&limit=N   one page of the list, newest first:
 *                              {"incidents": [...], "total": M, "older":
 *                              the next page's before, or null}; before
 *                              absent: the newest; limit 1..DASH_PAGE_MAX,
 *                              absent: DASH_PAGE (what the page shows)
 *   GET /api/incidents/ID      JSON object: incident, attempts, steps,
 *                              history (the timeline), calls (every AWS
 *                              call), evidence (what was kept, with
 *                              hashes), forensics (the examination's
 *                              record) and report (the same JSON as
 *                              `ssrfguard incidents show --json`)
 *   GET /api/events[?before=ID&limit=N]   server-sent events: that page
 *                              (as /api/page; the newest by default) at
 *                              once, then again whenever it changes
 *                              (events.c)
 *   GET /api/session           {"release": bool, "csrf": token}
 *   POST /api/incidents/ID/release   only with allow_release, the CSRF
 *                              token in X-CSRF-Token, a same-origin Origin
 *                              and the body {"confirm":"INC-ID"}
 * Anything else: 404; any other method: 405.
 *
 * Authentication, by a token, a client certificate, or both (then both
 * are required):
 *  - token: every request carries it as "Authorization: Bearer TOKEN" or
 *    as the cookie ssrfguard_dash=TOKEN (HttpOnly, SameSite=Strict, Secure
 *    over TLS), which POST /login (a form field "token", compared like the
 *    header) sets.  Comparison is constant-time (CRYPTO_memcmp over equal
 *    lengths).  A request without a valid token gets 401 and only the
 *    login form.
 *  - client certificate (client_ca, over TLS): the handshake fails
 *    without a certificate issued by the CA, or with one the CRL revokes;
 *    the certificate's subject (RFC 2253) is the operator named in the log
 *    and as the actor of a release ("operator:CN=alice,O=Example").
 * With tls_cert and tls_key the page is served over HTTPS only; the TLS
 * files are read again on SIGHUP and when one changes (src/tls: a bad file
 * keeps the ones in force and is logged as event "tls_reload").
 *
 * Safety of shown text: every string of an incident came from an attacker.
 * The API is JSON only (application/json, nosniff); strings that are not
 * well-formed UTF-8 have each bad byte replaced by U+FFFD, control bytes
 * are \u-escaped by the JSON encoder, and '/' is escaped so "</script>"
 * never appears.  The page's script puts text in the DOM with textContent
 * only, never innerHTML.  Every response carries a strict CSP
 * (default-src 'none'; script/style/connect 'self'; no inline script),
 * X-Frame-Options DENY, no-store caching, no-referrer.  Incident text never
 * reaches a response header.
 */
#ifndef SSRFGUARD_DASHBOARD_H
#define SSRFGUARD_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define DASH_TOKEN_MIN 16   /* bytes: shorter tokens are refused */
#define DASH_TOKEN_MAX 256

typedef struct dash_config {
	const char *listen;     /* "127.0.0.1:8081", "[::1]:0" */
	/* the store (opened read-only) and the AWS settings of a release and of
	 * the report (respond_config_where, src/respond/respond.h) */
	const struct respond_config *where;
	const char *token;      /* DASH_TOKEN_MIN..DASH_TOKEN_MAX printable bytes;
	                           NULL: client certificates alone (client_ca) */
	const char *tls_cert, *tls_key; /* PEM: serve HTTPS; NULL: plain HTTP */
	const char *client_ca;  /* PEM: require client certificates it issued */
	const char *client_crl; /* PEM: refuse the certificates it revokes */
	int allow_release;      /* 0: read-only; 1: POST .../release (release.c) */
} dash_config;

/*
 * Serve until SIGINT/SIGTERM.  Logs one JSON line per event on stderr
 * ("listening" with the bound address, errors).  SG_OK after a clean stop;
 * else err says why (bad listen address, cannot bind, bad token, a TLS file
 * that cannot be used, neither a token nor a client CA).
 */
sg_err dash_run(const dash_config *cfg, char *err, size_t errlen);

/* ---- the JSON the API serves (also used by the tests through the API) -- */

typedef struct store store;

#define DASH_PAGE 500        /* incidents on one page of the dashboard */
#define DASH_PAGE_MAX 1000

/* A page's "of M": counting reads every incident (on DynamoDB the whole
 * incident partition), so a page read with a cache counts again only when
 * the newest incident is another, or when DASH_TOTAL_STALE_MS have passed
 * (an incident written late under an older id).  Zeroed: nothing cached. */
#define DASH_TOTAL_STALE_MS 30000
typedef struct dash_total {
	bool counted;     /* false: nothing cached yet */
	int64_t newest;   /* the newest incident's id when counted */
	int64_t total;
	int64_t at_ms;    /* when counted, sg_mono_ms() */
} dash_total;

/* Every incident / one page of them (before 0: the newest; limit
 * 1..DASH_PAGE_MAX; cache NULL: count now) / one incident's detail as a
 * JSON text (malloc'd).  SG_ERR_NOTFOUND for an unknown id. */
sg_err dash_list_json(store *st, char **out);
sg_err dash_page_json(store *st, dash_total *cache, int64_t before, size_t limit, char **out);
sg_err dash_detail_json(store *st, const dash_config *cfg, int64_t id, char **out);

#endif
