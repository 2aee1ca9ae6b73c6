/*
 * report.h — the report's JSON pieces and its Markdown rendering.
 *
 * The examination (src/forensics/examine.c) assembles the report as a
 * jansson object (shape in docs/forensics.md); these helpers build the
 * parts that come from pure data and render the whole as Markdown.  Every
 * path in them is escaped (escape.h).  Returned json_t are new references
 * (NULL on OOM); the caller decrefs.
 */
#ifndef SSRFGUARD_FX_REPORT_H
#define SSRFGUARD_FX_REPORT_H

#include <jansson.h>

#include "forensics/diff.h"
#include "forensics/fx.h"

/* {"type","size","mode","uid","gid","mtime","sha256","target","inode","deleted"} */
json_t *fx_entry_json(const fx_entry *e);

/* {"class","path","from"(moved),"interest","detail","baseline","image","trace"} */
json_t *fx_finding_json(const fx_finding *f);

/* Array of the findings, in d's order; max 0 = all.  */
json_t *fx_findings_json(const fx_diff *d, size_t max);

/* {"findings":N,"interesting":N,"by_class":{"modified":N,...}} */
json_t *fx_summary_json(const fx_diff *d);

/*
 * The newest max change events of the live entries (mtime, ctime and
 * birth time each an event), newest first:
 * [{"time":"2026-…Z","sec":S,"what":"m"|"c"|"b","path","type"}]
 */
json_t *fx_timeline_json(const fx_list *cur, size_t max);

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (>= 40 bytes), "" when unset. */
void fx_time_iso(const fx_time *t, char *buf, size_t len);

/* Render a report object as Markdown into out. */
sg_err fx_report_markdown(const json_t *report, fx_buf *out);

#endif
