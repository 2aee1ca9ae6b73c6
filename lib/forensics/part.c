/* part.c — MBR and GPT parsing (see part.h). */
#include "forensics/part.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/bytes.h"
#include "forensics/escape.h"

#define GPT_ENTRIES_MAX (1u << 20)
#define EBR_MAX 64

const char *fx_pt_scheme_name(fx_pt_scheme s)
{
	return s == FX_PT_MBR ? "mbr" : s == FX_PT_GPT ? "gpt" : "none";
}

uint32_t fx_crc32(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void warn(fx_part_table *t, const char *msg)
{
	if (!t->warn[0])
		snprintf(t->warn, sizeof t->warn, "%s", msg);
}

static const struct {
	const char *guid;
	const char *name;
} gpt_types[] = {
	{"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"},
	{"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"},
	{"21686148-6449-6E6F-744E-656564454649", "BIOS boot"},
	{"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Microsoft basic data"},
	{"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "Linux swap"},
	{"E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"},
	{"4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "Linux root (x86-64)"},
	{"BC13C2FF-59E6-4262-A352-B275FD6F7172", "Linux extended boot"},
};

static void guid_text(const uint8_t *g, char out[40])
{
	snprintf(out, 40, "%08" PRIX32 "-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", fx_le32(g),
	         (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10],
	         g[11], g[12], g[13], g[14], g[15]);
}

static sg_err push(fx_part_table *t, unsigned num, uint64_t start, uint64_t len,
                   uint64_t dev_size)
{
	if (t->n == FX_PART_MAX) {
		warn(t, "too many partitions; the rest ignored");
		return SG_OK;
	}
	if (start >= dev_size) {
		warn(t, "a partition starts beyond the end of the device; ignored");
		return SG_OK;
	}
	if (len > dev_size - start) {
		warn(t, "a partition reaches beyond the end of the device; truncated");
		len = dev_size - start;
	}
	fx_part *p = &t->v[t->n++];
	memset(p, 0, sizeof *p);
	p->num = num;
	p->start = start;
	p->length = len;
	return SG_OK;
}

/* Name from UTF-16LE (BMP and surrogate pairs) into escaped UTF-8. */
static void gpt_name(const uint8_t *u, char *out, size_t cap)
{
	char raw[160];
	size_t o = 0;
	for (size_t i = 0; i + 1 < 72; i += 2) {
		uint32_t c = (uint32_t)(u[i] | u[i + 1] << 8);
		if (!c)
			break;
		if (c >= 0xd800 && c <= 0xdbff && i + 3 < 72) {
			uint32_t lo = (uint32_t)(u[i + 2] | u[i + 3] << 8);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 2;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		if (o + 4 >= sizeof raw)
			break;
		if (c < 0x80) {
			raw[o++] = (char)c;
		} else if (c < 0x800) {
			raw[o++] = (char)(0xc0 | c >> 6);
			raw[o++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			raw[o++] = (char)(0xe0 | c >> 12);
			raw[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			raw[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			raw[o++] = (char)(0xf0 | c >> 18);
			raw[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			raw[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			raw[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	sg_buf b = {0};
	out[0] = 0;
	/* 36 UTF-16 units escape to at most 144 bytes: always fits */
	if (fx_escape(&b, raw, o) == SG_OK && b.p && b.len < cap) {
		memcpy(out, b.p, b.len);
		out[b.len] = 0;
	}
	sg_buf_free(&b);
}

/* Read and check the GPT header at lba; fill t on success. */
static sg_err gpt_at(fx_read_fn rd, void *ctx, uint64_t dev_size, unsigned ss, uint64_t lba,
                     fx_part_table *t)
{
	uint8_t hdr[4096];
	sg_err err = rd(ctx, lba * ss, hdr, ss);
	if (err)
		return err;
	if (memcmp(hdr, "EFI PART", 8))
		return SG_ERR_NOTFOUND;
	uint32_t hsize = fx_le32(hdr + 12);
	if (hsize < 92 || hsize > ss)
		return SG_ERR_CORRUPT;
	uint32_t crc = fx_le32(hdr + 16);
	memset(hdr + 16, 0, 4);
	if (fx_crc32(hdr, hsize) != crc)
		return SG_ERR_CORRUPT;
	if (fx_le64(hdr + 24) != lba)
		return SG_ERR_CORRUPT;
	uint64_t ent_lba = fx_le64(hdr + 72);
	uint32_t nent = fx_le32(hdr + 80), esize = fx_le32(hdr + 84), ecrc = fx_le32(hdr + 88);
	if (esize < 128 || esize > 4096 || esize % 8 || nent == 0 ||
	    (uint64_t)nent * esize > GPT_ENTRIES_MAX)
		return SG_ERR_CORRUPT;
	size_t alen = (size_t)nent * esize;
	if (ent_lba > dev_size / ss || alen > dev_size - ent_lba * ss)
		return SG_ERR_CORRUPT;
	uint8_t *ents = malloc(alen);
	if (!ents)
		return SG_ERR_NOMEM;
	err = rd(ctx, ent_lba * ss, ents, alen);
	if (!err && fx_crc32(ents, alen) != ecrc)
		err = SG_ERR_CORRUPT;
	static const uint8_t zero[16];
	t->n = 0;
	for (uint32_t i = 0; !err && i < nent; i++) {
		const uint8_t *e = ents + (size_t)i * esize;
		if (!memcmp(e, zero, 16))
			continue;
		uint64_t first = fx_le64(e + 32), last = fx_le64(e + 40);
		if (last < first || first > UINT64_MAX / ss || last >= UINT64_MAX / ss) {
			warn(t, "a GPT entry has an impossible extent; ignored");
			continue;
		}
		size_t before = t->n;
		push(t, i + 1, first * ss, (last - first + 1) * ss, dev_size);
		if (t->n == before)
			continue;
		fx_part *p = &t->v[t->n - 1];
		guid_text(e, p->type);
		for (size_t k = 0; k < sizeof gpt_types / sizeof gpt_types[0]; k++)
			if (!strcmp(p->type, gpt_types[k].guid))
				p->type_name = gpt_types[k].name;
		gpt_name(e + 56, p->name, sizeof p->name);
	}
	free(ents);
	if (!err) {
		t->scheme = FX_PT_GPT;
		t->sector = ss;
	}
	return err;
}

static int mbr_entry_sane(const uint8_t *e, uint64_t dev_sectors)
{
	uint32_t start = fx_le32(e + 8), len = fx_le32(e + 12);
	if (e[4] == 0)
		return 1; /* empty slot */
	return (e[0] == 0 || e[0] == 0x80) && len != 0 && start != 0 &&
	       (uint64_t)start < dev_sectors;
}

static int is_extended(uint8_t type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static sg_err mbr_walk_ebr(fx_read_fn rd, void *ctx, uint64_t dev_size, uint64_t ext_start,
                           fx_part_table *t)
{
	uint8_t s[512];
	uint64_t cur = ext_start;
	unsigned num = 5;
	for (int hop = 0; hop < EBR_MAX; hop++) {
		if (cur >= dev_size / 512)
			return warn(t, "an extended partition link points past the end"), SG_OK;
		sg_err err = rd(ctx, cur * 512, s, 512);
		if (err)
			return err;
		if (s[510] != 0x55 || s[511] != 0xaa)
			return warn(t, "an extended boot record lacks its signature"), SG_OK;
		const uint8_t *e1 = s + 446, *e2 = s + 462;
		if (e1[4] && fx_le32(e1 + 12)) {
			size_t before = t->n;
			push(t, num++, (cur + fx_le32(e1 + 8)) * 512, (uint64_t)fx_le32(e1 + 12) * 512,
			     dev_size);
			if (t->n > before)
				snprintf(t->v[t->n - 1].type, sizeof t->v[0].type, "0x%02x", e1[4]);
		}
		if (!e2[4] || !is_extended(e2[4]) || !fx_le32(e2 + 8))
			return SG_OK;
		uint64_t next = ext_start + fx_le32(e2 + 8);
		if (next <= cur)
			return warn(t, "the extended partition chain loops"), SG_OK;
		cur = next;
	}
	warn(t, "the extended partition chain is too long; truncated");
	return SG_OK;
}

sg_err fx_part_read(fx_read_fn rd, void *ctx, uint64_t dev_size, fx_part_table *out)
{
	memset(out, 0, sizeof *out);
	out->sector = 512;
	if (dev_size < 512)
		return SG_OK;
	uint8_t s0[512];
	sg_err err = rd(ctx, 0, s0, 512);
	if (err)
		return err;
	if (s0[510] != 0x55 || s0[511] != 0xaa)
		return SG_OK;
	uint64_t sectors = dev_size / 512;
	int protective = 0, sane = 1, any = 0;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = s0 + 446 + 16 * i;
		if (e[4] == 0xee)
			protective = 1;
		if (!mbr_entry_sane(e, sectors))
			sane = 0;
		if (e[4])
			any = 1;
	}
	if (protective) {
		unsigned sizes[2] = {512, 4096};
		sg_err last = SG_ERR_CORRUPT;
		for (int k = 0; k < 2; k++) {
			unsigned ss = sizes[k];
			if (dev_size < 2ull * ss)
				continue;
			last = gpt_at(rd, ctx, dev_size, ss, 1, out);
			if (last == SG_OK)
				return SG_OK;
			if (last == SG_ERR_NOMEM)
				return last;
			if (last == SG_ERR_CORRUPT) {
				/* the backup header lives in the last LBA */
				sg_err b = gpt_at(rd, ctx, dev_size, ss, dev_size / ss - 1, out);
				if (b == SG_OK) {
					warn(out, "primary GPT header is corrupt; used the backup");
					return SG_OK;
				}
			}
		}
		memset(out, 0, sizeof *out);
		out->sector = 512;
		snprintf(out->warn, sizeof out->warn,
		         "protective MBR but no valid GPT header (primary or backup)");
		return last == SG_ERR_NOTFOUND ? SG_ERR_CORRUPT : last == SG_OK ? SG_ERR_CORRUPT : last;
	}
	/* a file system's own boot sector also ends in 55 aa: no sane entries
	   means no table */
	if (!sane || !any)
		return SG_OK;
	out->scheme = FX_PT_MBR;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = s0 + 446 + 16 * i;
		if (!e[4])
			continue;
		uint64_t start = fx_le32(e + 8), len = fx_le32(e + 12);
		if (is_extended(e[4])) {
			if ((err = mbr_walk_ebr(rd, ctx, dev_size, start, out)))
				return err;
			continue;
		}
		size_t before = out->n;
		push(out, (unsigned)i + 1, start * 512, len * 512, dev_size);
		if (out->n > before)
			snprintf(out->v[out->n - 1].type, sizeof out->v[0].type, "0x%02x", e[4]);
	}
	return SG_OK;
}

sg_err fx_mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const fx_mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return SG_ERR_RANGE;
	memcpy(buf, m->p + off, len);
	return SG_OK;
}
