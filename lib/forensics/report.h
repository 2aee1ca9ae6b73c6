/*
 * report.h — the report's JSON pieces (its Markdown: report_md.h).
 *
 * The examination (src/forensics/examine.c) assembles the report as a
 * jansson object (shape in docs/forensics.md); these helpers build the
 * parts that come from pure data.  Every
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
 * Change events of the live entries of cur: for each letter of whats
 * ("m" modified, "a" accessed, "c" changed, "b" born — MACB), the entry's
 * time of that kind when it is recorded and from <= seconds < to.  The
 * newest max of them, newest first, into a malloc'd *out (*n of them;
 * NULL when none); *total: how many the range held.  SG_ERR_NOMEM.
 */
typedef struct fx_event {
	fx_time t;
	char what;
	size_t idx; /* the entry's index in cur */
} fx_event;
sg_err fx_events(const fx_list *cur, const char *whats, int64_t from, int64_t to, size_t max,
                 fx_event **out, size_t *n, size_t *total);

/* {"time":"2026-…Z","sec":S,"what":"m","path"(escaped),"type"} */
json_t *fx_event_json(const fx_list *cur, const fx_event *ev);

/* The newest max m/c/b events of cur as fx_event_json objects. */
json_t *fx_timeline_json(const fx_list *cur, size_t max);

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (>= 40 bytes), "" when unset. */
void fx_time_iso(const fx_time *t, char *buf, size_t len);

#endif
