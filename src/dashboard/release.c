/* release.c — the dashboard's two changes: releasing an incident and
 * closing it, only with --allow-release, a CSRF token, a same-origin
 * request and the operator's typed confirmation.  GET /api/session tells
 * the page whether it may. */
#include "dashboard/dash_int.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonload.h"
#include "common/utf8.h"
#include "respond/respond.h"

#define RELEASE_BODY_MAX 4096 /* a close's reason: RESPOND_CLOSE_REASON_MAX, escaped */

sg_err dash_csrf_init(dash *d)
{
	unsigned char raw[32];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return SG_ERR_IO;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(d->csrf + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof raw);
	return SG_OK;
}

static void reply_json(struct evhttp_request *req, int code, const char *reason, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
	json_decref(o);
	if (!s) {
		dash_reply_error(req, 500, "Internal Server Error");
		return;
	}
	dash_reply(req, code, reason, "application/json", s, strlen(s));
	free(s);
}

void dash_session(dash *d, struct evhttp_request *req)
{
	reply_json(req, 200, "OK",
	           json_pack("{s:b,s:s}", "release", d->r != NULL, "csrf", d->r ? d->csrf : ""));
}

/* The Origin, when the browser sends one, is this server's own
 * ("http://" or, over TLS, "https://" + Host). */
static int same_origin(const dash *d, struct evkeyvalq *h)
{
	const char *origin = evhttp_find_header(h, "Origin"), *host = evhttp_find_header(h, "Host");
	const char *scheme = d->tls ? "https://" : "http://";
	size_t n = strlen(scheme);
	return !origin || (host && !strncmp(origin, scheme, n) && !strcmp(origin + n, host));
}

static int csrf_ok(const dash *d, struct evkeyvalq *h)
{
	const char *got = evhttp_find_header(h, "X-CSRF-Token");
	return d->r && got && strlen(got) == strlen(d->csrf) &&
	       CRYPTO_memcmp(got, d->csrf, strlen(d->csrf)) == 0;
}

/* The body, {"confirm":"INC-ID", ...} naming this very incident (INC-N or
 * N: playbook/incname.h), read through the one bounded JSON reader
 * (duplicate keys refused); NULL otherwise. */
static json_t *confirmed(struct evhttp_request *req, int64_t id)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char body[RELEASE_BODY_MAX];
	if (n == 0 || n > sizeof body)
		return NULL;
	evbuffer_copyout(in, body, n);
	json_t *o = NULL;
	sg_json_load_bounded(body, n, sizeof body, 0, "change body", &o, NULL, 0);
	if (o && pb_incident_id(json_string_value(json_object_get(o, "confirm"))) == id)
		return o;
	json_decref(o);
	return NULL;
}

/* Release as the operator who asked (who: {"incident","operator"}). */
static void release_as(dash *d, struct evhttp_request *req, int64_t id, const char *actor,
                       const json_t *who)
{
	char msg[4096], line[DASH_OPERATOR_MAX + 128];
	snprintf(line, sizeof line, "INC-%lld: release asked from the dashboard by %s", (long long)id,
	         actor);
	logging_write(STDERR_FILENO, "info", "release", line, who);
	msg[0] = '\0';
	bool partial = false;
	sg_err err = respond_release(d->r, id, actor, &partial, msg, sizeof msg);
	logging_write(STDERR_FILENO, err ? "error" : partial ? "warning" : "info", "release", msg, who);
	size_t n = 0;
	char *text = sg_utf8_repair(msg, strlen(msg), &n);
	json_t *o = json_pack("{s:b,s:b,s:s?}", "released", err == SG_OK, "partial", partial,
	                      "message", text);
	free(text);
	reply_json(req, err == SG_OK ? 200 : err == SG_ERR_NOTFOUND ? 404 : 409,
	           err == SG_OK ? "OK" : err == SG_ERR_NOTFOUND ? "Not Found" : "Conflict", o);
}

/* The guards of every change: --allow-release, the CSRF token, the same
 * Origin, the typed confirmation.  The body when they hold, else NULL,
 * answered (403 or 400) and logged. */
static json_t *change_allowed(dash *d, struct evhttp_request *req, int64_t id, const json_t *who,
                              const char *change)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	json_t *body = NULL;
	if (!csrf_ok(d, h) || !same_origin(d, h)) {
		char line[80];
		snprintf(line, sizeof line, "a %s without the CSRF token or from elsewhere", change);
		logging_write(STDERR_FILENO, "warning", change, line, who);
		dash_reply_error(req, 403, "Forbidden");
	} else if (!(body = confirmed(req, id)))
		dash_reply_error(req, 400, "Bad Request: confirm");
	return body;
}

/* {"incident":"INC-N","operator":actor}, actor who asked. */
static json_t *asker(dash *d, struct evhttp_request *req, int64_t id, char *actor, size_t cap)
{
	char name[32];
	dash_operator(d, req, actor, cap);
	snprintf(name, sizeof name, "INC-%lld", (long long)id);
	return json_pack("{s:s,s:s}", "incident", name, "operator", actor);
}

void dash_release(dash *d, struct evhttp_request *req, int64_t id)
{
	char actor[DASH_OPERATOR_MAX + 16];
	if (!d->r) {
		dash_reply_error(req, 403, "Forbidden: read-only");
		return;
	}
	json_t *who = asker(d, req, id, actor, sizeof actor);
	json_t *body = change_allowed(d, req, id, who, "release");
	if (body)
		release_as(d, req, id, actor, who);
	json_decref(body);
	json_decref(who);
}

void dash_close(dash *d, struct evhttp_request *req, int64_t id)
{
	char actor[DASH_OPERATOR_MAX + 16], msg[1280], line[DASH_OPERATOR_MAX + 128];
	if (!d->r) {
		dash_reply_error(req, 403, "Forbidden: read-only");
		return;
	}
	json_t *who = asker(d, req, id, actor, sizeof actor);
	json_t *body = change_allowed(d, req, id, who, "close");
	if (body) {
		snprintf(line, sizeof line, "INC-%lld: close asked from the dashboard by %s",
		         (long long)id, actor);
		logging_write(STDERR_FILENO, "info", "close", line, who);
		msg[0] = '\0';
		const char *reason = json_string_value(json_object_get(body, "reason"));
		bool partial = false;
		sg_err err = respond_close(d->r, id, actor, reason, &partial, msg, sizeof msg);
		logging_write(STDERR_FILENO, err ? "error" : partial ? "warning" : "info", "close", msg,
		              who);
		size_t n = 0;
		char *text = sg_utf8_repair(msg, strlen(msg), &n);
		json_t *o = json_pack("{s:b,s:b,s:s?}", "closed", err == SG_OK, "partial", partial,
		                      "message", text);
		free(text);
		reply_json(req, err == SG_OK ? 200 : err == SG_ERR_NOTFOUND ? 404
		                : err == SG_ERR_INVAL ? 400 : 409,
		           err == SG_OK ? "OK" : err == SG_ERR_NOTFOUND ? "Not Found"
		           : err == SG_ERR_INVAL ? "Bad Request" : "Conflict", o);
	}
	json_decref(body);
	json_decref(who);
}
