/* fuzz_fx_baseline.c — baseline files: hashdeep lists and manifests (and the
 * path unescaper they use), then the diff of what parsed against itself.
 * An input holding a line "\f" is two lists, a baseline before it and an
 * image after it, diffed both ways: moves, extended attributes, names
 * holding a newline reach the diff. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/diff.h"
#include "forensics/escape.h"
#include "forensics/manifest.h"

static sg_err parse(const char *text, size_t size, fx_list *l)
{
	char err[128];
	fx_hashdeep_info info;
	fx_list_init(l, 100000);
	return fx_hashdeep_detect(text, size)
	               ? fx_hashdeep_parse(text, size, "/mnt", l, &info, err, sizeof err)
	               : fx_manifest_parse(text, size, l, err, sizeof err);
}

static void diff_checked(const fx_list *base, const fx_list *cur)
{
	fx_diff d;
	if (fx_diff_run(base, cur, 0, &d) != SG_OK)
		return;
	size_t sum = 0;
	for (size_t c = 0; c < FX_C__COUNT; c++)
		sum += d.counts[c];
	if (sum != d.n)
		abort();
	for (size_t i = 0; i < d.n; i++) {
		const fx_finding *f = &d.v[i];
		if ((unsigned)f->cls >= FX_C__COUNT || !memchr(f->detail, 0, sizeof f->detail) ||
		    (!f->base && !f->cur))
			abort();
	}
	fx_diff_free(&d);
}

static void two_lists(const char *text, size_t size)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < size && !sep; i++)
		if (text[i] == '\n' && text[i + 1] == '\f' && text[i + 2] == '\n')
			sep = text + i;
	if (!sep)
		return;
	fx_list base, cur;
	sg_err a = parse(text, (size_t)(sep - text) + 1, &base);
	sg_err b = parse(sep + 3, size - (size_t)(sep + 3 - text), &cur);
	if (a == SG_OK && b == SG_OK) {
		diff_checked(&base, &cur);
		diff_checked(&cur, &base);
	}
	fx_list_free(&base);
	fx_list_free(&cur);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	two_lists(text, size);
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
		sg_buf b = {0};
		for (size_t i = 0; i < l.n; i++) {
			fx_manifest_line(&b, &l.v[i]);
			fx_bodyfile_line(&b, &l.v[i]);
			sg_buf_reset(&b);
		}
		sg_buf_free(&b);
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
