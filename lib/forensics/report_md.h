/*
 * report_md.h — the examination report rendered as Markdown (pure), for a
 * person: the report's facts, then each evidence volume (where it came
 * from, file systems, deleted files, findings, YARA matches, persistence
 * places, the window around the incident, the timeline), then warnings.
 *
 * The report object is the examination's (shape in docs/forensics.md); any
 * member may be missing or of another type, which shows as "?" or not at
 * all.  Every string from the evidence is written as plain text or a code
 * span that no path can break out of (common/mdtext.h): no table broken,
 * no link, HTML or control byte let through.
 */
#ifndef SSRFGUARD_FX_REPORT_MD_H
#define SSRFGUARD_FX_REPORT_MD_H

#include <jansson.h>

#include "common/buf.h"
#include "ssrfguard/error.h"

/* Render a report object as Markdown, appended to out (errors as sg_buf's:
 * SG_ERR_NOMEM, SG_ERR_RANGE past its cap). */
sg_err fx_report_markdown(const json_t *report, sg_buf *out);

#endif
