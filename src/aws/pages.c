/* pages.c — pagination over Query and JSON calls (see aws.h). */
#include "aws/aws.h"

sg_err aws_query_pages(struct aws_client *c, enum aws_service svc, const char *action,
                       const struct aws_params *params, const char *in_name,
                       const char *out_path, unsigned max_pages,
                       sg_err (*page)(void *ctx, const struct aws_xml *reply), void *ctx,
                       struct aws_error *err)
{
	if (!c || !in_name || !out_path || !page)
		return SG_ERR_INVAL;
	struct aws_params *p = params ? aws_params_dup(params) : aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	unsigned limit = max_pages ? max_pages : 1000;
	sg_err rc = SG_OK;
	for (unsigned i = 0;; i++) {
		if (i >= limit) {
			rc = SG_ERR_RANGE;
			aws_error_set(err, NULL, "%s: more than %u pages", action, limit);
			break;
		}
		struct aws_xml *r = NULL;
		rc = aws_query(c, svc, action, p, AWS_CALL_IDEMPOTENT, &r, err);
		if (rc)
			break;
		rc = page(ctx, r);
		const char *tok = aws_xml_str(r, out_path);
		int more = tok && *tok; /* tok lives in r: decide before freeing it */
		if (!rc && more)
			rc = aws_params_set(p, in_name, tok);
		aws_xml_free(r);
		if (rc || !more)
			break;
	}
	aws_params_free(p);
	return rc;
}

sg_err aws_json_pages(struct aws_client *c, enum aws_service svc, const char *operation,
                      const char *target, const json_t *body, unsigned max_pages,
                      sg_err (*page)(void *ctx, const json_t *reply), void *ctx,
                      struct aws_error *err)
{
	if (!c || !page || (body && !json_is_object(body)))
		return SG_ERR_INVAL;
	json_t *req = body ? json_deep_copy(body) : json_object();
	if (!req)
		return SG_ERR_NOMEM;
	unsigned limit = max_pages ? max_pages : 1000;
	sg_err rc = SG_OK;
	for (unsigned i = 0;; i++) {
		if (i >= limit) {
			rc = SG_ERR_RANGE;
			aws_error_set(err, NULL, "%s: more than %u pages", operation, limit);
			break;
		}
		json_t *r = NULL;
		rc = aws_json_on(c, svc, operation, target, req, 0, &r, err);
		if (rc)
			break;
		rc = page(ctx, r);
		const char *tok = json_string_value(json_object_get(r, "NextToken"));
		bool more = tok && *tok;
		if (!rc && more && json_object_set_new(req, "NextToken", json_string(tok)))
			rc = SG_ERR_NOMEM;
		json_decref(r);
		if (rc || !more)
			break;
	}
	json_decref(req);
	return rc;
}
