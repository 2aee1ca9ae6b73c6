/* listen.c — HTTPS listener for signed incidents from detectors. */
#include "respond/listen.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accept/accept.h"
#include "common/buf.h"
#include "common/jsonload.h"
#include "common/listen.h"
#include "common/msg.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "playbook/sign.h"
#include "respond/deliver.h"
#include "respond/respond.h"
#include "store/store.h"
#include "store/settler.h"
#include "tls/servertls.h"

/* Why a delivery was not taken: counted by reason, shown by GET /healthz
 * (listen.h), in this order. */
typedef enum listen_refusal {
	REFUSED_NO_SENDER,      /* 401: derived keys, no well-formed sender header */
	REFUSED_BAD_SIGNATURE,  /* 401: no key of ours signed it */
	REFUSED_STALE,          /* 401: timestamp outside the window */
	REFUSED_REPLAYED,       /* 401: a nonce seen before */
	REFUSED_MALFORMED,      /* 401: signature headers malformed; 400: the body */
	REFUSED_OTHER_INSTANCE, /* 403: a detector naming an instance not its own */
	REFUSED_BUSY,           /* 503: nonce cache full, store busy: the detector retries */
	REFUSED__COUNT
} listen_refusal;

static const char *const refusal_names[REFUSED__COUNT] = {
	"no_sender", "bad_signature", "stale", "replayed", "malformed", "other_instance", "busy",
};

struct respond_listener {
	pthread_t th;
	bool started;
	struct event_base *base;
	struct evhttp *http;
	struct event *tick;
	accept_guard *accept; /* a failed accept() pauses (src/accept) */
	tls_live *tls;        /* its files read at start (src/tls) */
	store *st;
	rsig_cache *cache;
	uint8_t key[RESPOND_KEY_MAX];
	size_t keylen;
	uint8_t prev[RESPOND_KEY_MAX]; /* the key before a rotation: prevlen 0 when none */
	size_t prevlen;
	int64_t window;
	respond_listen_keys keys;
	const struct respond_config *rcfg; /* its log; NULL: stderr */
	/* since start, the listener thread's own (its /healthz reads them there) */
	unsigned long long accepted, accepted_previous, refused[REFUSED__COUNT];
	atomic_int stop;   /* set by respond_listen_stop, read on the listener thread */
	store_settler settler; /* what the store left unsettled (store/settler.h) */
	char spool[4096];      /* its spool file */
};

/* An identity field: required or not, a value longer than its field is
 * refused (ids name AWS resources and join redeliveries). */
static bool field(json_t *o, const char *k, char *dst, size_t cap, bool required, char *msg,
                  size_t msglen)
{
	json_t *v = json_object_get(o, k);
	dst[0] = '\0';
	if (!v) {
		if (required)
			snprintf(msg, msglen, "%s: missing", k);
		return !required;
	}
	if (!json_is_string(v) || json_string_length(v) >= cap) {
		snprintf(msg, msglen, "%s: not a string of at most %zu bytes", k, cap - 1);
		return false;
	}
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

/* An evidence field (optional): the attacker chooses its length, so a value
 * longer than its field is cut on a character boundary and ends with
 * RESPOND_DELIVERY_CUT_MARK, never refused — refusing would drop the
 * containment with it.  Returns false only for a value that is no string. */
static bool evidence(json_t *o, const char *k, char *dst, size_t cap, bool *cut, char *msg,
                     size_t msglen)
{
	json_t *v = json_object_get(o, k);
	dst[0] = '\0';
	if (!v)
		return true;
	if (!json_is_string(v)) {
		snprintf(msg, msglen, "%s: not a string", k);
		return false;
	}
	if (respond_delivery_cut(dst, cap, json_string_value(v), json_string_length(v)))
		*cut = true;
	return true;
}

bool respond_delivery_cut(char *dst, size_t cap, const char *s, size_t n)
{
	static const char mark[] = RESPOND_DELIVERY_CUT_MARK;
	if (n < cap) {
		memcpy(dst, s, n);
		dst[n] = '\0';
		return false;
	}
	size_t keep = cap > sizeof mark ? sg_utf8_cut(s, n, cap - sizeof mark) : 0;
	memcpy(dst, s, keep);
	snprintf(dst + keep, cap - keep, "%s", mark);
	return true;
}

sg_err respond_delivery_parse(const char *body, size_t len, respond_delivery *out, char *msg,
                              size_t msglen)
{
	SG_MSG_BEGIN(msg, msglen);
	if (!body || !out)
		return SG_ERR_INVAL;
	memset(out, 0, sizeof *out);
	json_t *j = NULL;
	sg_err err = sg_json_load_bounded(body, len, RESPOND_LISTEN_BODY_MAX, 0, "body", &j, msg, msglen);
	if (err)
		return err;
	err = SG_ERR_PARSE;
	if (!field(j, "detector", out->detector, sizeof out->detector, true, msg, msglen) ||
	    !field(j, "instance_id", out->instance_id, sizeof out->instance_id, true, msg, msglen) ||
	    !field(j, "region", out->region, sizeof out->region, false, msg, msglen) ||
	    !field(j, "az", out->az, sizeof out->az, false, msg, msglen) ||
	    !field(j, "category", out->category, sizeof out->category, false, msg, msglen) ||
	    !evidence(j, "client", out->client, sizeof out->client, &out->cut, msg, msglen) ||
	    !evidence(j, "url", out->url, sizeof out->url, &out->cut, msg, msglen) ||
	    !evidence(j, "dest", out->dest, sizeof out->dest, &out->cut, msg, msglen) ||
	    !evidence(j, "rule", out->rule, sizeof out->rule, &out->cut, msg, msglen) ||
	    !evidence(j, "reason", out->reason, sizeof out->reason, &out->cut, msg, msglen))
		goto fail;
	json_t *id = json_object_get(j, "incident");
	if (!json_is_integer(id) || json_integer_value(id) <= 0) {
		snprintf(msg, msglen, "incident: not a positive integer");
		goto fail;
	}
	out->remote_id = json_integer_value(id);
	json_t *at = json_object_get(j, "at_ms");
	if (at && (!json_is_integer(at) || json_integer_value(at) < 0)) {
		snprintf(msg, msglen, "at_ms: not a non-negative integer");
		goto fail;
	}
	out->at_ms = at ? json_integer_value(at) : 0;
	/* ids go into tags and resource names: keep them to their alphabet */
	for (const char *p = out->instance_id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			snprintf(msg, msglen, "instance_id: bad character");
			goto fail;
		}
	if (strncmp(out->instance_id, "i-", 2) != 0) {
		snprintf(msg, msglen, "instance_id: not i-...");
		goto fail;
	}
	for (const char *p = out->detector; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == '/' || (unsigned char)*p == 0x7f) {
			snprintf(msg, msglen, "detector: bad character");
			goto fail;
		}
	if (!out->detector[0]) {
		snprintf(msg, msglen, "detector: empty");
		goto fail;
	}
	err = SG_OK;
fail:
	json_decref(j);
	return err;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *json)
{
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add_printf(b, "%s\n", json);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

/* The signature, with the sender's key derived from master, or master
 * itself when keys are shared.  SG_ERR_NOTFOUND: derived keys, and no
 * well-formed sender named. */
static sg_err verify_with(respond_listener *l, const uint8_t *master, size_t masterlen,
                          struct evkeyvalq *h, const char *sender, const char *body, size_t len)
{
	const uint8_t *key = master;
	size_t keylen = masterlen;
	char derived[65];
	if (l->keys == RESPOND_LISTEN_KEYS_DERIVED) {
		if (!rsig_sender_ok(sender))
			return SG_ERR_NOTFOUND;
		sg_err err = rsig_derive_key(master, masterlen, sender, derived);
		if (err)
			return err;
		key = (const uint8_t *)derived;
		keylen = 64;
	}
	sg_err err = rsig_verify(l->cache, key, keylen, evhttp_find_header(h, RSIG_HDR_TIMESTAMP),
	                         evhttp_find_header(h, RSIG_HDR_NONCE),
	                         evhttp_find_header(h, RSIG_HDR_SIGNATURE), body, len, (int64_t)time(NULL));
	OPENSSL_cleanse(derived, sizeof derived);
	return err;
}

/* The signature with the key, else (during a rotation) with the previous
 * key: *previous says it was that one.  rsig_verify compares the signature
 * before it remembers the nonce, so the second try sees no replay. */
static sg_err check_signature(respond_listener *l, struct evkeyvalq *h, const char *sender,
                              const char *body, size_t len, bool *previous)
{
	*previous = false;
	sg_err err = verify_with(l, l->key, l->keylen, h, sender, body, len);
	if (err == SG_ERR_AUTH && l->prevlen) {
		err = verify_with(l, l->prev, l->prevlen, h, sender, body, len);
		*previous = !err;
	}
	return err;
}

/* 403: a detector named an instance other than its own.  Its signature
 * was good, so it holds that sender's key: the host may be compromised. */
static void refuse_sender(respond_listener *l, struct evhttp_request *req, const char *sender,
                          const respond_delivery *d)
{
	char shown_sender[RSIG_SENDER_MAX * 4 + 1], shown_detector[sizeof d->detector * 4];
	sg_text_clean(shown_sender, sizeof shown_sender, sender, strlen(sender));
	sg_text_clean(shown_detector, sizeof shown_detector, d->detector, strlen(d->detector));
	respond_log(l->rcfg, "error",
	            "listen: delivery from %s (detector %s, its incident %lld) refused for its sender "
	            "(%llu so far): it names instance %s; a detector reports only its own instance",
	            shown_sender, shown_detector, (long long)d->remote_id,
	            ++l->refused[REFUSED_OTHER_INSTANCE], d->instance_id);
	reply(req, 403, "Forbidden",
	      "{\"error\":\"sender refused: a detector reports only its own instance (" RSIG_HDR_SENDER
	      ")\"}");
}

/* 401 (503 when the nonce cache is full): a signature check that failed. */
static void refuse_signature(respond_listener *l, struct evhttp_request *req, sg_err err)
{
	listen_refusal why = err == SG_ERR_TIMEOUT  ? REFUSED_STALE
	                     : err == SG_ERR_EXISTS   ? REFUSED_REPLAYED
	                     : err == SG_ERR_BUSY     ? REFUSED_BUSY
	                     : err == SG_ERR_PARSE    ? REFUSED_MALFORMED
	                     : err == SG_ERR_NOTFOUND ? REFUSED_NO_SENDER
	                                              : REFUSED_BAD_SIGNATURE;
	static const char *const said[REFUSED__COUNT] = {
		[REFUSED_NO_SENDER] = "no well-formed " RSIG_HDR_SENDER " header",
		[REFUSED_BAD_SIGNATURE] = "bad signature",
		[REFUSED_STALE] = "timestamp outside the window",
		[REFUSED_REPLAYED] = "replayed nonce",
		[REFUSED_MALFORMED] = "headers missing or malformed",
		[REFUSED_BUSY] = "nonce cache full, retry later",
	};
	char j[160];
	l->refused[why]++;
	snprintf(j, sizeof j, "{\"error\":\"signature refused: %s\"}", said[why]);
	reply(req, why == REFUSED_BUSY ? 503 : 401, why == REFUSED_BUSY ? "Busy" : "Unauthorized", j);
}

/* GET /healthz: the listener runs; what it took and refused since start. */
static void on_healthz(struct evhttp_request *req, void *arg)
{
	respond_listener *l = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		reply(req, 405, "Method Not Allowed", "{\"error\":\"GET only\"}");
		return;
	}
	sg_buf b;
	sg_buf_init(&b, 4096);
	sg_buf_printf(&b, "{\"status\":\"ok\",\"keys\":\"%s\",\"previous_key\":%s,\"accepted\":%llu,"
	              "\"accepted_previous_key\":%llu,\"refused\":{",
	              l->keys == RESPOND_LISTEN_KEYS_SHARED ? "shared" : "derived",
	              l->prevlen ? "true" : "false", l->accepted, l->accepted_previous);
	for (int i = 0; i < REFUSED__COUNT; i++)
		sg_buf_printf(&b, "%s\"%s\":%llu", i ? "," : "", refusal_names[i], l->refused[i]);
	char *j = sg_buf_puts(&b, "}}") ? NULL : sg_buf_take(&b, NULL);
	if (j)
		reply(req, 200, "OK", j);
	else
		reply(req, 503, "Service Unavailable", "{\"error\":\"out of memory\"}");
	free(j);
	sg_buf_free(&b);
}

/* A delivery signed with the previous key was taken: say which host still
 * holds a key of the old master (or the old shared key). */
static void said_previous(respond_listener *l, const char *sender, const respond_delivery *d)
{
	char shown_sender[RSIG_SENDER_MAX * 4 + 1], shown_detector[sizeof d->detector * 4];
	sg_text_clean(shown_sender, sizeof shown_sender, sender ? sender : "", sender ? strlen(sender) : 0);
	sg_text_clean(shown_detector, sizeof shown_detector, d->detector, strlen(d->detector));
	respond_log(l->rcfg, "warning",
	            "listen: delivery from %s (detector %s, its incident %lld) signed with the "
	            "previous key (%llu so far): give that host its key from the new one",
	            sender ? shown_sender : "a detector", shown_detector, (long long)d->remote_id,
	            ++l->accepted_previous);
}

/* An authentic delivery d: recorded as an open incident (a redelivery
 * joins it), 200 {"incident": N}; 202 with "unsettled" when the store left
 * its write unanswered and keeps it to settle; 503 when the store is busy. */
static void take_delivery(respond_listener *l, struct evhttp_request *req,
                          const respond_delivery *d, const char *sender, bool previous)
{
	char source[200], request[200], join[160];
	snprintf(source, sizeof source, "detector:%s/%lld", d->detector, (long long)d->remote_id);
	snprintf(join, sizeof join, "instance:%s", d->instance_id);
	snprintf(request, sizeof request, "delivered by %s (its incident %lld)%s", d->detector,
	         (long long)d->remote_id, d->cut ? "; evidence cut to fit" : "");
	store_attempt_in a = {
		.at_ms = d->at_ms,
		.client = source,
		.request = request,
		.url = d->url,
		.dest = d->dest,
		.category = d->category,
		.rule = d->rule,
		.reason = d->reason,
		.instance_id = d->instance_id,
		.region = d->region,
		.az = d->az,
		.contain = 1,
		.join = d->instance_id[0] ? join : NULL, /* one incident per instance */
	};
	store_record_out o;
	sg_err err = store_record(l->st, &a, &o);
	if (err && o.unsettled && o.kept && o.maybe_incident_id) {
		/* maybe recorded (at most once), kept and settled here: a resend
		 * by the detector would record it a second time */
		l->accepted++;
		char j[120];
		snprintf(j, sizeof j, "{\"incident\":%lld,\"new\":false,\"unsettled\":true}",
		         (long long)o.maybe_incident_id);
		reply(req, 202, "Accepted", j);
		return;
	}
	if (err) {
		l->refused[REFUSED_BUSY]++;
		reply(req, 503, "Service Unavailable", "{\"error\":\"store busy, retry\"}");
		return;
	}
	l->accepted++;
	if (previous)
		said_previous(l, sender, d);
	char j[96];
	snprintf(j, sizeof j, "{\"incident\":%lld,\"new\":%s}", (long long)o.incident_id,
	         o.opened ? "true" : "false");
	reply(req, 200, "OK", j);
}

static void on_incident(struct evhttp_request *req, void *arg)
{
	respond_listener *l = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply(req, 405, "Method Not Allowed", "{\"error\":\"POST only\"}");
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > RESPOND_LISTEN_BODY_MAX) {
		reply(req, 413, "Payload Too Large", "{\"error\":\"body too large\"}");
		return;
	}
	char *body = malloc(len + 1);
	if (!body) {
		reply(req, 503, "Service Unavailable", "{\"error\":\"out of memory\"}");
		return;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	const char *sender = evhttp_find_header(h, RSIG_HDR_SENDER);
	bool previous;
	sg_err err = check_signature(l, h, sender, body, len, &previous);
	if (err) {
		refuse_signature(l, req, err);
		free(body);
		return;
	}
	respond_delivery d;
	char msg[200];
	err = respond_delivery_parse(body, len, &d, msg, sizeof msg);
	free(body);
	if (err) {
		l->refused[REFUSED_MALFORMED]++;
		json_t *e = json_pack("{s:s}", "error", msg);
		char *es = e ? json_dumps(e, JSON_COMPACT) : NULL;
		reply(req, 400, "Bad Request", es ? es : "{\"error\":\"malformed\"}");
		free(es);
		json_decref(e);
		return;
	}
	if (l->keys == RESPOND_LISTEN_KEYS_DERIVED && strcmp(d.instance_id, sender) != 0)
		refuse_sender(l, req, sender, &d);
	else
		take_delivery(l, req, &d, sender, previous);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	respond_listener *l = arg;
	if (atomic_load(&l->stop))
		event_base_loopbreak(l->base);
	else
		store_settler_tick(&l->settler);
}

static void settle_log(void *ctx, const char *level, const char *event, const char *msg)
{
	(void)event;
	respond_log(ctx, level, "%s", msg);
}

static void *listen_main(void *arg)
{
	respond_listener *l = arg;
	event_base_dispatch(l->base);
	store_settler_stop(&l->settler, 10000);   /* a stop waits this long for answers */
	return NULL;
}

void respond_listen_stop(respond_listener *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, 1);
	if (l->started)
		pthread_join(l->th, NULL);
	if (l->tick)
		event_free(l->tick);
	accept_guard_free(l->accept);
	if (l->http)
		evhttp_free(l->http);
	if (l->base)
		event_base_free(l->base);
	tls_live_free(l->tls);
	store_close(l->st);
	rsig_cache_free(l->cache);
	OPENSSL_cleanse(l->key, sizeof l->key);
	OPENSSL_cleanse(l->prev, sizeof l->prev);
	free(l);
}

sg_err respond_listen_start(const respond_listen_config *cfg, respond_listener **out, char *msg,
                            size_t msglen)
{
	*out = NULL;
	sg_listen la;
	if (sg_listen_parse(cfg->addr, 0, &la, msg, msglen) != SG_OK)
		return SG_ERR_INVAL;
	respond_listener *l = calloc(1, sizeof *l);
	if (!l)
		return SG_ERR_NOMEM;
	sg_err err = SG_ERR_INVAL;
	if ((err = respond_key_read(cfg->key_file, l->key, &l->keylen, msg, msglen)) ||
	    (cfg->previous_key_file &&
	     (err = respond_key_read(cfg->previous_key_file, l->prev, &l->prevlen, msg, msglen))))
		goto fail;
	if (l->prevlen && l->prevlen == l->keylen && !CRYPTO_memcmp(l->prev, l->key, l->keylen)) {
		snprintf(msg, msglen, "--previous-key-file holds the same key as --key-file");
		err = SG_ERR_INVAL;
		goto fail;
	}
	l->keys = cfg->keys;
	l->rcfg = cfg->rcfg;
	l->window = cfg->window_s > 0 ? cfg->window_s : RSIG_WINDOW_DEFAULT;
	l->cache = rsig_cache_new(65536, l->window);
	if (!l->cache) {
		err = SG_ERR_NOMEM;
		goto fail;
	}
	tls_server_files tf = {.cert = cfg->tls_cert, .key = cfg->tls_key,
	                       .cert_name = "--tls-cert", .key_name = "--tls-key"};
	if ((err = tls_live_new(&tf, NULL, NULL, &l->tls, msg, msglen)))
		goto fail;
	store_spool_path(cfg->store_path, "respond-listen", l->spool, sizeof l->spool);
	store_opts so = {.spool = l->spool};
	if ((err = cfg->rcfg ? respond_store_open(cfg->rcfg, &so, &l->st, msg, msglen)
	                     : store_open(cfg->store_path, &so, &l->st, msg, msglen)))
		goto fail;
	l->settler = (store_settler){.st = l->st, .who = "respond --listen", .log = settle_log,
	                             .ctx = (void *)l->rcfg};
	store_settler_init(&l->settler);
	err = SG_ERR_NOMEM;
	l->base = event_base_new();
	l->http = l->base ? evhttp_new(l->base) : NULL;
	if (!l->http)
		goto fail;
	evhttp_set_bevcb(l->http, tls_evhttp_bev, l->tls);
	evhttp_set_max_body_size(l->http, RESPOND_LISTEN_BODY_MAX);
	evhttp_set_max_headers_size(l->http, 16384);
	evhttp_set_timeout(l->http, 10);
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
	evhttp_set_cb(l->http, "/v1/incidents", on_incident, l);
	evhttp_set_cb(l->http, "/healthz", on_healthz, l);
	struct evhttp_bound_socket *bs =
		evhttp_bind_socket_with_handle(l->http, la.host, (ev_uint16_t)la.portnum);
	if (!bs) {
		snprintf(msg, msglen, "cannot listen on %s", cfg->addr);
		err = SG_ERR_IO;
		goto fail;
	}
	if (accept_guard_new(l->base, bs, &l->accept) != SG_OK)
		goto fail;
	struct timeval tv = {0, 200000};
	l->tick = event_new(l->base, -1, EV_PERSIST, on_tick, l);
	if (!l->tick || event_add(l->tick, &tv))
		goto fail;
	if (pthread_create(&l->th, NULL, listen_main, l) != 0)
		goto fail;
	l->started = true;
	if (l->prevlen)
		respond_log(l->rcfg, "info",
		            "listen: key rotation: deliveries signed with the previous key (%s) are still "
		            "taken, each logged; GET /healthz counts them (accepted_previous_key)",
		            l->keys == RESPOND_LISTEN_KEYS_SHARED ? "the old shared key"
		                                                  : "detector keys of the old master");
	if (l->keys == RESPOND_LISTEN_KEYS_SHARED)
		respond_log(l->rcfg, "warning",
		            "listen: --listen-keys shared: every detector holds the one key, so the sender of "
		            "a delivery is not checked: any key holder can have any instance contained");
	*out = l;
	return SG_OK;
fail:
	respond_listen_stop(l);
	return err;
}
