/* fuzz_aws_ddb.c — DynamoDB replies: an item read as the state table's
 * engine reads it (strings, numbers, its counted size) and a cancelled
 * transaction's reasons. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ddb.h"
#include "aws/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	struct aws_json_limits lim = {.max_bytes = 1u << 20, .max_depth = 32};
	if (aws_json_parse((const char *)data, size, &lim, &j) == SG_OK) {
		const json_t *item = json_object_get(j, "Item");
		if (!item)
			item = j;
		(void)aws_ddb_item_size(item);
		(void)strlen(aws_ddb_str(item, "state"));
		(void)aws_ddb_num(item, "id");
		(void)aws_ddb_num(item, "lease_until_ms");
		const char *msg = aws_ddb_str(j, "message");
		(void)aws_ddb_cancel_reason(msg);
		json_decref(j);
	}
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		(void)aws_ddb_cancel_reason(text);
		free(text);
	}
	return 0;
}
