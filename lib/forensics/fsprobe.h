/*
 * fsprobe.h — recognise a file system from its first bytes, and read what
 * its superblock says about the journal.
 *
 * fx_fsprobe() looks at buf (the first len bytes of a partition or device;
 * 64 KiB is plenty) and fills out.  Unknown content is not an error
 * (kind FX_FS_UNKNOWN).  ext2/3/4: the journal is dirty when the
 * needs_recovery (RECOVER) incompat flag is set, i.e. the file system was
 * not cleanly unmounted and the journal holds writes not yet in place.
 * XFS: the superblock cannot say; the caller asks the kernel (journal
 * FX_J_UNKNOWN here).
 */
#ifndef SSRFGUARD_FX_FSPROBE_H
#define SSRFGUARD_FX_FSPROBE_H

#include "forensics/fx.h"

typedef enum fx_fs_kind {
	FX_FS_UNKNOWN = 0,
	FX_FS_EXT,
	FX_FS_XFS,
	FX_FS_FAT,
	FX_FS_NTFS,
	FX_FS_SWAP,
	FX_FS_LVM,
} fx_fs_kind;

typedef enum fx_journal {
	FX_J_UNKNOWN = 0,
	FX_J_NONE,   /* the file system has no journal (ext2, FAT) */
	FX_J_CLEAN,
	FX_J_DIRTY,
} fx_journal;

typedef struct fx_fsprobe_result {
	fx_fs_kind kind;
	char name[16];    /* "ext2" "ext3" "ext4" "xfs" "vfat" "ntfs" "swap" "lvm2" "" */
	fx_journal journal;
	char label[64];   /* escaped volume label, or "" */
	char features[96];/* notable feature flags, e.g. "64bit,metadata_csum" */
} fx_fsprobe_result;

void fx_fsprobe(const uint8_t *buf, size_t len, fx_fsprobe_result *out);

/* "unknown" "none" "clean" "dirty"; static. */
const char *fx_journal_name(fx_journal j);

/*
 * Nitro NVMe serial ("vol0123456789abcdef0", maybe space-padded) to a
 * volume id ("vol-0123456789abcdef0") in out (>= 32 bytes).  Also accepts
 * an id that already has the dash.  SG_ERR_PARSE if it is not one.
 */
sg_err fx_volid_normalise(const char *s, size_t len, char *out, size_t outlen);

#endif
