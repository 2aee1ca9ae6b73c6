/* fuzz_fx_walk.c — the libtsk walker on an untrusted image held in memory:
 * every file system libtsk detects, every entry listed and hashed. */
#include <stdint.h>

#include "forensics/fsprobe.h"
#include "forensics/memcap.h"
#include "forensics/walk.h"

/* libtsk asks calloc for absurd sizes on corrupt images (3 GiB for one
 * inode) and copes with NULL: refuse them, as `forensics examine` does
 * with its memory ceiling (memcap.h; under ASan, max_allocation_size_mb). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int capped;
	if (!capped) {
		memcap_set(2048ull << 20);
		capped = 1;
	}
	fx_fsprobe_result pr;
	fx_fsprobe(data, size, &pr);
	if (size < 512 || size > (16u << 20))
		return 0;
	fx_list l;
	fx_list_init(&l, 200000);
	walk_opts o = {.prefix = ""};
	walk_stats st = {0};
	char err[256];
	walk_tsk(-1, data, size, 0, &o, &l, &st, err, sizeof err);
	fx_list_free(&l);
	return 0;
}
