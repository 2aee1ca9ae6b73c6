/* fuzz_spool.c — the spool of unsettled DynamoDB transactions
 * (src/store/dynamo_spool.c) read back at open: a file on the local disk
 * that a crash may cut and anyone with access to the directory may edit,
 * holding attempts' evidence (attacker text).  Input: the whole file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/dynamo_int.h"

static sg_err check(void *ctx, dd_unsettled *u)
{
	size_t *total = ctx;
	if (!u || !u->n || u->n > 100 || strlen(u->token) != 36 || !json_is_array(u->acts))
		abort();
	for (size_t i = 0; i < u->n; i++)
		if (!u->a[i].client || !u->a[i].client[0] || !u->keys[i] ||
		    u->plan[i].incident_id <= 0)
			abort();
	*total += u->n;
	if (*total > DD_UNSETTLED_MAX)
		abort();
	dd_unsettled_drop(u);
	return SG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[256];
	size_t total = 0;
	memset(msg, 'x', sizeof msg);
	sg_err rc = dd_spool_parse((const char *)data, size, "ssrfguard-state", check, &total, msg,
	                           sizeof msg);
	if (!memchr(msg, '\0', sizeof msg))
		abort();   /* always a message, NUL-terminated */
	if (rc != SG_OK && rc != SG_ERR_PARSE && rc != SG_ERR_RANGE && rc != SG_ERR_UNSUPPORTED)
		abort();
	return 0;
}
