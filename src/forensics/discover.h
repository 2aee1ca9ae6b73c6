/*
 * discover.h — find the evidence: EBS volume ids to NVMe devices, and the
 * evidence manifest an examiner writes for an incident (nothing in ssrfguard
 * writes one: the responder passes --volume and tags its volumes).
 *
 * On Nitro instances an EBS volume is an NVMe namespace whose controller
 * serial is the volume id without its dash ("vol0123456789abcdef0").
 * disc_volume() scans SYSFS/block/nvme* /device/serial (sysfs_root is "/sys"
 * outside tests) and gives "DEV_ROOT/NAME" (dev_root NULL: "/dev"; tests
 * point it at a directory of images).  SG_ERR_NOTFOUND when no device
 * carries the volume.
 *
 * disc_incident() reads an evidence manifest
 *   {"incident":"ID","volumes":[{"volume_id":"vol-…", …}, …]}
 * (at most 1 MiB, at most 64 volumes; decoded by fx_evidence_parse,
 * lib/forensics/evidence.h) and returns the volume ids and each volume
 * object (new references in *vols, a JSON array, for the report).
 */
#ifndef SSRFGUARD_FORENSICS_DISCOVER_H
#define SSRFGUARD_FORENSICS_DISCOVER_H

#include <jansson.h>
#include <stddef.h>

#include "ssrfguard/error.h"

sg_err disc_volume(const char *sysfs_root, const char *dev_root, const char *volume_id,
                   char *dev, size_t devlen, char *err, size_t errlen);

sg_err disc_incident(const char *path, const char *incident, json_t **vols,
                     char *err, size_t errlen);

#endif
