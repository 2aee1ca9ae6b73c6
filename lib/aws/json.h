/*
 * json.h — bounded JSON decoding (jansson) for SSM replies, credential
 * documents (IMDS, container endpoint) and the IMDS identity document.
 *
 * The AWS face of sg_json_load_bounded (common/jsonload.h): the input size
 * and nesting are capped before jansson sees the bytes, duplicate object
 * keys are refused so a reply cannot say two things at once, and the top
 * must be an object (every AWS JSON document is one).
 */
#ifndef SG_AWS_JSON_H
#define SG_AWS_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_json_limits {
	size_t max_bytes;    /* 0: 8 MiB */
	unsigned max_depth;  /* 0: SG_JSON_DEPTH_DEFAULT (32) */
};

/* *out: new reference (json_decref it).  lim may be NULL.
 * SG_ERR_RANGE: too big or too deep; SG_ERR_PARSE: not JSON, a duplicate
 * key, or not an object at the top; SG_ERR_NOMEM. */
sg_err aws_json_parse(const char *buf, size_t len, const struct aws_json_limits *lim,
                      json_t **out);

/* String member `key` of object o, or NULL (not a string / absent). */
const char *aws_json_str(const json_t *o, const char *key);

#endif
