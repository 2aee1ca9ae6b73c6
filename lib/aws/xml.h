/*
 * xml.h — AWS XML replies decoded into a small read-only element tree.
 *
 * Parsed with libxml2 under strict limits: input size, element depth and
 * element count are capped; DTDs, entity references, processing of
 * external resources and network access are refused (AWS never sends
 * them), so a hostile or broken endpoint gets SG_ERR_PARSE/SG_ERR_RANGE, not
 * a billion laughs.  Element names are local names (namespace prefixes and
 * the EC2 xmlns are dropped).  Text is the element's own character data
 * (CDATA included), never NULL ("" when empty).
 *
 * Navigation never fails: every accessor accepts NULL and returns NULL for
 * "absent", so chains like aws_xml_str(aws_xml_get(r, "a/b"), "c") are safe.
 * The tree is owned by its root; aws_xml_free(root) frees everything.
 * Threads: safe to call from any thread; the first call initialises
 * libxml2 once (pthread_once), so no caller need call xmlInitParser.
 */
#ifndef SG_AWS_XML_H
#define SG_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "ssrfguard/error.h"

struct aws_xml {
	char *name;             /* local name */
	char *text;             /* own character data, "" if none */
	struct aws_xml *child;  /* first child element */
	struct aws_xml *next;   /* next sibling element */
};

struct aws_xml_limits {
	size_t max_bytes;       /* 0: 16 MiB */
	unsigned max_depth;     /* 0: 64 */
	size_t max_elements;    /* 0: 1,000,000 */
};

/* Parse buf[len].  *out is the root element (caller frees with
 * aws_xml_free).  lim may be NULL for the defaults.
 * SG_ERR_RANGE: beyond a limit; SG_ERR_PARSE: not well-formed, or holds a
 * DTD / entity reference; SG_ERR_NOMEM. */
sg_err aws_xml_parse(const char *buf, size_t len, const struct aws_xml_limits *lim,
                     struct aws_xml **out);
void aws_xml_free(struct aws_xml *root);

/* First child element called name, or NULL. */
const struct aws_xml *aws_xml_child(const struct aws_xml *n, const char *name);
/* Follow a '/'-separated path of child names ("reservationSet/item"). */
const struct aws_xml *aws_xml_get(const struct aws_xml *n, const char *path);
/* Text at path (path NULL or "" = n itself), or NULL if absent. */
const char *aws_xml_str(const struct aws_xml *n, const char *path);
/* Text at path, or dflt when absent. */
const char *aws_xml_str_or(const struct aws_xml *n, const char *path, const char *dflt);
/* "true" at path -> true; anything else (or absent) -> false. */
bool aws_xml_bool(const struct aws_xml *n, const char *path);
/* First child element (any name) / next sibling with the same name as n. */
const struct aws_xml *aws_xml_first(const struct aws_xml *n);
const struct aws_xml *aws_xml_next(const struct aws_xml *n);
/* Number of child elements of n. */
size_t aws_xml_count(const struct aws_xml *n);

/* Iterate the items of a list element: for (AWS_XML_EACH(it, list)) ... */
#define AWS_XML_EACH(it, list) \
	const struct aws_xml *it = aws_xml_first(list); it; it = it->next

#endif
