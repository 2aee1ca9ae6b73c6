/*
 * sign.h — authenticating incidents delivered from a detector to an
 * off-box responder.
 *
 * The detector sends each incident as an HTTPS POST with three headers:
 *
 *   X-Ssrfguard-Timestamp  Unix seconds, decimal
 *   X-Ssrfguard-Nonce      16..64 lower-case hex characters, fresh per send
 *   X-Ssrfguard-Signature  hex HMAC-SHA256(key, "ssrfguard-v1\n" TS "\n" NONCE "\n" BODY)
 *
 * The responder refuses a timestamp outside its window (clock skew and
 * replays of old captures), a bad signature (compared in constant time),
 * and a nonce it has already accepted within the window (replays of fresh
 * captures).  A nonce enters the cache only after its signature verified,
 * so nobody without the key can fill the cache; a full cache of unexpired
 * nonces fails closed (SG_ERR_BUSY) and the detector retries later.
 *
 * Who sent it.  The detector also sends
 *
 *   X-Ssrfguard-Sender     its instance id (i-, then 1..40 of [0-9a-z])
 *
 * and signs with its own key, derived from the responder's master key:
 *
 *   key(SENDER) = lower-case hex of HKDF-SHA256(IKM = master key,
 *                 salt = "ssrfguard-detector-key-v1", info = SENDER, L = 32)
 *
 * (64 ASCII characters, the content of the detector's key file).  The
 * responder holds only the master key and derives the key of the sender
 * named; a host holds only its own derived key, so it can sign as itself
 * and nobody else.  The responder then takes only an incident naming that
 * same instance (src/respond/listen.c).
 *
 * Pure: the caller passes the current time.  A cache is not thread-safe;
 * free with rsig_cache_free (NULL-safe).
 */
#ifndef SSRFGUARD_PLAYBOOK_SIGN_H
#define SSRFGUARD_PLAYBOOK_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define RSIG_HDR_TIMESTAMP "X-Ssrfguard-Timestamp"
#define RSIG_HDR_NONCE     "X-Ssrfguard-Nonce"
#define RSIG_HDR_SIGNATURE "X-Ssrfguard-Signature"
#define RSIG_HDR_SENDER    "X-Ssrfguard-Sender"
#define RSIG_SENDER_MAX    42 /* "i-" and at most 40 of [0-9a-z] */
#define RSIG_NONCE_MIN     16
#define RSIG_NONCE_MAX     64
#define RSIG_KEY_MIN       16 /* bytes; shorter keys are refused */
#define RSIG_WINDOW_DEFAULT 300

/* out: 64 hex characters and a NUL.  SG_ERR_INVAL for a short key or a
 * malformed nonce. */
sg_err rsig_sign(const uint8_t *key, size_t keylen, int64_t ts, const char *nonce,
                 const void *body, size_t len, char out[65]);

/* true for a well-formed sender (an instance id as above). */
bool rsig_sender_ok(const char *sender);

/* out: the sender's derived key (64 hex characters and a NUL).
 * SG_ERR_INVAL for a short master key or a malformed sender. */
sg_err rsig_derive_key(const uint8_t *master, size_t masterlen, const char *sender, char out[65]);

typedef struct rsig_cache rsig_cache;

/* cap nonces remembered for window seconds; NULL on OOM or bad args. */
rsig_cache *rsig_cache_new(size_t cap, int64_t window);
void rsig_cache_free(rsig_cache *c);

/*
 * rsig_verify — SG_OK and the nonce remembered; or
 *   SG_ERR_PARSE    a header missing or malformed
 *   SG_ERR_TIMEOUT  timestamp outside now ± window
 *   SG_ERR_AUTH     signature does not match
 *   SG_ERR_EXISTS   nonce already seen (a replay)
 *   SG_ERR_BUSY     cache full of unexpired nonces
 * ts, nonce and sig are the header values (NULL when absent).
 */
sg_err rsig_verify(rsig_cache *c, const uint8_t *key, size_t keylen, const char *ts,
                   const char *nonce, const char *sig, const void *body, size_t len, int64_t now);

#endif
