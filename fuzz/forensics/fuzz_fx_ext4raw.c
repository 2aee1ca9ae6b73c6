/* fuzz_fx_ext4raw.c — ext2/3/4 inodes, times and extent trees read the
 * kernel's way from an untrusted image (the input is the image), and their
 * extended attributes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/ext4raw.h"

static void one_inode(const fx_ext4_sb *sb, fx_mem *m, const uint8_t *ino)
{
	fx_time t[4];
	fx_ext4_times(ino, sb->inode_size, t);
	sg_buf xattrs = {0};
	(void)fx_ext4_xattrs(sb, fx_mem_read, m, ino, &xattrs);
	sg_buf_free(&xattrs);
	if (!(fx_ext4_flags(ino) & FX_EXT4_EXTENTS_FL))
		return;
	fx_ext4_run *runs = NULL;
	size_t n = 0;
	uint64_t size = fx_ext4_size(ino);
	if (fx_ext4_extents(sb, fx_mem_read, m, ino, size, &runs, &n) == SG_OK) {
		/* what the hashing pool relies on: in order, inside the file */
		for (size_t i = 0; i < n; i++)
			if (runs[i].file_off + runs[i].len > size ||
			    (i && runs[i].file_off < runs[i - 1].file_off + runs[i - 1].len))
				abort();
	}
	free(runs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fx_mem m = {data, size};
	fx_ext4_sb sb;
	if (size < 2048 || fx_ext4_sb_parse(data + 1024, 1024, 0, &sb))
		return 0;
	static uint8_t ino[FX_EXT4_INODE_MAX];
	uint32_t last = sb.inodes < 64 ? sb.inodes : 64;
	for (uint32_t i = 1; i <= last; i++)
		if (fx_ext4_inode_read(&sb, fx_mem_read, &m, i, ino) == SG_OK)
			one_inode(&sb, &m, ino);
	/* the orphan file's blocks, and every block as one of them */
	uint32_t *inos = malloc(sb.block_size);
	for (uint64_t off = 0; inos && off + sb.block_size <= size && off < 64ull * sb.block_size;
	     off += sb.block_size) {
		size_t n = 0;
		(void)fx_ext4_orphan_block(&sb, data + off, inos, &n);
		for (size_t i = 0; i < n; i++)
			if (!inos[i] || inos[i] > sb.inodes || n > sb.block_size / 4 - 2)
				abort();
	}
	free(inos);
	if (sb.orphan_file && fx_ext4_inode_read(&sb, fx_mem_read, &m, sb.orphan_file, ino) == SG_OK)
		one_inode(&sb, &m, ino);
	/* the first bytes as an inode of this file system, whatever they are */
	if (size >= sb.inode_size)
		one_inode(&sb, &m, data);
	return 0;
}
