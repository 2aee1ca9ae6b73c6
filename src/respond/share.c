/* share.c — evidence snapshots shared with a forensic account
 * (--share-snapshots-with, --share-kms-key), inside the forensics step once
 * the snapshots are completed.
 *
 * Per the EBS user guide, "Share an Amazon EBS snapshot": a snapshot
 * encrypted with the AWS managed key (aws/ebs) cannot be shared, and the
 * other account can use an encrypted one only through a customer managed
 * key whose key policy allows it.  So with --share-kms-key every evidence
 * snapshot is copied under that key (CopySnapshot Encrypted=true KmsKeyId)
 * and the copy is shared; the original is never shared.  Without a key an
 * unencrypted snapshot is shared as it is and an encrypted one is refused,
 * saying why.
 *
 * Crash and resume: CopySnapshot has no ClientToken, so each copy is tagged
 * at creation (ssrfguard:copy-of, ssrfguard:share-incident) and journaled
 * ("share-copy:SNAP"); a resume finds it by journal or tags before copying,
 * and asks DescribeSnapshotAttribute before sharing again.  The copies are
 * not tagged IncidentId: the snapshot step counts those as its own.
 * Shares are evidence: `incidents release` leaves them (docs/respond.md). */
#include "respond/rsp.h"

#include <stdio.h>
#include <string.h>

#include "aws/ec2.h"
#include "respond/journal.h"

typedef struct snap_view {
	char state[32], kms[160], msg[160];
	bool encrypted, found;
} snap_view;

static sg_err describe_snap(rsp_run *x, const char *id, snap_view *v)
{
	struct aws_xml *r = NULL;
	memset(v, 0, sizeof *v);
	sg_err err = aws_ec2_describe_snapshots(x->aws, &id, 1, NULL, 0, &r, NULL);
	const struct aws_xml *it = err ? NULL : aws_xml_get(r, "snapshotSet/item");
	if (it) {
		v->found = true;
		snprintf(v->state, sizeof v->state, "%s", aws_xml_str_or(it, "status", ""));
		snprintf(v->kms, sizeof v->kms, "%s", aws_xml_str_or(it, "kmsKeyId", ""));
		snprintf(v->msg, sizeof v->msg, "%s", aws_xml_str_or(it, "statusMessage", ""));
		v->encrypted = !strcmp(aws_xml_str_or(it, "encrypted", "false"), "true");
	}
	aws_xml_free(r);
	return err;
}

/* An earlier copy of src for this incident, by its tags (a crash between
 * CopySnapshot and the journal); one in state error does not count. */
static sg_err find_copy(rsp_run *x, const char *src, char copy[PB_ID_MAX])
{
	const char *s[] = {src}, *inc[] = {x->key};
	struct aws_filter f[] = {{"tag:ssrfguard:copy-of", s, 1},
	                         {"tag:ssrfguard:share-incident", inc, 1}};
	struct aws_xml *r = NULL;
	copy[0] = '\0';
	sg_err err = aws_ec2_describe_own_snapshots(x->aws, f, 2, &r, NULL);
	if (!err)
		for (AWS_XML_EACH(it, aws_xml_get(r, "snapshotSet")))
			if (strcmp(aws_xml_str_or(it, "status", ""), "error") != 0)
				snprintf(copy, PB_ID_MAX, "%s", aws_xml_str_or(it, "snapshotId", ""));
	aws_xml_free(r);
	return err;
}

static sg_err copy_under_key(rsp_run *x, const char *src, const char *key, char copy[PB_ID_MAX])
{
	char jkey[PB_ID_MAX + 16];
	snprintf(jkey, sizeof jkey, "share-copy:%s", src);
	const char *known = rsp_created_get(x, jkey);
	if (known) {
		snprintf(copy, PB_ID_MAX, "%s", known);
		return SG_OK;
	}
	sg_err err = find_copy(x, src, copy);
	if (err || copy[0])
		goto done;
	struct aws_tag tags[] = {{"ssrfguard:copy-of", src}, {"ssrfguard:share-incident", x->key},
	                         {"ssrfguard:shared-with", x->cfg->playbook.share_account}};
	char desc[128], id[32];
	snprintf(desc, sizeof desc, "ssrfguard %s evidence %s for account %s", x->key, src,
	         x->cfg->playbook.share_account);
	rsp_intent(x, "copy %s under %s", src, key);
	if ((err = aws_ec2_copy_snapshot(x->aws, src, key, desc, tags, 3, 0, id, NULL)))
		return err;
	snprintf(copy, PB_ID_MAX, "%s", id);
done:
	if (!err && copy[0])
		rsp_created(x, jkey, copy);
	rsp_crashpoint(x, "share-copied");
	return err;
}

static sg_err wait_completed(rsp_run *x, const char *snap, int64_t deadline)
{
	for (;;) {
		snap_view v;
		sg_err err = describe_snap(x, snap, &v);
		if (err)
			return err;
		if (!strcmp(v.state, "completed"))
			return SG_OK;
		if (!strcmp(v.state, "error")) {
			snprintf(x->note, sizeof x->note, "snapshot copy %.32s ended in error: %.160s", snap,
			         v.msg[0] ? v.msg : "(no message)");
			return RSP_FATAL;
		}
		if (sg_mono_ms() > deadline) {
			snprintf(x->note, sizeof x->note, "snapshot copy %s not completed in time", snap);
			return SG_ERR_TIMEOUT;
		}
		if ((err = rsp_pause(x)))
			return err;
	}
}

static sg_err share_once(rsp_run *x, const char *snap)
{
	bool shared = false;
	sg_err err = aws_ec2_snapshot_shared_with(x->aws, snap, x->cfg->playbook.share_account, &shared, NULL);
	if (err || shared)
		return err;
	rsp_intent(x, "share %s with account %s", snap, x->cfg->playbook.share_account);
	return aws_ec2_share_snapshot(x->aws, snap, x->cfg->playbook.share_account, 0, NULL);
}

/* One evidence snapshot: the snapshot to share (src or its copy), shared. */
static sg_err share_one(rsp_run *x, const char *src, int64_t deadline, json_t *rec)
{
	const char *key = x->cfg->share_kms_key;
	char shared[PB_ID_MAX];
	sg_err err;
	if (key) {
		if ((err = copy_under_key(x, src, key, shared)) ||
		    (err = wait_completed(x, shared, deadline)))
			return err;
	} else {
		snap_view v;
		if ((err = describe_snap(x, src, &v)))
			return err;
		if (v.encrypted) {
			snprintf(x->note, sizeof x->note,
			         "snapshot %.32s is encrypted (%.160s): sharing it with %s needs --share-kms-key, a "
			         "customer managed key whose key policy lets that account use it (one under "
			         "aws/ebs cannot be shared)",
			         src, v.kms[0] ? v.kms : "the AWS managed key", x->cfg->playbook.share_account);
			return RSP_FATAL;
		}
		snprintf(shared, sizeof shared, "%s", src);
	}
	if ((err = share_once(x, shared)))
		return err;
	char jkey[PB_ID_MAX + 16];
	snprintf(jkey, sizeof jkey, "shared:%s", src);
	rsp_created(x, jkey, shared);
	json_object_set_new(rec, "source", json_string(src));
	json_object_set_new(rec, "shared", json_string(shared));
	json_object_set_new(rec, "kms_key", key ? json_string(key) : json_null());
	json_object_set_new(rec, "account", json_string(x->cfg->playbook.share_account));
	return SG_OK;
}

sg_err rsp_share_snapshots(rsp_run *x, const char *const *snaps, size_t n, int64_t deadline)
{
	if (!x->cfg->playbook.share_account[0])
		return SG_OK;
	json_t *all = json_array();
	if (!all)
		return SG_ERR_NOMEM;
	sg_err err = SG_OK;
	for (size_t i = 0; i < n && !err; i++) {
		json_t *rec = json_object();
		if (!rec) {
			err = SG_ERR_NOMEM;
			break;
		}
		err = share_one(x, snaps[i], deadline, rec);
		json_array_append_new(all, rec);
	}
	if (err) {
		json_decref(all);
		return err;
	}
	json_object_set_new(x->data, "shares", all);
	return SG_OK;
}
