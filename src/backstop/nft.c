/* nft.c — the backstop's table through libnftables: every change is one
 * buffer handed to nft_run_cmd_from_buffer, which nft commits as one
 * netlink batch (one transaction: all or nothing). */
#include "backstop/backstop.h"

#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

/* nft's "Error: ..." lines, joined by "; " (its context lines quote the
 * buffer's first line whatever failed: left out). */
static void error_lines(const char *msg, char *err, size_t errlen)
{
	size_t len = (size_t)snprintf(err, errlen, "nft:");
	for (const char *line = msg; *line && len < errlen;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n > 7 && !strncmp(line, "Error: ", 7))
			len += (size_t)snprintf(err + len, errlen - len, "%s %.*s", len > 4 ? ";" : "",
			                        (int)(n - 7 > 300 ? 300 : n - 7), line + 7);
		line += n + (nl ? 1 : 0);
	}
	if (len == 4)
		snprintf(err, errlen, "nft: failed without a message");
}

/* Run cmd; on failure copy nft's error text (trimmed) into err. *out gets
 * nft's output (malloc'd) when out is not NULL. */
static sg_err run(const char *cmd, int check, char **out, char *err, size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return SG_ERR_NOMEM;
	sg_err e = SG_OK;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	nft_ctx_set_dry_run(ctx, check != 0);
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
		const char *msg = nft_ctx_get_error_buffer(ctx);
		error_lines(msg ? msg : "", err, errlen);
		e = msg && strstr(msg, "No such file or directory") ? SG_ERR_NOTFOUND : SG_ERR_IO;
	} else if (out) {
		const char *text = nft_ctx_get_output_buffer(ctx);
		*out = strdup(text ? text : "");
		if (!*out)
			e = SG_ERR_NOMEM;
	}
	nft_ctx_free(ctx);
	return e;
}

sg_err bs_nft_apply(const char *script, int check, char *err, size_t errlen)
{
	if (!script)
		return SG_ERR_INVAL;
	sg_err e = run(script, check, NULL, err, errlen);
	return e == SG_ERR_NOTFOUND ? SG_ERR_IO : e; /* a missing cgroup is not "no table" */
}

sg_err bs_nft_remove(char *err, size_t errlen)
{
	return run(BS_REMOVE_CMD, 0, NULL, err, errlen);
}

sg_err bs_nft_list(char **text, char *err, size_t errlen)
{
	*text = NULL;
	return run("list table inet " BS_TABLE "\n", 0, text, err, errlen);
}
