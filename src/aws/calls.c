/* calls.c — the AWS calls of aws.h: the Query, JSON and REST protocols,
 * each made through the attempts of attempts.h, and the observer told of
 * every call. */
#include "aws/attempts.h"

#include <string.h>

#include "aws/json.h"
#include "common/clock.h"

/* EC2 actions whose API model has no DryRun member (of those ssrfguard uses):
 * a dry run of them is refused here instead of by the service. */
static int ec2_has_dry_run(const char *action)
{
	static const char *const none[] = {
		"AssociateIamInstanceProfile", "DisassociateIamInstanceProfile",
		"ReplaceIamInstanceProfileAssociation", "DescribeIamInstanceProfileAssociations",
		NULL,
	};
	for (size_t i = 0; none[i]; i++)
		if (!strcmp(action, none[i]))
			return 0;
	return 1;
}

/* A 2xx reply whose body (kind: "XML", "JSON") did not decode: said in
 * err; SG_ERR_PROTOCOL, or SG_ERR_NOMEM when that was the reason. */
static sg_err undecodable(struct aws_error *err, const struct aws_service_info *si,
                          const char *action, const char *kind, sg_err rc)
{
	aws_error_set(err, NULL, "%s %s: undecodable %s reply (%s)", si->name, action, kind,
	              sg_strerror(rc));
	return rc == SG_ERR_NOMEM ? rc : SG_ERR_PROTOCOL;
}

static sg_err query(struct aws_client *c, enum aws_service svc, const char *action,
                    const struct aws_params *params, unsigned flags, struct aws_xml **reply,
                    struct aws_error *err)
{
	struct aws_params *p = NULL;
	char *body = NULL;
	size_t body_len = 0;
	struct aws_http_resp resp = {0};
	sg_err rc = SG_ERR_INVAL;
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || (si->proto != AWS_PROTO_EC2 && si->proto != AWS_PROTO_QUERY) || !action ||
	    !*action)
		goto fail;
	if ((flags & AWS_CALL_DRY_RUN) && svc != AWS_EC2)
		goto fail;
	if ((flags & AWS_CALL_DRY_RUN) && !ec2_has_dry_run(action)) {
		rc = SG_ERR_UNSUPPORTED;
		aws_error_set(err, NULL, "%s has no DryRun parameter", action);
		goto fail;
	}
	rc = SG_ERR_NOMEM;
	p = params ? aws_params_dup(params) : aws_params_new();
	if (!p)
		goto fail;
	aws_params_set(p, "Action", action);
	aws_params_set(p, "Version", si->api_version);
	if (flags & AWS_CALL_DRY_RUN)
		aws_params_set(p, "DryRun", "true");
	rc = aws_params_encode(p, &body, &body_len);
	if (rc)
		goto fail;
	struct wire_req w = {WIRE_XML, "POST", NULL,
	                     "application/x-www-form-urlencoded; charset=utf-8", NULL, body, body_len,
	                     NULL};
	rc = awsc_call(c, svc, action, &w, flags, &resp, err);
	if (rc || !resp.body)
		goto fail;
	if (flags & AWS_CALL_DRY_RUN) {
		/* a dry run that "succeeded" for real would be a server bug */
		rc = SG_ERR_PROTOCOL;
		aws_error_set(err, NULL, "dry run answered 2xx instead of DryRunOperation");
		goto fail;
	}
	struct aws_xml *x = NULL;
	rc = aws_xml_parse(resp.body, resp.len, NULL, &x);
	if (rc) {
		rc = undecodable(err, si, action, "XML", rc);
		goto fail;
	}
	if (reply)
		*reply = x;
	else
		aws_xml_free(x);
fail:
	aws_http_resp_free(&resp);
	aws_params_free(p);
	free(body);
	return rc;
}

static sg_err json_call(struct aws_client *c, enum aws_service svc, const char *operation,
                        const json_t *body, unsigned flags, json_t **reply,
                        struct aws_error *err)
{
	char *text = NULL;
	struct aws_http_resp resp = {0};
	sg_err rc = SG_ERR_INVAL;
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || (si->proto != AWS_PROTO_JSON11 && si->proto != AWS_PROTO_JSON10) ||
	    !operation || !*operation ||
	    (flags & AWS_CALL_DRY_RUN) || (body && !json_is_object(body)))
		goto fail;
	rc = SG_ERR_NOMEM;
	text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	if (!text)
		goto fail;
	char target[160];
	rc = SG_ERR_RANGE;
	if (snprintf(target, sizeof target, "%s.%s", si->json_prefix, operation) >=
	    (int)sizeof target)
		goto fail;
	struct wire_req w = {WIRE_JSON, "POST", NULL,
	                     si->proto == AWS_PROTO_JSON10 ? "application/x-amz-json-1.0"
	                                                   : "application/x-amz-json-1.1",
	                     target, text, strlen(text), NULL};
	rc = awsc_call(c, svc, operation, &w, flags, &resp, err);
	if (rc)
		goto fail;
	json_t *j = NULL;
	rc = aws_json_parse(resp.body, resp.len, NULL, &j);
	if (rc) {
		rc = undecodable(err, si, operation, "JSON", rc);
		goto fail;
	}
	if (reply)
		*reply = j;
	else
		json_decref(j);
fail:
	aws_http_resp_free(&resp);
	free(text);
	return rc;
}

/* ---- the observer ------------------------------------------------------ */

void aws_client_observe(struct aws_client *c, const struct aws_observer *o)
{
	if (c)
		c->observer = o ? *o : (struct aws_observer){0};
}

/* The observer around one call: observe_before may veto it (its error is
 * the call's) or change its flags; observe_after reports the outcome. */
static sg_err observe_before(struct aws_client *c, const struct aws_call *call, unsigned *flags)
{
	const struct aws_observer *o = &c->observer;
	return o->before ? o->before(o->ctx, call, flags) : SG_OK;
}

/* When a call began: the wall time the journal records (started_ms), and
 * the monotonic one its duration is counted from (a clock step during the
 * call must not make it negative or hours long). */
struct call_start {
	long long wall_ms, mono_ms;
};
static struct call_start call_started(void)
{
	return (struct call_start){sg_wall_ms(), sg_mono_ms()};
}

static void observe_after(struct aws_client *c, const struct aws_call *call, sg_err rc,
                          const struct aws_error *e, const char *request_id, struct call_start t0)
{
	const struct aws_observer *o = &c->observer;
	if (o->after) {
		struct aws_call_result res = {rc, e, request_id, t0.wall_ms, sg_mono_ms() - t0.mono_ms};
		o->after(o->ctx, call, &res);
	}
}

static bool is_read(const char *action)
{
	static const char *const verbs[] = {"Describe", "Get", "List", "Simulate", "Query"};
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strncmp(action, verbs[i], strlen(verbs[i])))
			return true;
	return false;
}

/* The request id of a call: the reply body's (EC2 requestId, Query
 * ResponseMetadata/RequestId) before the header's. */
static const char *request_id_of(const struct aws_xml *reply, const struct aws_error *e)
{
	const char *v = reply ? aws_xml_str(reply, "requestId") : NULL;
	if (!v && reply)
		v = aws_xml_str(reply, "ResponseMetadata/RequestId");
	return v ? v : e->request_id;
}

sg_err aws_query_on(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const struct aws_params *params, unsigned flags,
                    struct aws_xml **reply, struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	struct aws_xml *r = NULL;
	aws_error_clear(e);
	if (reply)
		*reply = NULL;
	if (!c || !action)
		return SG_ERR_INVAL;
	struct aws_call call = {svc, action, target ? target : "", !is_read(action)};
	sg_err no = observe_before(c, &call, &flags);
	if (no)
		return no;
	struct call_start t0 = call_started();
	sg_err rc = query(c, svc, action, params, flags, &r, e);
	observe_after(c, &call, rc, e, request_id_of(r, e), t0);
	if (reply)
		*reply = r;
	else
		aws_xml_free(r);
	return rc;
}

sg_err aws_query_take(struct aws_client *c, enum aws_service svc, const char *action,
                      const char *target, struct aws_params *p, unsigned flags,
                      struct aws_xml **reply, struct aws_error *err)
{
	if (reply)
		*reply = NULL;
	aws_error_clear(err);
	sg_err rc = p ? aws_params_error(p) : SG_ERR_NOMEM;
	if (rc == SG_OK)
		rc = aws_query_on(c, svc, action, target, p, flags, reply, err);
	else if (p)
		aws_error_set(err, NULL, "%s: bad parameters (%s)", action ? action : "?",
		              sg_strerror(rc));
	aws_params_free(p);
	return rc;
}

sg_err aws_query(struct aws_client *c, enum aws_service svc, const char *action,
                 const struct aws_params *params, unsigned flags, struct aws_xml **reply,
                 struct aws_error *err)
{
	return aws_query_on(c, svc, action, NULL, params, flags, reply, err);
}

sg_err aws_json_on(struct aws_client *c, enum aws_service svc, const char *operation,
                   const char *target, const json_t *body, unsigned flags, json_t **reply,
                   struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	aws_error_clear(e);
	if (reply)
		*reply = NULL;
	if (!c || !operation)
		return SG_ERR_INVAL;
	struct aws_call call = {svc, operation, target ? target : "", !is_read(operation)};
	sg_err no = observe_before(c, &call, &flags);
	if (no)
		return no;
	struct call_start t0 = call_started();
	sg_err rc = json_call(c, svc, operation, body, flags, reply, e);
	observe_after(c, &call, rc, e, e->request_id, t0);
	return rc;
}

sg_err aws_json(struct aws_client *c, enum aws_service svc, const char *operation,
                const json_t *body, unsigned flags, json_t **reply, struct aws_error *err)
{
	return aws_json_on(c, svc, operation, NULL, body, flags, reply, err);
}

/* One REST call (S3): the observer around it, the reply's body kept when
 * body is not NULL. */
static sg_err rest_call(struct aws_client *c, enum aws_service svc, const char *action,
                        const char *target, const struct wire_req *w, char **body, size_t *len,
                        struct aws_error *err)
{
	struct aws_error local;
	struct aws_error *e = err ? err : &local;
	aws_error_clear(e);
	if (body) {
		*body = NULL;
		*len = 0;
	}
	const struct aws_service_info *si = aws_service_info(svc);
	if (!c || !si || si->proto != AWS_PROTO_REST_XML || !action || !w->subpath)
		return SG_ERR_INVAL;
	struct aws_call seen = {svc, action, target ? target : "", false};
	unsigned flags = 0;
	sg_err no = observe_before(c, &seen, &flags);
	if (no)
		return no;
	struct call_start t0 = call_started();
	struct aws_http_resp resp = {0};
	sg_err rc = awsc_call(c, svc, action, w, flags, &resp, e);
	observe_after(c, &seen, rc, e, e->request_id, t0);
	if (!rc && body) {
		*body = resp.body ? resp.body : strdup("");
		*len = resp.body ? resp.len : 0;
		resp.body = NULL;
		if (!*body)
			rc = SG_ERR_NOMEM;
	}
	aws_http_resp_free(&resp);
	return rc;
}

sg_err aws_rest_get(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, char **body, size_t *len,
                    struct aws_error *err)
{
	struct wire_req w = {WIRE_XML, "GET", subpath, NULL, NULL, NULL, 0, NULL};
	return rest_call(c, svc, action, target, &w, body, len, err);
}

sg_err aws_rest_get_stream(struct aws_client *c, enum aws_service svc, const char *action,
                           const char *target, const char *subpath, const struct aws_stream *sink,
                           struct aws_error *err)
{
	if (!sink || !sink->data)
		return SG_ERR_INVAL;
	struct wire_req w = {WIRE_XML, "GET", subpath, NULL, NULL, NULL, 0, sink};
	return rest_call(c, svc, action, target, &w, NULL, NULL, err);
}

sg_err aws_rest_put(struct aws_client *c, enum aws_service svc, const char *action,
                    const char *target, const char *subpath, const char *content_type,
                    const char *body, size_t len, struct aws_error *err)
{
	struct wire_req w = {WIRE_XML, "PUT", subpath, content_type, NULL, body, len, NULL};
	return rest_call(c, svc, action, target, &w, NULL, NULL, err);
}

