/*
 * report.h — the incident report as Markdown, rendered from the report's
 * JSON document (the one `incidents show ID --json` prints and the
 * responder writes as INC-N.json).
 *
 * Document shape (fields absent are shown as empty):
 *   {"incident":"INC-3","instance":"i-...","outcome":"contained",
 *    "state":"contained","opened":"ISO","finished":"ISO","source":"...",
 *    "dest":"...","category":"...","attempts":N,
 *    "steps":[{"name":"record","state":"done","attempts":1,"result":"...",
 *              "notes":["..."],"created":{"k":"v"},
 *              "calls":[{"at":MS,"ms":N,"api":"ec2:X","target":"...",
 *                        "change":"..."|null,"request_id":"...",
 *                        "error":"..."?, "repeats":N?, "last_at":MS?}]}],
 *    "processes":[{"at":"ISO","dest","uid","gid","pid","exe","cmdline",
 *                  "cgroup","unit","protocol","repeats"}]?   (the kernel
 *                  backstop's attempts: the process that tried)
 *    "history":[{"at":"ISO","step","from","to","actor","reason"}]?
 *    "finding":{"type","severity":8.0,"id","account","region","resource_type",
 *               "resource_role","instance","principal","az","first_seen",
 *               "last_seen","count":N,"sample":false}|{"unreadable":"why"}?,
 *    (the GuardDuty finding kept with the incident, playbook/guardduty.h)
 *    "capture":{"stdout_sha256":"...",...}?,
 *    "forensics":{"command_id":"...","ssm_status":"Success","stdout_sha256":"...",
 *                 "examination":{"status":"ok","report":"...","report_sha256":"...",
 *                   "custody_log":"...","custody_head":"...","findings":N,
 *                   "evidence":[{"label":"vol-...","status":"complete",
 *                     "device_sha256":"...","manifest_sha256":"...","findings":N,
 *                     "top_findings":[{"class","path","interest","detail"}],
 *                     "findings_omitted":N}]}?}?}
 *   (the examination is `ssrfguard forensics examine`'s result line,
 *   docs/forensics.md; absent while it runs or when it printed none)
 *
 * Every value is escaped for Markdown and HTML (a hostile URL or tag value
 * cannot inject markup or break a table).  Pure.
 */
#ifndef SSRFGUARD_PLAYBOOK_REPORT_H
#define SSRFGUARD_PLAYBOOK_REPORT_H

#include <jansson.h>
#include <stddef.h>

#include "ssrfguard/error.h"

#define PB_REPORT_JSON_MAX (64u << 20)

/* *out: malloc'd NUL-terminated Markdown.  SG_ERR_PARSE (reason in msg)
 * for a document that is not a JSON object or repeats a key (our reports
 * never do: jansson writes them); SG_ERR_RANGE when larger than
 * PB_REPORT_JSON_MAX or nested deeper than 32 (common/jsonload.h);
 * SG_ERR_NOMEM. */
sg_err pb_report_markdown(const char *json, size_t len, char **out, char *msg, size_t msglen);

/*
 * What became of one journaled AWS call (a "calls" entry above), as the
 * report and the dashboard show it beside the change it asked for (the
 * journal's "change" is written before the call, so it is an intent):
 *   "FAILED: why", "FAILED (outcome unknown): why" (AWS may have done it),
 *   "dry run", "done" (a change AWS made), "ok" (a read), with
 *   " (polled N times[, until LAST])" for a repeated read (last: its time
 *   as text, or NULL).  Into out[0..cap), cut if it must be.
 */
void pb_call_outcome(const json_t *call, const char *last, char *out, size_t cap);

/* Escape text for a Markdown table cell into a malloc'd string (NULL on
 * OOM): | \ ` * _ [ ] < > & # are escaped or entity-encoded, control
 * characters and newlines become spaces. */
char *pb_md_escape(const char *text);

#endif
