/* preserve.c — evidence steps: snapshots, volatile capture over SSM, and the
 * hand-off to the forensic instance. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/ec2.h"
#include "aws/ssm.h"
#include "respond/journal.h"

/* snapshots tagged with this incident: volume id -> snapshot id, state */
typedef struct snaps {
	size_t n;
	struct {
		char vol[PB_ID_MAX], snap[PB_ID_MAX], state[32];
	} s[PB_MAX_VOLUMES];
} snaps;

/* the incident's (IncidentId and its store) of this very instance: a
 * snapshot of another store's incident of the same number, or of another
 * instance, is never taken for one of ours */
static sg_err find_snapshots(rsp_run *x, snaps *out)
{
	struct aws_xml *r = NULL;
	rsp_incident_values iv;
	const char *src[] = {x->inst->id};
	struct aws_filter f[3];
	size_t nf = rsp_incident_filters(x, &iv, f);
	f[nf++] = (struct aws_filter){"tag:ssrfguard:source-instance", src, 1};
	sg_err err = aws_ec2_describe_own_snapshots(x->aws, f, nf, &r, NULL);
	out->n = 0;
	if (!err)
		for (AWS_XML_EACH(it, aws_xml_get(r, "snapshotSet"))) {
			if (out->n >= PB_MAX_VOLUMES)
				break;
			snprintf(out->s[out->n].vol, PB_ID_MAX, "%s", aws_xml_str_or(it, "volumeId", ""));
			snprintf(out->s[out->n].snap, PB_ID_MAX, "%s", aws_xml_str_or(it, "snapshotId", ""));
			snprintf(out->s[out->n].state, 32, "%s", aws_xml_str_or(it, "status", ""));
			out->n++;
		}
	aws_xml_free(r);
	return err;
}

static const char *snap_of(const snaps *s, const char *vol)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->s[i].vol, vol))
			return s->s[i].snap;
	return NULL;
}

/* The incident's detection time (its store record's opening) as
 * "YYYY-MM-DDTHH:MM:SSZ", the ssrfguard:incident-time tag of the evidence
 * volumes and the examination's --incident-time; "" when unknown. */
static void incident_time(rsp_run *x, char *buf, size_t len)
{
	store_incident inc;
	struct tm tm;
	buf[0] = 0;
	if (store_get(x->st, x->id, &inc) != SG_OK)
		return;
	time_t t = (time_t)(inc.opened_ms / 1000);
	if (inc.opened_ms > 0 && gmtime_r(&t, &tm))
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	store_incident_free(&inc);
}

static const char *device_of(rsp_run *x, const char *vol)
{
	for (size_t i = 0; i < x->inst->n_volumes; i++)
		if (!strcmp(x->inst->volumes[i].id, vol))
			return x->inst->volumes[i].device;
	return "";
}

sg_err rsp_step_snapshot(rsp_run *x)
{
	const pb_instance *in = x->inst;
	if (!in->n_volumes) {
		snprintf(x->note, sizeof x->note, "no EBS volumes");
		return RSP_SKIP;
	}
	snaps s;
	sg_err err = find_snapshots(x, &s);
	if (err)
		return err;
	/* what the journal knows beats what DescribeSnapshots shows yet: a
	 * just-created snapshot may be invisible for a moment (eventual
	 * consistency), and a second CreateSnapshots would duplicate it */
	for (size_t i = 0; i < in->n_volumes && s.n < PB_MAX_VOLUMES; i++) {
		char key[PB_ID_MAX + 16];
		snprintf(key, sizeof key, "snapshot:%s", in->volumes[i].id);
		const char *known = rsp_created_get(x, key);
		if (known && !snap_of(&s, in->volumes[i].id)) {
			snprintf(s.s[s.n].vol, PB_ID_MAX, "%s", in->volumes[i].id);
			snprintf(s.s[s.n].snap, PB_ID_MAX, "%s", known);
			snprintf(s.s[s.n].state, 32, "unknown");
			s.n++;
		}
	}
	size_t missing = 0;
	for (size_t i = 0; i < in->n_volumes; i++)
		missing += snap_of(&s, in->volumes[i].id) == NULL;
	if (missing == in->n_volumes) {
		/* all at one point in time (crash-consistent across volumes) */
		struct aws_tag tags[3];
		size_t nt = rsp_incident_tags(x, tags);
		tags[nt++] = (struct aws_tag){"ssrfguard:source-instance", in->id};
		struct aws_xml *r = NULL;
		rsp_intent(x, "snapshot every volume");
		err = aws_ec2_create_snapshots(x->aws, in->id, x->key, tags, nt, true, 0, &r, NULL);
		if (!err) {
			s.n = 0;
			for (AWS_XML_EACH(it, aws_xml_get(r, "snapshotSet"))) {
				if (s.n >= PB_MAX_VOLUMES)
					break;
				snprintf(s.s[s.n].vol, PB_ID_MAX, "%s", aws_xml_str_or(it, "volumeId", ""));
				snprintf(s.s[s.n].snap, PB_ID_MAX, "%s", aws_xml_str_or(it, "snapshotId", ""));
				snprintf(s.s[s.n].state, 32, "%s", aws_xml_str_or(it, "state", "pending"));
				char key[PB_ID_MAX + 16];
				snprintf(key, sizeof key, "snapshot:%s", s.s[s.n].vol);
				rsp_created(x, key, s.s[s.n].snap);
				s.n++;
			}
		}
		aws_xml_free(r);
		if (err)
			return err;
	} else if (missing) {
		rsp_notef(x, "%zu volume(s) have no snapshot yet from the first run; left as they are",
		          missing);
	}
	/* per-snapshot tags: source volume and device (idempotent) */
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++) {
		const char *dev = device_of(x, s.s[i].vol);
		char key[PB_ID_MAX + 16];
		snprintf(key, sizeof key, "tagged:%s", s.s[i].vol);
		if (rsp_created_get(x, key)) {
			n++;
			continue;
		}
		struct aws_tag tags[] = {{"ssrfguard:source-volume", s.s[i].vol},
		                         {"ssrfguard:device", dev}};
		const char *snap = s.s[i].snap;
		int tries = 0;
		do { /* the new snapshot may not be visible yet */
			rsp_intent(x, "tag the source volume and device");
			err = aws_ec2_create_tags(x->aws, &snap, 1, tags, 2, 0, NULL);
		} while (rsp_settling(x, &tries, &err));
		if (err)
			return err;
		rsp_created(x, key, s.s[i].snap);
		snprintf(key, sizeof key, "snapshot:%s", s.s[i].vol);
		if (!rsp_created_get(x, key))
			rsp_created(x, key, s.s[i].snap);
		n++;
	}
	if (n < in->n_volumes) {
		snprintf(x->note, sizeof x->note, "%zu of %zu volumes snapshotted (eventual consistency?)", n,
		         in->n_volumes);
		return SG_ERR_STATE;
	}
	snprintf(x->note, sizeof x->note, "%zu snapshot(s) started, tagged %s", n, x->inc);
	return SG_OK;
}

/* ---- forensics ------------------------------------------------------- */

typedef struct forensic_view {
	char az[PB_ID_MAX];
	uint32_t taken; /* device slots in use (pb_device_slot_bit) */
} forensic_view;

static sg_err describe_forensic(rsp_run *x, const char *id, forensic_view *fv)
{
	struct aws_xml *r = NULL;
	sg_err err = aws_ec2_describe_instances(x->aws, &id, 1, NULL, 0, &r, NULL);
	if (err)
		return err;
	const struct aws_xml *it = aws_xml_get(r, "reservationSet/item/instancesSet/item");
	if (!it) {
		aws_xml_free(r);
		snprintf(x->note, sizeof x->note, "forensic instance %s not found", id);
		return SG_ERR_NOTFOUND;
	}
	memset(fv, 0, sizeof *fv);
	snprintf(fv->az, sizeof fv->az, "%s", aws_xml_str_or(it, "placement/availabilityZone", ""));
	for (AWS_XML_EACH(b, aws_xml_get(it, "blockDeviceMapping")))
		fv->taken |= pb_device_slot_bit(aws_xml_str_or(b, "deviceName", ""));
	aws_xml_free(r);
	r = NULL;
	/* attachments in flight (attaching) are not yet in the mapping */
	const char *v[] = {id};
	struct aws_filter f[] = {{"attachment.instance-id", v, 1}};
	err = aws_ec2_describe_volumes(x->aws, NULL, 0, f, 1, &r, NULL);
	if (!err)
		for (AWS_XML_EACH(vol, aws_xml_get(r, "volumeSet")))
			for (AWS_XML_EACH(a, aws_xml_get(vol, "attachmentSet")))
				if (!strcmp(aws_xml_str_or(a, "instanceId", ""), id))
					fv->taken |= pb_device_slot_bit(aws_xml_str_or(a, "device", ""));
	aws_xml_free(r);
	return err;
}

sg_err rsp_step_forensics(rsp_run *x)
{
	const pb_config *pc = &x->cfg->playbook;
	bool examine = pc->forensic_instance[0] || pc->forensic_template[0];
	if (!examine && !pc->share_account[0]) {
		snprintf(x->note, sizeof x->note, "no forensic instance or account configured");
		return RSP_SKIP;
	}
	if (!x->inst->n_volumes) {
		snprintf(x->note, sizeof x->note, "no volumes to examine");
		return RSP_SKIP;
	}
	unsigned wait = x->cfg->snapshot_wait_s ? x->cfg->snapshot_wait_s : 1800;
	int64_t deadline = rsp_now_ms() + (int64_t)wait * 1000;
	snaps s;
	sg_err err;
	/* 1. every snapshot completed */
	for (;;) {
		if ((err = find_snapshots(x, &s)))
			return err;
		size_t done = 0, failed = 0;
		for (size_t i = 0; i < s.n; i++) {
			done += !strcmp(s.s[i].state, "completed");
			failed += !strcmp(s.s[i].state, "error");
		}
		if (failed) {
			snprintf(x->note, sizeof x->note, "%zu snapshot(s) in state error", failed);
			return RSP_FATAL;
		}
		if (s.n && done == s.n)
			break;
		if (rsp_now_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "snapshots not completed after %u s", wait);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
	/* 2. shared with the forensic account (--share-snapshots-with) */
	const char *ids[PB_MAX_VOLUMES];
	for (size_t i = 0; i < s.n; i++)
		ids[i] = s.s[i].snap;
	if ((err = rsp_share_snapshots(x, ids, s.n, deadline)))
		return err;
	if (!examine) {
		snprintf(x->note, sizeof x->note, "%zu snapshot(s) shared with account %s%s%s", s.n,
		         x->cfg->playbook.share_account, x->cfg->share_kms_key ? " as copies under " : "",
		         x->cfg->share_kms_key ? x->cfg->share_kms_key : "");
		return SG_OK;
	}
	char fid[PB_ID_MAX];
	if ((err = rsp_forensic_instance(x, deadline, fid)))
		return err;
	forensic_view fv;
	if ((err = describe_forensic(x, fid, &fv)))
		return err;
	/* 3. a volume per snapshot in the forensic AZ, 4. attached at a free slot */
	char line[4096], when[32];
	incident_time(x, when, sizeof when);
	size_t ln = (size_t)snprintf(line, sizeof line, "%s --incident %s",
	                             x->cfg->forensics_cmd ? x->cfg->forensics_cmd
	                                                   : "ssrfguard forensics examine",
	                             x->key);
	for (size_t i = 0; i < s.n; i++) {
		char vol[PB_ID_MAX], att[PB_ID_MAX], dev[PB_DEV_MAX];
		rsp_volume_want want = {fv.az, s.s[i].snap, s.s[i].vol, device_of(x, s.s[i].vol), when};
		if ((err = rsp_evidence_volume(x, &want, deadline, vol, att, dev)))
			goto fail;
		if (att[0] && strcmp(att, fid) != 0) {
			snprintf(x->note, sizeof x->note, "evidence volume %s is attached to %s, not %s", vol, att, fid);
			err = RSP_FATAL;
			goto fail;
		}
		if (!att[0]) {
			char slot[1][PB_DEV_MAX];
			if (pb_device_slots(fv.taken, 1, slot)) {
				snprintf(x->note, sizeof x->note,
				         "no free device slot on %s: /dev/sdf to /dev/sdz are all in use", fid);
				err = RSP_FATAL;
				goto fail;
			}
			struct aws_error ae;
			int tries = 0;
			do { /* the new volume may not be visible yet */
				rsp_intent(x, "attach %s at %s", vol, slot[0]);
				err = aws_ec2_attach_volume(x->aws, vol, fid, slot[0], 0, &ae);
			} while (rsp_settling(x, &tries, &err));
			if (err && !strcmp(ae.code, "AttachmentLimitExceeded")) {
				snprintf(x->note, sizeof x->note,
				         "forensic instance %s has no attachment left for %s (AttachmentLimitExceeded)",
				         fid, vol);
				err = RSP_FATAL;
			}
			if (err)
				goto fail;
			fv.taken |= pb_device_slot_bit(slot[0]);
			snprintf(dev, PB_DEV_MAX, "%s", slot[0]);
		}
		char key[PB_ID_MAX + 16];
		snprintf(key, sizeof key, "attached:%s", vol);
		rsp_created(x, key, dev);
		ln += (size_t)snprintf(line + ln, ln < sizeof line ? sizeof line - ln : 0, " --volume %s", vol);
	}
	if (x->cfg->forensics_baseline)
		ln += (size_t)snprintf(line + ln, ln < sizeof line ? sizeof line - ln : 0, " --baseline %s",
		                       x->cfg->forensics_baseline);
	if (x->cfg->evidence_bucket) /* the custody head outside the forensic instance too */
		ln += (size_t)snprintf(line + ln, ln < sizeof line ? sizeof line - ln : 0,
		                       " --evidence-bucket %s", x->cfg->evidence_bucket);
	const char *dir = x->cfg->forensics_dir ? x->cfg->forensics_dir : "/var/lib/ssrfguard";
	ln += (size_t)snprintf(line + ln, ln < sizeof line ? sizeof line - ln : 0,
	                       " --out %s/cases/%s --custody-log %s/custody.log --examiner ssm:respond",
	                       dir, x->key, dir);
	if (when[0]) /* the examination's timeline is around it */
		ln += (size_t)snprintf(line + ln, ln < sizeof line ? sizeof line - ln : 0,
		                       " --incident-time %s", when);
	if (ln >= sizeof line) {
		err = RSP_FATAL;
		goto fail;
	}
	/* 5. start the collection there */
	const char *cmdline = line;
	char cmd[64];
	err = rsp_ssm_send(x, "forensics_command", fid, &cmdline, 1, 3600 * 4, NULL, "forensics",
	                   "send the forensic collection command", cmd);
	if (err)
		goto fail;
	json_object_set_new(x->data, "forensics_cmdline", json_string(line));
	if ((err = rsp_forensics_delivered(x, fid, cmd, s.n, deadline)) == SG_OK &&
	    x->cfg->forensics_wait_s)
		return rsp_forensics_result(x, fid, cmd, s.n);
fail:
	return err;
}
