/*
 * memcap.h — a ceiling on the examination's memory.
 *
 * A hostile image can make libtsk ask for gigabytes: a fuzzed 40 KB ext4
 * image made one inode lookup calloc 3 GiB, twice (6.3 GB resident).
 * Inside libtsk nothing can refuse that, so the process refuses it:
 * memcap_set() lowers RLIMIT_DATA (heap and private writable mappings) to
 * the ceiling, a failing allocation is an error libtsk reports for that
 * entry, and the report is still written.  The default ceiling,
 * memcap_default(), is half the machine's memory, at least 1 GiB: the
 * forensic instance survives what an image asks for.
 *
 * Not under AddressSanitizer, whose shadow mappings count against the
 * limit (ASAN_OPTIONS=max_allocation_size_mb plays its part there):
 * memcap_set() then returns SG_ERR_UNSUPPORTED and changes nothing.
 */
#ifndef SSRFGUARD_FORENSICS_MEMCAP_H
#define SSRFGUARD_FORENSICS_MEMCAP_H

#include <stdint.h>

#include "ssrfguard/error.h"

uint64_t memcap_default(void);
/* bytes > 0; SG_ERR_IO with errno when the kernel refuses. */
sg_err memcap_set(uint64_t bytes);

#endif
