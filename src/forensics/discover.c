/* discover.c — volume ids to devices, evidence manifests (see discover.h). */
#include "forensics/discover.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	json_error_t je;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "evidence manifest %s: %s", path, strerror(errno));
		return errno == ENOENT ? SG_ERR_NOTFOUND : SG_ERR_IO;
	}
	char *buf = malloc((1u << 20) + 1);
	size_t n = buf ? fread(buf, 1, 1u << 20, f) : 0;
	int toobig = buf && n == (1u << 20) && fgetc(f) != EOF;
	fclose(f);
	if (!buf)
		return SG_ERR_NOMEM;
	if (toobig) {
		free(buf);
		snprintf(err, errlen, "evidence manifest %s: larger than 1 MiB", path);
		return SG_ERR_RANGE;
	}
	json_t *o = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
	free(buf);
	json_t *inc = json_object_get(o, "incident");
	json_t *v = json_object_get(o, "volumes");
	if (!json_is_object(o) || !json_is_string(inc) || !json_is_array(v) ||
	    json_array_size(v) == 0 || json_array_size(v) > 64) {
		snprintf(err, errlen, "evidence manifest %s: expected {\"incident\":…,\"volumes\":[…]} "
		         "with 1 to 64 volumes", path);
		json_decref(o);
		return SG_ERR_PARSE;
	}
	if (incident && strcmp(json_string_value(inc), incident)) {
		snprintf(err, errlen, "evidence manifest %s is for incident %s, not %s", path,
		         json_string_value(inc), incident);
		json_decref(o);
		return SG_ERR_INVAL;
	}
	size_t i;
	json_t *vol;
	json_array_foreach(v, i, vol) {
		json_t *id = json_object_get(vol, "volume_id");
		char norm[32];
		if (!json_is_string(id) ||
		    fx_volid_normalise(json_string_value(id), json_string_length(id), norm, sizeof norm)) {
			snprintf(err, errlen, "evidence manifest %s: volume %zu has no valid volume_id",
			         path, i);
			json_decref(o);
			return SG_ERR_PARSE;
		}
	}
	*vols = json_incref(v);
	json_decref(o);
	return SG_OK;
}
