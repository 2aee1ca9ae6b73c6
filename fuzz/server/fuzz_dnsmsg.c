/* fuzz_dnsmsg.c — DNS replies from a nameserver the attacker may control.
 * The first two bytes choose the query type; the rest is the reply.  Checks
 * the parser's promises, not just "no crash". */
#include <stdint.h>
#include <string.h>

#include "server/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dnsmsg_reply r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint16_t qtype = data[0] & 1 ? DNSMSG_TYPE_AAAA : DNSMSG_TYPE_A;
	const uint8_t *m = data + 2;
	size_t len = size - 2;
	uint16_t id = len >= 2 ? (uint16_t)((m[0] << 8) | m[1]) : 0;
	if (dnsmsg_reply_parse(m, len, id, qtype, &r) == SG_OK) {
		if (r.n > r.count || r.n > DNSMSG_ADDRS_MAX || r.count > DNSMSG_RR_MAX)
			__builtin_trap();
		if (r.n < r.count && r.n != DNSMSG_ADDRS_MAX)
			__builtin_trap(); /* kept all it could */
	}
	/* a query we build is read back as a well-formed message header */
	uint8_t q[512];
	char name[64];
	size_t nl = len < sizeof name - 1 ? len : sizeof name - 1;
	memcpy(name, m, nl);
	name[nl] = '\0';
	size_t ql = dnsmsg_query(q, sizeof q, 7, name, qtype);
	if (ql && (ql < 12 + 4 + 11 || ql > sizeof q || q[0] != 0 || q[1] != 7))
		__builtin_trap();
	return 0;
}
