/* volume.c — the evidence volume made from one snapshot (see rsp.h,
 * rsp_evidence_volume).
 *
 * EBS is asynchronous and fails after answering: a volume can end in
 * "error" ("the underlying hardware related to your EBS volume has failed,
 * and the data associated with the volume is unrecoverable": EBS user
 * guide, "Amazon EBS volume lifecycle"), or vanish while creating (a
 * snapshot under a KMS key the role may not use: "Amazon EBS encryption
 * requirements").  An errored volume holds nothing the snapshot does not:
 * it is recorded in the journal and deleted (DeleteVolume takes a volume in
 * error), and a new one is made.  Its ClientToken stays bound to the deleted
 * volume (EC2 API reference, "Ensuring idempotency"), so the new one gets a
 * new token, pb_volume_token(incident, snapshot, attempt): the attempt is
 * 1 + the errored volumes the journal holds for the snapshot, so a rerun
 * after a crash asks with the same token and makes nothing twice. */
#include "respond/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "respond/journal.h"

#define VOLUME_TRIES 3 /* evidence volumes per snapshot before giving up */

/* What DescribeVolumes says of the incident's volumes from snap: the live
 * one (not errored, not going away) and the errored ones. */
typedef struct volumes_seen {
	char vol[PB_ID_MAX], state[32], att[PB_ID_MAX], dev[PB_DEV_MAX];
	size_t n_errored;
	char errored[8][PB_ID_MAX];
} volumes_seen;

static sg_err look(rsp_run *x, const char *snap, volumes_seen *v)
{
	struct aws_xml *r = NULL;
	const char *s[] = {snap};
	rsp_incident_values iv;
	struct aws_filter f[3] = {{"tag:ssrfguard:source-snapshot", s, 1}};
	size_t nf = 1 + rsp_incident_filters(x, &iv, f + 1);
	memset(v, 0, sizeof *v);
	sg_err err = aws_ec2_describe_volumes(x->aws, NULL, 0, f, nf, &r, NULL);
	for (AWS_XML_EACH(it, err ? NULL : aws_xml_get(r, "volumeSet"))) {
		const char *id = aws_xml_str_or(it, "volumeId", ""), *st = aws_xml_str_or(it, "status", "");
		bool left = false; /* errored, not deletable, tagged and left alone */
		for (AWS_XML_EACH(t, aws_xml_get(it, "tagSet")))
			left |= !strcmp(aws_xml_str_or(t, "key", ""), "ssrfguard:state") &&
			        !strcmp(aws_xml_str_or(t, "value", ""), "error");
		if (!strcmp(st, "error")) {
			if (!left && v->n_errored < sizeof v->errored / sizeof v->errored[0])
				snprintf(v->errored[v->n_errored++], PB_ID_MAX, "%s", id);
		} else if (!v->vol[0] && strcmp(st, "deleting") && strcmp(st, "deleted")) {
			snprintf(v->vol, PB_ID_MAX, "%s", id);
			snprintf(v->state, sizeof v->state, "%s", st);
			snprintf(v->att, PB_ID_MAX, "%s", aws_xml_str_or(it, "attachmentSet/item/instanceId", ""));
			snprintf(v->dev, PB_DEV_MAX, "%s", aws_xml_str_or(it, "attachmentSet/item/device", ""));
		}
	}
	aws_xml_free(r);
	return err;
}

/* How many errored volumes the journal holds for snap ("errored:SNAP:N"). */
static int errored_count(rsp_run *x, const char *snap)
{
	int n = 0;
	char key[PB_ID_MAX + 32];
	for (;; n++) {
		snprintf(key, sizeof key, "errored:%s:%d", snap, n + 1);
		if (!rsp_created_get(x, key))
			return n;
	}
}

static bool already_recorded(rsp_run *x, const char *snap, const char *vol)
{
	char key[PB_ID_MAX + 32];
	for (int n = 1;; n++) {
		snprintf(key, sizeof key, "errored:%s:%d", snap, n);
		const char *v = rsp_created_get(x, key);
		if (!v)
			return false;
		if (!strcmp(v, vol))
			return true;
	}
}

/* One errored volume: recorded once (one journal write, so the attempt
 * count moves exactly once), then deleted; a refused delete leaves it
 * tagged ssrfguard:state=error and says so. */
static sg_err discard(rsp_run *x, const char *snap, const char *vol)
{
	if (!already_recorded(x, snap, vol)) {
		int attempt = errored_count(x, snap) + 1;
		char key[PB_ID_MAX + 32];
		snprintf(key, sizeof key, "errored:%s:%d", snap, attempt);
		json_t *list = json_object_get(x->data, "errored_volumes");
		if (!list)
			json_object_set_new(x->data, "errored_volumes", list = json_array());
		json_array_append_new(list, json_pack("{s:s,s:s,s:i,s:b}", "volume", vol, "snapshot", snap,
		                                      "attempt", attempt, "deleted", 0));
		rsp_notef(x, "evidence volume %s from %s ended in error (EBS), attempt %d: deleted, a "
		             "new one made", vol, snap, attempt);
		sg_err err = rsp_created(x, key, vol);
		if (err)
			return err;
	}
	struct aws_error e;
	rsp_intent(x, "delete the errored evidence volume %s (the snapshot is kept)", vol);
	sg_err err = aws_ec2_delete_volume(x->aws, vol, 0, &e);
	if (err == SG_ERR_NOTFOUND)
		err = SG_OK; /* gone already (a rerun) */
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(x->data, "errored_volumes"), i, it)
		if (json_string_value(json_object_get(it, "volume")) &&
		    !strcmp(json_string_value(json_object_get(it, "volume")), vol))
			json_object_set_new(it, "deleted", json_boolean(err == SG_OK));
	if (err) {
		struct aws_tag t = {"ssrfguard:state", "error"};
		rsp_intent(x, "tag the errored evidence volume %s", vol);
		aws_ec2_create_tags(x->aws, &vol, 1, &t, 1, 0, NULL);
		rsp_notef(x, "errored volume %s not deleted (%s): left tagged ssrfguard:state=error", vol,
		          e.code[0] ? e.code : sg_strerror(err));
	}
	return SG_OK;
}

static sg_err create(rsp_run *x, const rsp_volume_want *w, int attempt, char vol[PB_ID_MAX])
{
	char token[65], id[32];
	sg_err err = pb_volume_token(x->key, w->snap, attempt, token);
	if (err)
		return err;
	struct aws_tag tags[6];
	size_t nt = rsp_incident_tags(x, tags);
	tags[nt++] = (struct aws_tag){"ssrfguard:source-snapshot", w->snap};
	tags[nt++] = (struct aws_tag){"ssrfguard:source-volume", w->src_vol};
	tags[nt++] = (struct aws_tag){"ssrfguard:device", w->src_dev};
	if (w->incident_time && w->incident_time[0])
		tags[nt++] = (struct aws_tag){"ssrfguard:incident-time", w->incident_time};
	struct aws_ec2_volume_spec spec = {
		.availability_zone = w->az,
		.snapshot_id = w->snap,
		.volume_type = "gp3",
		.client_token = token,
		.kms_key_id = x->cfg->evidence_kms_key,
		.tags = tags,
		.ntags = nt,
	};
	rsp_intent(x, "create an evidence volume in the forensic AZ");
	if ((err = aws_ec2_create_volume(x->aws, &spec, 0, id, NULL)))
		return err;
	snprintf(vol, PB_ID_MAX, "%s", id);
	char key[PB_ID_MAX + 16];
	snprintf(key, sizeof key, "volume:%s", w->snap);
	return rsp_created(x, key, vol);
}

/*
 * An evidence volume still attached to an instance on its way out (an
 * earlier attempt's forensic instance, terminated since, still
 * shutting-down): its volumes stay attached until it is terminated, then
 * are detached and kept, as AttachVolume leaves DeleteOnTermination false
 * (EC2 user guide, "Amazon EC2 instance state changes").  The volume is
 * waited for, at most RELEASE_WAIT_S in an attempt and not past deadline,
 * and never replaced: a second volume from the snapshot would leave two
 * evidence volumes of one snapshot.  *waiting says whether it is still
 * held; SG_ERR_TIMEOUT (transient: a new attempt waits again) when it
 * outlasts the wait.  The journal keeps who held it ("held_by:VOL").
 * The wait's end is read from the journal once per volume in a call
 * (*rw): rsp_deadline at every poll would follow the wall clock again.
 */
#define RELEASE_WAIT_S 600
typedef struct release_wait {
	char vol[PB_ID_MAX];
	int64_t until; /* sg_mono_ms */
} release_wait;
static sg_err wait_released(rsp_run *x, const volumes_seen *v, int64_t deadline, release_wait *rw,
                            bool *waiting)
{
	char state[32], key[PB_ID_MAX + 24], started[PB_ID_MAX + 32];
	*waiting = false;
	sg_err err = rsp_instance_state(x, v->att, state);
	if (err == SG_ERR_NOTFOUND)
		snprintf(state, sizeof state, "terminated"); /* no longer listed */
	else if (err)
		return err;
	if (!rsp_instance_gone(state))
		return SG_OK;
	snprintf(key, sizeof key, "release_wait:%s", v->vol);
	rsp_attempt_key(key, rsp_attempt(x), started, sizeof started);
	if (!rsp_created_get(x, started)) {
		char held[PB_ID_MAX + 16];
		snprintf(held, sizeof held, "held_by:%s", v->vol);
		rsp_created(x, held, v->att);
		rsp_notef(x, "evidence volume %s is attached to %s (%s): waiting until that instance is "
		             "terminated and releases it", v->vol, v->att, state);
		rsp_progress(x, "%-9s waiting evidence volume %s is attached to %s (%s): it is released when "
		                "that instance is terminated", pb_step_name(x->step), v->vol, v->att, state);
	}
	if (strcmp(rw->vol, v->vol) != 0) {
		snprintf(rw->vol, sizeof rw->vol, "%s", v->vol);
		rw->until = rsp_deadline(x, key, RELEASE_WAIT_S);
	}
	if (sg_mono_ms() > (rw->until < deadline ? rw->until : deadline)) {
		snprintf(x->note, sizeof x->note, "evidence volume %s still attached to %s (%s): not "
		         "released in time", v->vol, v->att, state);
		return SG_ERR_TIMEOUT;
	}
	*waiting = true;
	return SG_OK;
}

/* Said once a volume that wait_released waited for is free. */
static void say_released(rsp_run *x, const char *vol)
{
	char key[PB_ID_MAX + 16];
	snprintf(key, sizeof key, "held_by:%s", vol);
	const char *by = rsp_created_get(x, key);
	if (by && *by)
		rsp_notef(x, "evidence volume %s released by %s (terminated)", vol, by);
}

sg_err rsp_evidence_volume(rsp_run *x, const rsp_volume_want *w, int64_t deadline,
                           char vol[PB_ID_MAX], char att[PB_ID_MAX], char dev[PB_DEV_MAX])
{
	int unseen = 0, made_attempt = 0;
	char made[PB_ID_MAX] = "";
	release_wait rw = {"", 0};
	for (;;) {
		volumes_seen v;
		sg_err err = look(x, w->snap, &v);
		if (err)
			return err;
		for (size_t i = 0; i < v.n_errored; i++)
			if ((err = discard(x, w->snap, v.errored[i])))
				return err;
		int attempt = errored_count(x, w->snap) + 1;
		if (attempt > VOLUME_TRIES) {
			snprintf(x->note, sizeof x->note,
			         "evidence volumes from %s ended in error %d times (EBS); the snapshot is kept",
			         w->snap, VOLUME_TRIES);
			return RSP_FATAL;
		}
		bool held = false;
		if (v.vol[0] && v.att[0] && (err = wait_released(x, &v, deadline, &rw, &held)))
			return err;
		if (held) {
			if ((err = rsp_pause(x)))
				return err;
			continue;
		}
		if (v.vol[0] && (v.att[0] || !strcmp(v.state, "available"))) {
			if (!v.att[0])
				say_released(x, v.vol);
			snprintf(vol, PB_ID_MAX, "%s", v.vol);
			snprintf(att, PB_ID_MAX, "%s", v.att);
			snprintf(dev, PB_DEV_MAX, "%s", v.dev);
			return SG_OK;
		}
		/* none live: make this attempt's volume (its token makes a repeat
		 * harmless); one made but not visible yet is waited for, and past
		 * eventual consistency it is gone */
		if (v.vol[0]) {
			unseen = 0;
		} else if (made_attempt != attempt) {
			if ((err = create(x, w, attempt, made)))
				return err;
			made_attempt = attempt;
			unseen = 0;
		} else if (++unseen > 20) {
			snprintf(x->note, sizeof x->note,
			         "evidence volume %s from %s vanished while creating (EBS could not make "
			         "it: a KMS key of the snapshot the role may not use?)",
			         made, w->snap);
			return RSP_FATAL;
		}
		if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "volume %s still %s", v.vol[0] ? v.vol : made,
			         v.vol[0] ? v.state : "creating");
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}
