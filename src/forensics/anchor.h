/*
 * anchor.h — the custody log's head anchored outside the machine: an object
 * in the evidence bucket (S3), written through the project's AWS client.
 *
 * After the report is written and logged, anchor_put() puts record (the
 * head, its entry count, the report's hashes, who, when: examine.c builds
 * it) as JSON at
 *   s3://BUCKET/ssrfguard-custody/INCIDENT/YYYYMMDDTHHMMSSZ-HEAD16.json
 * (INCIDENT "none" without one; characters S3 keys would need encoded
 * become '_'), signed with its SHA-256, so that an edit of the log or of a
 * report on the forensic instance is caught against a copy the instance
 * cannot quietly rewrite (a bucket with versioning or Object Lock keeps
 * even that).  Credentials and region come from the client's chain (the
 * forensic instance's role); region, endpoint_url and ca_bundle override.
 *
 * It returns what happened, never NULL: {"bucket","key","sha256","status":
 * "written"} or {"bucket","key","status":"failed","error"}; *ok says which.
 * A failure is never called written: the examination's result says so.
 */
#ifndef SSRFGUARD_FORENSICS_ANCHOR_H
#define SSRFGUARD_FORENSICS_ANCHOR_H

#include <jansson.h>

typedef struct anchor_opts {
	const char *bucket;       /* NULL: no anchoring */
	const char *region;       /* NULL: the client's chain */
	const char *endpoint_url; /* NULL: AWS_ENDPOINT_URL[_S3], else AWS */
	const char *ca_bundle;    /* NULL: AWS_CA_BUNDLE, else the system store */
} anchor_opts;

json_t *anchor_put(const anchor_opts *o, const char *incident, const char *head,
                   const json_t *record, int *ok);

#endif
