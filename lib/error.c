/* error.c — phrases for sg_err. */
#include "ssrfguard/error.h"

static const char *const phrases[SG_ERR__COUNT] = {
	[SG_OK] = "success",
	[SG_ERR_NOMEM] = "out of memory",
	[SG_ERR_INVAL] = "invalid argument",
	[SG_ERR_PARSE] = "malformed input",
	[SG_ERR_RANGE] = "value or size out of range",
	[SG_ERR_IO] = "input/output error",
	[SG_ERR_NOTFOUND] = "not found",
	[SG_ERR_EXISTS] = "already exists",
	[SG_ERR_TIMEOUT] = "timed out",
	[SG_ERR_NETWORK] = "network error",
	[SG_ERR_PROTOCOL] = "protocol error",
	[SG_ERR_AUTH] = "authentication failed",
	[SG_ERR_REMOTE] = "remote service error",
	[SG_ERR_THROTTLED] = "throttled",
	[SG_ERR_BUSY] = "resource busy",
	[SG_ERR_STATE] = "invalid state for this operation",
	[SG_ERR_UNSUPPORTED] = "unsupported",
	[SG_ERR_CORRUPT] = "data corrupt",
};

const char *sg_strerror(sg_err err)
{
	if ((unsigned)err >= SG_ERR__COUNT || phrases[err] == NULL)
		return "unknown error";
	return phrases[err];
}
