/* fuzz_fx_classify.c — the classifiers that read an intruder's paths:
 * persistence places (persist.h), why a path matters (fx_interest), what
 * the YARA scan reads (scansel.h).  Input: a type/deleted/class byte, two
 * mode bytes (the first's top bit: a deleted file's data is kept), then the
 * path's raw bytes.  Answers are NULL or non-empty text; a "pN:" partition
 * prefix changes none of them; a deleted name is never a persistence place,
 * and is scanned only when its data is kept. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/diff.h"
#include "forensics/persist.h"
#include "forensics/scansel.h"

static void text_or_null(const char *s)
{
	if (s && !s[0])
		abort();
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > 8192)
		return 0;
	fx_entry e;
	memset(&e, 0, sizeof e);
	e.type = (fx_type)(data[0] % FX_T__COUNT);
	e.deleted = (data[0] >> 3) & 1;
	e.data_kept = e.deleted && (data[1] >> 7);
	e.mode = ((uint32_t)data[1] << 8 | data[2]) & 07777;
	e.path = (char *)data + 3;
	e.path_len = size - 3;
	const char *kind = fx_persistence_kind(&e);
	const char *why = fx_scan_unbaselined(&e);
	const char *interest = fx_interest(e.path, e.path_len, e.mode, e.type);
	text_or_null(kind);
	text_or_null(why);
	text_or_null(interest);
	if (e.deleted && (kind || (why && !e.data_kept)))
		abort();
	fx_finding f;
	memset(&f, 0, sizeof f);
	f.cls = (fx_class)((data[0] >> 4) % FX_C__COUNT);
	f.cur = f.cls == FX_C_REMOVED ? NULL : &e;
	f.base = &e;
	int scan = fx_scan_finding(&f);
	if (scan && (!f.cur || (e.deleted && !e.data_kept) || e.type != FX_T_FILE))
		abort(); /* only a regular file of the image whose content is known is read */
	if (e.path_len && e.path[0] == '/' && !fx_part_prefix_len(e.path, e.path_len)) {
		/* the same path on partition 3 */
		char *p = malloc(e.path_len + 3);
		if (!p)
			abort();
		memcpy(p, "p3:", 3);
		memcpy(p + 3, e.path, e.path_len);
		fx_entry q = e;
		q.path = p;
		q.path_len = e.path_len + 3;
		if (fx_part_prefix_len(q.path, q.path_len) != 3 || !same(fx_persistence_kind(&q), kind) ||
		    !same(fx_scan_unbaselined(&q), why))
			abort();
		free(p);
	}
	return 0;
}
