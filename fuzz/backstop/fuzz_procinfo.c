/*
 * fuzz_procinfo.c — what the kernel says about a logged packet's owner
 * (backstop/procinfo.h), on arbitrary bytes: the input as a sock_diag
 * reply of both kinds, as /proc/PID/cmdline, as /proc/PID/cgroup (then
 * its unit) and as lines of /proc/net/netfilter/nfnetlink_log.  No read
 * past the input, every result NUL-terminated inside its buffer.
 */
#include <linux/sock_diag.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backstop/procinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariant(int ok)
{
	if (!ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)bs_diag_reply(data, size, SOCK_DIAG_BY_FAMILY);
	invariant(bs_diag_reply(data, size, SOCK_DESTROY) <= 1);

	/* what owner.c hands over: at most cap-1 bytes read */
	char cmd[64];
	size_t n = size < sizeof cmd - 1 ? size : sizeof cmd - 1;
	memcpy(cmd, data, n);
	size_t len = bs_proc_cmdline(cmd, n, sizeof cmd);
	invariant(len <= n && cmd[len] == '\0' && strlen(cmd) == len);

	char *text = malloc(size ? size : 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	char cg[48], unit[16];
	bs_proc_cgroup(text, size, cg, sizeof cg);
	invariant(memchr(cg, 0, sizeof cg) != NULL && !strchr(cg, '\n'));
	bs_owner_unit(cg, unit, sizeof unit);
	invariant(memchr(unit, 0, sizeof unit) != NULL && !strchr(unit, '/'));

	/* nfnetlink_log as reader.c reads it: NUL-terminated lines */
	char *z = malloc(size + 1);
	if (!z)
		abort();
	memcpy(z, data, size);
	z[size] = '\0';
	for (char *line = z; line && *line;) {
		char *nl = strchr(line, '\n');
		(void)bs_nflog_line_binds(line, 7);
		line = nl ? nl + 1 : NULL;
	}
	free(z);
	free(text);
	return 0;
}
