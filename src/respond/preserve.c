/* preserve.c — evidence steps: snapshots, volatile capture over SSM, and the
 * hand-off to the forensic instance. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/ec2.h"
#include "aws/ssm.h"
#include "common/buf.h"
#include "respond/journal.h"

/* The examination command line sent over SSM, at most (bytes). */
#define FORENSICS_CMDLINE_MAX 4095u

/* snapshots tagged with this incident: volume id -> snapshot id, state */
typedef struct snaps {
	size_t n;
	struct {
		char vol[PB_ID_MAX], snap[PB_ID_MAX], state[32];
	} s[PB_MAX_VOLUMES];
} snaps;

/* One more snapshot in s (the caller checks there is room). */
static void snaps_add(snaps *s, const char *vol, const char *snap, const char *state)
{
	snprintf(s->s[s->n].vol, PB_ID_MAX, "%s", vol);
	snprintf(s->s[s->n].snap, PB_ID_MAX, "%s", snap);
	snprintf(s->s[s->n].state, 32, "%s", state);
	s->n++;
}

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
			snaps_add(out, aws_xml_str_or(it, "volumeId", ""), aws_xml_str_or(it, "snapshotId", ""),
			          aws_xml_str_or(it, "status", ""));
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

/* What the journal knows beats what DescribeSnapshots shows yet: a
 * just-created snapshot may be invisible for a moment (eventual
 * consistency), and a second CreateSnapshots would duplicate it. */
static void add_journal_snapshots(rsp_run *x, snaps *s)
{
	const pb_instance *in = x->inst;
	for (size_t i = 0; i < in->n_volumes && s->n < PB_MAX_VOLUMES; i++) {
		char key[PB_ID_MAX + 16];
		snprintf(key, sizeof key, "snapshot:%s", in->volumes[i].id);
		const char *known = rsp_created_get(x, key);
		if (known && !snap_of(s, in->volumes[i].id))
			snaps_add(s, in->volumes[i].id, known, "unknown");
	}
}

/* Every volume's snapshot at one point in time (crash-consistent across
 * volumes), each journaled as created; s becomes the new set. */
static sg_err snapshot_all(rsp_run *x, snaps *s)
{
	const pb_instance *in = x->inst;
	struct aws_tag tags[3];
	size_t nt = rsp_incident_tags(x, tags);
	tags[nt++] = (struct aws_tag){"ssrfguard:source-instance", in->id};
	struct aws_xml *r = NULL;
	rsp_intent(x, "snapshot every volume");
	sg_err err = aws_ec2_create_snapshots(x->aws, in->id, x->key, tags, nt, true, 0, &r, NULL);
	if (!err) {
		s->n = 0;
		for (AWS_XML_EACH(it, aws_xml_get(r, "snapshotSet"))) {
			if (s->n >= PB_MAX_VOLUMES)
				break;
			snaps_add(s, aws_xml_str_or(it, "volumeId", ""), aws_xml_str_or(it, "snapshotId", ""),
			          aws_xml_str_or(it, "state", "pending"));
			char key[PB_ID_MAX + 16];
			snprintf(key, sizeof key, "snapshot:%s", s->s[s->n - 1].vol);
			rsp_created(x, key, s->s[s->n - 1].snap);
		}
	}
	aws_xml_free(r);
	return err;
}

/* Each snapshot tagged with its source volume and device (idempotent: the
 * journal remembers the tagged ones); *n counts the snapshots tagged. */
static sg_err tag_snapshots(rsp_run *x, const snaps *s, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const char *dev = device_of(x, s->s[i].vol);
		char key[PB_ID_MAX + 16];
		snprintf(key, sizeof key, "tagged:%s", s->s[i].vol);
		if (rsp_created_get(x, key)) {
			(*n)++;
			continue;
		}
		struct aws_tag tags[] = {{"ssrfguard:source-volume", s->s[i].vol},
		                         {"ssrfguard:device", dev}};
		const char *snap = s->s[i].snap;
		int tries = 0;
		sg_err err;
		do { /* the new snapshot may not be visible yet */
			rsp_intent(x, "tag the source volume and device");
			err = aws_ec2_create_tags(x->aws, &snap, 1, tags, 2, 0, NULL);
		} while (rsp_settling(x, &tries, &err));
		if (err)
			return err;
		rsp_created(x, key, s->s[i].snap);
		snprintf(key, sizeof key, "snapshot:%s", s->s[i].vol);
		if (!rsp_created_get(x, key))
			rsp_created(x, key, s->s[i].snap);
		(*n)++;
	}
	return SG_OK;
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
	add_journal_snapshots(x, &s);
	size_t missing = 0;
	for (size_t i = 0; i < in->n_volumes; i++)
		missing += snap_of(&s, in->volumes[i].id) == NULL;
	if (missing == in->n_volumes) {
		if ((err = snapshot_all(x, &s)))
			return err;
	} else if (missing) {
		rsp_notef(x, "%zu volume(s) have no snapshot yet from the first run; left as they are",
		          missing);
	}
	size_t n;
	if ((err = tag_snapshots(x, &s, &n)))
		return err;
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

/* 1. Every snapshot of the incident completed, by deadline (wait s). */
static sg_err wait_snapshots(rsp_run *x, snaps *s, int64_t deadline, unsigned wait)
{
	sg_err err;
	for (;;) {
		if ((err = find_snapshots(x, s)))
			return err;
		size_t done = 0, failed = 0;
		for (size_t i = 0; i < s->n; i++) {
			done += !strcmp(s->s[i].state, "completed");
			failed += !strcmp(s->s[i].state, "error");
		}
		if (failed) {
			snprintf(x->note, sizeof x->note, "%zu snapshot(s) in state error", failed);
			return RSP_FATAL;
		}
		if (s->n && done == s->n)
			return SG_OK;
		if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "snapshots not completed after %u s", wait);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

/* Attach evidence volume vol to the forensic instance fid at a free
 * device slot (taken from fv, marked taken there); the slot goes to dev. */
static sg_err attach_at_free_slot(rsp_run *x, forensic_view *fv, const char *fid,
                                  const char *vol, char dev[PB_DEV_MAX])
{
	char slot[1][PB_DEV_MAX];
	if (pb_device_slots(fv->taken, 1, slot)) {
		snprintf(x->note, sizeof x->note,
		         "no free device slot on %s: /dev/sdf to /dev/sdz are all in use", fid);
		return RSP_FATAL;
	}
	struct aws_error ae;
	int tries = 0;
	sg_err err;
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
		return err;
	fv->taken |= pb_device_slot_bit(slot[0]);
	snprintf(dev, PB_DEV_MAX, "%s", slot[0]);
	return SG_OK;
}

/* 3. A volume from snapshot sn in the forensic AZ, 4. attached to the
 * forensic instance fid (at a free slot, unless a rerun finds it there);
 * its id goes to vol. */
static sg_err attach_evidence(rsp_run *x, forensic_view *fv, const char *fid,
                              const char *snap, const char *src_vol, const char *when,
                              int64_t deadline, char vol[PB_ID_MAX])
{
	char att[PB_ID_MAX], dev[PB_DEV_MAX];
	rsp_volume_want want = {fv->az, snap, src_vol, device_of(x, src_vol), when};
	sg_err err = rsp_evidence_volume(x, &want, deadline, vol, att, dev);
	if (err)
		return err;
	if (att[0] && strcmp(att, fid) != 0) {
		snprintf(x->note, sizeof x->note, "evidence volume %s is attached to %s, not %s", vol,
		         att, fid);
		return RSP_FATAL;
	}
	if (!att[0] && (err = attach_at_free_slot(x, fv, fid, vol, dev)))
		return err;
	char key[PB_ID_MAX + 16];
	snprintf(key, sizeof key, "attached:%s", vol);
	rsp_created(x, key, dev);
	return SG_OK;
}

/* The examination's command line on the forensic instance, over the n
 * evidence volumes vols, the incident's time when (may be ""). */
static sg_err forensics_cmdline(rsp_run *x, const char *when, char vols[][PB_ID_MAX], size_t n,
                                sg_buf *line)
{
	sg_buf_printf(line, "%s --incident %s",
	              x->cfg->forensics_cmd ? x->cfg->forensics_cmd : "ssrfguard forensics examine",
	              x->key);
	for (size_t i = 0; i < n; i++)
		sg_buf_printf(line, " --volume %s", vols[i]);
	if (x->cfg->forensics_baseline)
		sg_buf_printf(line, " --baseline %s", x->cfg->forensics_baseline);
	if (x->cfg->evidence_bucket) /* the custody head outside the forensic instance too */
		sg_buf_printf(line, " --evidence-bucket %s", x->cfg->evidence_bucket);
	const char *dir = x->cfg->forensics_dir ? x->cfg->forensics_dir : "/var/lib/ssrfguard";
	sg_buf_printf(line, " --out %s/cases/%s --custody-log %s/custody.log --examiner ssm:respond",
	              dir, x->key, dir);
	if (when[0]) /* the examination's timeline is around it */
		sg_buf_printf(line, " --incident-time %s", when);
	return sg_buf_err(line);
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
	int64_t deadline = sg_mono_ms() + (int64_t)wait * 1000;
	snaps s;
	sg_err err;
	if ((err = wait_snapshots(x, &s, deadline, wait)))
		return err;
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
	char when[32], vols[PB_MAX_VOLUMES][PB_ID_MAX];
	incident_time(x, when, sizeof when);
	for (size_t i = 0; i < s.n; i++)
		if ((err = attach_evidence(x, &fv, fid, s.s[i].snap, s.s[i].vol, when, deadline,
		                           vols[i])))
			return err;
	sg_buf line;
	sg_buf_init(&line, FORENSICS_CMDLINE_MAX);
	if (forensics_cmdline(x, when, vols, s.n, &line)) {
		snprintf(x->note, sizeof x->note, "the forensic command line is longer than %u bytes",
		         FORENSICS_CMDLINE_MAX);
		sg_buf_free(&line);
		return RSP_FATAL;
	}
	/* 5. start the collection there */
	const char *cmdline = line.p;
	char cmd[64];
	err = rsp_ssm_send(x, "forensics_command", fid, &cmdline, 1, 3600 * 4, NULL, "forensics",
	                   "send the forensic collection command", cmd);
	if (!err)
		json_object_set_new(x->data, "forensics_cmdline", json_string(line.p));
	sg_buf_free(&line);
	if (err)
		return err;
	if ((err = rsp_forensics_delivered(x, fid, cmd, s.n, deadline)) == SG_OK &&
	    x->cfg->forensics_wait_s)
		return rsp_forensics_result(x, fid, cmd, s.n);
	return err;
}
