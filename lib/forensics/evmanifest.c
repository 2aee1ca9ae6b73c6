/* evmanifest.c — the evidence manifest and the incident time (see evmanifest.h). */
#include "forensics/evmanifest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/escape.h"
#include "common/jsonload.h"
#include "forensics/fsprobe.h"

sg_err fx_evidence_parse(const char *buf, size_t n, const char *incident, json_t **vols,
                         char *err, size_t errlen)
{
	*vols = NULL;
	if (n > FX_EVIDENCE_MAX) {
		snprintf(err, errlen, "larger than %u MiB", FX_EVIDENCE_MAX >> 20);
		return SG_ERR_RANGE;
	}
	json_t *o = NULL;
	sg_json_load_bounded(buf, n, FX_EVIDENCE_MAX, 0, "evidence manifest", &o, NULL, 0);
	json_t *inc = json_object_get(o, "incident");
	json_t *v = json_object_get(o, "volumes");
	if (!json_is_object(o) || !json_is_string(inc) || !json_is_array(v) ||
	    json_array_size(v) == 0 || json_array_size(v) > FX_EVIDENCE_MAX_VOLUMES) {
		snprintf(err, errlen, "expected {\"incident\":…,\"volumes\":[…]} "
		         "with 1 to %d volumes", FX_EVIDENCE_MAX_VOLUMES);
		json_decref(o);
		return SG_ERR_PARSE;
	}
	if (incident && strcmp(json_string_value(inc), incident)) {
		char shown[80];
		sg_text_clean(shown, sizeof shown, json_string_value(inc), json_string_length(inc));
		snprintf(err, errlen, "it is for incident %s, not %s", shown, incident);
		json_decref(o);
		return SG_ERR_INVAL;
	}
	size_t i;
	json_t *vol;
	json_array_foreach(v, i, vol) {
		json_t *id = json_object_get(vol, "volume_id");
		const char *text = json_string_value(id);
		char norm[32];
		if (!text || fx_volid_normalise(text, json_string_length(id), norm, sizeof norm)) {
			snprintf(err, errlen, "volume %zu has no valid volume_id", i);
			json_decref(o);
			return SG_ERR_PARSE;
		}
	}
	*vols = json_incref(v);
	json_decref(o);
	return SG_OK;
}

sg_err fx_utc_parse(const char *s, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!end)
		return SG_ERR_PARSE;
	if (*end == '.') /* fractions of a second: the window is in seconds */
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") && strcmp(end, "+00:00"))
		return SG_ERR_PARSE;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mday == 31))
		return SG_ERR_PARSE;
	*out = (int64_t)t;
	return SG_OK;
}

const char *fx_evidence_tagged_time(const json_t *info)
{
	const json_t *v = json_object_get(json_object_get(info, "tags"), FX_INCIDENT_TIME_TAG);
	if (!json_is_string(v))
		v = json_object_get(info, "incident_time");
	return json_string_value(v);
}
