/*
 * disctags.h — find an incident's evidence volumes by the tags the
 * responder set (`ssrfguard forensics … --incident ID --from-tags`).
 *
 * The responder makes every evidence volume with the tags IncidentId=INC-N,
 * ssrfguard:store=STORE (its store's identity, playbook/incname.h),
 * ssrfguard:source-snapshot, ssrfguard:source-volume and ssrfguard:device
 * (src/respond/volume.c) and attaches it to the forensic instance.
 * ID is the incident's AWS key INC-N-STORE, or INC-N, or any other label
 * (a volume tagged by hand).  disctags_find() asks EC2 DescribeVolumes,
 * every page (NextToken), for
 *   A. tag:IncidentId=NAME [and tag:ssrfguard:store=STORE] and
 *      attachment.instance-id=HERE  (the evidence)
 *   B. tag:IncidentId=NAME [and tag:ssrfguard:store=STORE] and
 *      tag-key=ssrfguard:source-snapshot
 *      (every evidence volume of the incident, wherever it is)
 * (NAME: INC-N of a key, else ID; STORE only when ID names one) and
 * refuses to hand over a partial set: a volume of B that is not
 * attaching/attached here is an error naming it and where it is.  INC-N
 * without a store that matches volumes of several stores (each counts
 * from INC-1) is refused too, naming them: give INC-N-STORE.
 *
 * HERE is o->instance_id, else this instance's id from IMDSv2.  The client
 * is the project's AWS client (src/aws/aws.h): credentials chain, region
 * from o->region / AWS_REGION / AWS_DEFAULT_REGION / profile / IMDS,
 * endpoint from o->endpoint_url / AWS_ENDPOINT_URL[_EC2].
 *
 * On success *vols is a new JSON array of 1 to DISCTAGS_MAX objects, in
 * the shape of an evidence manifest's volumes (docs/forensics.md):
 *   {"volume_id","snapshot_id","source_volume","source_device",
 *    "found_by":"tags","instance_id":HERE,"attachment":{"device","state"},
 *    "tags":{KEY:VALUE,…}}
 * (snapshot_id/source_volume/source_device only when the tag is there),
 * and here[] holds the instance id.  Every error writes one sentence to err:
 *   SG_ERR_INVAL     bad incident id (EC2 filter wildcards * ? \) or instance id
 *   SG_ERR_AUTH      no credentials; refused; not permitted (names
 *                    ec2:DescribeVolumes)
 *   SG_ERR_NOTFOUND  no volume of the incident is attached here
 *   SG_ERR_STATE     an evidence volume of the incident is not attached here;
 *                    INC-N matches the volumes of more than one store
 *   SG_ERR_RANGE     more than DISCTAGS_MAX volumes
 *   others           IMDS unreachable, network, throttled … (as aws.h)
 */
#ifndef SSRFGUARD_FORENSICS_DISCTAGS_H
#define SSRFGUARD_FORENSICS_DISCTAGS_H

#include <jansson.h>
#include <stddef.h>

#include "ssrfguard/error.h"

#define DISCTAGS_MAX 64
#define DISCTAGS_PAGE 25 /* DescribeVolumes MaxResults (EC2 allows 5-500) */

struct disctags_opts {
	const char *incident;      /* required */
	const char *instance_id;   /* NULL: IMDSv2 */
	const char *region;        /* NULL: the client's chain */
	const char *profile;       /* NULL: AWS_PROFILE, else default */
	const char *endpoint_url;  /* NULL: AWS_ENDPOINT_URL[_EC2], else AWS */
	const char *ca_bundle;     /* NULL: AWS_CA_BUNDLE, else the system */
};

sg_err disctags_find(const struct disctags_opts *o, json_t **vols, char here[32],
                     char *err, size_t errlen);

/*
 * The reply walk, on its own for the fuzz target (fuzz/forensics): a scan
 * collects the volumes of one DescribeVolumes page after another.
 * disctags_scan_page() has aws_query_pages()'s page signature (ctx is the
 * scan); with pass_b 0 it takes volumes whose IncidentId tag is exactly the
 * incident's name (and ssrfguard:store its store, when it names one) and
 * whose attachment to `here` is attaching/attached into found (others go
 * to away), with pass_b 1 it adds to away every such volume not in found;
 * either pass notes a second store among the volumes it takes (mixed).  SG_ERR_PROTOCOL (a bad volume id) and SG_ERR_RANGE (too many)
 * write err and set failed.  disctags_scan_free() is safe on a zeroed scan.
 */
struct aws_xml;
typedef struct disctags_scan {
	char name[260];         /* the IncidentId tag wanted: INC-N, or the label */
	char store[17];         /* the ssrfguard:store wanted; "" any */
	char stores[2][17];     /* the first two stores seen ("" untagged) */
	int nstores;            /* 0, 1, or 2: mixed */
	const char *here;
	json_t *found;          /* objects as disctags_find() returns them */
	char away[1536];        /* "vol-… (where), …", truncated */
	size_t naway, awaylen;
	int pass_b;
	char *err;
	size_t errlen;
	int failed;             /* err holds the reason */
} disctags_scan;

sg_err disctags_scan_init(disctags_scan *s, const char *incident, const char *here,
                         char *err, size_t errlen);
sg_err disctags_scan_page(void *ctx, const struct aws_xml *reply);
void disctags_scan_free(disctags_scan *s);

#endif
