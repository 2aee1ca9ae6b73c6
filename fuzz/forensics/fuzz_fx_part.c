/* fuzz_fx_part.c — MBR/GPT parsing of an untrusted disk (the input is the disk). */
#include <stdint.h>
#include <string.h>

#include "forensics/part.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static fx_part_table t;
	fx_mem m = {data, size};
	fx_part_read(fx_mem_read, &m, size, &t);
	/* the same bytes claiming to be a much larger device */
	fx_part_read(fx_mem_read, &m, (uint64_t)size << 20, &t);
	return 0;
}
