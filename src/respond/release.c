/* release.c — reversible containment (incidents release). */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "respond/journal.h"

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

/* Each restore returns how many of its calls failed. */

static size_t restore_groups(rsp_run *x, const pb_instance *in)
{
	size_t failures = 0;
	for (size_t e = 0; e < in->n_enis; e++) {
		const pb_eni *eni = &in->enis[e];
		if (!eni->n_groups)
			continue;
		const char *groups[PB_MAX_GROUPS];
		for (size_t g = 0; g < eni->n_groups; g++)
			groups[g] = eni->groups[g];
		rsp_intent(x, "recorded security groups restored");
		failures += aws_ec2_set_eni_groups(x->aws, eni->id, groups, eni->n_groups, 0, NULL) !=
		            SG_OK;
	}
	return failures;
}

static size_t restore_profile(rsp_run *x, const pb_instance *in)
{
	if (!in->profile_arn[0])
		return 0;
	struct aws_xml *rep = NULL;
	const char *v[] = {in->id};
	const char *st[] = {"associated", "associating"};
	struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 2}};
	if (aws_ec2_describe_iip_associations(x->aws, f, 2, &rep, NULL))
		return 1;
	char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
	snprintf(assoc, sizeof assoc, "%s",
	         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/associationId", ""));
	snprintf(arn, sizeof arn, "%s",
	         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/iamInstanceProfile/arn", ""));
	aws_xml_free(rep);
	if (!strcmp(arn, in->profile_arn))
		return 0;
	rsp_intent(x, "recorded profile restored");
	sg_err err = assoc[0] ? aws_ec2_replace_iip_association(x->aws, assoc, in->profile_arn, 0, NULL,
	                                                        NULL)
	                      : aws_ec2_associate_iip(x->aws, in->id, in->profile_arn, 0, NULL, NULL);
	return err != SG_OK;
}

static size_t restore_registrations(rsp_run *x, const pb_instance *in)
{
	size_t failures = 0;
	for (size_t t = 0; t < in->n_targets; t++) {
		const pb_target *tg = &in->targets[t];
		struct aws_elbv2_target target = {tg->id, tg->port, tg->az[0] ? tg->az : NULL};
		rsp_intent(x, "registration restored");
		failures += aws_elbv2_register_targets(x->aws, tg->group_arn, &target, 1, 0, NULL) != SG_OK;
	}
	for (size_t l = 0; l < in->n_elbs; l++) {
		rsp_intent(x, "registration restored");
		failures += aws_elb_register_instances(x->aws, in->elbs[l], (const char *[]){in->id}, 1, 0,
		                                       NULL) != SG_OK;
	}
	return failures;
}

/* The Elastic IPs isolate took off, back on their ENIs and addresses. */
static size_t restore_eips(rsp_run *x, const pb_instance *in)
{
	size_t failures = 0;
	for (size_t i = 0; i < in->n_eips; i++) {
		const pb_eip *e = &in->eips[i];
		rsp_intent(x, "Elastic IP %s back on %s", e->public_ip, e->eni);
		struct aws_error err;
		sg_err rc = aws_ec2_associate_address(x->aws, e->allocation_id, e->eni, e->private_ip, 0,
		                                      &err);
		/* already there (a second release): done */
		failures += rc != SG_OK && strcmp(err.code, "Resource.AlreadyAssociated") != 0;
	}
	return failures;
}

/* Auto Scaling group (AttachInstances raises the desired capacity by one). */
static size_t restore_asg(rsp_run *x, const pb_instance *in)
{
	if (!in->asg[0])
		return 0;
	struct aws_xml *rep = NULL;
	if (aws_asg_describe_instances(x->aws, (const char *[]){in->id}, 1, &rep, NULL))
		return 1;
	const struct aws_xml *m =
		aws_xml_get(rep, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
	bool inside = m != NULL;
	bool standby = !strcmp(aws_xml_str_or(m, "LifecycleState", ""), "Standby");
	aws_xml_free(rep);
	if (standby) { /* put there by --asg-standby */
		rsp_intent(x, "out of Standby in its group");
		return aws_asg_exit_standby(x->aws, in->asg, (const char *[]){in->id}, 1, 0, NULL) != SG_OK;
	}
	if (inside)
		return 0;
	rsp_intent(x, "attached back to its group");
	return aws_asg_attach_instances(x->aws, in->asg, (const char *[]){in->id}, 1, 0, NULL) != SG_OK;
}

sg_err respond_release(responder *r, int64_t id, const char *actor, char *msg, size_t msglen)
{
	rsp_run x;
	store_incident inc = {0};
	store_step rec = {0};
	sg_err err = open_run(r, &x, msg, msglen);
	if (err)
		goto fail;
	x.id = id;
	respond_incident_name(id, x.inc, sizeof x.inc);
	if ((err = store_get(x.st, id, &inc))) {
		snprintf(msg, msglen, "%s: no such incident", x.inc);
		goto fail;
	}
	if (!store_state_allowed(inc.state, STORE_RELEASED)) {
		snprintf(msg, msglen, "%s is %s: only contained, failed or containing incidents are released",
		         x.inc, store_state_name(inc.state));
		err = SG_ERR_STATE;
		goto fail;
	}
	if (inc.state == STORE_CONTAINING && inc.lease_until_ms >= rsp_now_ms()) {
		snprintf(msg, msglen, "%s is being contained by %s right now", x.inc, inc.lease_owner);
		err = SG_ERR_BUSY;
		goto fail;
	}
	err = store_step_get(x.st, id, "record", &rec);
	if (!err && strcmp(rec.status, "done") != 0)
		err = SG_ERR_NOTFOUND;
	json_t *jd = err ? NULL : json_loads(rec.data, 0, NULL);
	char *ij = jd ? json_dumps(json_object_get(jd, "instance"), JSON_COMPACT) : NULL;
	json_decref(jd);
	if (!ij || pb_instance_from_json(ij, strlen(ij), &x.inst, msg, msglen)) {
		free(ij);
		if (!msg[0])
			snprintf(msg, msglen, "%s: no recorded instance to restore from", x.inc);
		err = SG_ERR_NOTFOUND;
		goto fail;
	}
	free(ij);
	x.step = PB_STEP__COUNT; /* no playbook step: the crash hook never fires */
	x.journal_step = "release";
	const pb_instance *in = x.inst;
	release_step(&x, PB_RUNNING, "release started", actor);
	size_t failures = restore_groups(&x, in) + restore_eips(&x, in) + restore_profile(&x, in) +
	                  restore_registrations(&x, in) + restore_asg(&x, in);
	struct aws_tag tags[] = {{"ssrfguard:status", "released"}};
	rsp_intent(&x, "status tag released");
	failures += aws_ec2_create_tags(x.aws, (const char *[]){in->id}, 1, tags, 1, 0, NULL) != SG_OK;
	if (failures) {
		snprintf(msg, msglen, "%s: %zu restore call(s) failed; the incident stays %s (run release again)",
		         x.inc, failures, store_state_name(inc.state));
		release_step(&x, PB_FAILED, msg, actor);
		err = SG_ERR_REMOTE;
		goto fail;
	}
	release_step(&x, PB_DONE, "groups, profile, load balancers and ASG restored", actor);
	store_change c = {.incident_id = id, .to = "released", .reason = "released by an operator",
	                  .actor = actor, .force = 1};
	err = store_transition(x.st, &c);
	if (!err)
		snprintf(msg, msglen, "%s released: %zu ENI(s), %zu registration(s), profile %s, ASG %s restored",
		         x.inc, in->n_enis, in->n_targets + in->n_elbs,
		         in->profile_arn[0] ? "yes" : "none", in->asg[0] ? in->asg : "none");
fail:
	store_step_free(&rec);
	store_incident_free(&inc);
	rsp_run_close(&x);
	return err;
}
