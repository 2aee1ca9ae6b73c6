/*
 * emu.h — test-side helpers for talking to the emulator's control API
 * (unsigned JSON under $EMULATOR_URL/_emulator/) and for capturing the
 * client's log.  Header-only, for the aws integration test programs.
 */
#ifndef SG_TEST_AWS_EMU_H
#define SG_TEST_AWS_EMU_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "common/buf.h"
#include "test.h"

static inline size_t emu_sink(char *p, size_t s, size_t n, void *ud)
{
	sg_buf_append(ud, p, s * n);
	return s * n;
}

/* method + path (under /_emulator) + optional JSON body -> parsed reply (or NULL). */
static inline json_t *emu(const char *method, const char *path, const char *body)
{
	const char *base = getenv("EMULATOR_URL");
	if (!base)
		return NULL;
	char url[1024];
	snprintf(url, sizeof url, "%s/_emulator%s", base, path);
	CURL *h = curl_easy_init();
	sg_buf b;
	sg_buf_init(&b, 0);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, emu_sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	CURLcode cc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	json_t *j = NULL;
	if (cc == CURLE_OK && b.p)
		j = json_loadb(b.p, b.len, 0, NULL);
	sg_buf_free(&b);
	return j;
}

/* An AWS client of the emulator for the test's own calls (the endpoint and
 * key with_emulator.py put in the environment, or cr), retrying after 5 ms;
 * a failed check and NULL if it cannot be made. */
static inline struct aws_client *emu_client(const struct aws_credentials *cr, long timeout_ms)
{
	struct aws_client_opts o = {.backoff_base_ms = 5, .timeout_ms = timeout_ms,
	                            .credentials = cr};
	struct aws_client *c = NULL;
	struct aws_error e;
	sg_err rc = aws_client_new(&o, &c, &e);
	CHECKF(rc == SG_OK, "client: %s %s", sg_strerror(rc), e.message);
	return c;
}

static inline void emu_do(const char *method, const char *path, const char *body)
{
	json_decref(emu(method, path, body));
}

/* Add one fault rule (JSON text). */
static inline void emu_fault(const char *rule)
{
	emu_do("POST", "/faults", rule);
}

static inline void emu_clear_faults(void)
{
	emu_do("DELETE", "/faults", NULL);
}

static inline void emu_advance(int seconds)
{
	char body[64];
	snprintf(body, sizeof body, "{\"seconds\": %d}", seconds);
	emu_do("POST", "/advance", body);
}

/* Log capture: every line the client logs, concatenated. */
struct logcap {
	sg_buf all;
	int lines;
};

static inline void logcap_fn(void *ctx, const char *line)
{
	struct logcap *l = ctx;
	sg_buf_puts(&l->all, line);
	sg_buf_putc(&l->all, '\n');
	l->lines++;
}

#endif
