/*
 * jsonload.h — the one way to parse untrusted or stored JSON text with
 * jansson (pure): a size cap and a nesting cap checked before jansson
 * sees the bytes, duplicate object keys refused (JSON_REJECT_DUPLICATES:
 * a document may not say two things at once), and a JSON object at the
 * top.  Every JSON text ssrfguard reads goes through it: what arrives
 * (AWS JSON replies through aws_json_parse, lib/aws/json.h; --listen
 * deliveries and their acknowledgements; SQS messages; the dashboard's
 * release body), what it wrote and reads back (the store's rows, reports,
 * custody logs and anchors, forensic manifests, evidence manifests, the
 * examination's result line), and IAM's policy documents.  No other file
 * calls json_load*.
 */
#ifndef SSRFGUARD_COMMON_JSONLOAD_H
#define SSRFGUARD_COMMON_JSONLOAD_H

#include <jansson.h>
#include <stddef.h>

#include "ssrfguard/error.h"

/* Nesting cap when the caller passes max_depth 0. */
#define SG_JSON_DEPTH_DEFAULT 32u

/*
 * Parse text[0..len) into a new object reference in *out (json_decref
 * it); *out is NULL on any error.  `what` names the document in msg
 * ("report", "record"...); msg may be NULL.
 *   SG_ERR_RANGE  longer than max_bytes, or nested deeper than max_depth
 *                 ("WHAT larger than N bytes", "WHAT nested deeper than N")
 *   SG_ERR_PARSE  not JSON, a duplicate key, or not an object at the top
 *                 ("WHAT: duplicate object key near '"a"'", "WHAT: not a
 *                 JSON object")
 *   SG_ERR_NOMEM  out of memory
 *   SG_ERR_INVAL  out or what NULL, or text NULL with len > 0
 */
sg_err sg_json_load_bounded(const char *text, size_t len, size_t max_bytes, unsigned max_depth,
                            const char *what, json_t **out, char *msg, size_t msglen);

/* The same for a document whose top may be any JSON value, not only an
 * object: an array the program wrote itself (an examination mark's YARA
 * rule names).  Every other check is the same. */
sg_err sg_json_load_bounded_any(const char *text, size_t len, size_t max_bytes,
                                unsigned max_depth, const char *what, json_t **out, char *msg,
                                size_t msglen);

#endif
