/*
 * fx.h — the forensics room's shared vocabulary: one file-system entry, a
 * list of them, a growable byte buffer, hex and time text.
 *
 * Pure: no files, clocks or globals.  Paths and symlink targets are raw
 * byte strings exactly as the file system stores them (never NUL inside;
 * kept NUL-terminated for convenience); escaping for output is escape.h's
 * job.  An fx_list owns its entries and their strings; fx_list_free(NULL)
 * is a no-op.  Functions returning sg_err leave their outputs unchanged or
 * freeable on error and never abort on OOM.
 */
#ifndef SSRFGUARD_FX_H
#define SSRFGUARD_FX_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hex.h"
#include "ssrfguard/error.h"

#define FX_SHA256_LEN 32
#define FX_SHA256_HEX 65 /* 64 hex digits and a NUL */

typedef enum fx_type {
	FX_T_FILE = 0,
	FX_T_DIR,
	FX_T_LINK,
	FX_T_FIFO,
	FX_T_CHR,
	FX_T_BLK,
	FX_T_SOCK,
	FX_T_OTHER,
	FX_T__COUNT
} fx_type;

/* "file" "dir" "symlink" "fifo" "chr" "blk" "socket" "other"; static. */
const char *fx_type_name(fx_type t);
/* Parse a name given by fx_type_name; SG_ERR_PARSE otherwise. */
sg_err fx_type_parse(const char *s, fx_type *out);

typedef struct fx_time {
	int64_t sec;
	uint32_t nsec; /* < 1e9 */
	uint8_t set;   /* 0: the file system does not record it */
} fx_time;

#define FX_TIME_TEXT 32
/* "SECONDS.NNNNNNNNN" into buf (>= FX_TIME_TEXT); "" when !t->set. */
void fx_time_format(const fx_time *t, char *buf, size_t len);
/* Parse what fx_time_format wrote (len bytes). */
sg_err fx_time_parse(const char *s, size_t len, fx_time *out);
int fx_time_equal(const fx_time *a, const fx_time *b);

typedef struct fx_entry {
	char *path;        /* raw bytes, owned; starts with '/' (or "pN:/") */
	size_t path_len;
	char *target;      /* symlink target, owned, or NULL */
	size_t target_len;
	char *xattrs;      /* extended attributes, owned: "NAME=HEX|NAME=HEX…"
	                      sorted by name (ext4raw.h), "" for none; NULL: not read */
	size_t xattrs_len;
	uint64_t inode;
	uint64_t size;
	uint32_t mode;     /* permission bits only (07777) */
	uint32_t uid, gid, nlink;
	fx_type type;
	int fs;            /* index of the file system on the device */
	uint8_t deleted;   /* a deleted (unallocated) name the walker saw */
	uint8_t has_hash;
	uint8_t has_meta;  /* mode/uid/gid/times known (hashdeep lists: no) */
	uint8_t fs_meta;   /* the file system's own bookkeeping (NTFS $MFT, $LogFile,
	                      $Extend/...): listed and hashed, never diffed */
	uint8_t orphan;    /* deleted too, no name reaches it: an ext or XFS orphan
	                      inode (unlinked while open: content intact) or an NTFS
	                      orphan MFT record; hashed and scanned */
	uint8_t data_kept; /* deleted, but the walk still knows where its data
	                      lies: an ext or XFS orphan inode (not freed), or an NTFS
	                      MFT record still free and still this file's (its
	                      clusters are free: they may hold other data now);
	                      hashed from it, and read by YARA like a live file */
	const char *note;  /* static text: why there is no hash (or how it was
	                      taken), or NULL */
	fx_time mtime, atime, ctime, btime;
	uint8_t sha256[FX_SHA256_LEN];
} fx_entry;

/* Length of a path's "pN:" partition prefix, 0 when it has none. */
size_t fx_part_prefix_len(const char *path, size_t len);

/* Frees the strings an entry owns (not the entry). NULL-safe. */
void fx_entry_clear(fx_entry *e);

typedef struct fx_list {
	fx_entry *v;
	size_t n, cap;
	size_t max; /* refuse to grow beyond this many entries (0: no limit) */
} fx_list;

void fx_list_init(fx_list *l, size_t max);
/* Append a copy of *e, taking ownership of e->path, e->target and
 * e->xattrs (on success only).  SG_ERR_RANGE past l->max, SG_ERR_NOMEM. */
sg_err fx_list_push(fx_list *l, fx_entry *e);
void fx_list_free(fx_list *l);

/* Duplicate len bytes into a fresh NUL-terminated string, or NULL. */
char *fx_memdup(const void *p, size_t len);

/* Growable byte buffer: sg_buf (common/buf.h). */

/* Hex both ways: sg_hex_encode / sg_hex_decode (common/hex.h). */

/* SHA-256 of a buffer (OpenSSL EVP). */
sg_err fx_sha256(const void *p, size_t len, uint8_t out[FX_SHA256_LEN]);

#endif
