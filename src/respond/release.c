/* release.c — reversible containment (incidents release): what the
 * playbook changed goes back to the recorded instance (the reads first,
 * release_check.c; the restore calls, release_restore.c), what stays is
 * named, and the incident says what happened. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "common/escape.h"
#include "playbook/revoke.h"
#include "respond/journal.h"
#include "respond/release_int.h"

/* A run for release, with an empty data object for its notes. */
static sg_err open_run(responder *r, rsp_run *x, char *msg, size_t msglen)
{
	sg_err err = rsp_run_open(r, x, msg, msglen);
	if (!err && !(x->data = json_object()))
		err = SG_ERR_NOMEM;
	return err;
}

static sg_err release_step(rsp_run *x, pb_state to, const char *reason, const char *actor)
{
	char *d = json_dumps(x->data, JSON_COMPACT);
	store_change c = {.incident_id = x->id, .step = "release", .to = pb_state_name(to),
	                  .reason = reason, .actor = actor, .data = d};
	sg_err err = store_transition(x->st, &c);
	free(d);
	return err;
}

/* What release did, besides the calls' own record, for its message. */
typedef struct restored {
	size_t groups, groups_of; /* ENIs with their recorded groups back, of those with some */
	size_t conntrack_default; /* ENIs whose timeouts were set to the type's defaults */
	pb_eni defaults;          /* ... those defaults, */
	char defaults_from[160];  /* ... and where they came from */
	size_t eips;              /* Elastic IPs on the instance */
	size_t registrations;     /* target group and ELB registrations back */
	size_t settings_failed;   /* the instance's own settings (release_settings) */
	bool profile, asg;        /* the recorded profile on it; in its group */
	release_kept stays;
} restored;

/* "restored: ..." of what is back, each "N of M". */
static void said_restored(const pb_instance *in, const restored *did, char *out, size_t cap)
{
	char defaults[400] = "";
	const pb_eni *def = &did->defaults;
	if (did->conntrack_default)
		snprintf(defaults, sizeof defaults, "; %zu at the defaults for %s: %d/%d/%d s, from %s",
		         did->conntrack_default,
		         in->instance_type[0] ? in->instance_type : "an instance type not recorded",
		         def->conntrack_tcp_established_s, def->conntrack_udp_stream_s,
		         def->conntrack_udp_s, did->defaults_from);
	snprintf(out, cap, "restored: %zu of %zu ENI(s) (groups, connection tracking%s), "
	         "%zu of %zu Elastic IP(s), %zu of %zu registration(s), profile %s, ASG %s, "
	         "%shop limit, protections, shutdown behaviour, DeleteOnTermination",
	         did->groups, did->groups_of, defaults, did->eips, in->n_eips, did->registrations,
	         in->n_targets + in->n_elbs,
	         !in->profile_arn[0] ? "none" : did->profile ? "yes" : "no",
	         !in->asg[0] ? "none" : did->asg ? in->asg : "no",
	         did->settings_failed ? "not all of: " : "");
}

/*
 * Restored, wholly or partly (fails->n: some calls failed after others
 * changed the instance, which is then no longer what "contained" says):
 * the incident's state first ("released"; partly: its reason says so),
 * then the status tag ("released" or "released-partly"), so that the tag
 * never says "released" of an incident that is not.  A transition that
 * fails (the store busy, another operator's move) leaves the tag as
 * containment set it.  A tag that cannot be set after the transition does
 * not undo the release (SG_OK: the incident is released) but makes it
 * partial (*partial: the CLI exits 1, the dashboard says so); msg says
 * so, with the command that sets the tag.  A partial release leaves its
 * release step failed: release may be run again for what failed.
 */
static sg_err mark_released(rsp_run *x, const pb_instance *in, const store_incident *inc,
                            const restored *did, const release_failures *failed, const char *actor,
                            bool *partial, char *msg, size_t msglen)
{
	char done[1400], why[600];
	said_restored(in, did, done, sizeof done);
	snprintf(why, sizeof why, "released partly by an operator: %zu restore call(s) failed: %.500s",
	         failed->n, failed->text);
	bool partly = failed->n != 0;
	store_change c = {.incident_id = x->id, .to = "released",
	                  .reason = partly ? why : "released by an operator", .actor = actor,
	                  .force = 1};
	sg_err err = store_transition(x->st, &c);
	if (err) {
		snprintf(msg, msglen, "%s: %s%s, but the incident could not be marked released (%s: "
		         "%.200s); it stays %s and keeps its status tag (run release again)", x->inc,
		         partly ? why : "", partly ? "; " : "everything restored", sg_strerror(err),
		         store_errmsg(x->st), store_state_name(inc->state));
		release_step(x, PB_FAILED, msg, actor);
		return err;
	}
	release_failures fails = {0};
	struct aws_error e;
	const char *status = partly ? "released-partly" : "released";
	struct aws_tag tags[] = {{"ssrfguard:status", status}};
	rsp_intent(x, "set the status tag to %s", status);
	*partial = partly;
	sg_err rc = aws_ec2_create_tags(x->aws, (const char *[]){in->id}, 1, tags, 1, 0, &e);
	if (release_call(&fails, rc, "CreateTags", in->id, &e)) {
		snprintf(msg, msglen, "%s released%s, but its status tag was not set: %s; the tag still "
		         "says what containment left (aws ec2 create-tags --resources %s --tags "
		         "Key=ssrfguard:status,Value=%s)%s%s", x->inc, partly ? " partly" : "", fails.text,
		         in->id, status, partly ? "; " : "", partly ? why : "");
		release_step(x, partly ? PB_FAILED : PB_DONE, msg, actor);
		*partial = true;
		return SG_OK;
	}
	if (partly)
		snprintf(msg, msglen, "%s released partly: %zu restore call(s) failed: %s; %s; stays: %s; "
		         "run release again to retry what failed", x->inc, failed->n, failed->text, done,
		         did->stays.text);
	else
		snprintf(msg, msglen, "%s released; %s; stays: %s", x->inc, done, did->stays.text);
	sg_err rec = release_step(x, partly ? PB_FAILED : PB_DONE, msg, actor);
	if (rec) {
		size_t used = strlen(msg);
		snprintf(msg + used, msglen - used, "; the release step's own record was not written: %s",
		         sg_strerror(rec));
	}
	return SG_OK;
}

/* The recorded instance (the record step's data) into x->inst; else msg
 * says why. */
static sg_err load_record(rsp_run *x, int64_t id, char *msg, size_t msglen)
{
	store_step rec = {0};
	sg_err err = store_step_get(x->st, id, "record", &rec);
	if (!err && strcmp(rec.status, "done") != 0)
		err = SG_ERR_NOTFOUND;
	json_t *jd = err ? NULL : rsp_row_json(rec.data);
	char *ij = jd ? json_dumps(json_object_get(jd, "instance"), JSON_COMPACT) : NULL;
	json_decref(jd);
	store_step_free(&rec);
	err = SG_OK;
	if (!ij || pb_instance_from_json(ij, strlen(ij), &x->inst, msg, msglen)) {
		if (!msg[0])
			snprintf(msg, msglen, "%s: no recorded instance to restore from", x->inc);
		err = SG_ERR_NOTFOUND;
	}
	free(ij);
	return err;
}

/* May inc be released now: contained, failed or containing (not under a
 * live lease), or released partly before (its release step failed). */
static sg_err may_release(rsp_run *x, const store_incident *inc, char *msg, size_t msglen)
{
	store_step rel = {0};
	bool again = inc->state == STORE_RELEASED &&
	             !store_step_get(x->st, inc->id, "release", &rel) && !strcmp(rel.status, "failed");
	store_step_free(&rel);
	if (!again && !store_state_allowed(inc->state, STORE_RELEASED)) {
		snprintf(msg, msglen, "%s is %s: only contained, failed or containing incidents (or one "
		         "released partly) are released", x->inc, store_state_name(inc->state));
		return SG_ERR_STATE;
	}
	/* the lease's expiry is stored by another process: wall clock */
	if (inc->state == STORE_CONTAINING && inc->lease_until_ms >= sg_wall_ms()) {
		char owner[256]; /* any responder's text in a shared store */
		sg_text_clean(owner, sizeof owner, inc->lease_owner, strlen(inc->lease_owner));
		snprintf(msg, msglen, "%s is being contained by %s right now", x->inc, owner);
		return SG_ERR_BUSY;
	}
	return SG_OK;
}

/* Nothing changed the instance: the incident stays as it is. */
static sg_err nothing_restored(rsp_run *x, const store_incident *inc, const release_failures *f,
                               const char *actor, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s: nothing restored: %zu restore call(s) failed: %s; the incident "
	         "stays %s and keeps its status tag (run release again)", x->inc, f->n, f->text,
	         store_state_name(inc->state));
	release_step(x, PB_FAILED, msg, actor);
	return SG_ERR_REMOTE;
}

/* Every restore, the security groups first: when none of them can be put
 * back the instance stays isolated and nothing else is touched. */
static void restore_all(rsp_run *x, const release_plan *plan, restored *did, release_failures *f)
{
	const pb_instance *in = x->inst;
	release_kept *stays = &did->stays;
	did->groups = release_groups(x, in, f, &did->groups_of);
	if (did->groups_of && !did->groups)
		return;
	did->conntrack_default = release_conntrack(x, in, f, &did->defaults, did->defaults_from,
	                                           sizeof did->defaults_from);
	size_t before = f->n;
	release_settings(x, in, f, stays);
	did->settings_failed = f->n - before;
	did->eips = release_eips(x, in, f, stays);
	did->profile = release_profile(x, in, f);
	did->registrations = release_registrations(x, in, f);
	did->asg = release_asg_back(x, in, plan, f, stays); /* last: back in service when all else is */
	if (in->role_name[0])
		release_keep(stays, "the revocation policy %s on role %s (it denies only sessions "
		             "issued before the incident)", PB_REVOKE_POLICY_NAME, in->role_name);
	release_keep(stays, "the evidence (snapshots, volumes, IncidentId tags) and the quarantine "
	             "groups (%s)",
	             did->groups == did->groups_of ? "no longer attached" : "still on some ENIs");
}

sg_err respond_release(responder *r, int64_t id, const char *actor, bool *partial, char *msg,
                       size_t msglen)
{
	rsp_run x;
	store_incident inc = {0};
	*partial = false;
	sg_err err = open_run(r, &x, msg, msglen);
	if (err)
		goto fail;
	if ((err = rsp_load_incident(&x, id, &inc, msg, msglen)))
		goto fail;
	if ((err = may_release(&x, &inc, msg, msglen)) || (err = load_record(&x, id, msg, msglen)))
		goto fail;
	x.step = PB_STEP__COUNT; /* no playbook step: the crash hook never fires */
	x.journal_step = "release";
	release_step(&x, PB_RUNNING, "release started", actor);
	release_plan plan = {0};
	if ((err = release_check(&x, &plan, msg, msglen))) {
		release_step(&x, PB_FAILED, msg, actor);
		goto fail;
	}
	release_failures fails = {0};
	restored done = {0};
	restore_all(&x, &plan, &done, &fails);
	if (fails.n && !x.changes)
		err = nothing_restored(&x, &inc, &fails, actor, msg, msglen);
	else
		err = mark_released(&x, x.inst, &inc, &done, &fails, actor, partial, msg, msglen);
fail:
	store_incident_free(&inc);
	rsp_run_close(&x);
	return err;
}
