/*
 * walkdev.h — walk every file system of one evidence device.
 *
 * walkdev_run() reads the partition table through ev, walks each file
 * system (libtsk on the raw device, XFS through a read-only loop mount;
 * only partition N when partition != 0) into out, sorted by path, and
 * records in evj "partition_table" and "filesystems".  Each file system's
 * "status" is one of
 *   complete     walked with no walk error, no hash error, and entries found;
 *   incomplete   walked, but "incomplete" lists why it is not the whole
 *                truth (walk errors, files not hashed, an empty walk);
 *   failed       could not be walked ("error" says why);
 *   not walked   not a file system (swap, LVM, an empty BIOS boot partition).
 * tally counts them.  Errors (no such partition, unreadable device, OOM)
 * are returned with err set; damage inside a file system is not an error.
 *
 * exam_say(), exam_jset() and exam_jtext() are the examination's shared
 * helpers: a line "forensics: …" on stderr; json_object_set_new that, when
 * the value is NULL (jansson refused it), says so on stderr and puts a
 * visible "(lost: …)" in its place; and a JSON string of any bytes, made
 * printable text (common/escape.h) when it is not already (NULL: OOM).
 */
#ifndef SSRFGUARD_FORENSICS_WALKDEV_H
#define SSRFGUARD_FORENSICS_WALKDEV_H

#include <jansson.h>

#include "forensics/evidence.h"
#include "forensics/fx.h"
#include "forensics/progress.h"

typedef struct walkdev_tally {
	unsigned walked, incomplete, failed;
	uint64_t entries;
} walkdev_tally;

/* pc (may be NULL): progress counters the walk adds to.  feed (may be
 * NULL): the running acquisition's buffers, which the libtsk walks hash
 * file contents from (dfeed.h). */
struct dfeed;
sg_err walkdev_run(const evid *ev, int partition, unsigned workers, struct dfeed *feed,
                   progress_counters *pc, fx_list *out, json_t *evj, walkdev_tally *tally,
                   char *err, size_t errlen);

void exam_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int exam_jset(json_t *o, const char *k, json_t *v);
json_t *exam_jtext(const char *s);

#endif
