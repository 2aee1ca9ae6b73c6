/* fuzz_fx_xfslog.c — is an XFS log clean, read raw from an untrusted image
 * (the input is the image; seeds: mkxfslog.py).  What the walker relies
 * on: an answer or an error, never a hang; every block named inside the
 * log, the log inside the image's file system, clean exactly when nothing
 * lies between tail and head. */
#include <stdint.h>
#include <stdlib.h>

#include "forensics/xfslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fx_mem m = {data, size};
	fx_xfs_sb sb;
	if (fx_xfs_sb_parse(data, size, 0, &sb))
		return 0;
	fx_xfs_log l;
	sg_err rc = fx_xfs_log_read(&sb, fx_mem_read, &m, &l);
	if (rc && rc != SG_ERR_NOTFOUND && rc != SG_ERR_CORRUPT && rc != SG_ERR_RANGE)
		abort();
	if (rc)
		return 0;
	uint64_t fs_end = (uint64_t)sb.ag_count * sb.ag_blocks * sb.block_size;
	if (!l.bbs || l.off + (uint64_t)l.bbs * 512 > fs_end || l.head >= l.bbs ||
	    l.tail >= l.bbs || l.clean != (l.tail == l.head) || (l.pending == 0) != l.clean ||
	    l.pending >= (uint64_t)l.bbs * 512 || (l.unmount && !l.clean))
		abort();
	return 0;
}
