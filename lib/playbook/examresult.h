/*
 * examresult.h — the result line of `ssrfguard forensics examine`, read
 * from the forensic host's SSM standard output (pure).
 *
 * The command prints one JSON object with a "status" as its last line
 * (docs/forensics.md); a wrapper may print other text before it.  The
 * output is the forensic host's: any bytes, any length SSM returns.
 */
#ifndef SSRFGUARD_PLAYBOOK_EXAMRESULT_H
#define SSRFGUARD_PLAYBOOK_EXAMRESULT_H

#include <jansson.h>
#include <stddef.h>

/* The last line of out[0..len) that is a JSON object whose "status" is a
 * string (a new reference), or NULL when there is none.  Lines are read by
 * sg_json_load_bounded (common/jsonload.h): a line with a duplicate key or
 * nested deeper than its default is not a result line.  Its string members
 * are the host's text: escape them wherever shown (common/escape.h). */
json_t *pb_exam_result_line(const char *out, size_t len);

#endif
