/*
 * part.h — MBR and GPT partition tables, read through a callback.
 *
 * fx_part_read() reads the device through rd (pure: the callback does the
 * I/O) and fills out.  No table (a bare file system, or sector 0 that is a
 * file system's boot sector) is not an error: out->scheme = FX_PT_NONE.
 * GPT: protective MBR, then the primary header at LBA 1 (512- or 4096-byte
 * sectors), header and entry-array CRC32 checked; a bad primary falls back
 * to the backup header at the last LBA (with a warning).  MBR: four primary
 * entries and the extended partition's EBR chain (loops and runaway chains
 * stopped).  Partitions reaching past dev_size are kept, truncated, with a
 * warning.  Everything read is bounded: at most FX_PART_MAX partitions, an
 * entry array of at most 1 MiB.
 */
#ifndef SSRFGUARD_FX_PART_H
#define SSRFGUARD_FX_PART_H

#include "forensics/fx.h"

#define FX_PART_MAX 128

typedef sg_err (*fx_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* A device held in memory (a fuzzer's input, a test's image): fx_mem_read
 * is an fx_read_fn whose ctx is an fx_mem; a read past its end is
 * SG_ERR_RANGE. */
typedef struct fx_mem {
	const uint8_t *p;
	size_t n;
} fx_mem;
sg_err fx_mem_read(void *ctx, uint64_t off, void *buf, size_t len);

typedef enum fx_pt_scheme { FX_PT_NONE = 0, FX_PT_MBR, FX_PT_GPT } fx_pt_scheme;

typedef struct fx_part {
	unsigned num;      /* 1-based, as Linux numbers them (MBR logical: 5+) */
	uint64_t start;    /* byte offset */
	uint64_t length;   /* bytes */
	char type[40];     /* "0x83" (MBR) or the GPT type GUID, upper case */
	const char *type_name; /* "Linux filesystem", "EFI System", ... or NULL */
	char name[160];    /* GPT partition name (escaped UTF-8), "" for MBR */
} fx_part;

typedef struct fx_part_table {
	fx_pt_scheme scheme;
	unsigned sector;   /* logical sector size the table uses */
	size_t n;
	fx_part v[FX_PART_MAX];
	char warn[160];    /* a problem that did not stop reading, or "" */
} fx_part_table;

const char *fx_pt_scheme_name(fx_pt_scheme s); /* "none" "mbr" "gpt" */

/* SG_ERR_CORRUPT: a table is present but unusable (message in out->warn);
   errors of rd are passed on. */
sg_err fx_part_read(fx_read_fn rd, void *ctx, uint64_t dev_size, fx_part_table *out);

/* CRC-32 (IEEE 802.3, as GPT uses it). */
uint32_t fx_crc32(const void *p, size_t len);

#endif
