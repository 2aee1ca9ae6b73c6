/* release.c — reversible containment (incidents release). */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run for release, with an empty data object for its notes. */
static sg_err open_run(responder *r, rsp_run *x, char *msg, size_t msglen)
{
	sg_err err = rsp_run_open(r, x, msg, msglen);
	if (!err && !(x->data = json_object()))
		err = SG_ERR_NOMEM;
	return err;
}

static sg_err release_step(rsp_run *x, const char *to, const char *reason, const char *actor)
{
	char *d = json_dumps(x->data, JSON_COMPACT);
	store_change c = {.incident_id = x->id, .step = "release", .to = to, .reason = reason,
	                  .actor = actor, .data = d};
	sg_err err = store_transition(x->st, &c);
	free(d);
	return err;
}

/* The restore calls that failed, named for the operator. */
typedef struct failures {
	size_t n;
	char text[1024];
} failures;

/* One restore call; a failure is counted and named (action, target, AWS's
 * code and message, request id). */
static sg_err restore(rsp_run *x, failures *f, enum aws_service svc, const char *action,
                      struct aws_params *p, const char *target, const char *change,
                      struct aws_xml **reply)
{
	struct aws_error e;
	sg_err err = rsp_query(x, svc, action, p, 0, target, change, reply, &e);
	if (err == SG_OK)
		return SG_OK;
	size_t used = strlen(f->text);
	if (used + 1 < sizeof f->text)
		snprintf(f->text + used, sizeof f->text - used, "%s%s %s (%s%s%.200s%s%s)",
		         f->n ? "; " : "", action, target, e.code[0] ? e.code : sg_strerror(err),
		         e.message[0] ? ": " : "", e.message, e.request_id[0] ? ", request id " : "",
		         e.request_id);
	f->n++;
	return err;
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
	struct aws_params *p;
	failures fails = {0};
	release_step(&x, "running", "release started", actor);
	/* security groups of every ENI */
	for (size_t e = 0; e < in->n_enis; e++) {
		if (!in->enis[e].n_groups)
			continue;
		p = aws_params_new();
		aws_params_add(p, "NetworkInterfaceId", in->enis[e].id);
		for (size_t g = 0; g < in->enis[e].n_groups; g++)
			aws_params_addf(p, in->enis[e].groups[g], "SecurityGroupId.%zu", g + 1);
		restore(&x, &fails, AWS_EC2, "ModifyNetworkInterfaceAttribute", p, in->enis[e].id, "recorded security groups restored", NULL);
		aws_params_free(p);
	}
	/* instance profile */
	if (in->profile_arn[0]) {
		p = aws_params_new();
		struct aws_xml *rep = NULL;
		const char *v[] = {in->id};
		const char *st[] = {"associated", "associating"};
		struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 2}};
		aws_params_add_filters(p, f, 2);
		sg_err e2 = restore(&x, &fails, AWS_EC2, "DescribeIamInstanceProfileAssociations", p, in->id,
		                    NULL, &rep);
		aws_params_free(p);
		char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
		snprintf(assoc, sizeof assoc, "%s",
		         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/associationId", ""));
		snprintf(arn, sizeof arn, "%s",
		         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/iamInstanceProfile/arn", ""));
		aws_xml_free(rep);
		if (!e2 && strcmp(arn, in->profile_arn) != 0) {
			p = aws_params_new();
			aws_params_add(p, "IamInstanceProfile.Arn", in->profile_arn);
			if (assoc[0]) {
				aws_params_add(p, "AssociationId", assoc);
				restore(&x, &fails, AWS_EC2, "ReplaceIamInstanceProfileAssociation", p, in->id, "recorded profile restored", NULL);
			} else {
				aws_params_add(p, "InstanceId", in->id);
				restore(&x, &fails, AWS_EC2, "AssociateIamInstanceProfile", p, in->id, "recorded profile restored", NULL);
			}
			aws_params_free(p);
		}
	}
	/* target groups and classic ELBs */
	for (size_t t = 0; t < in->n_targets; t++) {
		p = aws_params_new();
		aws_params_add(p, "TargetGroupArn", in->targets[t].group_arn);
		aws_params_add(p, "Targets.member.1.Id", in->targets[t].id);
		if (in->targets[t].port)
			aws_params_add_int(p, "Targets.member.1.Port", in->targets[t].port);
		if (in->targets[t].az[0])
			aws_params_add(p, "Targets.member.1.AvailabilityZone", in->targets[t].az);
		restore(&x, &fails, AWS_ELBV2, "RegisterTargets", p, in->targets[t].group_arn, "registration restored", NULL);
		aws_params_free(p);
	}
	for (size_t l = 0; l < in->n_elbs; l++) {
		p = aws_params_new();
		aws_params_add(p, "LoadBalancerName", in->elbs[l]);
		aws_params_add(p, "Instances.member.1.InstanceId", in->id);
		restore(&x, &fails, AWS_ELB, "RegisterInstancesWithLoadBalancer", p, in->elbs[l], "registration restored", NULL);
		aws_params_free(p);
	}
	/* Auto Scaling group (AttachInstances raises the desired capacity by one) */
	if (in->asg[0]) {
		p = aws_params_new();
		struct aws_xml *rep = NULL;
		aws_params_add(p, "InstanceIds.member.1", in->id);
		sg_err e2 = restore(&x, &fails, AWS_AUTOSCALING, "DescribeAutoScalingInstances", p, in->id,
		                    NULL, &rep);
		aws_params_free(p);
		bool inside = aws_xml_get(rep, "DescribeAutoScalingInstancesResult/AutoScalingInstances/member");
		aws_xml_free(rep);
		if (!e2 && !inside) {
			p = aws_params_new();
			aws_params_add(p, "AutoScalingGroupName", in->asg);
			aws_params_add(p, "InstanceIds.member.1", in->id);
			restore(&x, &fails, AWS_AUTOSCALING, "AttachInstances", p, in->asg, "attached back to its group", NULL);
			aws_params_free(p);
		}
	}
	/* The status tag says "released" only once everything is restored, so
	 * the tag and the incident's state agree. */
	if (!fails.n) {
		p = aws_params_new();
		struct aws_tag tags[] = {{"ssrfguard:status", "released"}};
		aws_params_add(p, "ResourceId.1", in->id);
		aws_params_add_tags(p, "Tag", tags, 1);
		restore(&x, &fails, AWS_EC2, "CreateTags", p, in->id, "status tag released", NULL);
		aws_params_free(p);
	}
	if (fails.n) {
		snprintf(msg, msglen, "%s: %zu restore call(s) failed: %s; the incident stays %s and "
		         "keeps its status tag (run release again)", x.inc, fails.n, fails.text,
		         store_state_name(inc.state));
		release_step(&x, "failed", msg, actor);
		err = SG_ERR_REMOTE;
		goto fail;
	}
	release_step(&x, "done", "groups, profile, load balancers and ASG restored", actor);
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
