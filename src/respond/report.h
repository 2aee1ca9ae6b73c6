/*
 * report.h — an incident's report (JSON) built from the store: the
 * incident, its steps with their journals (calls, created ids, notes),
 * the recorded instance, the plan and the capture.  Internal to
 * src/respond; lib/playbook/report.h renders it as Markdown.
 */
#ifndef SSRFGUARD_RESPOND_REPORT_H
#define SSRFGUARD_RESPOND_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* New reference, or NULL (unknown incident, no memory).  outcome NULL:
 * computed from the step states. */
json_t *rsp_report_build(store *st, int64_t id, const char *outcome);

#endif
