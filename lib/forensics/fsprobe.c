/* fsprobe.c — file-system recognition and journal state (see fsprobe.h). */
#include "forensics/fsprobe.h"

#include <stdio.h>
#include <string.h>

#include "forensics/bytes.h"
#include "forensics/escape.h"

const char *fx_journal_name(fx_journal j)
{
	switch (j) {
	case FX_J_NONE: return "none";
	case FX_J_CLEAN: return "clean";
	case FX_J_DIRTY: return "dirty";
	default: return "unknown";
	}
}

static void set_label(fx_fsprobe_result *out, const uint8_t *p, size_t max)
{
	size_t n = 0;
	while (n < max && p[n])
		n++;
	while (n > 0 && p[n - 1] == ' ')
		n--;
	sg_buf b = {0};
	if (fx_escape(&b, (const char *)p, n) == SG_OK && b.p && b.len < sizeof out->label) {
		memcpy(out->label, b.p, b.len + 1);
	}
	sg_buf_free(&b);
}

static void add_feature(fx_fsprobe_result *out, const char *f)
{
	size_t len = strlen(out->features);
	snprintf(out->features + len, sizeof out->features - len, "%s%s", len ? "," : "", f);
}

void fx_fsprobe(const uint8_t *buf, size_t len, fx_fsprobe_result *out)
{
	memset(out, 0, sizeof *out);
	if (len >= 1024 + 256 && fx_le16(buf + 1024 + 0x38) == 0xef53) {
		const uint8_t *sb = buf + 1024;
		uint32_t compat = fx_le32(sb + 0x5c), incompat = fx_le32(sb + 0x60),
		         ro_compat = fx_le32(sb + 0x64);
		out->kind = FX_FS_EXT;
		int journal = (compat & 0x4) != 0;
		const char *name = (incompat & (0x40 | 0x80 | 0x200)) ? "ext4" : journal ? "ext3" : "ext2";
		snprintf(out->name, sizeof out->name, "%s", name);
		out->journal = !journal ? FX_J_NONE : (incompat & 0x4) ? FX_J_DIRTY : FX_J_CLEAN;
		if (incompat & 0x80)
			add_feature(out, "64bit");
		if (ro_compat & 0x400)
			add_feature(out, "metadata_csum");
		if (incompat & 0x40)
			add_feature(out, "extents");
		if (incompat & 0x8000)
			add_feature(out, "inline_data");
		if (incompat & 0x10000)
			add_feature(out, "encrypt");
		if (incompat & 0x20000)
			add_feature(out, "casefold");
		if (fx_le16(sb + 0x3a) & 2)
			add_feature(out, "errors");
		set_label(out, sb + 0x78, 16);
		return;
	}
	if (len >= 512 && !memcmp(buf, "XFSB", 4)) {
		out->kind = FX_FS_XFS;
		snprintf(out->name, sizeof out->name, "xfs");
		out->journal = FX_J_UNKNOWN;
		unsigned version = (unsigned)(buf[100] << 8 | buf[101]) & 0xf;
		snprintf(out->features, sizeof out->features, "v%u", version);
		set_label(out, buf + 108, 12);
		return;
	}
	if (len >= 512 && !memcmp(buf + 3, "NTFS    ", 8)) {
		out->kind = FX_FS_NTFS;
		snprintf(out->name, sizeof out->name, "ntfs");
		out->journal = FX_J_UNKNOWN;
		return;
	}
	if (len >= 512 && buf[510] == 0x55 && buf[511] == 0xaa && (buf[0] == 0xeb || buf[0] == 0xe9)) {
		uint16_t bps = fx_le16(buf + 11);
		if ((bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && buf[13] &&
		    (!memcmp(buf + 54, "FAT", 3) || !memcmp(buf + 82, "FAT32", 5))) {
			out->kind = FX_FS_FAT;
			snprintf(out->name, sizeof out->name, "vfat");
			out->journal = FX_J_NONE;
			set_label(out, !memcmp(buf + 82, "FAT32", 5) ? buf + 71 : buf + 43, 11);
			return;
		}
	}
	if (len >= 4096 && !memcmp(buf + 4086, "SWAPSPACE2", 10)) {
		out->kind = FX_FS_SWAP;
		snprintf(out->name, sizeof out->name, "swap");
		return;
	}
	if (len >= 1024 && !memcmp(buf + 512, "LABELONE", 8)) {
		out->kind = FX_FS_LVM;
		snprintf(out->name, sizeof out->name, "lvm2");
		return;
	}
}

sg_err fx_volid_normalise(const char *s, size_t len, char *out, size_t outlen)
{
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == 0))
		len--;
	while (len && s[0] == ' ') {
		s++;
		len--;
	}
	if (len < 4 || memcmp(s, "vol", 3))
		return SG_ERR_PARSE;
	size_t i = 3;
	if (s[i] == '-')
		i++;
	size_t digits = len - i;
	if (digits != 8 && digits != 17)
		return SG_ERR_PARSE;
	for (size_t k = i; k < len; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
			return SG_ERR_PARSE;
	if (outlen < 4 + digits + 1)
		return SG_ERR_RANGE;
	memcpy(out, "vol-", 4);
	memcpy(out + 4, s + i, digits);
	out[4 + digits] = 0;
	return SG_OK;
}
