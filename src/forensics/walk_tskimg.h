/*
 * walk_tskimg.h — the evidence as a libtsk image, read through our own
 * read-only descriptor (or, for the fuzz target, a memory buffer): the
 * walker's (walk_tsk.c) and the content reader's (fsread.c) one way in.
 *
 * walk_tsk_img() gives an image of dev_size bytes read from dev_fd with
 * pread (mem != NULL: from memory); close it with tsk_img_close().  Errors:
 * SG_ERR_INVAL (empty or oversized device), SG_ERR_NOMEM, SG_ERR_IO (libtsk
 * refused it), with err set.
 */
#ifndef SSRFGUARD_FORENSICS_WALK_TSKIMG_H
#define SSRFGUARD_FORENSICS_WALK_TSKIMG_H

#include <stddef.h>
#include <stdint.h>

#include <tsk/libtsk.h>

#include "ssrfguard/error.h"

sg_err walk_tsk_img(int dev_fd, const uint8_t *mem, uint64_t dev_size, TSK_IMG_INFO **out,
                    char *err, size_t errlen);

#endif
