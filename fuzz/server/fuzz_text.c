/* fuzz_text.c — the service's handling of attacker bytes: the url=
 * parameter, cleaning, JSON/HTML escaping and Accept.  Checks the escaping
 * invariants, not just "no crash". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/jsonstr.h"
#include "common/utf8.h"
#include "server/query.h"
#include "server/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';

	char *url = NULL;
	size_t n = 0;
	const char *why = NULL;
	if (query_url_param(z, 8192, &url, &n, &why) == 0)
		invariant(url && strlen(url) == n && n > 0 && n <= 8192);
	else
		invariant(!url && why);
	free(url);

	char clean[512];
	size_t cl = sg_text_clean(clean, sizeof clean, s, size);
	invariant(cl < sizeof clean && strlen(clean) == cl && sg_text_printable(clean, cl));
	for (size_t i = 0; i < cl;) {
		size_t k = sg_utf8_len((const unsigned char *)clean + i, cl - i);
		invariant(k > 0 && (unsigned char)clean[i] >= 0x20 && clean[i] != 0x7f);
		i += k;
	}
	char settled[64];
	snprintf(settled, sizeof settled, "%.*s", (int)(size < 63 ? size : 63), s);
	sg_text_settle(settled, sizeof settled);
	invariant(sg_text_printable(settled, strlen(settled)));

	size_t cap = size % 97 + 3;
	char mem[100];
	tbuf b;
	tb_init(&b, mem, cap);
	tb_json(&b, s, size, 64);
	invariant(b.len < cap && b.p[0] == '"' && b.p[b.len - 1] == '"' && b.len >= 2);
	for (size_t i = 1; i + 1 < b.len; i++) {
		unsigned char c = (unsigned char)b.p[i];
		invariant(c >= 0x20 && c != '"');
		if (c == '\\') {
			char e = b.p[++i];
			invariant(i + 1 < b.len && (e == '"' || e == '\\' || e == 'u'));
		}
	}

	/* tb_json (fixed window) and sg_json_string (growable) are one rule */
	char big[64 * 6 + 8];
	tb_init(&b, big, sizeof big);
	tb_json(&b, s, size < 64 ? size : 64, 64);
	sg_buf g = {0};
	invariant(sg_json_string(&g, s, size < 64 ? size : 64) == SG_OK);
	invariant(!b.trunc && g.len == b.len && !memcmp(g.p, b.p, b.len));
	sg_buf_free(&g);

	char ascii[300];
	size_t al = sg_text_clean_ascii(ascii, sizeof ascii, s, size);
	invariant(al < sizeof ascii && strlen(ascii) == al);
	for (size_t i = 0; i < al; i++)
		invariant(ascii[i] >= 0x20 && ascii[i] < 0x7f);

	char html[600];
	tb_init(&b, html, sizeof html);
	tb_html(&b, s, size);
	invariant(!memchr(b.p, '<', b.len) && !memchr(b.p, '>', b.len) &&
	          !memchr(b.p, '"', b.len) && !memchr(b.p, '\'', b.len));

	(void)text_accepts_html(z);
	free(z);
	return 0;
}
