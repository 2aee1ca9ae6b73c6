/* xattrs.c — extended attributes as text; NTFS $EA entries (see xattrs.h). */
#include "forensics/xattrs.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/bytes.h"
#include "forensics/escape.h"

static int cmp_xattr(const void *a, const void *b)
{
	const fx_xattr *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);
	return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

sg_err fx_xattrs_text(sg_buf *out, fx_xattr *v, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	if (n > 1)
		qsort(v, n, sizeof *v, cmp_xattr);
	sg_err rc = SG_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		if (i)
			rc = sg_buf_append(out, "|", 1);
		if (!rc)
			rc = fx_escape(out, v[i].name, v[i].name_len);
		if (!rc && !v[i].value)
			rc = sg_buf_printf(out, "=@inode:%" PRIu64, v[i].value_inode);
		else if (!rc)
			rc = sg_buf_append(out, "=", 1);
		for (size_t k = 0; v[i].value && k < v[i].size && !rc; k++) {
			char hex[2] = {digits[v[i].value[k] >> 4], digits[v[i].value[k] & 15]};
			rc = sg_buf_append(out, hex, 2);
		}
	}
	return rc;
}

sg_err fx_ntfs_ea_parse(const uint8_t *p, size_t len, fx_xattr *v, size_t max, size_t *n,
                        char *names)
{
	size_t off = 0;
	*n = 0;
	while (off < len) {
		if (len - off < 8 || *n >= max)
			return SG_ERR_CORRUPT;
		const uint8_t *e = p + off;
		size_t next = fx_le32(e), nlen = e[5], vlen = (size_t)e[6] | (size_t)e[7] << 8;
		size_t need = 8 + nlen + 1 + vlen;
		if (!nlen || need > len - off || (next && next < need))
			return SG_ERR_CORRUPT;
		char *name = names + *n * (3 + 255);
		memcpy(name, "ea.", 3);
		memcpy(name + 3, e + 8, nlen);
		v[*n] = (fx_xattr){name, 3 + nlen, e + 8 + nlen + 1, vlen, 0};
		(*n)++;
		if (!next)
			break;
		if (next > len - off)
			return SG_ERR_CORRUPT;
		off += next;
	}
	return SG_OK;
}
