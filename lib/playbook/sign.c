/* sign.c — HMAC-SHA256 delivery signatures, replay window and nonce cache. */
#include "playbook/sign.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

static bool nonce_ok(const char *n)
{
	if (!n)
		return false;
	size_t len = strnlen(n, RSIG_NONCE_MAX + 1);
	if (len < RSIG_NONCE_MIN || len > RSIG_NONCE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return true;
}

static sg_err mac(const uint8_t *key, size_t keylen, const char *ts, const char *nonce,
                  const void *body, size_t len, unsigned char out[32])
{
	static const char prefix[] = "ssrfguard-v1\n";
	sg_err err = SG_ERR_NOMEM;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	if (!c || !EVP_MAC_init(c, key, keylen, params))
		goto fail;
	if (!EVP_MAC_update(c, (const unsigned char *)prefix, sizeof prefix - 1) ||
	    !EVP_MAC_update(c, (const unsigned char *)ts, strlen(ts)) ||
	    !EVP_MAC_update(c, (const unsigned char *)"\n", 1) ||
	    !EVP_MAC_update(c, (const unsigned char *)nonce, strlen(nonce)) ||
	    !EVP_MAC_update(c, (const unsigned char *)"\n", 1) ||
	    (len && !EVP_MAC_update(c, body, len)) || !EVP_MAC_final(c, out, &outl, 32) || outl != 32)
		goto fail;
	err = SG_OK;
fail:
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return err;
}

sg_err rsig_sign(const uint8_t *key, size_t keylen, int64_t ts, const char *nonce,
                 const void *body, size_t len, char out[65])
{
	if (!key || keylen < RSIG_KEY_MIN || !nonce_ok(nonce) || (!body && len) || !out || ts < 0)
		return SG_ERR_INVAL;
	char tsbuf[24];
	snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
	unsigned char md[32];
	sg_err err = mac(key, keylen, tsbuf, nonce, body, len, md);
	if (err)
		return err;
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return SG_OK;
}

bool rsig_sender_ok(const char *s)
{
	if (!s || strncmp(s, "i-", 2) != 0)
		return false;
	size_t len = strnlen(s, RSIG_SENDER_MAX + 1);
	if (len <= 2 || len > RSIG_SENDER_MAX)
		return false;
	for (size_t i = 2; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

sg_err rsig_derive_key(const uint8_t *master, size_t masterlen, const char *sender, char out[65])
{
	static const char salt[] = "ssrfguard-detector-key-v1";
	if (!master || masterlen < RSIG_KEY_MIN || !rsig_sender_ok(sender) || !out)
		return SG_ERR_INVAL;
	sg_err err = SG_ERR_NOMEM;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, masterlen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, sizeof salt - 1),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)sender, strlen(sender)),
		OSSL_PARAM_construct_end(),
	};
	unsigned char k[32];
	if (c && EVP_KDF_derive(c, k, sizeof k, params) == 1) {
		for (size_t i = 0; i < sizeof k; i++)
			snprintf(out + 2 * i, 3, "%02x", k[i]);
		err = SG_OK;
	}
	OPENSSL_cleanse(k, sizeof k);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
	return err;
}

typedef struct entry {
	char nonce[RSIG_NONCE_MAX + 1];
	int64_t ts;
	bool used;
} entry;

struct rsig_cache {
	size_t cap;
	int64_t window;
	entry *e;
};

rsig_cache *rsig_cache_new(size_t cap, int64_t window)
{
	if (cap == 0 || cap > (1u << 20) || window <= 0)
		return NULL;
	rsig_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->e = calloc(cap, sizeof *c->e);
	if (!c->e) {
		free(c);
		return NULL;
	}
	c->cap = cap;
	c->window = window;
	return c;
}

void rsig_cache_free(rsig_cache *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

/* Strict decimal, no sign, no spaces, at most 12 digits. */
static bool parse_ts(const char *s, int64_t *out)
{
	if (!s || !*s)
		return false;
	int64_t v = 0;
	size_t i = 0;
	for (; s[i]; i++) {
		if (i >= 12 || s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

sg_err rsig_verify(rsig_cache *c, const uint8_t *key, size_t keylen, const char *ts,
                   const char *nonce, const char *sig, const void *body, size_t len, int64_t now)
{
	if (!c || !key || keylen < RSIG_KEY_MIN || (!body && len))
		return SG_ERR_INVAL;
	int64_t t;
	if (!parse_ts(ts, &t) || !nonce_ok(nonce) || !sig || strnlen(sig, 65) != 64)
		return SG_ERR_PARSE;
	unsigned char want[32], got[32];
	if (sg_hex_decode(sig, 64, got, sizeof got))
		return SG_ERR_PARSE;
	if (t > now + c->window || t < now - c->window)
		return SG_ERR_TIMEOUT;
	sg_err err = mac(key, keylen, ts, nonce, body, len, want);
	if (err)
		return err;
	if (CRYPTO_memcmp(want, got, 32) != 0)
		return SG_ERR_AUTH;
	entry *slot = NULL;
	for (size_t i = 0; i < c->cap; i++) {
		entry *e = &c->e[i];
		if (e->used && (e->ts < now - c->window || e->ts > now + c->window))
			e->used = false; /* expired: its timestamp would be refused anyway */
		if (e->used && !strcmp(e->nonce, nonce))
			return SG_ERR_EXISTS;
		if (!e->used && !slot)
			slot = e;
	}
	if (!slot)
		return SG_ERR_BUSY;
	memcpy(slot->nonce, nonce, strlen(nonce) + 1);
	slot->ts = t;
	slot->used = true;
	return SG_OK;
}
