/* forensic_host.c — the forensic instance of an incident: the one given
 * (--forensic-instance), or one launched from the forensic launch template
 * (see rsp.h, rsp_forensic_instance). */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/ec2.h"
#include "aws/ssm.h"
#include "common/escape.h"
#include "respond/journal.h"

/* Launched once per incident and attempt: the ClientToken (SHA-256 of the
 * incident and "forensic-instance", "forensic-instance#N" in attempt N)
 * makes a re-send, or a rerun after a crash before the id was journaled,
 * the same launch; a token stays bound to its instance after it is
 * terminated, so only a new attempt can launch another (EC2 API
 * reference, "Ensuring idempotency"). */
static sg_err launch(rsp_run *x, const char *template_ref, const char *key)
{
	char token[65], id[32], seed[48];
	rsp_attempt_key("forensic-instance", rsp_attempt(x), seed, sizeof seed);
	sg_err err = pb_client_token(x->key, seed, token);
	if (err)
		return err;
	struct aws_tag tags[3];
	size_t nt = rsp_incident_tags(x, tags);
	tags[nt++] = (struct aws_tag){"ssrfguard:role", "forensics"};
	rsp_intent(x, "launch the forensic instance from launch template %s", template_ref);
	if ((err = aws_ec2_run_from_template(x->aws, template_ref, token, tags, nt, 0, id, NULL)))
		return err;
	rsp_notef(x, "forensic instance %s launched from launch template %s", id, template_ref);
	return rsp_created(x, key, id);
}

sg_err rsp_instance_state(rsp_run *x, const char *id, char state[32])
{
	struct aws_xml *r = NULL;
	sg_err err = aws_ec2_describe_instances(x->aws, &id, 1, NULL, 0, &r, NULL);
	const char *st = err ? "" : aws_xml_str_or(r, "reservationSet/item/instancesSet/item/"
	                                              "instanceState/name", "");
	sg_text_clean(state, 32, st, strlen(st)); /* copied: the reply is freed here */
	aws_xml_free(r);
	return err;
}

bool rsp_instance_gone(const char *state)
{
	return !strcmp(state, "terminated") || !strcmp(state, "shutting-down");
}

/* Until it runs and its SSM agent is online (it registers after boot; a
 * command sent to an agent ConnectionLost is accepted and sits Pending,
 * then DeliveryTimedOut).  hint: what to check when it never is. */
static sg_err wait_ready(rsp_run *x, const char *id, int64_t deadline, const char *hint)
{
	for (;;) {
		char ping[32] = "", state[32];
		sg_err err = rsp_instance_state(x, id, state);
		bool running = !strcmp(state, "running");
		if (rsp_instance_gone(state)) {
			/* one launched from the template is replaced by a new
			 * attempt; the one the configuration names is not */
			bool given = x->cfg->playbook.forensic_instance[0];
			snprintf(x->note, sizeof x->note, "forensic instance %s is %s%s", id, state,
			         given ? "" : ": a new attempt launches another");
			return given ? RSP_FATAL : RSP_AGAIN;
		}
		if (err && err != SG_ERR_NOTFOUND) /* NotFound: not visible yet */
			return err;
		if (running) {
			err = aws_ssm_ping_status(x->aws, id, ping, NULL);
			if (err && err != SG_ERR_NOTFOUND) /* NotFound: not registered yet */
				return err;
			if (!strcmp(ping, "Online"))
				return SG_OK;
		}
		if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note,
			         "forensic instance %s not ready (%s, SSM agent %s): %s", id,
			         state[0] ? state : "not seen", ping[0] ? ping : "not registered", hint);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

sg_err rsp_forensic_instance(rsp_run *x, int64_t deadline, char fid[PB_ID_MAX])
{
	const pb_config *pc = &x->cfg->playbook;
	snprintf(fid, PB_ID_MAX, "%s", pc->forensic_instance);
	if (fid[0])
		return wait_ready(x, fid, deadline, "is it running, with an SSM agent that reaches "
		                                    "Systems Manager (a profile with AmazonSSMManagedInstanceCore)?");
	if (!pc->forensic_template[0]) {
		snprintf(x->note, sizeof x->note, "no forensic instance configured");
		return RSP_SKIP;
	}
	/* a new attempt keeps the earlier one's instance unless it is gone
	 * (terminated instances stay listed for about an hour, then not) */
	sg_err err;
	bool earlier;
	char key[48], state[32];
	rsp_attempt_key("forensic_instance", rsp_attempt(x), key, sizeof key);
	const char *had = rsp_created_latest(x, "forensic_instance", &earlier);
	if (had && earlier) {
		if ((err = rsp_instance_state(x, had, state)) == SG_ERR_NOTFOUND)
			snprintf(state, sizeof state, "terminated");
		else if (err)
			return err;
		if (rsp_instance_gone(state))
			rsp_notef(x, "forensic instance %s is %s: attempt %u launches another", had, state,
			          rsp_attempt(x));
		else if ((err = rsp_created(x, key, had)))
			return err;
	}
	if (!rsp_created_get(x, key) && (err = launch(x, pc->forensic_template, key)))
		return err;
	snprintf(fid, PB_ID_MAX, "%s", rsp_created_get(x, key));
	return wait_ready(x, fid, deadline, "does the template give it a profile the agent may use "
	                                    "(AmazonSSMManagedInstanceCore)?");
}
