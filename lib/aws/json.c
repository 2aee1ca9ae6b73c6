/* json.c — bounded JSON decoding (see json.h). */
#include "aws/json.h"

#include "common/jsonload.h"

#define JSON_DEFAULT_MAX_BYTES (8u << 20)

sg_err aws_json_parse(const char *buf, size_t len, const struct aws_json_limits *lim,
                      json_t **out)
{
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : JSON_DEFAULT_MAX_BYTES;
	unsigned max_depth = lim ? lim->max_depth : 0;
	return sg_json_load_bounded(buf, len, max_bytes, max_depth, "reply", out, NULL, 0);
}

const char *aws_json_str(const json_t *o, const char *key)
{
	if (!json_is_object(o) || !key)
		return NULL;
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
