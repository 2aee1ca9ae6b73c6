/*
 * fuzz_fx_evidence.c — what the responder says about the evidence, read
 * on the forensic host (forensics/evmanifest.h): the whole input as an
 * evidence manifest (for any incident and for "inc-7"), as a source's
 * info whose tag gives the incident time, and its first line as that
 * time.  Checks the promises: 1 to 64 volumes on success, an error
 * sentence that is printable text otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "forensics/evmanifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void manifest(const char *s, size_t n, const char *incident)
{
	json_t *vols = (json_t *)1;
	char err[200] = "";
	sg_err rc = fx_evidence_parse(s, n, incident, &vols, err, sizeof err);
	if (rc == SG_OK) {
		invariant(json_is_array(vols) && json_array_size(vols) >= 1 &&
		          json_array_size(vols) <= FX_EVIDENCE_MAX_VOLUMES);
	} else {
		invariant(!vols && err[0] && sg_text_printable(err, strlen(err)));
	}
	json_decref(vols);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	manifest(s, size, NULL);
	manifest(s, size, "inc-7");

	json_t *info = json_loadb(s, size, 0, NULL);
	const char *t = fx_evidence_tagged_time(info);
	int64_t sec;
	if (t)
		(void)fx_utc_parse(t, &sec);
	json_decref(info);

	char line[64];
	size_t n = 0;
	while (n < size && n < sizeof line - 1 && data[n] != '\n' && data[n])
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	(void)fx_utc_parse(line, &sec);
	return 0;
}
