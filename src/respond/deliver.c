/* deliver.c — detector-side delivery of incidents to an off-box responder. */
#include "respond/deliver.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/sqs.h"
#include "logging/logging.h"
#include "playbook/sign.h"

#define DELIVER_KEY_MAX 1024
#include "respond/respond.h"
#include "store/store.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct sink {
	char buf[4096];
	size_t n;
} sink;

static size_t on_data(char *p, size_t s, size_t n, void *u)
{
	sink *k = u;
	size_t len = s * n, room = sizeof k->buf - 1 - k->n;
	size_t take = len < room ? len : room;
	memcpy(k->buf + k->n, p, take);
	k->n += take;
	k->buf[k->n] = '\0';
	return len;
}

__attribute__((format(printf, 3, 4)))
static void say(const respond_deliver_config *cfg, const char *level, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cfg->log)
		cfg->log(cfg->log_ctx, level, msg);
	else
		logging_write(STDERR_FILENO, level, "deliver", msg, NULL);
}

/* POST one body; *remote gets the responder's incident id. */
static sg_err post(const respond_deliver_config *cfg, const uint8_t *key, size_t keylen,
                   const char *body, int64_t *remote, char *err, size_t errlen)
{
	unsigned char rnd[16];
	char nonce[33], sig[65], ts[24], h1[64], h2[80], h3[128];
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		snprintf(err, errlen, "no randomness");
		return SG_ERR_IO;
	}
	for (size_t i = 0; i < 16; i++)
		snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
	int64_t t = (int64_t)time(NULL);
	snprintf(ts, sizeof ts, "%lld", (long long)t);
	if (rsig_sign(key, keylen, t, nonce, body, strlen(body), sig)) {
		snprintf(err, errlen, "cannot sign");
		return SG_ERR_INVAL;
	}
	snprintf(h1, sizeof h1, RSIG_HDR_TIMESTAMP ": %s", ts);
	snprintf(h2, sizeof h2, RSIG_HDR_NONCE ": %s", nonce);
	snprintf(h3, sizeof h3, RSIG_HDR_SIGNATURE ": %s", sig);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, h1);
	h = curl_slist_append(h, h2);
	h = curl_slist_append(h, h3);
	CURL *c = curl_easy_init();
	sink k = {.n = 0};
	k.buf[0] = '\0';
	if (!c || !h) {
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		return SG_ERR_NOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, cfg->url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	if (cfg->ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_bundle);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		return SG_ERR_NETWORK;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "HTTP %ld: %.200s", status, k.buf);
		return SG_ERR_REMOTE;
	}
	json_t *j = json_loads(k.buf, 0, NULL);
	json_t *id = json_object_get(j, "incident");
	*remote = json_is_integer(id) ? json_integer_value(id) : 0;
	json_decref(j);
	if (*remote <= 0) {
		snprintf(err, errlen, "acknowledgement without an incident id");
		return SG_ERR_PROTOCOL;
	}
	return SG_OK;
}

/* SendMessage one body; the message id is the acknowledgement. */
static sg_err send_sqs(const respond_deliver_config *cfg, struct aws_client *aws, const char *body,
                       const char *detector, const store_incident *inc, char message_id[128],
                       char *err, size_t errlen)
{
	char dedup[160];
	snprintf(dedup, sizeof dedup, "%.100s-%lld", detector, (long long)inc->id);
	bool fifo = aws_sqs_queue_is_fifo(cfg->url);
	struct aws_error e;
	sg_err rc = aws_sqs_send(aws, cfg->url, body, fifo ? inc->instance_id : NULL, fifo ? dedup : NULL,
	                         message_id, &e);
	if (rc)
		snprintf(err, errlen, "%s: %.100s %.150s", sg_strerror(rc), e.code, e.message);
	return rc;
}

static void one_pass(const respond_deliver_config *cfg, store *st, const uint8_t *key, size_t keylen,
                     const char *detector, struct aws_client *aws)
{
	store_incident *arr = NULL;
	size_t n = 0;
	unsigned maxb = cfg->max_backoff_ms ? cfg->max_backoff_ms : 60000;
	if (store_list(st, STORE_OPEN, 0, &arr, &n) != SG_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		store_incident *inc = &arr[i];
		store_step row = {0};
		int64_t attempts = 0;
		if (store_step_get(st, inc->id, "deliver", &row) == SG_OK) {
			bool done = !strcmp(row.status, "done");
			json_t *d = json_loads(row.data, 0, NULL);
			int64_t next = json_integer_value(json_object_get(d, "next_ms"));
			json_decref(d);
			attempts = row.attempts;
			store_step_free(&row);
			if (done || now_ms() < next)
				continue;
		}
		store_attempt *att = NULL;
		size_t na = 0;
		store_attempts(st, inc->id, 1, &att, &na);
		json_t *b = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "detector", detector,
		                      "incident", (json_int_t)inc->id, "instance_id", inc->instance_id,
		                      "region", inc->region, "az", inc->az, "client", inc->source, "url",
		                      na ? att[0].url : "", "dest", inc->dest, "category", inc->category,
		                      "rule", inc->rule, "reason", na ? att[0].reason : "", "at_ms",
		                      (json_int_t)inc->opened_ms);
		store_attempts_free(att, na);
		char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
		json_decref(b);
		if (!body)
			continue;
		char err[300] = "", message_id[128] = "";
		int64_t remote = 0;
		sg_err e = aws ? send_sqs(cfg, aws, body, detector, inc, message_id, err, sizeof err)
		               : post(cfg, key, keylen, body, &remote, err, sizeof err);
		free(body);
		json_t *d;
		store_change c = {.incident_id = inc->id, .step = "deliver", .actor = "deliver",
		                  .bump_attempts = 1};
		if (!e && aws) {
			d = json_pack("{s:s,s:s}", "message_id", message_id, "queue", cfg->url);
			c.to = "done";
			c.reason = "acknowledged by SQS";
			say(cfg, "info", "INC-%lld -> SQS message %s", (long long)inc->id, message_id);
		} else if (!e) {
			d = json_pack("{s:I,s:s}", "remote", (json_int_t)remote, "url", cfg->url);
			c.to = "done";
			c.reason = "acknowledged by the responder";
			say(cfg, "info", "INC-%lld -> responder incident %lld", (long long)inc->id,
			    (long long)remote);
		} else {
			unsigned back = 1000;
			for (int64_t a = 0; a < attempts && back < maxb; a++)
				back *= 2;
			if (back > maxb)
				back = maxb;
			d = json_pack("{s:s,s:I}", "error", err, "next_ms", (json_int_t)(now_ms() + back));
			c.to = "retry";
			c.reason = "not acknowledged; will retry";
			say(cfg, "warning", "INC-%lld: %s (retry in %u ms)", (long long)inc->id, err, back);
		}
		char *ds = d ? json_dumps(d, JSON_COMPACT) : NULL;
		json_decref(d);
		c.data = ds;
		store_transition(st, &c);
		free(ds);
	}
	store_incidents_free(arr, n);
}

/* The key of the HTTPS channel. */
static sg_err read_key(const respond_deliver_config *cfg, uint8_t key[DELIVER_KEY_MAX], size_t *len,
                       char *msg, size_t msglen)
{
	size_t keylen = 0;
	FILE *kf = fopen(cfg->key_file, "rb");
	if (!kf) {
		snprintf(msg, msglen, "key file %s: cannot open", cfg->key_file);
		return SG_ERR_IO;
	}
	keylen = fread(key, 1, DELIVER_KEY_MAX, kf);
	fclose(kf);
	while (keylen && (key[keylen - 1] == '\n' || key[keylen - 1] == '\r'))
		keylen--;
	if (keylen < RSIG_KEY_MIN) {
		snprintf(msg, msglen, "key file %s: fewer than %d bytes", cfg->key_file, RSIG_KEY_MIN);
		return SG_ERR_INVAL;
	}
	*len = keylen;
	return SG_OK;
}

sg_err respond_deliver_loop(const respond_deliver_config *cfg, volatile int *stop, bool once,
                            char *msg, size_t msglen)
{
	uint8_t key[DELIVER_KEY_MAX];
	size_t keylen = 0;
	struct aws_client *aws = NULL;
	sg_err err;
	if (aws_sqs_queue_url_ok(cfg->url)) {
		struct aws_client_opts o = {.region = cfg->region, .profile = cfg->profile,
		                            .endpoint_url = cfg->endpoint_url, .ca_bundle = cfg->ca_bundle};
		struct aws_error e;
		if ((err = aws_client_new(&o, &aws, &e))) {
			snprintf(msg, msglen, "AWS client: %.100s%s%.300s", e.code, e.code[0] ? ": " : "",
			         e.message);
			return err;
		}
	} else if ((err = read_key(cfg, key, &keylen, msg, msglen))) {
		return err;
	}
	store *st = NULL;
	err = cfg->rcfg ? respond_store_open(cfg->rcfg, NULL, &st, msg, msglen)
	                : store_open(cfg->store_path, NULL, &st, msg, msglen);
	if (err) {
		aws_client_free(aws);
		return err;
	}
	char detector[128];
	if (cfg->detector)
		snprintf(detector, sizeof detector, "%s", cfg->detector);
	else if (gethostname(detector, sizeof detector) != 0)
		snprintf(detector, sizeof detector, "detector");
	detector[sizeof detector - 1] = '\0';
	unsigned poll = cfg->poll_ms ? cfg->poll_ms : 1000;
	while (!*stop) {
		one_pass(cfg, st, key, keylen, detector, aws);
		if (once)
			break;
		for (unsigned w = 0; w < poll && !*stop; w += 50)
			usleep(50000);
	}
	store_close(st);
	aws_client_free(aws);
	OPENSSL_cleanse(key, sizeof key);
	return SG_OK;
}
