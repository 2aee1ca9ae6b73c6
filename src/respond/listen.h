/*
 * listen.h — the off-box responder's HTTPS listener for incidents sent by
 * detectors (`respond --listen ADDR:PORT`).  Prefix: respond_listen_.
 *
 * POST /v1/incidents with a JSON incident (as deliver.h sends it) and the
 * headers of lib/playbook/sign.h.  With per-detector keys (the default),
 * the signature is checked with the key derived from the master key for
 * the sender the request names, and an incident naming any other instance
 * is refused with 403 (logged with the escaped sender, counted): a host
 * holding its own key reports only itself.  With one shared key (explicit,
 * RESPOND_LISTEN_KEYS_SHARED) every key holder can name any instance; the
 * start says so in a warning.  The listener checks the signature,
 * the timestamp window and the nonce, bounds the body (64 KiB), then
 * records the incident in its own store as an "open" incident (source
 * "detector:DETECTOR/INCIDENT", so a redelivery joins the same incident
 * instead of opening another) and answers 200 {"incident": N}.  The
 * responder's workers pick it up from the store like any other.
 * Errors: 400 malformed, 401 bad signature/stale/replayed/no sender,
 * 403 an instance other than the sender's, 413 too large (libevent's own
 * answer past RESPOND_LISTEN_BODY_MAX), 503 store busy (the detector
 * retries).
 *
 * Key rotation: with previous_key_file, a signature that the key does not
 * verify is checked again with the previous key (derived for the sender in
 * the same way), so detectors can move to their new keys one by one; each
 * delivery taken that way is logged as a warning naming its sender and
 * counted (accepted_previous_key).  A key file equal to the key is refused.
 *
 * GET /healthz answers 200 {"status":"ok","keys":"derived"|"shared",
 * "previous_key":true|false,"accepted":N,"accepted_previous_key":N,
 * "refused":{"no_sender":N,"bad_signature":N,"stale":N,
 * "replayed":N,"malformed":N,"other_instance":N,"busy":N}}: the deliveries
 * taken and those refused, by reason, since the listener started (the
 * refusals are also logged; a rising other_instance or bad_signature is a
 * host to look at).  Counts only, no sender names: it needs no key.
 *
 * It runs its own thread (libevent + OpenSSL); start returns once it
 * listens.  stop is NULL-safe and joins the thread.
 */
#ifndef SSRFGUARD_RESPOND_LISTEN_H
#define SSRFGUARD_RESPOND_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define RESPOND_LISTEN_BODY_MAX (64u << 10)

typedef enum respond_listen_keys {
	RESPOND_LISTEN_KEYS_DERIVED = 0, /* key_file is the master key; a key per sender */
	RESPOND_LISTEN_KEYS_SHARED,      /* key_file is every detector's key: no sender check */
} respond_listen_keys;

typedef struct respond_listen_config {
	const char *addr;       /* "HOST:PORT" or "[V6]:PORT" */
	const char *store_path;
	const struct respond_config *rcfg; /* NULL, or the store as it names it (its
	                                      state table: respond_store_open) */
	const char *key_file;   /* the master key, or the shared key (raw bytes, >= 16) */
	const char *previous_key_file; /* NULL, or the key key_file replaces, during a
	                                  rotation: still accepted (below) */
	respond_listen_keys keys;
	const char *tls_cert;   /* PEM */
	const char *tls_key;    /* PEM */
	int64_t window_s;       /* 0: RSIG_WINDOW_DEFAULT */
} respond_listen_config;

typedef struct respond_listener respond_listener;

sg_err respond_listen_start(const respond_listen_config *cfg, respond_listener **out, char *msg,
                            size_t msglen);
void respond_listen_stop(respond_listener *l);

/*
 * The JSON body of a delivered incident, validated (pure, bounded; used by
 * the listener, the SQS intake and the fuzz target).  Fields copied into
 * out.  The identity fields (detector, incident, instance_id, region, az,
 * category) are refused when malformed or longer than their field.  The
 * evidence fields (client, url, dest, rule, reason) carry text the attacker
 * chose: one longer than its field is cut on a character boundary, ends
 * with RESPOND_DELIVERY_CUT_MARK and sets cut — a long URL must never
 * cost the containment.
 */
#define RESPOND_DELIVERY_CUT_MARK "...[cut]"
typedef struct respond_delivery {
	char detector[128];     /* the sender's name */
	int64_t remote_id;      /* its incident id */
	char instance_id[64];
	char region[32];
	char az[32];
	char client[64];
	char url[2048];
	char dest[300];
	char category[32];
	char rule[96];
	char reason[192];
	int64_t at_ms;
	bool cut;               /* an evidence field was cut to fit */
} respond_delivery;

sg_err respond_delivery_parse(const char *body, size_t len, respond_delivery *out, char *msg,
                              size_t msglen);

/* s[0..n) into dst[cap] (cap > sizeof the mark), cut as above when it does
 * not fit; true when it was cut.  The sender cuts with it too, so what it
 * sends is what the receiver keeps. */
bool respond_delivery_cut(char *dst, size_t cap, const char *s, size_t n);

#endif
