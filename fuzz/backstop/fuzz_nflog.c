/*
 * fuzz_nflog.c — NFLOG netlink datagrams (bs_nflog_parse) on arbitrary
 * bytes, read the way the reader reads them: message after message until
 * the datagram ends or one is malformed.  No crash, no read past the
 * input, progress on every message, a NUL-terminated prefix.
 */
#include <stdint.h>
#include <string.h>

#include "backstop/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		bs_nflog_packet p;
		size_t used = 0;
		if (bs_nflog_parse(data + off, size - off, &used, &p) != SG_OK)
			break;
		if (used == 0 || used > size - off)
			__builtin_trap();
		if (!memchr(p.prefix, 0, sizeof p.prefix))
			__builtin_trap();
		off += used;
	}
	return 0;
}
