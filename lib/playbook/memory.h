/*
 * memory.h — memory acquisition over SSM: the command the instance runs and
 * the report it prints (pure).
 *
 * The command (docs/respond.md, "Memory"): AVML
 * (https://github.com/microsoft/avml) writes a compressed LiME image of the
 * instance's memory to a scratch file (after the snapshots, so the
 * preserved disks are untouched), the instance prints the image's SHA-256
 * and size as two lines
 *     ssrfguard-memory-sha256 <64 hex digits>
 *     ssrfguard-memory-bytes <decimal>
 * and the AWS CLI uploads it to s3://BUCKET/KEY with the instance
 * profile's (the quarantine role's) credentials; the scratch file is
 * removed whatever happens.  The responder hashes the object itself and
 * compares.
 */
#ifndef SSRFGUARD_PLAYBOOK_MEMORY_H
#define SSRFGUARD_PLAYBOOK_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "ssrfguard/error.h"

#define PB_MEMORY_LINES 8

/* The command's lines into lines[PB_MEMORY_LINES] (static text and the
 * given buffer, which must hold 2048 bytes): bucket and key are checked
 * names (aws_s3_bucket_ok / aws_s3_key_ok) and need no quoting.  Returns
 * the number of lines, 0 when they do not fit. */
size_t pb_memory_command(const char *bucket, const char *key, char buf[2048],
                         const char *lines[PB_MEMORY_LINES]);

/* The image's SHA-256 (lower-case hex) and size from the command's output
 * (at most len bytes; the last well-formed line of each kind counts).
 * SG_ERR_PARSE when either is missing or malformed. */
sg_err pb_memory_report(const char *out, size_t len, char hex[65], uint64_t *bytes);

#endif
