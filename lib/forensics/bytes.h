/*
 * bytes.h — integers read from on-disk structures: little-endian (ext4,
 * NTFS, MBR/GPT) and big-endian (XFS), from any alignment.  The caller has
 * checked that the bytes are there.
 */
#ifndef SSRFGUARD_FX_BYTES_H
#define SSRFGUARD_FX_BYTES_H

#include <stdint.h>

static inline uint16_t fx_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t fx_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fx_le64(const uint8_t *p)
{
	return (uint64_t)fx_le32(p) | (uint64_t)fx_le32(p + 4) << 32;
}

static inline uint16_t fx_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fx_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t fx_be64(const uint8_t *p)
{
	return (uint64_t)fx_be32(p) << 32 | fx_be32(p + 4);
}

#endif
