/* release_restore.c — the restore calls of a release, one function per
 * thing containment changed, each counting what came back and naming what
 * failed (see release_int.h). */
#include "respond/release_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/asg.h"
#include "aws/ec2.h"
#include "aws/elb.h"
#include "respond/journal.h"

/* Count a call that failed and name it: action, target, AWS's code and
 * message, request id.  Returns err. */
sg_err release_call(release_failures *f, sg_err err, const char *action, const char *target,
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
size_t release_groups(rsp_run *x, const pb_instance *in, release_failures *f, size_t *of)
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
		rsp_intent(x, "restore the recorded security groups");
		(*of)++;
		back += !release_call(f, aws_ec2_set_eni_groups(x->aws, eni->id, groups, eni->n_groups, 0, &e),
		                      "ModifyNetworkInterfaceAttribute", eni->id, &e);
	}
	return back;
}

/* Returns whether the recorded profile is on the instance. */
bool release_profile(rsp_run *x, const pb_instance *in, release_failures *f)
{
	struct aws_error e;
	if (!in->profile_arn[0])
		return false;
	struct aws_xml *rep = NULL;
	const char *v[] = {in->id};
	const char *st[] = {"associated", "associating"};
	struct aws_filter flt[] = {{"instance-id", v, 1}, {"state", st, 2}};
	if (release_call(f, aws_ec2_describe_iip_associations(x->aws, flt, 2, &rep, &e),
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
	rsp_intent(x, "restore the recorded profile");
	if (assoc[0])
		return !release_call(f, aws_ec2_replace_iip_association(x->aws, assoc, in->profile_arn, 0, NULL,
		                                                        &e),
		                     "ReplaceIamInstanceProfileAssociation", in->id, &e);
	return !release_call(f, aws_ec2_associate_iip(x->aws, in->id, in->profile_arn, 0, NULL, &e),
	                     "AssociateIamInstanceProfile", in->id, &e);
}

/* Returns how many registrations are back. */
size_t release_registrations(rsp_run *x, const pb_instance *in, release_failures *f)
{
	struct aws_error e;
	size_t back = 0;
	for (size_t t = 0; t < in->n_targets; t++) {
		const pb_target *tg = &in->targets[t];
		struct aws_elbv2_target target = {tg->id, tg->port, tg->az[0] ? tg->az : NULL};
		rsp_intent(x, "restore the registration");
		back += !release_call(f, aws_elbv2_register_targets(x->aws, tg->group_arn, &target, 1, 0, &e),
		                      "RegisterTargets", tg->group_arn, &e);
	}
	for (size_t l = 0; l < in->n_elbs; l++) {
		rsp_intent(x, "restore the registration");
		back += !release_call(f, aws_elb_register_instances(x->aws, in->elbs[l], (const char *[]){in->id},
		                                                    1, 0, &e),
		                      "RegisterInstancesWithLoadBalancer", in->elbs[l], &e);
	}
	return back;
}



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
size_t release_eips(rsp_run *x, const pb_instance *in, release_failures *f, release_kept *k)
{
	size_t back = 0;
	for (size_t i = 0; i < in->n_eips; i++) {
		const pb_eip *ip = &in->eips[i];
		struct aws_error e;
		rsp_intent(x, "put Elastic IP %s back on %s", ip->public_ip, ip->eni);
		sg_err rc = aws_ec2_associate_address(x->aws, ip->allocation_id, ip->eni, ip->private_ip,
		                                      0, &e);
		bool here = !rc;
		char where[PB_ID_MAX] = "";
		if (rc && !strcmp(e.code, "Resource.AlreadyAssociated"))
			rc = release_call(f, eip_now(x, ip, &here, where, sizeof where, &e), "DescribeAddresses",
			                  ip->allocation_id, &e);
		else
			release_call(f, rc, "AssociateAddress", ip->allocation_id, &e);
		if (!rc && !here)
			release_keep(k, "Elastic IP %s stays on %s (moved since the incident)", ip->public_ip, where);
		back += here;
	}
	return back;
}

void release_keep(release_kept *k, const char *fmt, ...)
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
void release_settings(rsp_run *x, const pb_instance *in, release_failures *f, release_kept *k)
{
	struct aws_error e;
	if (in->hop_limit > 1) {
		struct aws_ec2_metadata_options mo = {.hop_limit = in->hop_limit};
		rsp_intent(x, "restore hop limit %d", in->hop_limit);
		release_call(f, aws_ec2_modify_metadata_options(x->aws, in->id, &mo, 0, NULL, &e),
		             "ModifyInstanceMetadataOptions", in->id, &e);
	} else if (!in->hop_limit)
		release_keep(k, "hop limit 1 (none recorded)");
	release_keep(k, "HttpTokens stays required (IMDSv2 only%s)",
	             strcmp(in->http_tokens, "required") ? ", was optional" : "");
	if (!in->spot) { /* Spot instances never got termination protection */
		rsp_intent(x, "set termination protection %s, as recorded", in->termination_protection ? "on" : "off");
		sg_err rc = aws_ec2_set_disable_api_termination(x->aws, in->id, in->termination_protection,
		                                                0, &e);
		release_call(f, rc, "ModifyInstanceAttribute disableApiTermination", in->id, &e);
	}
	rsp_intent(x, "set stop protection %s, as recorded", in->stop_protection ? "on" : "off");
	sg_err rc = aws_ec2_set_disable_api_stop(x->aws, in->id, in->stop_protection, 0, &e);
	if (rc && rsp_stop_protection_unsupported(rc, &e))
		rc = SG_OK; /* never set by preserve either */
	release_call(f, rc, "ModifyInstanceAttribute disableApiStop", in->id, &e);
	if (in->shutdown_behavior[0]) {
		rsp_intent(x, "set shutdown behaviour %s, as recorded", in->shutdown_behavior);
		release_call(f, aws_ec2_set_shutdown_behavior(x->aws, in->id, in->shutdown_behavior, 0, &e),
		             "ModifyInstanceAttribute instanceInitiatedShutdownBehavior", in->id, &e);
	} else
		release_keep(k, "shutdown behaviour stop (none recorded)");
	const char *devices[PB_MAX_VOLUMES];
	size_t n = 0;
	for (size_t i = 0; i < in->n_volumes; i++)
		if (in->volumes[i].delete_on_termination)
			devices[n++] = in->volumes[i].device;
	if (n) {
		rsp_intent(x, "set DeleteOnTermination=true on %zu volume(s), as recorded", n);
		release_call(f, aws_ec2_set_delete_on_termination(x->aws, in->id, devices, n, true, 0, &e),
		             "ModifyInstanceAttribute blockDeviceMapping", in->id, &e);
	}
}

/* Each ENI's connection-tracking timeouts (isolate shortened them) back to
 * the recorded ones.  An ENI with none recorded had never been configured
 * and so had its type's defaults, which are set: read once, when first
 * needed, into def, from saying where from (release_conntrack_defaults).
 * Returns how many ENIs were set to the defaults. */
size_t release_conntrack(rsp_run *x, const pb_instance *in, release_failures *f, pb_eni *def,
                         char *from, size_t cap)
{
	const char *ids[PB_MAX_ENIS];
	for (size_t i = 0; i < in->n_enis; i++)
		ids[i] = in->enis[i].id;
	struct aws_xml *rep = NULL;
	struct aws_error e;
	size_t defaults = 0;
	sg_err rc = in->n_enis ? aws_ec2_describe_network_interfaces(x->aws, ids, in->n_enis, NULL, 0,
	                                                             &rep, &e)
	                       : SG_ERR_NOTFOUND;
	if (!in->n_enis || release_call(f, rc, "DescribeNetworkInterfaces", in->id, &e))
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
		rsp_intent(x, "set %s connection-tracking timeouts %d/%d/%d s, %s%s%s%s%s", eni->id,
		           was.tcp_established_s, was.udp_stream_s, was.udp_s,
		           recorded ? "as recorded" : "the defaults for ", recorded ? "" : in->instance_type,
		           recorded ? "" : " (", recorded ? "" : from, recorded ? "" : ")");
		if (!release_call(f, aws_ec2_set_eni_conntrack(x->aws, eni->id, &was, 0, &e),
		                  "ModifyNetworkInterfaceAttribute", eni->id, &e))
			defaults += !recorded;
	}
	aws_xml_free(rep);
	return defaults;
}

/* The Auto Scaling group, as release_check planned it (AttachInstances
 * raises the desired capacity by one).  Returns whether the instance is in
 * its group. */
bool release_asg_back(rsp_run *x, const pb_instance *in, const release_plan *p,
                      release_failures *f, release_kept *k)
{
	struct aws_error e;
	const char *ids[] = {in->id};
	switch (p->asg) {
	case RELEASE_ASG_NONE:
		return false;
	case RELEASE_ASG_INSIDE:
		return true;
	case RELEASE_ASG_STAYS_OUT:
		release_keep(k, "%s", p->asg_why);
		return false;
	case RELEASE_ASG_STANDBY: /* put there by --asg-standby */
		rsp_intent(x, "take it out of Standby in its group");
		return !release_call(f, aws_asg_exit_standby(x->aws, in->asg, ids, 1, 0, &e),
		                     "ExitStandby", in->asg, &e);
	case RELEASE_ASG_ATTACH:
		break;
	}
	rsp_intent(x, "attach it back to its group");
	return !release_call(f, aws_asg_attach_instances(x->aws, in->asg, ids, 1, 0, &e),
	                     "AttachInstances", in->asg, &e);
}
