/*
 * yscan.h — YARA rules over file contents (libyara).
 *
 * yscan_load() compiles the rule files of each path in order: a directory
 * gives its *.yar and *.yara files (by name, not recursive; hidden files
 * skipped), a file itself.  Each file is read once (at most YSCAN_RULEFILE_MAX
 * bytes), hashed, and compiled in a namespace named after it, so the report
 * can say exactly which rules ran ("rule_files": path, sha256, rules).
 * `include` is refused: a rules directory is the unit of a ruleset.
 *
 * A file that fails to compile is SG_ERR_PARSE with err
 * "yara rules FILE:LINE: MESSAGE" (the first error libyara reported; the
 * count of the others follows).  A path that is neither a readable file
 * nor a directory is SG_ERR_NOTFOUND / SG_ERR_IO; a directory without
 * rules is SG_ERR_NOTFOUND.  Nothing is left allocated on error.
 *
 * Every rule may use the external variables
 *   filename   the file's last path component (raw bytes)
 *   filepath   its path in the image, partition prefix set aside
 *   extension  what follows the last '.' of filename, lower-case ("" none)
 *
 * yscan_mem() scans one buffer under the per-scan timeout and returns the
 * matching rules as a JSON array (new reference; empty when none):
 *   [{"rule","namespace","tags":[...],"meta":{"description":…,…},
 *     "strings":[{"id":"$a","offset":N,"data":"escaped bytes"}]}]
 * At most YSCAN_SHOW_MATCHES matches per rule are listed, each with at most
 * YSCAN_SHOW_BYTES bytes of data, escaped (escape.h): the data came from
 * the attacker.  *timed_out is set when libyara stopped at the timeout (the
 * matches found before it are still returned).  NULL: OOM or a libyara
 * error (err says which).
 *
 * One yscan is used by one thread at a time.  yscan_free(NULL) is a no-op.
 */
#ifndef SSRFGUARD_FORENSICS_YSCAN_H
#define SSRFGUARD_FORENSICS_YSCAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ssrfguard/error.h"

#define YSCAN_RULEFILE_MAX (16u << 20)
#define YSCAN_RULEFILES_MAX 1000
#define YSCAN_SHOW_MATCHES 8
#define YSCAN_SHOW_BYTES 96

typedef struct yscan yscan;

sg_err yscan_load(const char *const *paths, size_t npaths, int timeout_s, yscan **out,
                  char *err, size_t errlen);

size_t yscan_rule_count(const yscan *y);

/* {"rule_files":[{"path","sha256","rules"}],"rules":N} (new reference). */
json_t *yscan_describe(const yscan *y);

json_t *yscan_mem(yscan *y, const uint8_t *buf, size_t len, const char *path, size_t path_len,
                  int *timed_out, char *err, size_t errlen);

void yscan_free(yscan *y);

#endif
