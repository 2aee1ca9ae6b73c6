/*
 * ddb.h — DynamoDB's item and error texts, pure: what src/aws/dynamodb.c
 * and the store's DynamoDB engine read from replies (untrusted, bounded by
 * aws_json_parse before they get here).  Prefix: aws_ddb_.
 *
 * Items are jansson objects in the API's AttributeValue form
 * ({"name": {"S": "text"}, "n": {"N": "12"}}).
 */
#ifndef SG_AWS_DDB_H
#define SG_AWS_DDB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* String attribute `name` of item; "" when absent or not a string (never
 * NULL). */
const char *aws_ddb_str(const json_t *item, const char *name);

/* Number attribute `name` of item as an integer; 0 when absent, not a
 * number, not an integer or out of int64 range. */
int64_t aws_ddb_num(const json_t *item, const char *name);

/* The size DynamoDB counts for an item: attribute names and values (UTF-8),
 * an upper bound for numbers; nested maps and lists included.  Depth is
 * bounded by the parser that made the tree. */
size_t aws_ddb_item_size(const json_t *item);

/*
 * A TransactionCanceledException's message lists one reason per action, in
 * order ("Transaction cancelled, please refer cancellation reasons for
 * specific reasons [None, ConditionalCheckFailed]"): the index of the first
 * ConditionalCheckFailed, else -2 when one is TransactionConflict, else -1.
 * msg is NUL-terminated; only the last [...] is read.
 */
int aws_ddb_cancel_reason(const char *msg);

#endif
