/* test_sign.c — delivery signatures: sign, verify, window, replays. */
#include "playbook/sign.h"
#include "test.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN 32
static const char body[] = "{\"incident\":1,\"instance\":\"i-1\"}";
static const char nonce[] = "00112233445566778899aabbccddeeff";

TEST(sign_then_verify)
{
	char sig[65];
	CHECK_INT(rsig_sign(key, KEYLEN, 1700000000, nonce, body, strlen(body), sig), SG_OK);
	CHECK_INT(strlen(sig), 64);
	rsig_cache *c = rsig_cache_new(8, 300);
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000010),
	          SG_OK);
	/* the same delivery again is a replay */
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000020),
	          SG_ERR_EXISTS);
	rsig_cache_free(c);
	rsig_cache_free(NULL);
}

TEST(any_change_is_refused)
{
	char sig[65];
	rsig_sign(key, KEYLEN, 1700000000, nonce, body, strlen(body), sig);
	rsig_cache *c = rsig_cache_new(8, 300);
	char b2[sizeof body];
	/* flip each byte of the body in turn */
	for (size_t i = 0; i < strlen(body); i++) {
		memcpy(b2, body, sizeof body);
		b2[i] ^= 1;
		CHECKF(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, b2, strlen(body), 1700000000) ==
		           SG_ERR_AUTH, "byte %zu", i);
	}
	/* and each hex digit of the signature */
	for (size_t i = 0; i < 64; i++) {
		char s2[65];
		memcpy(s2, sig, 65);
		s2[i] = s2[i] == '0' ? '1' : '0';
		CHECKF(rsig_verify(c, key, KEYLEN, "1700000000", nonce, s2, body, strlen(body), 1700000000) ==
		           SG_ERR_AUTH, "sig digit %zu", i);
	}
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000001", nonce, sig, body, strlen(body), 1700000000),
	          SG_ERR_AUTH);
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", "00112233445566778899aabbccddeefe", sig, body,
	                      strlen(body), 1700000000),
	          SG_ERR_AUTH);
	uint8_t k2[KEYLEN];
	memcpy(k2, key, KEYLEN);
	k2[0] ^= 0x80;
	CHECK_INT(rsig_verify(c, k2, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000000),
	          SG_ERR_AUTH);
	/* refusals did not burn the nonce */
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000000),
	          SG_OK);
	rsig_cache_free(c);
}

TEST(window)
{
	char sig[65];
	rsig_sign(key, KEYLEN, 1700000000, nonce, body, strlen(body), sig);
	rsig_cache *c = rsig_cache_new(8, 300);
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000301),
	          SG_ERR_TIMEOUT);
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1699999699),
	          SG_ERR_TIMEOUT);
	CHECK_INT(rsig_verify(c, key, KEYLEN, "1700000000", nonce, sig, body, strlen(body), 1700000300),
	          SG_OK);
	rsig_cache_free(c);
}

static const struct {
	const char *ts, *nonce, *sig;
	const char *label;
} malformed[] = {
	{NULL, nonce, "00", "no timestamp"},
	{"", nonce, "00", "empty timestamp"},
	{"-5", nonce, "00", "negative"},
	{"17e8", nonce, "00", "not decimal"},
	{" 1700000000", nonce, "00", "space"},
	{"1700000000000000", nonce, "00", "too long"},
	{"1700000000", NULL, "00", "no nonce"},
	{"1700000000", "0011", "00", "short nonce"},
	{"1700000000", "00112233445566778899AABBCCDDEEFF", "00", "upper-case nonce"},
	{"1700000000", "0011223344556677889g", "00", "non-hex nonce"},
	{"1700000000", nonce, NULL, "no signature"},
	{"1700000000", nonce, "abc", "short signature"},
	{"1700000000", nonce, "zz00000000000000000000000000000000000000000000000000000000000000", "non-hex signature"},
};

TEST(malformed_headers)
{
	rsig_cache *c = rsig_cache_new(8, 300);
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
		CHECKF(rsig_verify(c, key, KEYLEN, malformed[i].ts, malformed[i].nonce, malformed[i].sig, body,
		                   strlen(body), 1700000000) == SG_ERR_PARSE, "%s", malformed[i].label);
	CHECK_INT(rsig_verify(c, key, 8, "1", nonce, "00", body, 1, 1), SG_ERR_INVAL);
	char sig[65];
	CHECK_INT(rsig_sign(key, 8, 1, nonce, body, 1, sig), SG_ERR_INVAL);
	CHECK_INT(rsig_sign(key, KEYLEN, 1, "short", body, 1, sig), SG_ERR_INVAL);
	rsig_cache_free(c);
}

TEST(cache_fills_then_expires)
{
	rsig_cache *c = rsig_cache_new(3, 300);
	char n[33], sig[65], ts[24];
	int64_t t = 1700000000;
	snprintf(ts, sizeof ts, "%lld", (long long)t);
	for (int i = 0; i < 4; i++) {
		snprintf(n, sizeof n, "%032x", i + 1);
		rsig_sign(key, KEYLEN, t, n, body, strlen(body), sig);
		CHECKF(rsig_verify(c, key, KEYLEN, ts, n, sig, body, strlen(body), t) ==
		           (i < 3 ? SG_OK : SG_ERR_BUSY), "nonce %d", i);
	}
	/* 301 s later the old nonces expired: room again, at a new timestamp */
	int64_t t2 = t + 301;
	snprintf(ts, sizeof ts, "%lld", (long long)t2);
	snprintf(n, sizeof n, "%032x", 99);
	rsig_sign(key, KEYLEN, t2, n, body, strlen(body), sig);
	CHECK_INT(rsig_verify(c, key, KEYLEN, ts, n, sig, body, strlen(body), t2), SG_OK);
	rsig_cache_free(c);
	CHECK(rsig_cache_new(0, 300) == NULL);
	CHECK(rsig_cache_new(3, 0) == NULL);
}

/* The per-detector key: RFC 5869 HKDF-SHA256 over the master key; the
 * expected value computed with Python's hmac module (an independent
 * implementation of the same two HMAC steps). */
TEST(derived_key_per_sender)
{
	char k1[65], k2[65];
	CHECK_INT(rsig_derive_key(key, KEYLEN, "i-0a1b2c3d4e5f60001", k1), SG_OK);
	CHECK_STR(k1, "1df2a72786d2084a43800eb4cdd99eaf1b788eee675218c890e0f2f9b105acc3");
	CHECK_INT(rsig_derive_key(key, KEYLEN, "i-0a1b2c3d4e5f60002", k2), SG_OK);
	CHECK(strcmp(k1, k2) != 0);
	static const char *bad[] = {"", "i-", "x-1", "i-0A1B", "i-1/2", "i-1 ",
	                            "i-00000000000000000000000000000000000000001"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECKF(!rsig_sender_ok(bad[i]), "%s", bad[i]);
		CHECKF(rsig_derive_key(key, KEYLEN, bad[i], k2) == SG_ERR_INVAL, "%s", bad[i]);
	}
	CHECK(rsig_sender_ok("i-0123456789abcdefghij0123456789abcdefghij"));
	CHECK(!rsig_sender_ok(NULL));
	CHECK_INT(rsig_derive_key(key, 8, "i-1", k2), SG_ERR_INVAL);
}

TEST_MAIN(sign_then_verify, any_change_is_refused, window, malformed_headers, cache_fills_then_expires,
          derived_key_per_sender)
