/* fuzz_fx_part.c — MBR/GPT parsing of an untrusted disk (the input is the disk). */
#include <stdint.h>
#include <string.h>

#include "forensics/part.h"

typedef struct mem {
	const uint8_t *p;
	size_t n;
} mem;

static sg_err rd(void *ctx, uint64_t off, void *buf, size_t len)
{
	mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return SG_ERR_RANGE;
	memcpy(buf, m->p + off, len);
	return SG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fx_part_table t;
	mem m = {data, size};
	fx_part_read(rd, &m, size, &t);
	/* the same bytes claiming to be a much larger device */
	fx_part_read(rd, &m, (uint64_t)size << 20, &t);
	return 0;
}
