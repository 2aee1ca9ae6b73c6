/* evidence.c — the request headers kept as the evidence of a blocked
 * attempt, for /go (server.c) and the egress proxy (proxy_guard.c) alike:
 * a JSON object of the headers of note, forwarding ones first, every value
 * cut on its own ("..." marks a cut), so no header, however long or
 * binary, can push another out or cut the object.  See srv_int.h. */
#include "server/srv_int.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	size_t max;               /* input bytes of its value kept */
} headers_of_note[] = {
	{"X-Forwarded-For", 512}, {"X-Real-IP", 64}, {"Forwarded", 512}, {"Host", 256},
	{"User-Agent", 256}, {"Referer", 256}, {"Origin", 256}, {"Accept", 128},
	{"Content-Type", 128}, {"Via", 128},
};
#define NOTE_N (sizeof headers_of_note / sizeof headers_of_note[0])

/* Worst case of one field: its name and value at 6 output bytes per input
 * byte (\u00XX), quotes, colon, comma and the "..." mark. */
#define HDR_NAME_MAX 16
#define HDR_FIELD_OUT(n) ((HDR_NAME_MAX + (n)) * 6 + 12)
#define ROLE_KEY "ssrfguard_role"

char *srv_headers_json(const char *role, srv_header_fn get, void *ctx)
{
	const char *val[NOTE_N];
	size_t len[NOTE_N];
	size_t cap = 4 + (role ? HDR_FIELD_OUT(64) : 0);
	for (size_t i = 0; i < NOTE_N; i++) {
		len[i] = 0;
		val[i] = get(ctx, headers_of_note[i].name, &len[i]);
		if (val[i])
			cap += HDR_FIELD_OUT(len[i] < headers_of_note[i].max ? len[i]
			                                                      : headers_of_note[i].max);
	}
	/* the usual few hundred bytes on the stack; the worst case on the heap */
	char small[4096];
	char *mem = cap <= sizeof small ? small : malloc(cap);
	tbuf b;
	int first = 1;
	if (!mem)
		return NULL;
	tb_init(&b, mem, cap);
	tb_str(&b, "{");
	if (role) {
		tb_json(&b, ROLE_KEY, strlen(ROLE_KEY), HDR_NAME_MAX);
		tb_str(&b, ":");
		tb_json(&b, role, strlen(role), 64);
		first = 0;
	}
	for (size_t i = 0; i < NOTE_N; i++) {
		const char *name = headers_of_note[i].name;
		if (!val[i])
			continue;
		if (!first)
			tb_str(&b, ",");
		first = 0;
		tb_json(&b, name, strlen(name), HDR_NAME_MAX);
		tb_str(&b, ":");
		tb_json(&b, val[i], len[i], headers_of_note[i].max);
	}
	tb_str(&b, "}");
	char *out = b.trunc ? NULL : malloc(b.len + 1); /* cannot be cut: sized above */
	if (out)
		memcpy(out, b.p, b.len + 1);
	if (mem != small)
		free(mem);
	return out;
}
