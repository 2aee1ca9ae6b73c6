/* json.c — bounded JSON decoding (see json.h). */
#include "aws/json.h"

#define JSON_DEFAULT_MAX_BYTES (8u << 20)
#define JSON_DEFAULT_MAX_DEPTH 32

/* Nesting depth of buf, counting brackets outside strings.  Returns the
 * maximum depth, or UINT_MAX when it passes limit (stop early). */
static unsigned nesting(const char *buf, size_t len, unsigned limit)
{
	unsigned depth = 0, max = 0;
	int in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > limit)
				return (unsigned)-1;
			if (depth > max)
				max = depth;
		} else if ((c == '}' || c == ']') && depth) {
			depth--;
		}
	}
	return max;
}

sg_err aws_json_parse(const char *buf, size_t len, const struct aws_json_limits *lim,
                      json_t **out)
{
	size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : JSON_DEFAULT_MAX_BYTES;
	unsigned max_depth = lim && lim->max_depth ? lim->max_depth : JSON_DEFAULT_MAX_DEPTH;
	if (!out || (!buf && len))
		return SG_ERR_INVAL;
	*out = NULL;
	if (len > max_bytes)
		return SG_ERR_RANGE;
	if (nesting(buf, len, max_depth) == (unsigned)-1)
		return SG_ERR_RANGE;
	json_error_t jerr;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return json_error_code(&jerr) == json_error_out_of_memory ? SG_ERR_NOMEM
		                                                          : SG_ERR_PARSE;
	if (!json_is_object(j) && !json_is_array(j)) {
		json_decref(j);
		return SG_ERR_PARSE;
	}
	*out = j;
	return SG_OK;
}

const char *aws_json_str(const json_t *o, const char *key)
{
	if (!json_is_object(o) || !key)
		return NULL;
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
