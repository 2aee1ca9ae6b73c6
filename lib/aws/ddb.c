/* ddb.c — DynamoDB item and error texts (see ddb.h). */
#include "aws/ddb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *aws_ddb_str(const json_t *item, const char *name)
{
	const char *v = json_string_value(json_object_get(json_object_get(item, name), "S"));
	return v ? v : "";
}

int64_t aws_ddb_num(const json_t *item, const char *name)
{
	const char *v = json_string_value(json_object_get(json_object_get(item, name), "N"));
	if (!v)
		return 0;
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	return errno || end == v || *end ? 0 : (int64_t)x;
}

static size_t value_size(const json_t *v)
{
	const char *t;
	json_t *x;
	size_t n = 0;
	json_object_foreach((json_t *)v, t, x) {
		if (!strcmp(t, "S") || !strcmp(t, "N") || !strcmp(t, "B"))
			n += json_string_length(x) + 1;
		else if (!strcmp(t, "M") && json_is_object(x))
			n += 3 + aws_ddb_item_size(x) + json_object_size(x);
		else if (!strcmp(t, "L") && json_is_array(x)) {
			size_t i;
			json_t *e;
			n += 3;
			json_array_foreach(x, i, e)
				n += 1 + value_size(e);
		} else
			n += 1;
	}
	return n;
}

size_t aws_ddb_item_size(const json_t *item)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	if (!json_is_object(item))
		return 0;
	json_object_foreach((json_t *)item, k, v)
		n += strlen(k) + (json_is_object(v) ? value_size(v) : 1);
	return n;
}

static int word_is(const char *p, size_t n, const char *w)
{
	return n == strlen(w) && !strncmp(p, w, n);
}

int aws_ddb_cancel_reason(const char *msg)
{
	const char *p = msg ? strrchr(msg, '[') : NULL;
	if (!p)
		return -1;
	int i = 0, conflict = 0;
	for (p++; *p && *p != ']'; i++) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, ",]");
		if (word_is(p, n, "ConditionalCheckFailed"))
			return i;
		if (word_is(p, n, "TransactionConflict"))
			conflict = 1;
		p += n;
		if (*p == ',')
			p++;
		if (i > 1000)
			break;
	}
	return conflict ? -2 : -1;
}
