/*
 * evmanifest.h — what is said about the evidence, read on the forensic
 * host (pure): an incident's evidence manifest (written by the examiner or
 * their own tooling for volumes the responder did not make; nothing in
 * ssrfguard writes one), and the incident time the responder tags every
 * snapshot and volume with.
 *
 * Both are untrusted here: the manifest sits on a host the examiner does
 * not own, and an EBS tag can be set by anyone allowed to tag the volume.
 * So the manifest is bounded (FX_EVIDENCE_MAX bytes, at most
 * FX_EVIDENCE_MAX_VOLUMES volumes, each with a valid EBS volume id), and
 * text from it is escaped in every error (common/escape.h).  Fuzz target:
 * fx_evidence.
 */
#ifndef SSRFGUARD_FX_EVMANIFEST_H
#define SSRFGUARD_FX_EVMANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define FX_EVIDENCE_MAX (1u << 20)
#define FX_EVIDENCE_MAX_VOLUMES 64

/* The tag the responder puts on every snapshot and evidence volume. */
#define FX_INCIDENT_TIME_TAG "ssrfguard:incident-time"

/*
 * An evidence manifest, buf[0..n):
 *   {"incident":"ID","volumes":[{"volume_id":"vol-…", …}, …]}
 * When incident is not NULL the manifest must be for it.  *vols: the
 * volumes array (a new reference) for the report.  On error *vols is NULL
 * and err says why in a phrase to follow "evidence manifest PATH: ":
 * SG_ERR_RANGE larger than FX_EVIDENCE_MAX, SG_ERR_PARSE not the shape
 * above (or a volume without a valid volume_id), SG_ERR_INVAL for
 * another incident.
 */
sg_err fx_evidence_parse(const char *buf, size_t n, const char *incident, json_t **vols,
                         char *err, size_t errlen);

/* "YYYY-MM-DDTHH:MM:SS[.fff]Z" (or +00:00) as seconds since the epoch;
 * SG_ERR_PARSE otherwise.  The form of --incident-time and of the
 * responder's FX_INCIDENT_TIME_TAG tag. */
sg_err fx_utc_parse(const char *s, int64_t *out);

/* The incident time a source's info gives: its tags' FX_INCIDENT_TIME_TAG,
 * else its evidence manifest entry's "incident_time"; NULL when neither is
 * a string.  Not yet parsed (fx_utc_parse). */
const char *fx_evidence_tagged_time(const json_t *info);

#endif
