/* verdict.h — filling an sg_verdict (internal). */
#ifndef SSRFGUARD_LIB_GUARD_VERDICT_H
#define SSRFGUARD_LIB_GUARD_VERDICT_H

#include "ssrfguard/guard.h"

/* Everything empty, SG_BLOCK / SG_CAT_MALFORMED: what a caller sees if we stop early. */
void sg_verdict_reset(sg_verdict *out);

/* Set a block with a static rule and reason (scheme/host/port untouched). */
void sg_verdict_block(sg_verdict *out, sg_category cat, const char *rule, const char *reason);

#endif
