/* deliver.c — detector-side delivery of incidents to an off-box responder. */
#include "respond/deliver.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/http.h"
#include "aws/sqs.h"
#include "common/clock.h"
#include "common/escape.h"
#include "common/jsonload.h"
#include "common/utf8.h"
#include "logging/logging.h"
#include "playbook/sign.h"
#include "respond/listen.h"
#include "respond/respond.h"
#include "store/store.h"

#define DELIVER_KEY_MAX 1024
#define ACK_MAX (64u << 10)          /* the responder's acknowledgement: {"incident":N,...} */
#define DELIVER_ROW_MAX (64u << 10)  /* this file's own journal row: {"next_ms":...} */

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
                   const char *sender, const char *body, int64_t *remote, char *err, size_t errlen)
{
	unsigned char rnd[16];
	char nonce[33], sig[65], ts[24];
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		snprintf(err, errlen, "no randomness");
		return SG_ERR_IO;
	}
	for (size_t i = 0; i < 16; i++)
		snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
	int64_t t = (int64_t)time(NULL);
	snprintf(ts, sizeof ts, "%lld", (long long)t);
	if (!rsig_sender_ok(sender)) { /* never a header made of what it holds */
		snprintf(err, errlen, "the incident's instance id is not one (i-...): no sender to name");
		return SG_ERR_INVAL;
	}
	if (rsig_sign(key, keylen, t, nonce, body, strlen(body), sig)) {
		snprintf(err, errlen, "cannot sign");
		return SG_ERR_INVAL;
	}
	/* the one HTTP path (aws/http.h): https only, the peer verified
	 * against --ca-bundle or the system's CAs, no proxy, no redirect, a
	 * fresh connection (never re-sent by libcurl), the reply capped */
	const struct aws_kv hdrs[] = {{"Content-Type", "application/json"},
	                              {RSIG_HDR_TIMESTAMP, ts},
	                              {RSIG_HDR_NONCE, nonce},
	                              {RSIG_HDR_SIGNATURE, sig},
	                              {RSIG_HDR_SENDER, sender}};
	struct aws_http_req req = {.method = "POST", .url = cfg->url, .headers = hdrs,
	                           .nheaders = sizeof hdrs / sizeof hdrs[0], .body = body,
	                           .body_len = strlen(body), .connect_timeout_ms = 3000,
	                           .timeout_ms = 10000, .ca_bundle = cfg->ca_bundle,
	                           .max_reply = 64 << 10, .fresh_connection = 1, .no_proxy = 1,
	                           .https_only = 1};
	struct aws_http_resp resp;
	if (aws_http_once(&req, &resp, err, errlen)) {
		aws_http_resp_free(&resp);
		return SG_ERR_NETWORK;
	}
	if (resp.status < 200 || resp.status > 299) {
		char said[201]; /* the responder's text, for a log line */
		sg_text_clean(said, sizeof said, resp.body, resp.len);
		snprintf(err, errlen, "HTTP %ld: %s", resp.status, said);
		aws_http_resp_free(&resp);
		return SG_ERR_REMOTE;
	}
	json_t *j = NULL;
	sg_json_load_bounded(resp.body, resp.len, ACK_MAX, 0, "acknowledgement", &j, NULL, 0);
	aws_http_resp_free(&resp);
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

/* What one pass hands each open incident. */
typedef struct pass_ctx {
	const respond_deliver_config *cfg;
	store *st;
	const uint8_t *key;
	size_t keylen;
	const char *detector;
	struct aws_client *aws;
} pass_ctx;

/* Deliver one open incident unless it is acknowledged or waits for its
 * next try; the outcome is journaled as its "deliver" step.  Always SG_OK:
 * one incident's failure never stops the others'. */
static sg_err deliver_one(void *ctx, const store_incident *inc)
{
	const pass_ctx *p = ctx;
	const respond_deliver_config *cfg = p->cfg;
	store *st = p->st;
	unsigned maxb = cfg->max_backoff_ms ? cfg->max_backoff_ms : 60000;
	store_step row = {0};
	int64_t attempts = 0;
	if (store_step_get(st, inc->id, "deliver", &row) == SG_OK) {
		bool done = !strcmp(row.status, "done");
		json_t *d = NULL;
		sg_json_load_bounded(row.data, strlen(row.data), DELIVER_ROW_MAX, 0, "row", &d, NULL, 0);
		int64_t next = json_integer_value(json_object_get(d, "next_ms"));
		json_decref(d);
		attempts = row.attempts;
		store_step_free(&row);
		/* next_ms is stored in the step's row (a later pass or another
		 * process reads it): a wall time, unlike a local backoff */
		if (done || sg_wall_ms() < next)
			return SG_OK;
	}
	store_attempt *att = NULL;
	size_t na = 0;
	store_attempts(st, inc->id, 1, &att, &na);
	/* cut as the receiver would, so an older responder takes it too */
	respond_delivery cut;
	respond_delivery_cut(cut.url, sizeof cut.url, na ? att[0].url : "", na ? strlen(att[0].url) : 0);
	respond_delivery_cut(cut.reason, sizeof cut.reason, na ? att[0].reason : "",
	                     na ? strlen(att[0].reason) : 0);
	store_attempts_free(att, na);
	/* the attempt's text is the attacker's (a URL, a client, a reason):
	 * bytes that are not UTF-8 are repaired (common/utf8.h), never a
	 * body that cannot be built and an incident never delivered */
	json_t *b = json_pack(
		"{s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "detector", sg_utf8_json(p->detector),
		"incident", (json_int_t)inc->id, "instance_id", sg_utf8_json(inc->instance_id), "region",
		sg_utf8_json(inc->region), "az", sg_utf8_json(inc->az), "client", sg_utf8_json(inc->source),
		"url", sg_utf8_json(cut.url), "dest", sg_utf8_json(inc->dest), "category",
		sg_utf8_json(inc->category), "rule", sg_utf8_json(inc->rule), "reason",
		sg_utf8_json(cut.reason), "at_ms", (json_int_t)inc->opened_ms);
	char *body = b ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	if (!body) {
		say(cfg, "error", "INC-%lld: its delivery could not be built (out of memory); the next pass "
		    "tries again", (long long)inc->id);
		return SG_OK;
	}
	char err[300] = "", message_id[128] = "";
	int64_t remote = 0;
	sg_err e = p->aws ? send_sqs(cfg, p->aws, body, p->detector, inc, message_id, err, sizeof err)
	                  : post(cfg, p->key, p->keylen, inc->instance_id, body, &remote,
	                         err, sizeof err);
	free(body);
	json_t *d;
	store_change c = {.incident_id = inc->id, .step = "deliver", .actor = "deliver",
	                  .bump_attempts = 1};
	if (!e && p->aws) {
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
		d = json_pack("{s:s,s:I}", "error", err, "next_ms", (json_int_t)(sg_wall_ms() + back));
		c.to = "retry";
		c.reason = "not acknowledged; will retry";
		say(cfg, "warning", "INC-%lld: %s (retry in %u ms)", (long long)inc->id, err, back);
	}
	char *ds = d ? json_dumps(d, JSON_COMPACT) : NULL;
	json_decref(d);
	c.data = ds;
	store_transition(st, &c);
	free(ds);
	return SG_OK;
}

/* Every open incident, however many: the store's pages are followed to
 * the last (store_each_incident), so none is skipped behind the first
 * STORE_PAGE.  A store that fails part-way is logged; the next pass reads
 * again from the newest. */
static void one_pass(const respond_deliver_config *cfg, store *st, const uint8_t *key, size_t keylen,
                     const char *detector, struct aws_client *aws)
{
	pass_ctx p = {cfg, st, key, keylen, detector, aws};
	if (store_each_incident(st, STORE_OPEN, deliver_one, &p) != SG_OK)
		say(cfg, "error", "reading the open incidents: %s", store_errmsg(st));
}

sg_err respond_key_read(const char *path, uint8_t key[RESPOND_KEY_MAX], size_t *len, char *msg,
                        size_t msglen)
{
	size_t keylen = 0;
	FILE *kf = fopen(path, "rb");
	if (!kf) {
		snprintf(msg, msglen, "key file %s: cannot open", path);
		return SG_ERR_IO;
	}
	keylen = fread(key, 1, RESPOND_KEY_MAX, kf);
	fclose(kf);
	while (keylen && (key[keylen - 1] == '\n' || key[keylen - 1] == '\r'))
		keylen--;
	if (keylen < RSIG_KEY_MIN) {
		snprintf(msg, msglen, "key file %s: fewer than %d bytes", path, RSIG_KEY_MIN);
		return SG_ERR_INVAL;
	}
	*len = keylen;
	return SG_OK;
}

sg_err respond_deliver_loop(const respond_deliver_config *cfg, atomic_int *stop, bool once,
                            char *msg, size_t msglen)
{
	uint8_t key[RESPOND_KEY_MAX];
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
	} else if ((err = respond_key_read(cfg->key_file, key, &keylen, msg, msglen))) {
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
	while (!atomic_load(stop)) {
		one_pass(cfg, st, key, keylen, detector, aws);
		if (once)
			break;
		for (unsigned w = 0; w < poll && !atomic_load(stop); w += 50)
			usleep(50000);
	}
	store_close(st);
	aws_client_free(aws);
	OPENSSL_cleanse(key, sizeof key);
	return SG_OK;
}
