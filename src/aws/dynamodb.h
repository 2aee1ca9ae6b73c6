/*
 * dynamodb.h — typed DynamoDB calls (JSON 1.0, X-Amz-Target
 * DynamoDB_20120810.*), as the DynamoDB API reference and botocore's
 * dynamodb model give them: the shared state of a fleet (src/store's
 * DynamoDB engine).  Conventions as in ec2.h: err may be NULL; every call
 * goes through the client, so retries, the observer and the journal see it.
 *
 * Items, keys and expression values are jansson objects in the API's
 * AttributeValue form ({"pk": {"S": "incident"}, "n": {"N": "7"}}); the
 * caller keeps its references (nothing is stolen).
 *
 * Results:
 *   SG_ERR_STATE     a ConditionExpression did not hold
 *                    (ConditionalCheckFailedException), or a transaction
 *                    was cancelled because one did (TransactionCanceledException
 *                    with a ConditionalCheckFailed reason): someone else has it
 *   SG_ERR_BUSY      a transaction was cancelled by a conflicting one
 *                    (TransactionConflict): read again and retry; a single
 *                    item's write refused for an ongoing transaction
 *                    (TransactionConflictException) is retried by the
 *                    client as throttling is, and is SG_ERR_BUSY only when
 *                    every attempt met one
 *   SG_ERR_NOTFOUND  no such table, or not ACTIVE (ResourceNotFoundException)
 *   SG_ERR_EXISTS    CreateTable of a table that exists (ResourceInUseException)
 *   SG_ERR_RANGE     an item over AWS_DDB_ITEM_MAX, refused before sending
 *   SG_ERR_THROTTLED ProvisionedThroughputExceededException, ThrottlingException,
 *                    RequestLimitExceeded still after every retry
 *   anything aws.h lists.
 *
 * Retries: reads and TransactWriteItems with a ClientRequestToken are
 * idempotent (a resend within 10 minutes is a no-op: API reference
 * TransactWriteItems); conditional PutItem/UpdateItem/DeleteItem are not
 * (a resend after a success would fail its own condition), so they are
 * re-sent only when AWS surely did not act (throttling, failed connects).
 */
#ifndef SG_SRC_AWS_DYNAMODB_H
#define SG_SRC_AWS_DYNAMODB_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/aws.h"
#include "aws/ddb.h"

#define AWS_DDB_ITEM_MAX (400u * 1024u)   /* item size limit, bytes (quotas page) */
#define AWS_DDB_TRANSACT_MAX 100          /* actions in one TransactWriteItems */

/* A condition (or filter) and its placeholders; any member may be NULL. */
struct aws_ddb_expr {
	const char *condition;   /* ConditionExpression / FilterExpression */
	json_t *names;           /* ExpressionAttributeNames {"#s": "state"} */
	json_t *values;          /* ExpressionAttributeValues {":v": {"S": "x"}} */
};

/* DescribeTable: status[32] gets TableStatus (CREATING, ACTIVE, ...). */
sg_err aws_ddb_describe_table(struct aws_client *c, const char *table, char status[32],
                              struct aws_error *err);

/* A global secondary index on string attributes hash and range, projecting
 * the keys and the include attributes (ProjectionType INCLUDE). */
struct aws_ddb_gsi {
	const char *name;
	const char *hash;
	const char *range;
	const char *const *include;
	size_t ninclude;
};

/* CreateTable with the string keys pk (HASH) and sk (RANGE), on-demand
 * billing (PAY_PER_REQUEST), and the index gsi (may be NULL).
 * SG_ERR_EXISTS if it exists; SG_ERR_AUTH if dynamodb:CreateTable is not
 * allowed. */
sg_err aws_ddb_create_table(struct aws_client *c, const char *table,
                            const struct aws_ddb_gsi *gsi, struct aws_error *err);

/* DescribeTable: status[32] gets the IndexStatus of the global secondary
 * index (CREATING while it backfills, ACTIVE, ...), "" when the table has
 * no such index. */
sg_err aws_ddb_index_status(struct aws_client *c, const char *table, const char *index,
                            char status[32], struct aws_error *err);

/* GetItem.  *item: the item (json_decref it) or NULL when absent.
 * consistent: ConsistentRead (a strongly consistent read). */
sg_err aws_ddb_get(struct aws_client *c, const char *table, const json_t *key, bool consistent,
                   json_t **item, struct aws_error *err);

/* PutItem with an optional condition. */
sg_err aws_ddb_put(struct aws_client *c, const char *table, const json_t *item,
                   const struct aws_ddb_expr *cond, struct aws_error *err);

/* UpdateItem: update expression (placeholders in cond->names/values, which
 * the update and the condition share), optional condition; *attrs (may be
 * NULL) gets the item as it is after the update (ReturnValues ALL_NEW). */
sg_err aws_ddb_update(struct aws_client *c, const char *table, const json_t *key,
                      const char *update, const struct aws_ddb_expr *cond, json_t **attrs,
                      struct aws_error *err);

/* DeleteItem with an optional condition. */
sg_err aws_ddb_delete(struct aws_client *c, const char *table, const json_t *key,
                      const struct aws_ddb_expr *cond, struct aws_error *err);

/* Which items of a partition a Query reads, and how many per page. */
struct aws_ddb_range {
	const char *sk_prefix;  /* sort keys starting with this (begins_with) */
	const char *sk_below;   /* or: sort keys below this (sk < value); not both */
	unsigned page_items;    /* Limit: items read per page before the filter
	                           (0: DynamoDB's own bound, 1 MB a page) */
};

/*
 * Query the partition pk (range NULL: every item of it; else its sort-key
 * bound), in sort-key order (forward) or reverse, strongly consistent,
 * filtered by filter (may be NULL), following LastEvaluatedKey (DynamoDB
 * stops a page at 1 MB, or at range->page_items) until the end, at most
 * max_pages pages (0: 10000; beyond: SG_ERR_RANGE).  Each item goes to
 * each(); any code but SG_OK stops with that code (no further page is
 * asked for).
 */
sg_err aws_ddb_query(struct aws_client *c, const char *table, const char *pk,
                     const struct aws_ddb_range *range, bool forward,
                     const struct aws_ddb_expr *filter, unsigned max_pages,
                     sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                     struct aws_error *err);

/*
 * Query the global secondary index where attribute hash = value, in the
 * index's sort-key order, filtered, paged as aws_ddb_query.  Eventually
 * consistent: "Queries on global secondary indexes support eventual
 * consistency only" (DynamoDB developer guide, "Using Global Secondary
 * Indexes"), so an item written a moment ago may be missing or show its
 * earlier attributes: the caller re-reads what it acts on.
 */
sg_err aws_ddb_query_index(struct aws_client *c, const char *table, const char *index,
                           const char *hash, const char *value,
                           const struct aws_ddb_expr *filter, unsigned max_pages,
                           sg_err (*each)(void *ctx, const json_t *item), void *ctx,
                           struct aws_error *err);

/*
 * TransactWriteItems: actions is a JSON array of 1-100 TransactItems
 * members ({"Put": {...}}, {"Update": {...}}, {"Delete": {...}},
 * {"ConditionCheck": {...}}) without TableName, which is set here.  token is
 * the ClientRequestToken (1-36 characters), so the call is retried safely.
 * On SG_ERR_STATE, *failed (may be NULL) gets the index of the first action
 * whose condition failed (from the cancellation reasons), else -1.
 */
sg_err aws_ddb_transact(struct aws_client *c, const char *table, json_t *actions,
                        const char *token, int *failed, struct aws_error *err);

#endif
