/* memcap.c — RLIMIT_DATA ceiling for an examination (see memcap.h). */
#include "forensics/memcap.h"

#include <sys/resource.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define MEMCAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMCAP_ASAN 1
#endif
#endif

uint64_t memcap_default(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t half = pages > 0 && psz > 0 ? (uint64_t)pages / 2 * (uint64_t)psz : 0;
	return half > (1ull << 30) ? half : 1ull << 30;
}

sg_err memcap_set(uint64_t bytes)
{
#ifdef MEMCAP_ASAN
	(void)bytes;
	return SG_ERR_UNSUPPORTED;
#else
	struct rlimit r;
	if (getrlimit(RLIMIT_DATA, &r) != 0)
		return SG_ERR_IO;
	rlim_t want = bytes > (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)bytes;
	if (r.rlim_max != RLIM_INFINITY && want > r.rlim_max)
		want = r.rlim_max; /* never above what we were given */
	r.rlim_cur = want;
	return setrlimit(RLIMIT_DATA, &r) == 0 ? SG_OK : SG_ERR_IO;
#endif
}
