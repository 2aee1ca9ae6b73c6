/* close.c — an incident closed by an operator (incidents close): the case
 * is over, whatever its state; nothing on AWS changes. */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "common/escape.h"
#include "common/utf8.h"

/* 1..RESPOND_CLOSE_REASON_MAX bytes of well-formed UTF-8 without control
 * characters: one line of the history. */
static bool reason_ok(const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;
	if (!n || n > RESPOND_CLOSE_REASON_MAX)
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)reason[i];
		size_t len = sg_utf8_len((const unsigned char *)reason + i, n - i);
		if (!len || c < 0x20 || c == 0x7f)
			return false;
		i += len;
	}
	return true;
}

sg_err respond_close(responder *r, int64_t id, const char *actor, const char *reason, char *msg,
                     size_t msglen)
{
	if (!reason_ok(reason)) {
		snprintf(msg, msglen, "INC-%lld: the reason must be 1 to %d bytes of text on one line",
		         (long long)id, RESPOND_CLOSE_REASON_MAX);
		return SG_ERR_INVAL;
	}
	store *st = NULL;
	store_incident inc = {0};
	sg_err err = respond_store_open(&r->cfg, &rsp_store_opts, &st, msg, msglen);
	if (err)
		return err;
	if ((err = store_get(st, id, &inc))) {
		snprintf(msg, msglen, "INC-%lld: no such incident", (long long)id);
		goto fail;
	}
	if (inc.state == STORE_CLOSED) {
		snprintf(msg, msglen, "INC-%lld is already closed", (long long)id);
		err = SG_ERR_STATE;
		goto fail;
	}
	char why[RESPOND_CLOSE_REASON_MAX + 64];
	snprintf(why, sizeof why, "closed by an operator: %s", reason);
	store_change c = {.incident_id = id, .to = "closed", .reason = why, .actor = actor,
	                  .from = store_state_name(inc.state)};
	err = store_transition(st, &c);
	if (err == SG_ERR_BUSY) {
		char owner[256]; /* any responder's text in a shared store */
		sg_text_clean(owner, sizeof owner, inc.lease_owner, strlen(inc.lease_owner));
		snprintf(msg, msglen, "INC-%lld is being contained by %s right now; close it once that "
		         "run ends", (long long)id, owner);
	} else if (err)
		snprintf(msg, msglen, "INC-%lld: not closed: %s (%s)", (long long)id, sg_strerror(err),
		         store_errmsg(st));
	else
		snprintf(msg, msglen, "INC-%lld closed (it was %s); nothing on AWS was changed: what "
		         "containment set, if anything, stays as it is", (long long)id,
		         store_state_name(inc.state));
fail:
	store_incident_free(&inc);
	store_close(st);
	return err;
}
