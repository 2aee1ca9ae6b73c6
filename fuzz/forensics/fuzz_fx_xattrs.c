/* fuzz_fx_xattrs.c — an NTFS $EA attribute from an untrusted image, read
 * into attributes and written as the manifest's text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/xattrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max = size / 10 + 1, n = 0;
	fx_xattr *v = malloc(max * sizeof *v);
	char *names = malloc(max * (3 + 255));
	if (v && names && fx_ntfs_ea_parse(data, size, v, max, &n, names) == SG_OK) {
		for (size_t i = 0; i < n; i++) /* what the walker relies on: inside the input */
			if (v[i].value < data || v[i].size > size ||
			    v[i].value + v[i].size > data + size || v[i].name_len > 3 + 255)
				abort();
		sg_buf text = {0};
		if (fx_xattrs_text(&text, v, n) == SG_OK && n && !text.len)
			abort();
		sg_buf_free(&text);
	}
	free(names);
	free(v);
	return 0;
}
