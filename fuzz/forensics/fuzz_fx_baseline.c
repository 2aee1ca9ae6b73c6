/* fuzz_fx_baseline.c — baseline files: hashdeep lists and manifests (and the
 * path unescaper they use), then the diff of what parsed against itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/diff.h"
#include "forensics/escape.h"
#include "forensics/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[128];
	fx_hashdeep_info info;
	fx_list l;
	fx_list_init(&l, 100000);
	sg_err rc = fx_hashdeep_detect(text, size)
	                ? fx_hashdeep_parse(text, size, "/mnt", &l, &info, err, sizeof err)
	                : fx_manifest_parse(text, size, &l, err, sizeof err);
	if (rc == SG_OK) {
		fx_diff d;
		if (fx_diff_run(&l, &l, 0, &d) == SG_OK && d.n)
			abort(); /* a list never differs from itself */
		fx_diff_free(&d);
		fx_buf b = {0};
		for (size_t i = 0; i < l.n; i++) {
			fx_manifest_line(&b, &l.v[i]);
			fx_bodyfile_line(&b, &l.v[i]);
			fx_buf_reset(&b);
		}
		fx_buf_free(&b);
	}
	fx_list_free(&l);
	char *out = NULL;
	size_t n;
	if (fx_unescape(text, size, &out, &n) == SG_OK) {
		char *again = fx_escape_dup(out, n);
		char *back = NULL;
		size_t n2;
		if (!again || fx_unescape(again, strlen(again), &back, &n2) != SG_OK || n2 != n ||
		    memcmp(back, out, n))
			abort(); /* escaping must round-trip */
		free(again);
		free(back);
	}
	free(out);
	return 0;
}
