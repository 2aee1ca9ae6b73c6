/* iam.c — typed IAM calls (see iam.h). */
#include "aws/iam.h"

#include <stdlib.h>

#include "aws/answers.h"

static sg_err run(struct aws_client *c, const char *action, const char *target,
                  struct aws_params *p, unsigned flags, struct aws_xml **reply,
                  struct aws_error *err)
{
	if (p && (flags & AWS_CALL_DRY_RUN)) {
		aws_params_free(p);
		return SG_ERR_UNSUPPORTED; /* IAM has no DryRun */
	}
	return aws_query_take(c, AWS_IAM, action, target, p, flags, reply, err);
}

sg_err aws_iam_get_instance_profile(struct aws_client *c, const char *name,
                                    struct aws_xml **reply, struct aws_error *err)
{
	if (!name)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p)
		aws_params_add(p, "InstanceProfileName", name);
	return run(c, "GetInstanceProfile", name, p, 0, reply, err);
}

sg_err aws_iam_put_role_policy(struct aws_client *c, const char *role, const char *policy_name,
                               const char *policy_json, unsigned flags, struct aws_error *err)
{
	if (!role || !policy_name || !policy_json)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "RoleName", role);
		aws_params_add(p, "PolicyName", policy_name);
		aws_params_add(p, "PolicyDocument", policy_json);
	}
	return run(c, "PutRolePolicy", role, p, flags, NULL, err);
}

sg_err aws_iam_get_role_policy(struct aws_client *c, const char *role, const char *policy_name,
                               char **policy_json, struct aws_error *err)
{
	if (policy_json)
		*policy_json = NULL;
	if (!role || !policy_name)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "RoleName", role);
		aws_params_add(p, "PolicyName", policy_name);
	}
	struct aws_xml *r = NULL;
	sg_err rc = run(c, "GetRolePolicy", role, p, 0, &r, err);
	if (rc)
		return rc;
	char *doc = NULL;
	rc = aws_iam_answer_policy(r, &doc);
	aws_xml_free(r);
	if (rc == SG_ERR_PROTOCOL)
		aws_error_set(err, NULL, "GetRolePolicy reply has no usable PolicyDocument");
	if (policy_json)
		*policy_json = doc;
	else
		free(doc);
	return rc;
}

sg_err aws_iam_delete_role_policy(struct aws_client *c, const char *role,
                                  const char *policy_name, unsigned flags,
                                  struct aws_error *err)
{
	if (!role || !policy_name)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "RoleName", role);
		aws_params_add(p, "PolicyName", policy_name);
	}
	return run(c, "DeleteRolePolicy", role, p, flags, NULL, err);
}

sg_err aws_iam_get_role(struct aws_client *c, const char *role, struct aws_xml **reply,
                        struct aws_error *err)
{
	if (!role)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p)
		aws_params_add(p, "RoleName", role);
	return run(c, "GetRole", role, p, 0, reply, err);
}

sg_err aws_iam_simulate_principal_policy(struct aws_client *c, const char *source_arn,
                                         const char *action, const char *const *resources,
                                         size_t n, const struct aws_kv *context,
                                         size_t ncontext, struct aws_xml **reply,
                                         struct aws_error *err)
{
	if (!source_arn || !action || (n && !resources) || (ncontext && !context))
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (p) {
		aws_params_add(p, "PolicySourceArn", source_arn);
		aws_params_add(p, "ActionNames.member.1", action);
		if (n)
			aws_params_add_list(p, "ResourceArns.member", resources, n);
		for (size_t i = 0; i < ncontext; i++) {
			char k[80];
			snprintf(k, sizeof k, "ContextEntries.member.%zu.ContextKeyName", i + 1);
			aws_params_add(p, k, context[i].name);
			snprintf(k, sizeof k, "ContextEntries.member.%zu.ContextKeyValues.member.1", i + 1);
			aws_params_add(p, k, context[i].value);
			snprintf(k, sizeof k, "ContextEntries.member.%zu.ContextKeyType", i + 1);
			aws_params_add(p, k, "string");
		}
	}
	return run(c, "SimulatePrincipalPolicy", source_arn, p, 0, reply, err);
}

struct names {
	sg_err (*each)(void *ctx, const char *name);
	void *ctx;
};

static sg_err names_page(void *ctx, const struct aws_xml *reply)
{
	struct names *n = ctx;
	for (AWS_XML_EACH(m, aws_xml_get(reply, "ListRolePoliciesResult/PolicyNames"))) {
		const char *name = aws_xml_str(m, NULL);
		sg_err rc = name ? n->each(n->ctx, name) : SG_OK;
		if (rc)
			return rc;
	}
	return SG_OK;
}

sg_err aws_iam_each_role_policy(struct aws_client *c, const char *role,
                                sg_err (*each)(void *ctx, const char *name), void *ctx,
                                struct aws_error *err)
{
	if (!role || !each)
		return SG_ERR_INVAL;
	struct aws_params *p = aws_params_new();
	if (!p)
		return SG_ERR_NOMEM;
	aws_params_add(p, "RoleName", role);
	struct names n = {each, ctx};
	sg_err rc = aws_query_pages(c, AWS_IAM, "ListRolePolicies", p, "Marker",
	                            "ListRolePoliciesResult/Marker", 0, names_page, &n, err);
	aws_params_free(p);
	return rc;
}
