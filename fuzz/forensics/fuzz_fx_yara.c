/* fuzz_fx_yara.c — what an examination reads from the evidence into YARA:
 * file contents scanned with the shipped ruleset (our match callback,
 * escaping and JSON of the matched bytes; the content is the attacker's).
 * The first byte splits the input: the rest is a file's content and a rule
 * file whose compile error yscan_error_line() places (the first byte picks
 * the line libyara noticed it at and the message). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "forensics/examine.h"
#include "forensics/fx.h"
#include "forensics/yscan.h"

#ifndef SSRFGUARD_SOURCE_ROOT
#define SSRFGUARD_SOURCE_ROOT "."
#endif

static yscan *rules(void)
{
	static yscan *y;
	if (!y) {
		char err[1024] = "";
		const char *dir[1] = {SSRFGUARD_SOURCE_ROOT "/rules/yara"};
		if (yscan_load(dir, 1, 5, &y, err, sizeof err))
			abort(); /* the shipped rules must compile */
	}
	return y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	static const char *const names[] = {"/var/www/html/x.php", "/tmp/.x.sh", "/opt/a.jsp",
	                                    "/etc/cron.d/job", "/root/config.json", "/x.aspx"};
	const char *path = names[data[0] % (sizeof names / sizeof names[0])];
	yscan_result res;
	char err[256];
	json_t *m = yscan_mem(rules(), data + 1, size - 1, path, strlen(path), &res, err, sizeof err);
	if (!m)
		__builtin_trap();
	/* every matched string is valid UTF-8 without control bytes (escaped) */
	char *text = json_dumps(m, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		__builtin_trap();
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20)
			__builtin_trap();
	free(text);
	json_decref(m);
	static const char *const msgs[] = {"undefined string \"$a\"", "unreferenced string \"$\"",
	                                   "type mismatch", "syntax error", "duplicated identifier \"r\"",
	                                   "\"", "\"\"", "undefined identifier \"rule\""};
	char *rules_text = fx_memdup(data + 1, size - 1);
	if (!rules_text)
		return 0;
	int line = yscan_error_line(rules_text, data[0] >> 3 ? data[0] >> 3 : -1, msgs[data[0] & 7]);
	if (line > 32 || line < -1)
		__builtin_trap(); /* never after the line noticed */
	free(rules_text);
	return 0;
}
