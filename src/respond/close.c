/* close.c — an incident closed by an operator (incidents close): the case
 * is over, whatever its state.  On AWS only the instance's status tag
 * changes (ssrfguard:status=closed), after the incident is closed and only
 * on an instance containment tagged that is still there; see respond.h. */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/ec2.h"
#include "common/escape.h"
#include "common/utf8.h"
#include "respond/journal.h"

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

/* The store's part: inc closed, or msg says why not. */
static sg_err close_incident(rsp_run *x, const store_incident *inc, const char *actor,
                             const char *reason, char *msg, size_t msglen)
{
	if (inc->state == STORE_CLOSED) {
		snprintf(msg, msglen, "%s is already closed", x->inc);
		return SG_ERR_STATE;
	}
	char why[RESPOND_CLOSE_REASON_MAX + 64];
	snprintf(why, sizeof why, "closed by an operator: %s", reason);
	store_change c = {.incident_id = inc->id, .to = "closed", .reason = why, .actor = actor,
	                  .from = store_state_name(inc->state)};
	sg_err err = store_transition(x->st, &c);
	if (err == SG_ERR_BUSY) {
		char owner[256]; /* any responder's text in a shared store */
		sg_text_clean(owner, sizeof owner, inc->lease_owner, strlen(inc->lease_owner));
		snprintf(msg, msglen, "%s is being contained by %s right now; close it once that "
		         "run ends", x->inc, owner);
	} else if (err) {
		snprintf(msg, msglen, "%s: not closed: %s (%s)", x->inc, sg_strerror(err),
		         store_errmsg(x->st));
	}
	return err;
}

/* Did containment tag inc's instance (its tag step done)? */
static bool was_tagged(rsp_run *x, const store_incident *inc)
{
	store_step tag = {0};
	bool done = !store_step_get(x->st, inc->id, "tag", &tag) && !strcmp(tag.status, "done");
	store_step_free(&tag);
	return done;
}

/* "instance I is gone/terminated/...": the instance as DescribeInstances
 * shows it now, into state ("" when it is running, stopped, ...). */
static sg_err instance_now(rsp_run *x, const char *id, char *state, size_t cap,
                           struct aws_error *e)
{
	struct aws_xml *rep = NULL;
	sg_err err = aws_ec2_describe_instances(x->aws, &id, 1, NULL, 0, &rep, e);
	const char *s = err ? "" :
	        aws_xml_str_or(rep, "reservationSet/item/instancesSet/item/instanceState/name", "");
	snprintf(state, cap, "%s", strcmp(s, "terminated") && strcmp(s, "shutting-down") ? "" : s);
	aws_xml_free(rep);
	return err;
}

/* A call that failed, for the message: "CreateTags failed (code: text,
 * request id R)". */
static void call_failed(char *out, size_t cap, const char *action, sg_err err,
                        const struct aws_error *e)
{
	snprintf(out, cap, "%s failed (%.100s%s%.200s%s%.80s)", action,
	         e->code[0] ? e->code : sg_strerror(err), e->message[0] ? ": " : "", e->message,
	         e->request_id[0] ? ", request id " : "", e->request_id);
}

/* The status tag not set, said in out (why: what failed). */
static bool tag_not_set(char *out, size_t cap, const char *shown, const char *why)
{
	snprintf(out, cap, "but the status tag of instance %s was not set: %s; it still says what "
	         "containment or release left (aws ec2 create-tags --resources %s --tags "
	         "Key=ssrfguard:status,Value=closed)", shown, why, shown);
	return false;
}

/* The status tag of the closed incident's instance id (shown: the same,
 * escaped), said in out.  Returns false when it should have been set and
 * was not (the close is then partial). */
static bool tag_closed(rsp_run *x, const char *id, const char *shown, char *out, size_t cap)
{
	char failed[480], state[32];
	struct aws_error e = {0};
	if (rsp_run_aws(x, failed, sizeof failed))
		return tag_not_set(out, cap, shown, failed);
	const char *action = "DescribeInstances";
	sg_err err = instance_now(x, id, state, sizeof state, &e);
	if (!err && !state[0]) {
		struct aws_tag tags[] = {{"ssrfguard:status", "closed"}};
		rsp_intent(x, "set the status tag to closed");
		if (!(err = aws_ec2_create_tags(x->aws, &id, 1, tags, 1, 0, &e))) {
			snprintf(out, cap, "instance %s: status tag ssrfguard:status=closed", shown);
			return true;
		}
		action = "CreateTags";
	}
	if (err == SG_ERR_NOTFOUND) /* terminated more than about an hour ago */
		snprintf(out, cap, "instance %s is gone (InvalidInstanceID.NotFound): no status tag "
		         "to change", shown);
	else if (!err)
		snprintf(out, cap, "instance %s is %s (DescribeInstances): its status tag was left "
		         "as it is", shown, state);
	if (err == SG_ERR_NOTFOUND || !err)
		return true;
	call_failed(failed, sizeof failed, action, err, &e);
	return tag_not_set(out, cap, shown, failed);
}

/* What close_tag did on AWS. */
typedef enum close_aws {
	CLOSE_NO_CALL, /* no instance recorded, or never tagged: nothing asked */
	CLOSE_ASKED,   /* the tag set, or the instance terminated or gone */
	CLOSE_PARTIAL, /* the tag should have been set and was not */
} close_aws;

/* The status tag after inc was closed, said in out (see tag_closed);
 * none to change when no instance is recorded or containment never
 * tagged it.  The calls are journaled as the incident's "close" step. */
static close_aws close_tag(rsp_run *x, const store_incident *inc, const char *actor, char *out,
                           size_t cap)
{
	const char *id = inc->instance_id ? inc->instance_id : "";
	char shown[2 * PB_ID_MAX];
	sg_text_clean(shown, sizeof shown, id, strlen(id));
	if (strlen(id) >= PB_ID_MAX || strncmp(id, "i-", 2)) {
		snprintf(out, cap, "no instance recorded: nothing on AWS was changed");
		return CLOSE_NO_CALL;
	}
	if (!was_tagged(x, inc)) {
		snprintf(out, cap, "containment never tagged instance %s: nothing on AWS was changed",
		         shown);
		return CLOSE_NO_CALL;
	}
	x->step = PB_STEP__COUNT; /* no playbook step: the crash hook never fires */
	x->journal_step = "close";
	if (!(x->data = json_object())) {
		snprintf(out, cap, "but the status tag of instance %s was not set: out of memory", shown);
		return CLOSE_PARTIAL;
	}
	bool ok = tag_closed(x, id, shown, out, cap);
	store_change c = {.incident_id = inc->id, .step = "close", .to = ok ? "done" : "failed",
	                  .reason = out, .actor = actor};
	char *d = json_dumps(x->data, JSON_COMPACT);
	c.data = d;
	store_transition(x->st, &c); /* the journal's record; the close itself is done */
	free(d);
	return ok ? CLOSE_ASKED : CLOSE_PARTIAL;
}

sg_err respond_close(responder *r, int64_t id, const char *actor, const char *reason,
                     bool *partial, char *msg, size_t msglen)
{
	*partial = false;
	if (!reason_ok(reason)) {
		snprintf(msg, msglen, "INC-%lld: the reason must be 1 to %d bytes of text on one line",
		         (long long)id, RESPOND_CLOSE_REASON_MAX);
		return SG_ERR_INVAL;
	}
	rsp_run x;
	store_incident inc = {0};
	sg_err err = rsp_run_open_store(r, &x, msg, msglen);
	if (err)
		goto fail;
	if ((err = rsp_load_incident(&x, id, &inc, msg, msglen)))
		goto fail;
	if ((err = close_incident(&x, &inc, actor, reason, msg, msglen)))
		goto fail;
	char tag[1024];
	close_aws did = close_tag(&x, &inc, actor, tag, sizeof tag);
	*partial = did == CLOSE_PARTIAL;
	snprintf(msg, msglen, "%s closed (it was %s); %s%s%s", x.inc, store_state_name(inc.state), tag,
	         did == CLOSE_NO_CALL ? "" : "; nothing else on AWS was changed",
	         did == CLOSE_NO_CALL || inc.state == STORE_RELEASED ? ""
	                                                             : ": what containment set stays");
fail:
	store_incident_free(&inc);
	rsp_run_close(&x);
	return err;
}
