/* dynamodb.c — typed DynamoDB calls (see dynamodb.h). */
#include "aws/dynamodb.h"

#include "aws/answers.h"
#include "aws/ddb.h"
#include "aws/json.h"

#include <stdlib.h>
#include <string.h>

static sg_err classify(sg_err rc, const struct aws_error *e, int *failed)
{
	if (failed)
		*failed = -1;
	if (rc == SG_OK)
		return rc;
	if (!strcmp(e->code, "ConditionalCheckFailedException"))
		return SG_ERR_STATE;
	if (!strcmp(e->code, "ResourceInUseException"))
		return SG_ERR_EXISTS;
	if (!strcmp(e->code, "TransactionConflictException"))
		return SG_ERR_BUSY;
	if (!strcmp(e->code, "TransactionCanceledException")) {
		int i = aws_ddb_cancel_reason(e->message);
		if (i >= 0) {
			if (failed)
				*failed = i;
			return SG_ERR_STATE;
		}
		return i == -2 ? SG_ERR_BUSY : SG_ERR_REMOTE;
	}
	if (!strcmp(e->code, "ValidationException") && strstr(e->message, "Item size"))
		return SG_ERR_RANGE;
	return rc;
}

static sg_err call(struct aws_client *c, const char *op, const char *target, json_t *body,
                   unsigned flags, json_t **reply, int *failed, struct aws_error *err)
{
	struct aws_error local;
	if (!err)
		err = &local;
	aws_error_clear(err);
	if (!body)
		return SG_ERR_NOMEM;
	sg_err rc = aws_json_on(c, AWS_DYNAMODB, op, target, body, flags, reply, err);
	json_decref(body);
	return classify(rc, err, failed);
}

/* Add the expression's members to body under the given condition key. */
static int add_expr(json_t *body, const char *key, const struct aws_ddb_expr *x)
{
	int bad = 0;
	if (!x)
		return 0;
	if (x->condition)
		bad |= json_object_set_new(body, key, json_string(x->condition));
	if (x->names && json_object_size(x->names))
		bad |= json_object_set(body, "ExpressionAttributeNames", x->names);
	if (x->values && json_object_size(x->values))
		bad |= json_object_set(body, "ExpressionAttributeValues", x->values);
	return bad;
}

static json_t *request(const char *table)
{
	return table && *table ? json_pack("{s:s}", "TableName", table) : NULL;
}

sg_err aws_ddb_describe_table(struct aws_client *c, const char *table, char status[32],
                              struct aws_error *err)
{
	json_t *r = NULL;
	if (!table || !*table)
		return SG_ERR_INVAL;
	sg_err rc = call(c, "DescribeTable", table, request(table), 0, &r, NULL, err);
	if (!rc)
		rc = aws_ddb_answer_table_status(r, status);
	json_decref(r);
	return rc;
}

sg_err aws_ddb_index_status(struct aws_client *c, const char *table, const char *index,
                            char status[32], struct aws_error *err)
{
	json_t *r = NULL;
	if (!table || !*table || !index || !status)
		return SG_ERR_INVAL;
	status[0] = '\0';
	sg_err rc = call(c, "DescribeTable", table, request(table), 0, &r, NULL, err);
	if (!rc)
		aws_ddb_answer_index_status(r, index, status);
	json_decref(r);
	return rc;
}

sg_err aws_ddb_create_table(struct aws_client *c, const char *table,
                            const struct aws_ddb_gsi *gsi, struct aws_error *err)
{
	if (!table || !*table || (gsi && (!gsi->name || !gsi->hash || !gsi->range)))
		return SG_ERR_INVAL;
	json_t *body = json_pack("{s:s,s:s,s:[{s:s,s:s},{s:s,s:s}],s:[{s:s,s:s},{s:s,s:s}]}",
	                         "TableName", table, "BillingMode", "PAY_PER_REQUEST",
	                         "AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
	                         "AttributeName", "sk", "AttributeType", "S", "KeySchema",
	                         "AttributeName", "pk", "KeyType", "HASH", "AttributeName", "sk",
	                         "KeyType", "RANGE");
	if (body && gsi) {
		json_t *attrs = json_object_get(body, "AttributeDefinitions");
		json_t *include = json_array();
		for (size_t i = 0; include && i < gsi->ninclude; i++)
			json_array_append_new(include, json_string(gsi->include[i]));
		json_t *g = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s}],s:{s:s,s:o}}", "IndexName",
		                      gsi->name, "KeySchema", "AttributeName", gsi->hash, "KeyType",
		                      "HASH", "AttributeName", gsi->range, "KeyType", "RANGE",
		                      "Projection", "ProjectionType", "INCLUDE", "NonKeyAttributes",
		                      include);
		int bad = !g;
		const char *const add[] = {gsi->hash, gsi->range};
		for (size_t i = 0; !bad && i < 2; i++)
			if (strcmp(add[i], "pk") && strcmp(add[i], "sk"))
				bad |= json_array_append_new(attrs, json_pack("{s:s,s:s}", "AttributeName",
				                                              add[i], "AttributeType", "S"));
		bad |= json_object_set_new(body, "GlobalSecondaryIndexes", json_pack("[o]", g));
		if (bad) {
			json_decref(body);
			body = NULL;
		}
	}
	return call(c, "CreateTable", table, body, AWS_CALL_NOT_IDEMPOTENT, NULL, NULL, err);
}

sg_err aws_ddb_get(struct aws_client *c, const char *table, const json_t *key, bool consistent,
                   json_t **item, struct aws_error *err)
{
	json_t *r = NULL;
	if (!item || !json_is_object(key))
		return SG_ERR_INVAL;
	*item = NULL;
	json_t *body = request(table);
	if (body && (json_object_set(body, "Key", (json_t *)key) ||
	             json_object_set_new(body, "ConsistentRead", json_boolean(consistent)))) {
		json_decref(body);
		body = NULL;
	}
	sg_err rc = call(c, "GetItem", table, body, 0, &r, NULL, err);
	const json_t *it = NULL;
	if (!rc && !(rc = aws_ddb_answer_item(r, &it)) && it)
		*item = json_incref((json_t *)it);
	json_decref(r);
	return rc;
}

/* A write's body: table, the item or key under what, and the condition. */
static json_t *write_body(const char *table, const char *what, const json_t *v,
                          const struct aws_ddb_expr *cond)
{
	json_t *body = request(table);
	if (body && (json_object_set(body, what, (json_t *)v) ||
	             add_expr(body, "ConditionExpression", cond))) {
		json_decref(body);
		return NULL;
	}
	return body;
}

sg_err aws_ddb_put(struct aws_client *c, const char *table, const json_t *item,
                   const struct aws_ddb_expr *cond, struct aws_error *err)
{
	if (!json_is_object(item))
		return SG_ERR_INVAL;
	if (aws_ddb_item_size(item) > AWS_DDB_ITEM_MAX)
		return SG_ERR_RANGE;
	return call(c, "PutItem", table, write_body(table, "Item", item, cond),
	            AWS_CALL_NOT_IDEMPOTENT, NULL, NULL, err);
}

sg_err aws_ddb_update(struct aws_client *c, const char *table, const json_t *key,
                      const char *update, const struct aws_ddb_expr *cond, json_t **attrs,
                      struct aws_error *err)
{
	json_t *r = NULL;
	if (attrs)
		*attrs = NULL;
	if (!json_is_object(key) || !update || !*update)
		return SG_ERR_INVAL;
	json_t *body = write_body(table, "Key", key, cond);
	if (body && (json_object_set_new(body, "UpdateExpression", json_string(update)) ||
	             json_object_set_new(body, "ReturnValues", json_string(attrs ? "ALL_NEW" : "NONE")))) {
		json_decref(body);
		body = NULL;
	}
	sg_err rc = call(c, "UpdateItem", table, body, AWS_CALL_NOT_IDEMPOTENT, &r, NULL, err);
	if (!rc && attrs) {
		json_t *a = json_object_get(r, "Attributes");
		if (!json_is_object(a))
			rc = SG_ERR_PROTOCOL;
		else
			*attrs = json_incref(a);
	}
	json_decref(r);
	return rc;
}

sg_err aws_ddb_delete(struct aws_client *c, const char *table, const json_t *key,
                      const struct aws_ddb_expr *cond, struct aws_error *err)
{
	if (!json_is_object(key))
		return SG_ERR_INVAL;
	return call(c, "DeleteItem", table, write_body(table, "Key", key, cond),
	            AWS_CALL_NOT_IDEMPOTENT, NULL, NULL, err);
}

/* What a Query asks: the partition (attribute hash = value; a table's is
 * pk), in an index or the table. */
struct query_of {
	const char *index; /* NULL: the table (strongly consistent) */
	const char *hash;
	const char *value;
	struct aws_ddb_range range;
	bool forward;
};

/* The Query body of the first page (ExclusiveStartKey added per page). */
static json_t *query_body(const char *table, const struct query_of *q,
                          const struct aws_ddb_expr *filter)
{
	const char *sk = q->range.sk_prefix ? q->range.sk_prefix : q->range.sk_below;
	json_t *body = request(table);
	json_t *names = filter && filter->names ? json_deep_copy(filter->names) : json_object();
	json_t *values = filter && filter->values ? json_deep_copy(filter->values) : json_object();
	int bad = !body || !names || !values;
	if (!bad) {
		bad |= json_object_set_new(names, "#qpk", json_string(q->hash));
		bad |= json_object_set_new(values, ":qpk", json_pack("{s:s}", "S", q->value));
		if (sk) {
			bad |= json_object_set_new(names, "#qsk", json_string("sk"));
			bad |= json_object_set_new(values, ":qsk", json_pack("{s:s}", "S", sk));
		}
		bad |= json_object_set_new(body, "KeyConditionExpression",
		                           json_string(q->range.sk_prefix ? "#qpk = :qpk AND begins_with(#qsk, :qsk)"
		                                       : sk ? "#qpk = :qpk AND #qsk < :qsk"
		                                            : "#qpk = :qpk"));
		if (q->range.page_items)
			bad |= json_object_set_new(body, "Limit", json_integer(q->range.page_items));
		if (filter && filter->condition)
			bad |= json_object_set_new(body, "FilterExpression", json_string(filter->condition));
		bad |= json_object_set(body, "ExpressionAttributeNames", names);
		bad |= json_object_set(body, "ExpressionAttributeValues", values);
		bad |= json_object_set_new(body, "ScanIndexForward", json_boolean(q->forward));
		/* a global secondary index reads eventually consistent only */
		if (q->index)
			bad |= json_object_set_new(body, "IndexName", json_string(q->index));
		else
			bad |= json_object_set_new(body, "ConsistentRead", json_true());
	}
	json_decref(names);
	json_decref(values);
	if (bad) {
		json_decref(body);
		return NULL;
	}
	return body;
}

static sg_err query_pages(struct aws_client *c, const char *table, const struct query_of *q,
                          const struct aws_ddb_expr *filter, unsigned max_pages,
                          sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                          struct aws_error *err);

sg_err aws_ddb_query(struct aws_client *c, const char *table, const char *pk,
                     const struct aws_ddb_range *range, bool forward,
                     const struct aws_ddb_expr *filter, unsigned max_pages,
                     sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                     struct aws_error *err)
{
	if (!pk || !*pk || !each || (range && range->sk_prefix && range->sk_below))
		return SG_ERR_INVAL;
	struct query_of q = {NULL, "pk", pk, range ? *range : (struct aws_ddb_range){0}, forward};
	return query_pages(c, table, &q, filter, max_pages, each, ctx, err);
}

sg_err aws_ddb_query_index(struct aws_client *c, const char *table, const char *index,
                           const char *hash, const char *value,
                           const struct aws_ddb_expr *filter, unsigned max_pages,
                           sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                           struct aws_error *err)
{
	if (!index || !*index || !hash || !*hash || !value || !each)
		return SG_ERR_INVAL;
	struct query_of q = {index, hash, value, {0}, true};
	return query_pages(c, table, &q, filter, max_pages, each, ctx, err);
}

static sg_err query_pages(struct aws_client *c, const char *table, const struct query_of *q,
                          const struct aws_ddb_expr *filter, unsigned max_pages,
                          sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                          struct aws_error *err)
{
	json_t *first = query_body(table, q, filter);
	if (!first)
		return table && *table ? SG_ERR_NOMEM : SG_ERR_INVAL;
	json_t *start = NULL;
	sg_err rc = SG_OK;
	for (unsigned page = 0; !rc; page++) {
		if (page >= (max_pages ? max_pages : 10000)) {
			rc = SG_ERR_RANGE;
			break;
		}
		json_t *body = json_deep_copy(first), *r = NULL;
		if (body && start && json_object_set(body, "ExclusiveStartKey", start)) {
			json_decref(body);
			body = NULL;
		}
		if ((rc = call(c, "Query", table, body, 0, &r, NULL, err)))
			break;
		const json_t *next = NULL;
		rc = aws_ddb_answer_page(r, each, ctx, &next);
		json_decref(start);
		start = next ? json_incref((json_t *)next) : NULL;
		json_decref(r);
		if (!start)
			break;
	}
	json_decref(start);
	json_decref(first);
	return rc;
}

sg_err aws_ddb_transact(struct aws_client *c, const char *table, json_t *actions,
                        const char *token, int *failed, struct aws_error *err)
{
	if (failed)
		*failed = -1;
	size_t n = json_array_size(actions);
	if (!json_is_array(actions) || n < 1 || n > AWS_DDB_TRANSACT_MAX || !table || !*table ||
	    !token || !*token || strlen(token) > 36)
		return SG_ERR_INVAL;
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a) {
		const char *kind;
		json_t *op;
		json_object_foreach(a, kind, op) {
			if (!json_is_object(op) || json_object_set_new(op, "TableName", json_string(table)))
				return SG_ERR_INVAL;
			json_t *item = json_object_get(op, "Item");
			if (item && aws_ddb_item_size(item) > AWS_DDB_ITEM_MAX)
				return SG_ERR_RANGE;
		}
	}
	json_t *body = json_pack("{s:O,s:s}", "TransactItems", actions, "ClientRequestToken", token);
	return call(c, "TransactWriteItems", table, body, AWS_CALL_IDEMPOTENT, NULL, failed, err);
}
