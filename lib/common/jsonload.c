/* jsonload.c — bounded JSON parsing (see jsonload.h). */
#include "common/jsonload.h"

#include <stdbool.h>
#include <stdio.h>

/* Deepest bracket nesting of buf outside strings, or UINT_MAX as soon as
 * it passes limit. */
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

static sg_err load(const char *text, size_t len, size_t max_bytes, unsigned max_depth,
                   const char *what, bool object, json_t **out, char *msg, size_t msglen)
{
	char dummy[1];
	if (!msg || !msglen) {
		msg = dummy;
		msglen = sizeof dummy;
	}
	msg[0] = '\0';
	if (!out || !what || (!text && len))
		return SG_ERR_INVAL;
	*out = NULL;
	if (!max_depth)
		max_depth = SG_JSON_DEPTH_DEFAULT;
	if (len > max_bytes) {
		snprintf(msg, msglen, "%s larger than %zu bytes", what, max_bytes);
		return SG_ERR_RANGE;
	}
	if (nesting(text, len, max_depth) == (unsigned)-1) {
		snprintf(msg, msglen, "%s nested deeper than %u", what, max_depth);
		return SG_ERR_RANGE;
	}
	json_error_t je;
	json_t *j = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(msg, msglen, "%s: %s", what, je.text);
		return json_error_code(&je) == json_error_out_of_memory ? SG_ERR_NOMEM : SG_ERR_PARSE;
	}
	if (object && !json_is_object(j)) {
		json_decref(j);
		snprintf(msg, msglen, "%s: not a JSON object", what);
		return SG_ERR_PARSE;
	}
	*out = j;
	return SG_OK;
}

sg_err sg_json_load_bounded(const char *text, size_t len, size_t max_bytes, unsigned max_depth,
                            const char *what, json_t **out, char *msg, size_t msglen)
{
	return load(text, len, max_bytes, max_depth, what, true, out, msg, msglen);
}

sg_err sg_json_load_bounded_any(const char *text, size_t len, size_t max_bytes,
                                unsigned max_depth, const char *what, json_t **out, char *msg,
                                size_t msglen)
{
	return load(text, len, max_bytes, max_depth, what, false, out, msg, msglen);
}
