/* release.c — reversible containment (incidents release): what the
 * playbook changed goes back to the recorded instance, and what stays is
 * named. */
#include "respond/rsp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/elb.h"
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

/* The restore calls that failed, named for the operator. */
typedef struct failures {
	size_t n;
	char text[1024];
} failures;

/* Count a call that failed and name it: action, target, AWS's code and
 * message, request id.  Returns err. */
static sg_err check(failures *f, sg_err err, const char *action, const char *target,
                    const struct aws_error *e)
{
	if (err == SG_OK)
		return SG_OK;
	size_t used = strlen(f->text);
	if (used + 1 < sizeof f->text)
		snprintf(f->text + used, sizeof f->text - used, "%s%s %s (%s%s%.200s%s%s)",
		         f->n ? "; " : "", action, target, e->code[0] ? e->code : sg_strerror(err),
		         e->message[0] ? ": " : "", e->message, e->request_id[0] ? ", request id " : "",
		         e->request_id);
	f->n++;
	return err;
}

/* Returns how many ENIs have their recorded groups back, of *of that had
 * groups recorded. */
static size_t restore_groups(rsp_run *x, const pb_instance *in, failures *f, size_t *of)
{
	struct aws_error e;
	size_t back = 0;
	*of = 0;
	for (size_t i = 0; i < in->n_enis; i++) {
		const pb_eni *eni = &in->enis[i];
		if (!eni->n_groups)
			continue;
		const char *groups[PB_MAX_GROUPS];
		for (size_t g = 0; g < eni->n_groups; g++)
			groups[g] = eni->groups[g];
		rsp_intent(x, "recorded security groups restored");
		(*of)++;
		back += !check(f, aws_ec2_set_eni_groups(x->aws, eni->id, groups, eni->n_groups, 0, &e),
		               "ModifyNetworkInterfaceAttribute", eni->id, &e);
	}
	return back;
}

/* Returns whether the recorded profile is on the instance. */
static bool restore_profile(rsp_run *x, const pb_instance *in, failures *f)
{
	struct aws_error e;
	if (!in->profile_arn[0])
		return false;
	struct aws_xml *rep = NULL;
	const char *v[] = {in->id};
	const char *st[] = {"associated", "associating"};
	struct aws_filter flt[] = {{"instance-id", v, 1}, {"state", st, 2}};
	if (check(f, aws_ec2_describe_iip_associations(x->aws, flt, 2, &rep, &e),
	          "DescribeIamInstanceProfileAssociations", in->id, &e))
		return false;
	char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
	snprintf(assoc, sizeof assoc, "%s",
	         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/associationId", ""));
	snprintf(arn, sizeof arn, "%s",
	         aws_xml_str_or(rep, "iamInstanceProfileAssociationSet/item/iamInstanceProfile/arn", ""));
	aws_xml_free(rep);
	if (!strcmp(arn, in->profile_arn))
		return true;
	rsp_intent(x, "recorded profile restored");
	if (assoc[0])
		return !check(f, aws_ec2_replace_iip_association(x->aws, assoc, in->profile_arn, 0, NULL,
		                                                 &e),
		              "ReplaceIamInstanceProfileAssociation", in->id, &e);
	return !check(f, aws_ec2_associate_iip(x->aws, in->id, in->profile_arn, 0, NULL, &e),
	              "AssociateIamInstanceProfile", in->id, &e);
}

/* Returns how many registrations are back. */
static size_t restore_registrations(rsp_run *x, const pb_instance *in, failures *f)
{
	struct aws_error e;
	size_t back = 0;
	for (size_t t = 0; t < in->n_targets; t++) {
		const pb_target *tg = &in->targets[t];
		struct aws_elbv2_target target = {tg->id, tg->port, tg->az[0] ? tg->az : NULL};
		rsp_intent(x, "registration restored");
		back += !check(f, aws_elbv2_register_targets(x->aws, tg->group_arn, &target, 1, 0, &e),
		               "RegisterTargets", tg->group_arn, &e);
	}
	for (size_t l = 0; l < in->n_elbs; l++) {
		rsp_intent(x, "registration restored");
		back += !check(f, aws_elb_register_instances(x->aws, in->elbs[l], (const char *[]){in->id},
		                                             1, 0, &e),
		               "RegisterInstancesWithLoadBalancer", in->elbs[l], &e);
	}
	return back;
}

/* What release leaves as containment set it, named for the operator. */
typedef struct kept {
	char text[1400];
} kept;

static void keep(kept *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where Elastic IP ip is associated now (DescribeAddresses): *here when on
 * its recorded ENI and address, else its ENI (or instance) into where. */
static sg_err eip_now(rsp_run *x, const pb_eip *ip, bool *here, char *where, size_t cap,
                      struct aws_error *e)
{
	struct aws_xml *rep = NULL;
	const char *v[] = {ip->allocation_id};
	struct aws_filter flt[] = {{"allocation-id", v, 1}};
	sg_err err = aws_ec2_describe_addresses(x->aws, flt, 1, &rep, e);
	if (err)
		return err;
	const struct aws_xml *it = aws_xml_get(rep, "addressesSet/item");
	const char *eni = aws_xml_str_or(it, "networkInterfaceId", "");
	const char *addr = aws_xml_str_or(it, "privateIpAddress", "");
	*here = !strcmp(eni, ip->eni) && (!ip->private_ip[0] || !strcmp(addr, ip->private_ip));
	snprintf(where, cap, "%s", eni[0] ? eni : aws_xml_str_or(it, "instanceId", "no instance"));
	aws_xml_free(rep);
	return SG_OK;
}

/* The Elastic IPs isolate took off, back on their ENIs and addresses
 * (already there, after an earlier release: done).  AssociateAddress
 * without AllowReassociation fails Resource.AlreadyAssociated for an
 * address associated anywhere (EC2 API reference, AssociateAddress): one
 * moved to another instance since (a standby, the replacement) stays
 * there, named, never taken back.  Returns how many are on the instance. */
static size_t restore_eips(rsp_run *x, const pb_instance *in, failures *f, kept *k)
{
	size_t back = 0;
	for (size_t i = 0; i < in->n_eips; i++) {
		const pb_eip *ip = &in->eips[i];
		struct aws_error e;
		rsp_intent(x, "Elastic IP %s back on %s", ip->public_ip, ip->eni);
		sg_err rc = aws_ec2_associate_address(x->aws, ip->allocation_id, ip->eni, ip->private_ip,
		                                      0, &e);
		bool here = !rc;
		char where[PB_ID_MAX] = "";
		if (rc && !strcmp(e.code, "Resource.AlreadyAssociated"))
			rc = check(f, eip_now(x, ip, &here, where, sizeof where, &e), "DescribeAddresses",
			           ip->allocation_id, &e);
		else
			check(f, rc, "AssociateAddress", ip->allocation_id, &e);
		if (!rc && !here)
			keep(k, "Elastic IP %s stays on %s (moved since the incident)", ip->public_ip, where);
		back += here;
	}
	return back;
}

static void keep(kept *k, const char *fmt, ...)
{
	size_t used = strlen(k->text);
	if (used + 3 >= sizeof k->text)
		return;
	if (used)
		used += (size_t)snprintf(k->text + used, sizeof k->text - used, "; ");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->text + used, sizeof k->text - used, fmt, ap);
	va_end(ap);
}

/* The instance's own settings that containment changed (imds, preserve),
 * back to the record: the hop limit (HttpTokens stays required, a
 * deliberate hardening), termination and stop protection, the shutdown
 * behaviour, DeleteOnTermination of the volumes that had it.  Setting a
 * value it already has is harmless, so a step that was off costs nothing. */
static void restore_settings(rsp_run *x, const pb_instance *in, failures *f, kept *k)
{
	struct aws_error e;
	if (in->hop_limit > 1) {
		struct aws_ec2_metadata_options mo = {.hop_limit = in->hop_limit};
		rsp_intent(x, "hop limit %d restored", in->hop_limit);
		check(f, aws_ec2_modify_metadata_options(x->aws, in->id, &mo, 0, NULL, &e),
		      "ModifyInstanceMetadataOptions", in->id, &e);
	} else if (!in->hop_limit)
		keep(k, "hop limit 1 (none recorded)");
	keep(k, "HttpTokens stays required (IMDSv2 only%s)",
	     strcmp(in->http_tokens, "required") ? ", was optional" : "");
	if (!in->spot) { /* Spot instances never got termination protection */
		rsp_intent(x, "termination protection %s, as recorded", in->termination_protection ? "on" : "off");
		check(f, aws_ec2_set_disable_api_termination(x->aws, in->id, in->termination_protection, 0, &e),
		      "ModifyInstanceAttribute disableApiTermination", in->id, &e);
	}
	rsp_intent(x, "stop protection %s, as recorded", in->stop_protection ? "on" : "off");
	sg_err rc = aws_ec2_set_disable_api_stop(x->aws, in->id, in->stop_protection, 0, &e);
	if (rc && rsp_stop_protection_unsupported(rc, &e))
		rc = SG_OK; /* never set by preserve either */
	check(f, rc, "ModifyInstanceAttribute disableApiStop", in->id, &e);
	if (in->shutdown_behavior[0]) {
		rsp_intent(x, "shutdown behaviour %s, as recorded", in->shutdown_behavior);
		check(f, aws_ec2_set_shutdown_behavior(x->aws, in->id, in->shutdown_behavior, 0, &e),
		      "ModifyInstanceAttribute instanceInitiatedShutdownBehavior", in->id, &e);
	} else
		keep(k, "shutdown behaviour stop (none recorded)");
	const char *devices[PB_MAX_VOLUMES];
	size_t n = 0;
	for (size_t i = 0; i < in->n_volumes; i++)
		if (in->volumes[i].delete_on_termination)
			devices[n++] = in->volumes[i].device;
	if (n) {
		rsp_intent(x, "DeleteOnTermination=true on %zu volume(s), as recorded", n);
		check(f, aws_ec2_set_delete_on_termination(x->aws, in->id, devices, n, true, 0, &e),
		      "ModifyInstanceAttribute blockDeviceMapping", in->id, &e);
	}
}

/* Each ENI's connection-tracking timeouts (isolate shortened them) back to
 * the recorded ones.  An ENI with none recorded had never been configured
 * and so had its type's defaults, which are set: read once, when first
 * needed, into def, from saying where from (release_conntrack_defaults).
 * Returns how many ENIs were set to the defaults. */
static size_t restore_conntrack(rsp_run *x, const pb_instance *in, failures *f, pb_eni *def,
                                char *from, size_t cap)
{
	const char *ids[PB_MAX_ENIS];
	for (size_t i = 0; i < in->n_enis; i++)
		ids[i] = in->enis[i].id;
	struct aws_xml *rep = NULL;
	struct aws_error e;
	size_t defaults = 0;
	if (!in->n_enis || check(f, aws_ec2_describe_network_interfaces(x->aws, ids, in->n_enis, NULL, 0,
	                                                                &rep, &e),
	                         "DescribeNetworkInterfaces", in->id, &e))
		return 0;
	for (size_t i = 0; i < in->n_enis; i++) {
		const pb_eni *eni = &in->enis[i];
		pb_eni now = {0};
		for (AWS_XML_EACH(it, aws_xml_get(rep, "networkInterfaceSet")))
			if (!strcmp(aws_xml_str_or(it, "networkInterfaceId", ""), eni->id))
				pb_conntrack_decode(aws_xml_child(it, "connectionTrackingConfiguration"), &now);
		bool recorded = eni->conntrack_tcp_established_s != 0;
		if (!recorded && !from[0])
			release_conntrack_defaults(x, def, from, cap);
		const pb_eni *want = recorded ? eni : def;
		struct aws_ec2_conntrack cur = {now.conntrack_tcp_established_s, now.conntrack_udp_stream_s,
		                                now.conntrack_udp_s};
		struct aws_ec2_conntrack was = {want->conntrack_tcp_established_s,
		                                want->conntrack_udp_stream_s, want->conntrack_udp_s};
		/* none shown now: never configured, the defaults hold */
		if ((!recorded && !cur.tcp_established_s) || !memcmp(&cur, &was, sizeof cur))
			continue;
		rsp_intent(x, "%s connection-tracking timeouts %d/%d/%d s, %s%s%s%s%s", eni->id,
		           was.tcp_established_s, was.udp_stream_s, was.udp_s,
		           recorded ? "as recorded" : "the defaults for ", recorded ? "" : in->instance_type,
		           recorded ? "" : " (", recorded ? "" : from, recorded ? "" : ")");
		if (!check(f, aws_ec2_set_eni_conntrack(x->aws, eni->id, &was, 0, &e),
		           "ModifyNetworkInterfaceAttribute", eni->id, &e))
			defaults += !recorded;
	}
	aws_xml_free(rep);
	return defaults;
}

/* The Auto Scaling group, as release_check planned it (AttachInstances
 * raises the desired capacity by one).  Returns whether the instance is in
 * its group. */
static bool restore_asg(rsp_run *x, const pb_instance *in, const release_plan *p, failures *f,
                        kept *k)
{
	struct aws_error e;
	switch (p->asg) {
	case RELEASE_ASG_NONE:
		return false;
	case RELEASE_ASG_INSIDE:
		return true;
	case RELEASE_ASG_STAYS_OUT:
		keep(k, "%s", p->asg_why);
		return false;
	case RELEASE_ASG_STANDBY: /* put there by --asg-standby */
		rsp_intent(x, "out of Standby in its group");
		return !check(f, aws_asg_exit_standby(x->aws, in->asg, (const char *[]){in->id}, 1, 0, &e),
		              "ExitStandby", in->asg, &e);
	case RELEASE_ASG_ATTACH:
		break;
	}
	rsp_intent(x, "attached back to its group");
	return !check(f, aws_asg_attach_instances(x->aws, in->asg, (const char *[]){in->id}, 1, 0, &e),
	              "AttachInstances", in->asg, &e);
}

/* What release did, besides the calls' own record, for its message. */
typedef struct restored {
	size_t groups, groups_of; /* ENIs with their recorded groups back, of those with some */
	size_t conntrack_default; /* ENIs whose timeouts were set to the type's defaults */
	pb_eni defaults;          /* ... those defaults, */
	char defaults_from[160];  /* ... and where they came from */
	size_t eips;              /* Elastic IPs on the instance */
	size_t registrations;     /* target group and ELB registrations back */
	size_t settings_failed;   /* the instance's own settings (restore_settings) */
	bool profile, asg;        /* the recorded profile on it; in its group */
	kept stays;
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
                            const restored *did, const failures *failed, const char *actor,
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
	failures fails = {0};
	struct aws_error e;
	const char *status = partly ? "released-partly" : "released";
	struct aws_tag tags[] = {{"ssrfguard:status", status}};
	rsp_intent(x, "status tag %s", status);
	*partial = partly;
	if (check(&fails, aws_ec2_create_tags(x->aws, (const char *[]){in->id}, 1, tags, 1, 0, &e),
	          "CreateTags", in->id, &e)) {
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
	if (inc->state == STORE_CONTAINING && inc->lease_until_ms >= rsp_now_ms()) {
		char owner[256]; /* any responder's text in a shared store */
		sg_text_clean(owner, sizeof owner, inc->lease_owner, strlen(inc->lease_owner));
		snprintf(msg, msglen, "%s is being contained by %s right now", x->inc, owner);
		return SG_ERR_BUSY;
	}
	return SG_OK;
}

/* Nothing changed the instance: the incident stays as it is. */
static sg_err nothing_restored(rsp_run *x, const store_incident *inc, const failures *f,
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
static void restore_all(rsp_run *x, const release_plan *plan, restored *did, failures *f)
{
	const pb_instance *in = x->inst;
	kept *stays = &did->stays;
	did->groups = restore_groups(x, in, f, &did->groups_of);
	if (did->groups_of && !did->groups)
		return;
	did->conntrack_default = restore_conntrack(x, in, f, &did->defaults, did->defaults_from,
	                                           sizeof did->defaults_from);
	size_t before = f->n;
	restore_settings(x, in, f, stays);
	did->settings_failed = f->n - before;
	did->eips = restore_eips(x, in, f, stays);
	did->profile = restore_profile(x, in, f);
	did->registrations = restore_registrations(x, in, f);
	did->asg = restore_asg(x, in, plan, f, stays); /* last: back in service when all else is */
	if (in->role_name[0])
		keep(stays, "the revocation policy %s on role %s (it denies only sessions issued before "
		     "the incident)", PB_REVOKE_POLICY_NAME, in->role_name);
	keep(stays, "the evidence (snapshots, volumes, IncidentId tags) and the quarantine groups "
	     "(%s)", did->groups == did->groups_of ? "no longer attached" : "still on some ENIs");
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
	rsp_name_incident(&x, id);
	if ((err = store_get(x.st, id, &inc))) {
		snprintf(msg, msglen, "%s: no such incident", x.inc);
		goto fail;
	}
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
	failures fails = {0};
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
