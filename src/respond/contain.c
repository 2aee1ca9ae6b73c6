/* contain.c — the containment steps: tag, IMDS, revoke, preserve, ASG, LB,
 * isolate, strip.  Each is idempotent: it looks at AWS before it changes
 * anything, so a rerun after a crash repeats nothing harmful. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "aws/iam.h"
#include "playbook/revoke.h"
#include "respond/journal.h"

#define TRY(e)                                                                                     \
	do {                                                                                       \
		if ((err = (e)) != SG_OK)                                                          \
			goto fail;                                                                 \
	} while (0)

sg_err rsp_step_tag(rsp_run *x)
{
	struct aws_tag tags[4];
	size_t n = rsp_incident_tags(x, tags);
	tags[n++] = (struct aws_tag){"InvestigationTicket", x->cfg->playbook.ticket};
	tags[n++] = (struct aws_tag){"ssrfguard:status", "containing"};
	rsp_intent(x, "tag IncidentId, InvestigationTicket, ssrfguard:status");
	sg_err err = aws_ec2_create_tags(x->aws, (const char *[]){x->inst->id}, 1, tags, n, 0, NULL);
	if (!err)
		snprintf(x->note, sizeof x->note, "IncidentId=%s InvestigationTicket=%s", x->inc,
		         x->cfg->playbook.ticket);
	return err;
}

sg_err rsp_step_imds(rsp_run *x)
{
	const char *id = x->inst->id;
	/* HttpEndpoint is left out, so unchanged: sending "enabled" would turn
	 * a disabled IMDS back on (EC2 API reference,
	 * ModifyInstanceMetadataOptions) and hand the attacker a metadata
	 * service the owner had switched off. */
	struct aws_ec2_metadata_options mo = {.http_tokens = "required", .hop_limit = 1};
	rsp_intent(x, "set HttpTokens=required, hop limit 1");
	sg_err err = aws_ec2_modify_metadata_options(x->aws, id, &mo, 0, NULL, NULL);
	if (err)
		return err;
	unsigned wait = x->cfg->imds_wait_s ? x->cfg->imds_wait_s : 60;
	int64_t deadline = sg_mono_ms() + (int64_t)wait * 1000;
	for (;;) {
		struct aws_xml *r = NULL;
		err = aws_ec2_describe_instances(x->aws, &id, 1, NULL, 0, &r, NULL);
		if (err)
			return err;
		const struct aws_xml *item = aws_xml_get(r, "reservationSet/item/instancesSet/item");
		const struct aws_xml *mo = aws_xml_get(item, "metadataOptions");
		bool ours = !strcmp(aws_xml_str_or(mo, "httpTokens", ""), "required") &&
		            !strcmp(aws_xml_str_or(mo, "httpPutResponseHopLimit", ""), "1");
		bool applied = ours && !strcmp(aws_xml_str_or(mo, "state", ""), "applied");
		/* a stopped instance takes the change when it starts: "pending"
		 * until then (EC2 user guide, "Modify instance metadata options
		 * for existing instances"), and it serves no metadata meanwhile */
		bool stopped = ours && !strcmp(aws_xml_str_or(item, "instanceState/name", ""), "stopped");
		aws_xml_free(r);
		if (applied || stopped) {
			snprintf(x->note, sizeof x->note, "IMDSv2 required, hop limit 1: %s%s",
			         applied ? "applied"
			                 : "pending, applied when the stopped instance starts (it "
			                   "serves no metadata while stopped)",
			         !strcmp(x->inst->http_endpoint, "disabled") ? " (IMDS stays disabled)" : "");
			return SG_OK;
		}
		if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "metadata options still pending after %u s", wait);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

/* The instance's live profile association now (a rerun may find it gone
 * or replaced): its id and profile ARN, "" when none. */
static sg_err profile_now(rsp_run *x, char assoc[PB_ID_MAX], char arn[PB_ARN_MAX])
{
	struct aws_xml *r = NULL;
	const char *v[] = {x->inst->id};
	const char *st[] = {"associated", "associating"};
	struct aws_filter f[] = {{"instance-id", v, 1}, {"state", st, 2}};
	sg_err err = aws_ec2_describe_iip_associations(x->aws, f, 2, &r, NULL);
	snprintf(assoc, PB_ID_MAX, "%s",
	         aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/associationId", ""));
	snprintf(arn, PB_ARN_MAX, "%s",
	         aws_xml_str_or(r, "iamInstanceProfileAssociationSet/item/iamInstanceProfile/arn", ""));
	aws_xml_free(r);
	return err;
}

/*
 * The SSM agent signs with the instance profile's credentials, so the deny
 * below cuts it off as well as the thief (SSM user guide, "SSM Agent
 * technical reference"; IAM user guide, "Revoke IAM role temporary
 * security credentials"), and IMDS would hand it credentials issued after
 * the cut-off only near their expiry.  With a quarantine profile (a role
 * that may do only what the agent needs) swapped in first, IMDS serves
 * that role's fresh credentials at once (EC2 user guide, "Replace an IAM
 * role"), the agent keeps working for the capture, and the thief's
 * credentials, issued to the old role, die with the deny.
 */
static sg_err swap_in_quarantine_profile(rsp_run *x, const char *qp)
{
	char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
	sg_err err = profile_now(x, assoc, arn);
	if (err || !assoc[0] || !strcmp(arn, qp))
		return err; /* done by an earlier run, or no profile left to swap */
	rsp_intent(x, "swap the profile for the quarantine profile %s before the deny", qp);
	err = aws_ec2_replace_iip_association(x->aws, assoc, qp, 0, NULL, NULL);
	if (!err)
		rsp_notef(x, "quarantine profile %s swapped in before the deny: the SSM agent gets its "
		             "fresh credentials, the stolen ones stay denied", qp);
	return err;
}

/* The size of the role's other inline policies, as IAM counts it. */
struct sizes {
	rsp_run *x;
	size_t total;
};

static sg_err add_size(void *ctx, const char *name)
{
	struct sizes *z = ctx;
	if (!strcmp(name, PB_REVOKE_POLICY_NAME))
		return SG_OK;
	char *doc = NULL;
	sg_err err = aws_iam_get_role_policy(z->x->aws, z->x->inst->role_name, name, &doc, NULL);
	z->total += pb_policy_size(doc);
	free(doc);
	return err;
}

/*
 * The role's one revocation policy with this instance's statement set
 * (lib/playbook/revoke.h), checked against IAM's quota for all its inline
 * policies before it is sent.  RSP_FATAL with the note when it cannot fit.
 */
static sg_err revocation_document(rsp_run *x, const char *before, char **doc)
{
	const pb_instance *in = x->inst;
	char *current = NULL;
	sg_err err = aws_iam_get_role_policy(x->aws, in->role_name, PB_REVOKE_POLICY_NAME, &current,
	                                     NULL);
	if (err && err != SG_ERR_NOTFOUND)
		return err;
	err = pb_revoke_merge(current, in->arn, before, aws_client_now(x->aws), doc);
	free(current);
	if (err) {
		snprintf(x->note, sizeof x->note, "revocation policy of role %s: %s", in->role_name,
		         sg_strerror(err));
		return RSP_FATAL;
	}
	struct sizes z = {x, 0};
	if ((err = aws_iam_each_role_policy(x->aws, in->role_name, add_size, &z, NULL))) {
		free(*doc);
		*doc = NULL;
		return err;
	}
	size_t size = z.total + pb_policy_size(*doc);
	if (size > PB_ROLE_POLICY_MAX) {
		snprintf(x->note, sizeof x->note,
		         "role %s: the deny would bring its inline policies to %zu characters, over IAM's "
		         "%d: not sent (make room in the role's inline policies)",
		         in->role_name, size, PB_ROLE_POLICY_MAX);
		free(*doc);
		*doc = NULL;
		return RSP_FATAL;
	}
	return SG_OK;
}

sg_err rsp_step_revoke(rsp_run *x)
{
	const pb_instance *in = x->inst;
	if (!in->role_name[0]) {
		snprintf(x->note, sizeof x->note, "no instance profile role: nothing to revoke");
		return RSP_SKIP;
	}
	const char *qp = x->cfg->playbook.quarantine_profile;
	sg_err err;
	if (qp[0] && in->profile_arn[0] && (err = swap_in_quarantine_profile(x, qp)))
		return err;
	/* "now" is fixed at the first attempt and kept in the journal, so a
	 * rerun writes the same document */
	const char *before = rsp_created_get(x, "issued_before");
	char iso[32];
	if (!before) {
		/* in AWS's time (it evaluates aws:TokenIssueTime on its clock),
		 * 2 s on for the Date header's whole seconds */
		rsp_iso8601(aws_client_now(x->aws) * 1000 + 2000, iso);
		rsp_created(x, "issued_before", iso);
		before = rsp_created_get(x, "issued_before");
	}
	char *doc = NULL;
	if ((err = revocation_document(x, before, &doc)))
		return err;
	rsp_intent(x, "put %s: deny sessions issued before %s from %s", PB_REVOKE_POLICY_NAME, before,
	           in->id);
	struct aws_error e;
	err = aws_iam_put_role_policy(x->aws, in->role_name, PB_REVOKE_POLICY_NAME, doc, 0, &e);
	free(doc);
	if (err && !strcmp(e.code, "LimitExceeded")) {
		snprintf(x->note, sizeof x->note,
		         "role %s: IAM refused the deny (LimitExceeded: its inline policies would pass "
		         "%d characters)",
		         in->role_name, PB_ROLE_POLICY_MAX);
		return RSP_FATAL;
	}
	if (!err) {
		rsp_created(x, "policy", PB_REVOKE_POLICY_NAME);
		snprintf(x->note, sizeof x->note, "role %s: %s denies sessions issued before %s from %s",
		         in->role_name, PB_REVOKE_POLICY_NAME, before, in->id);
	}
	return err;
}

/*
 * Termination protection, except where AWS refuses it: "You can't enable
 * termination protection for Spot Instances" (EC2 user guide, "Change
 * instance termination protection").  A Spot instance goes on without it:
 * shutdown behaviour stop and DeleteOnTermination=false still keep its
 * volumes, and the snapshots follow at once; an interruption remains
 * possible and the note says so.
 */
static sg_err termination_protection(rsp_run *x)
{
	static const char spot_note[] =
		"Spot instance: AWS refuses termination protection; a Spot interruption can still end "
		"it (volumes kept on termination, snapshots next)";
	if (x->inst->spot) {
		rsp_notef(x, "%s", spot_note);
		return SG_OK;
	}
	struct aws_error e;
	rsp_intent(x, "turn termination protection on");
	sg_err err = aws_ec2_set_disable_api_termination(x->aws, x->inst->id, true, 0, &e);
	if (err && !strcmp(e.code, "UnsupportedOperation")) {
		rsp_notef(x, "%s (%s)", spot_note, e.code); /* became Spot-like after the record */
		return SG_OK;
	}
	return err;
}

bool rsp_stop_protection_unsupported(sg_err err, const struct aws_error *e)
{
	return err == SG_ERR_UNSUPPORTED ||
	       (err && (!strcmp(e->code, "UnsupportedOperation") ||
	                !strcmp(e->code, "InvalidParameterCombination") ||
	                !strcmp(e->code, "InvalidParameterValue")));
}

sg_err rsp_step_preserve(rsp_run *x)
{
	const char *id = x->inst->id;
	sg_err err;
	if ((err = termination_protection(x)))
		goto fail;
	rsp_intent(x, "turn stop protection on");
	struct aws_error se;
	aws_error_clear(&se);
	err = aws_ec2_set_disable_api_stop(x->aws, id, true, 0, &se);
	bool no_stop = rsp_stop_protection_unsupported(err, &se);
	if (no_stop)
		rsp_notef(x, "stop protection not set (%s): older API or instance type",
		          se.code[0] ? se.code : sg_strerror(err));
	else if (err)
		goto fail;
	err = SG_OK;
	rsp_intent(x, "set shutdown behaviour stop");
	TRY(aws_ec2_set_shutdown_behavior(x->aws, id, "stop", 0, NULL));
	size_t k = x->inst->n_volumes;
	const char *devices[PB_MAX_VOLUMES];
	for (size_t i = 0; i < k; i++)
		devices[i] = x->inst->volumes[i].device;
	if (k) {
		rsp_intent(x, "set DeleteOnTermination=false on every volume");
		TRY(aws_ec2_set_delete_on_termination(x->aws, id, devices, k, false, 0, NULL));
	}
	snprintf(x->note, sizeof x->note, "%s%s, shutdown=stop, %zu volume(s) kept on termination",
	         x->inst->spot ? "Spot: no termination protection" : "termination protection",
	         no_stop ? ", no stop protection" : x->inst->spot ? ", stop protection" : " and stop protection", k);
fail:
	return err;
}

sg_err rsp_step_lb(rsp_run *x)
{
	sg_err err = SG_OK;
	size_t n = 0;
	for (size_t i = 0; i < x->plan.n; i++) {
		const pb_action *a = &x->plan.actions[i];
		struct aws_error e;
		aws_error_clear(&e);
		if (a->op == PB_OP_TG_DEREGISTER) {
			struct aws_elbv2_target t = {a->arg, a->port, NULL};
			for (size_t k = 0; k < x->inst->n_targets; k++)
				if (!strcmp(x->inst->targets[k].group_arn, a->target) &&
				    !strcmp(x->inst->targets[k].id, a->arg) && x->inst->targets[k].az[0])
					t.az = x->inst->targets[k].az;
			rsp_intent(x, "deregister from %s:%d", a->arg, a->port);
			err = aws_elbv2_deregister_targets(x->aws, a->target, &t, 1, 0, &e);
			n++;
		} else if (a->op == PB_OP_ELB_DEREGISTER) {
			rsp_intent(x, "deregister from %s", a->arg);
			err = aws_elb_deregister_instances(x->aws, a->target, (const char *[]){a->arg}, 1, 0, &e);
			n++;
		}
		/* the ASG detach deregisters from the group's own load balancers;
		 * "not registered" means the work is done */
		if (err == SG_ERR_NOTFOUND || !strcmp(e.code, "InvalidEndPoint") ||
		    !strcmp(e.code, "InvalidInstance") || !strcmp(e.code, "InvalidTarget")) {
			rsp_notef(x, "%s: %s was no longer registered", a->target, a->arg);
			err = SG_OK;
		}
		if (err)
			return err;
	}
	if (!n) {
		snprintf(x->note, sizeof x->note, "behind no load balancer");
		return RSP_SKIP;
	}
	snprintf(x->note, sizeof x->note, "%zu registration(s) removed", n);
	return SG_OK;
}

/* ---- isolation ---------------------------------------------------------- */

/* Find the group tagged ssrfguard:role=ROLE in vpc; "" when none. */
static sg_err find_group(rsp_run *x, const char *vpc, const char *role, char *out, size_t cap)
{
	struct aws_xml *r = NULL;
	const char *v[] = {vpc}, *ro[] = {role};
	struct aws_filter f[] = {{"vpc-id", v, 1}, {"tag:ssrfguard:role", ro, 1}};
	sg_err err = aws_ec2_describe_security_groups(x->aws, NULL, 0, f, 2, &r, NULL);
	if (!err)
		snprintf(out, cap, "%s", aws_xml_str_or(r, "securityGroupInfo/item/groupId", ""));
	aws_xml_free(r);
	return err;
}

/* Revoke every rule of one group's ingress or egress, as described now. */
static sg_err revoke_all(rsp_run *x, const char *group, bool egress, size_t *revoked)
{
	struct aws_xml *r = NULL;
	sg_err err = aws_ec2_describe_security_groups(x->aws, &group, 1, NULL, 0, &r, NULL);
	if (err)
		return err;
	size_t k = 0;
	rsp_intent(x, egress ? "revoke every egress rule" : "revoke every ingress rule");
	err = aws_ec2_revoke_described_rules(
		x->aws, group, egress,
		aws_xml_get(r, egress ? "securityGroupInfo/item/ipPermissionsEgress"
		                      : "securityGroupInfo/item/ipPermissions"),
		0, &k, NULL);
	aws_xml_free(r);
	*revoked += k;
	return err;
}

static sg_err authorize_one(rsp_run *x, const char *group, bool egress, bool v6)
{
	struct aws_ip_permission all = {.protocol = "-1"};
	if (v6)
		all.cidr_ipv6 = "::/0";
	else
		all.cidr_ipv4 = "0.0.0.0/0";
	rsp_intent(x, "allow all %s %s", v6 ? "IPv6" : "IPv4", egress ? "egress" : "ingress");
	sg_err err = aws_ec2_security_group_rules(
		x->aws, egress ? AWS_SG_AUTHORIZE_EGRESS : AWS_SG_AUTHORIZE_INGRESS, group, &all, 1, 0, NULL);
	return err == SG_ERR_EXISTS ? SG_OK : err; /* InvalidPermission.Duplicate: already there */
}

/* All traffic both ways, IPv4 and IPv6 (one call each: a duplicate
 * refuses the whole call, so they must not share one). */
static sg_err authorize_all(rsp_run *x, const char *group, bool egress)
{
	sg_err err = authorize_one(x, group, egress, false);
	if (!err)
		err = authorize_one(x, group, egress, true);
	return err;
}

/* Find or create the group of `role` (open | quarantine) in vpc. */
static sg_err ensure_group(rsp_run *x, const char *vpc, const char *role, char *out, size_t cap)
{
	char key[PB_ID_MAX + 32];
	snprintf(key, sizeof key, "%s-group:%s", role, vpc);
	const char *known = rsp_created_get(x, key);
	sg_err err;
	out[0] = '\0';
	if (!known)
		if ((err = find_group(x, vpc, role, out, cap)))
			return err;
	if (known)
		snprintf(out, cap, "%s", known);
	if (!out[0]) {
		char name[PB_ID_MAX + 32];
		snprintf(name, sizeof name, "ssrfguard-%s-%s", role, vpc);
		struct aws_tag tags[] = {{"ssrfguard:role", role}, {"Name", name}};
		char group[32] = "";
		rsp_intent(x, "create group %s", name);
		err = aws_ec2_create_security_group(x->aws, vpc, name,
		                                    !strcmp(role, "open")
		                                            ? "ssrfguard: all-open step before quarantine"
		                                            : "ssrfguard: quarantine, no rules",
		                                    tags, 2, 0, group, NULL);
		if (err == SG_ERR_EXISTS) {
			/* made by a racing responder or a crashed run: look it up by name */
			struct aws_xml *r = NULL;
			const char *v[] = {vpc}, *nm[] = {name};
			struct aws_filter f[] = {{"vpc-id", v, 1}, {"group-name", nm, 1}};
			err = aws_ec2_describe_security_groups(x->aws, NULL, 0, f, 2, &r, NULL);
			if (!err)
				snprintf(out, cap, "%s", aws_xml_str_or(r, "securityGroupInfo/item/groupId", ""));
			aws_xml_free(r);
		} else if (!err)
			snprintf(out, cap, "%s", group);
		if (err)
			return err;
		if (!out[0])
			return SG_ERR_PROTOCOL;
	}
	rsp_created(x, key, out);
	/* make its rules right every time (a crash may have left them half
	 * done); a group just created may not be visible yet (NotFound for a
	 * moment, as AWS is eventually consistent): wait for it */
	for (int tries = 0;; tries++) {
		size_t revoked = 0;
		if (!strcmp(role, "open")) {
			if (!(err = authorize_all(x, out, false)))
				err = authorize_all(x, out, true);
		} else {
			if (!(err = revoke_all(x, out, false, &revoked)))
				err = revoke_all(x, out, true, &revoked);
		}
		if (err != SG_ERR_NOTFOUND || tries >= 20)
			return err;
		if ((err = rsp_pause(x)))
			return err;
	}
}

static sg_err set_groups(rsp_run *x, const char *eni, const char *group, const char *change)
{
	sg_err err;
	int tries = 0;
	do { /* a just-created group may not be visible yet */
		rsp_intent(x, "%s", change);
		err = aws_ec2_set_eni_groups(x->aws, eni, &group, 1, 0, NULL);
	} while (rsp_settling(x, &tries, &err));
	return err;
}

static sg_err eni_groups_now(rsp_run *x, const char *eni, char *first, size_t cap, size_t *n)
{
	struct aws_xml *r = NULL;
	sg_err err = aws_ec2_describe_network_interfaces(x->aws, &eni, 1, NULL, 0, &r, NULL);
	if (!err) {
		const struct aws_xml *g = aws_xml_get(r, "networkInterfaceSet/item/groupSet");
		*n = aws_xml_count(g);
		snprintf(first, cap, "%s", aws_xml_str_or(g, "item/groupId", ""));
	}
	aws_xml_free(r);
	return err;
}

/*
 * Take the Elastic IPs off the instance: the attacker's way in from the
 * internet, as AWSSupport-ContainEC2Instance and the GuardDuty response
 * samples do.  The addresses stay allocated to the account (recorded for
 * release, which associates them again); an association already gone
 * (InvalidAssociationID.NotFound) is done.
 */
static sg_err disassociate_eips(rsp_run *x)
{
	for (size_t i = 0; i < x->inst->n_eips; i++) {
		const pb_eip *e = &x->inst->eips[i];
		rsp_intent(x, "take Elastic IP %s (%s) off %s", e->public_ip, e->allocation_id, e->eni);
		sg_err err = aws_ec2_disassociate_address(x->aws, e->association_id, 0, NULL);
		if (err && err != SG_ERR_NOTFOUND)
			return err;
	}
	if (x->inst->n_eips)
		rsp_notef(x, "%zu Elastic IP(s) disassociated, still allocated to the account "
		             "(release associates them again)",
		          x->inst->n_eips);
	return SG_OK;
}

sg_err rsp_step_isolate(rsp_run *x)
{
	const pb_instance *in = x->inst;
	char vpcs[PB_MAX_ENIS][PB_ID_MAX];
	size_t nv = pb_instance_vpcs(in, vpcs, PB_MAX_ENIS);
	char open[PB_MAX_ENIS][PB_ID_MAX], quar[PB_MAX_ENIS][PB_ID_MAX];
	sg_err err;
	for (size_t i = 0; i < nv; i++) {
		if ((err = ensure_group(x, vpcs[i], "open", open[i], PB_ID_MAX)))
			return err;
		const char *cfgq = x->cfg->playbook.quarantine_group;
		if (cfgq[0] && !strcmp(vpcs[i], in->vpc))
			snprintf(quar[i], PB_ID_MAX, "%s", cfgq);
		else if ((err = ensure_group(x, vpcs[i], "quarantine", quar[i], PB_ID_MAX)))
			return err;
	}
	bool conntrack_warned = false;
	for (size_t e = 0; e < in->n_enis; e++) {
		const pb_eni *eni = &in->enis[e];
		size_t v = 0;
		while (v < nv && strcmp(vpcs[v], eni->vpc))
			v++;
		if (v == nv)
			return SG_ERR_STATE;
		char cur[PB_ID_MAX];
		size_t ncur = 0;
		if ((err = eni_groups_now(x, eni->id, cur, sizeof cur, &ncur)))
			return err;
		if (ncur == 1 && !strcmp(cur, quar[v]))
			continue; /* done by an earlier run */
		/* all-open first: connections become untracked, so the switch to
		 * the rule-less group ends them instead of letting them live on */
		if ((err = set_groups(x, eni->id, open[v], "move to the all-open group (untrack flows)")))
			return err;
		if (x->cfg->playbook.conntrack_timeouts && !conntrack_warned) {
			/* the shortest idle timeouts AWS allows */
			struct aws_ec2_conntrack shortest = {60, 60, 30};
			struct aws_error ae;
			rsp_intent(x, "set the shortest connection-tracking timeouts");
			sg_err ce = aws_ec2_set_eni_conntrack(x->aws, eni->id, &shortest, 0, &ae);
			if (ce && !conntrack_warned) {
				rsp_notef(x, "could not shorten connection-tracking timeouts (%s)",
				          ae.code[0] ? ae.code : sg_strerror(ce));
				conntrack_warned = true;
			}
		}
		char change[128];
		snprintf(change, sizeof change, "move to quarantine group %s only (from %zu group(s))", quar[v],
		         eni->n_groups);
		if ((err = set_groups(x, eni->id, quar[v], change)))
			return err;
	}
	if ((err = disassociate_eips(x)))
		return err;
	rsp_notef(x, "flows that AWS still tracks may survive the switch until they go idle "
	             "(tracked before the all-open step, or on untracked-exempt protocols)");
	snprintf(x->note, sizeof x->note, "%zu ENI(s) in quarantine across %zu VPC(s)", in->n_enis, nv);
	return SG_OK;
}

sg_err rsp_step_strip(rsp_run *x)
{
	const pb_instance *in = x->inst;
	if (!in->profile_assoc[0]) {
		snprintf(x->note, sizeof x->note, "no instance profile");
		return RSP_SKIP;
	}
	const char *qp = x->cfg->playbook.quarantine_profile;
	char assoc[PB_ID_MAX], arn[PB_ARN_MAX];
	sg_err err = profile_now(x, assoc, arn);
	if (err)
		return err;
	if (!assoc[0] || (qp[0] && !strcmp(arn, qp))) {
		snprintf(x->note, sizeof x->note, "profile already %s", qp[0] ? "replaced" : "removed");
		return SG_OK;
	}
	if (qp[0]) {
		rsp_intent(x, "replace the profile with the quarantine profile");
		err = aws_ec2_replace_iip_association(x->aws, assoc, qp, 0, NULL, NULL);
	} else {
		rsp_intent(x, "disassociate the profile");
		err = aws_ec2_disassociate_iip(x->aws, assoc, 0, NULL);
	}
	if (!err)
		snprintf(x->note, sizeof x->note, "%s %.400s", qp[0] ? "replaced" : "removed", in->profile_arn);
	return err;
}
