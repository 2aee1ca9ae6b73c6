/* discover.c — volume ids to devices, evidence manifests (see discover.h). */
#include "forensics/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/evmanifest.h"
#include "forensics/fsprobe.h"

sg_err disc_volume(const char *sysfs_root, const char *dev_root, const char *volume_id,
                   char *dev, size_t devlen, char *err, size_t errlen)
{
	char want[32];
	if (fx_volid_normalise(volume_id, strlen(volume_id), want, sizeof want)) {
		snprintf(err, errlen, "'%s' is not an EBS volume id (vol-…)", volume_id);
		return SG_ERR_INVAL;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/block", sysfs_root);
	DIR *d = opendir(dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return SG_ERR_IO;
	}
	struct dirent *de;
	sg_err rc = SG_ERR_NOTFOUND;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "nvme", 4))
			continue;
		char path[4608], serial[128];
		snprintf(path, sizeof path, "%s/%s/device/serial", dir, de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(serial, 1, sizeof serial - 1, f);
		fclose(f);
		serial[n] = 0;
		char got[32];
		if (fx_volid_normalise(serial, n, got, sizeof got) == SG_OK && !strcmp(got, want)) {
			snprintf(dev, devlen, "%s/%s", dev_root ? dev_root : "/dev", de->d_name);
			rc = SG_OK;
			break;
		}
	}
	closedir(d);
	if (rc)
		snprintf(err, errlen, "volume %s is not attached here (no NVMe device has serial %.3s%s)",
		         want, want, want + 4);
	return rc;
}

sg_err disc_incident(const char *path, const char *incident, json_t **vols, char *err,
                     size_t errlen)
{
	*vols = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "evidence manifest %s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	/* one byte more than the most a manifest may be: too big is seen */
	char *buf = malloc(FX_EVIDENCE_MAX + 1);
	size_t n = buf ? fread(buf, 1, FX_EVIDENCE_MAX + 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (!buf)
		return SG_ERR_NOMEM;
	char why[256];
	sg_err rc = bad ? SG_ERR_IO : fx_evidence_parse(buf, n, incident, vols, why, sizeof why);
	free(buf);
	if (bad)
		snprintf(err, errlen, "evidence manifest %s: read error", path);
	else if (rc)
		snprintf(err, errlen, "evidence manifest %s: %s", path, why);
	return rc;
}
