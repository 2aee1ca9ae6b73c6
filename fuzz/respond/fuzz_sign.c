/* fuzz_sign.c — the signature headers of a delivered incident (from the
 * network: anyone can send them) verified with a fixed key.  Input: the
 * timestamp, nonce, signature and sender header values and the body,
 * separated by '\n' (a missing field is an absent header).  Each input is
 * also signed properly and checked again: the right signature passes once,
 * a replay is refused, a changed body never passes.  A well-formed sender
 * gets a derived key (64 hex characters) that no other sender's key
 * verifies; a malformed one gets none. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz_field.h"
#include "playbook/sign.h"

static const uint8_t key[] = "fuzz-key-of-32-bytes-exactly-!!!";
#define NOW 1800000000LL

static void resigned(rsig_cache *c, const char *nonce, const uint8_t *body, size_t blen,
                     int64_t skew)
{
	char ts[24], sig[65];
	snprintf(ts, sizeof ts, "%lld", (long long)(NOW + skew));
	if (rsig_sign(key, sizeof key - 1, NOW + skew, nonce, body, blen, sig) != SG_OK)
		return; /* a malformed nonce cannot be signed either */
	sg_err rc;
	if (blen) { /* one bit of the body changed: never accepted */
		uint8_t *b = malloc(blen);
		if (!b)
			abort();
		memcpy(b, body, blen);
		b[0] ^= 1;
		rc = rsig_verify(c, key, sizeof key - 1, ts, nonce, sig, b, blen, NOW);
		free(b);
		if (rc == SG_OK)
			abort();
	}
	rc = rsig_verify(c, key, sizeof key - 1, ts, nonce, sig, body, blen, NOW);
	int in_window = skew >= -RSIG_WINDOW_DEFAULT && skew <= RSIG_WINDOW_DEFAULT;
	if (in_window ? rc != SG_OK && rc != SG_ERR_EXISTS && rc != SG_ERR_BUSY
	              : rc != SG_ERR_TIMEOUT)
		abort();
	if (rc == SG_OK &&
	    rsig_verify(c, key, sizeof key - 1, ts, nonce, sig, body, blen, NOW) != SG_ERR_EXISTS)
		abort(); /* the replay */
}

/* The sender header: only a well-formed one has a key, and it is its own. */
static void sender_key(const char *sender, const uint8_t *body, size_t blen)
{
	char k[65], other[65], sig[65], ts[24];
	sg_err rc = rsig_derive_key(key, sizeof key - 1, sender, k);
	if (!rsig_sender_ok(sender)) {
		if (rc != SG_ERR_INVAL)
			abort();
		return;
	}
	if (rc != SG_OK || strlen(k) != 64 ||
	    rsig_derive_key(key, sizeof key - 1, strcmp(sender, "i-0") ? "i-0" : "i-1", other) != SG_OK ||
	    !strcmp(k, other))
		abort();
	static const char nonce[] = "0123456789abcdef0123456789abcdef";
	snprintf(ts, sizeof ts, "%lld", NOW);
	if (rsig_sign((const uint8_t *)k, 64, NOW, nonce, body, blen, sig) != SG_OK)
		abort();
	rsig_cache *c = rsig_cache_new(2, RSIG_WINDOW_DEFAULT);
	if (!c || rsig_verify(c, (const uint8_t *)other, 64, ts, nonce, sig, body, blen, NOW) != SG_ERR_AUTH ||
	    rsig_verify(c, (const uint8_t *)k, 64, ts, nonce, sig, body, blen, NOW) != SG_OK)
		abort();
	rsig_cache_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *ts = fuzz_field(&p, end, 1);
	char *nonce = fuzz_field(&p, end, 1);
	char *sig = fuzz_field(&p, end, 1);
	char *sender = fuzz_field(&p, end, 1);
	const uint8_t *body = p < end ? p : (const uint8_t *)"";
	size_t blen = p < end ? (size_t)(end - p) : 0;
	rsig_cache *c = rsig_cache_new(4, RSIG_WINDOW_DEFAULT);
	if (!c)
		abort();
	sg_err rc = rsig_verify(c, key, sizeof key - 1, ts, nonce, sig, body, blen, NOW);
	if (rc != SG_OK && rc != SG_ERR_PARSE && rc != SG_ERR_TIMEOUT && rc != SG_ERR_AUTH &&
	    rc != SG_ERR_EXISTS && rc != SG_ERR_BUSY)
		abort();
	if (rc == SG_OK)
		abort(); /* nobody without the key gets in */
	if (nonce)
		resigned(c, nonce, body, blen, size ? (int64_t)(data[0] % 9) * 100 - 400 : 0);
	rsig_cache_free(c);
	sender_key(sender, body, blen);
	free(ts);
	free(nonce);
	free(sig);
	free(sender);
	return 0;
}
