/* disctags.c — evidence volumes by the responder's tags (see disctags.h). */
#include "forensics/disctags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/imds.h"
#include "forensics/fsprobe.h"
#include "playbook/incname.h"

#define TAG_INCIDENT "IncidentId"
#define TAG_SNAPSHOT "ssrfguard:source-snapshot"
#define TAG_STORE "ssrfguard:store"
#define MAX_PAGES 40 /* 1000 volumes at DISCTAGS_PAGE a page */

static int instance_id_ok(const char *s)
{
	size_t n = strlen(s);
	if (strncmp(s, "i-", 2) || (n != 10 && n != 19))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *tag_of(const struct aws_xml *vol, const char *key)
{
	for (AWS_XML_EACH(t, aws_xml_child(vol, "tagSet")))
		if (!strcmp(aws_xml_str_or(t, "key", ""), key))
			return aws_xml_str_or(t, "value", "");
	return NULL;
}

static const struct aws_xml *attachment_to(const struct aws_xml *vol, const char *instance)
{
	for (AWS_XML_EACH(a, aws_xml_child(vol, "attachmentSet")))
		if (!strcmp(aws_xml_str_or(a, "instanceId", ""), instance))
			return a;
	return NULL;
}

static int attached_state(const char *st)
{
	return !strcmp(st, "attached") || !strcmp(st, "attaching");
}

static int is_found(const disctags_scan *s, const char *vol)
{
	size_t i;
	json_t *v;
	json_array_foreach(s->found, i, v) {
		const char *id = json_string_value(json_object_get(v, "volume_id"));
		if (id && !strcmp(id, vol))
			return 1;
	}
	return 0;
}

/* Remember an evidence volume that is not here, with where it is instead. */
static void note_away(disctags_scan *s, const char *vol, const struct aws_xml *item)
{
	char where[256];
	snprintf(where, sizeof where, "%s (", vol);
	if (strstr(s->away, where))
		return;
	const struct aws_xml *a = aws_xml_get(item, "attachmentSet/item");
	if (a && !strcmp(aws_xml_str_or(a, "instanceId", ""), s->here))
		snprintf(where, sizeof where, "%s from this instance",
		         aws_xml_str_or(a, "status", "?"));
	else if (a)
		snprintf(where, sizeof where, "attached to %.40s as %.40s",
		         aws_xml_str_or(a, "instanceId", "?"), aws_xml_str_or(a, "device", "?"));
	else
		snprintf(where, sizeof where, "not attached, volume %.40s",
		         aws_xml_str_or(item, "status", "?"));
	s->naway++;
	if (s->awaylen < sizeof s->away)
		s->awaylen += (size_t)snprintf(s->away + s->awaylen, sizeof s->away - s->awaylen,
		                               "%s%s (%s)", s->naway > 1 ? ", " : "", vol, where);
}

static void set_opt(json_t *o, const char *key, const char *value)
{
	if (value)
		json_object_set_new(o, key, json_string(value));
}

/* The report's "source" object for a volume attached here. */
static json_t *volume_json(const disctags_scan *s, const char *vol, const struct aws_xml *item,
                           const struct aws_xml *att)
{
	json_t *o = json_object(), *tags = json_object(), *a = json_object();
	if (!o || !tags || !a) {
		json_decref(o);
		json_decref(tags);
		json_decref(a);
		return NULL;
	}
	json_object_set_new(o, "volume_id", json_string(vol));
	set_opt(o, "snapshot_id", tag_of(item, TAG_SNAPSHOT));
	set_opt(o, "source_volume", tag_of(item, "ssrfguard:source-volume"));
	set_opt(o, "source_device", tag_of(item, "ssrfguard:device"));
	json_object_set_new(o, "found_by", json_string("tags"));
	json_object_set_new(o, "instance_id", json_string(s->here));
	json_object_set_new(a, "device", json_string(aws_xml_str_or(att, "device", "")));
	json_object_set_new(a, "state", json_string(aws_xml_str_or(att, "status", "")));
	json_object_set_new(o, "attachment", a);
	size_t n = 0;
	for (AWS_XML_EACH(t, aws_xml_child(item, "tagSet")))
		if (n++ < 64) /* AWS allows 50 */
			json_object_set_new(tags, aws_xml_str_or(t, "key", ""),
			                    json_string(aws_xml_str_or(t, "value", "")));
	json_object_set_new(o, "tags", tags);
	return o;
}

/* Two stores' INC-N look alike: remember the first two stores seen. */
static void note_store(disctags_scan *s, const char *store)
{
	/* a tag anyone may set: kept only when it is an identity */
	const char *shown = !*store || pb_store_id_ok(store) ? store : "?";
	for (int i = 0; i < s->nstores; i++)
		if (!strcmp(s->stores[i], shown))
			return;
	if (s->nstores < 2)
		snprintf(s->stores[s->nstores++], sizeof s->stores[0], "%s", shown);
}

sg_err disctags_scan_init(disctags_scan *s, const char *incident, const char *here,
                         char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	pb_incident_ref r;
	if (pb_incident_id_parse(incident, strlen(incident), true, &r, NULL, 0) == SG_OK) {
		pb_incident_name(r.n, s->name, sizeof s->name);
		memcpy(s->store, r.store, sizeof s->store);
	} else {
		snprintf(s->name, sizeof s->name, "%s", incident);
	}
	s->here = here;
	s->err = err;
	s->errlen = errlen;
	s->found = json_array();
	return s->found ? SG_OK : SG_ERR_NOMEM;
}

void disctags_scan_free(disctags_scan *s)
{
	json_decref(s->found);
	s->found = NULL;
}

sg_err disctags_scan_page(void *ctx, const struct aws_xml *reply)
{
	disctags_scan *s = ctx;
	for (AWS_XML_EACH(item, aws_xml_child(reply, "volumeSet"))) {
		const char *id = aws_xml_str_or(item, "volumeId", "");
		char vol[32];
		/* exact match: a filter value is a pattern to EC2 */
		const char *inc = tag_of(item, TAG_INCIDENT), *store = tag_of(item, TAG_STORE);
		if (!inc || strcmp(inc, s->name) || (s->store[0] && (!store || strcmp(store, s->store))))
			continue;
		note_store(s, store ? store : "");
		if (fx_volid_normalise(id, strlen(id), vol, sizeof vol)) {
			snprintf(s->err, s->errlen, "DescribeVolumes answered a volume without a valid "
			         "volume id ('%.40s')", id);
			s->failed = 1;
			return SG_ERR_PROTOCOL;
		}
		const struct aws_xml *att = attachment_to(item, s->here);
		if (s->pass_b || !att || !attached_state(aws_xml_str_or(att, "status", ""))) {
			if (!is_found(s, vol))
				note_away(s, vol, item);
			continue;
		}
		if (is_found(s, vol))
			continue;
		if (json_array_size(s->found) >= DISCTAGS_MAX) {
			snprintf(s->err, s->errlen, "more than %d volumes of incident %s are attached to "
			         "%s; name them with --volume", DISCTAGS_MAX, s->name, s->here);
			s->failed = 1;
			return SG_ERR_RANGE;
		}
		if (json_array_append_new(s->found, volume_json(s, vol, item, att)))
			return SG_ERR_NOMEM;
	}
	return SG_OK;
}

static int denied(const char *code)
{
	return !strcmp(code, "UnauthorizedOperation") || !strncmp(code, "AccessDenied", 12);
}

static sg_err run_pass(struct aws_client *c, disctags_scan *s, const char *name2, const char *value2,
                       struct aws_error *e)
{
	aws_error_clear(e);
	const char *inc[] = {s->name}, *v2[] = {value2}, *store[] = {s->store};
	struct aws_filter f[] = {{"tag:" TAG_INCIDENT, inc, 1}, {name2, v2, 1}, {"tag:" TAG_STORE, store, 1}};
	struct aws_params *p = aws_params_new();
	sg_err rc = p ? aws_params_add_filters(p, f, s->store[0] ? 3 : 2) : SG_ERR_NOMEM;
	if (!rc)
		rc = aws_params_add_int(p, "MaxResults", DISCTAGS_PAGE);
	if (!rc)
		rc = aws_query_pages(c, AWS_EC2, "DescribeVolumes", p, "NextToken", "nextToken",
		                     MAX_PAGES, disctags_scan_page, s, e);
	aws_params_free(p);
	if (rc && !s->failed) {
		if (rc == SG_ERR_AUTH && denied(e->code))
			snprintf(s->err, s->errlen, "not permitted: ec2:DescribeVolumes was refused "
			         "(%s: %.200s); the forensic instance's role needs ec2:DescribeVolumes "
			         "(docs/iam-policy-forensics.json)", e->code, e->message);
		else if (rc == SG_ERR_AUTH)
			snprintf(s->err, s->errlen, "AWS refused the credentials for ec2:DescribeVolumes "
			         "(%s: %.300s)", e->code, e->message);
		else
			snprintf(s->err, s->errlen, "ec2:DescribeVolumes failed: %s%s%s%s%.300s",
			         sg_strerror(rc), e->code[0] ? " (" : "", e->code, e->code[0] ? "): " : ": ",
			         e->message);
	}
	return rc;
}

static sg_err this_instance(char here[32], char *err, size_t errlen)
{
	char *body = NULL;
	size_t len = 0;
	sg_err rc = imds_get(NULL, "/latest/meta-data/instance-id", &body, &len);
	if (rc == SG_ERR_UNSUPPORTED) {
		snprintf(err, errlen, "instance metadata is disabled (AWS_EC2_METADATA_DISABLED): "
		         "give this instance's id with --instance-id");
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "cannot learn this instance's id from instance metadata "
		         "(IMDSv2: %s): give it with --instance-id", sg_strerror(rc));
		return rc;
	}
	while (len && isspace((unsigned char)body[len - 1]))
		body[--len] = '\0';
	int ok = len < 32 && instance_id_ok(body);
	if (ok)
		memcpy(here, body, len + 1);
	else
		snprintf(err, errlen, "instance metadata gave an instance id that is not one");
	free(body);
	return ok ? SG_OK : SG_ERR_PROTOCOL;
}

sg_err disctags_find(const struct disctags_opts *o, json_t **vols, char here[32],
                     char *err, size_t errlen)
{
	*vols = NULL;
	here[0] = '\0';
	struct aws_client *c = NULL;
	disctags_scan s = {0};
	if (!o->incident || !*o->incident || strlen(o->incident) > 256 ||
	    strpbrk(o->incident, "*?\\")) {
		snprintf(err, errlen, "incident id '%.100s' cannot be looked up by tag (1 to 256 "
		         "characters, none of the EC2 filter wildcards * ? \\)",
		         o->incident ? o->incident : "");
		return SG_ERR_INVAL;
	}
	if (o->instance_id && !instance_id_ok(o->instance_id)) {
		snprintf(err, errlen, "'%.40s' is not an instance id (i-…)", o->instance_id);
		return SG_ERR_INVAL;
	}
	struct aws_client_opts co = {.region = o->region, .profile = o->profile,
	                             .endpoint_url = o->endpoint_url, .ca_bundle = o->ca_bundle};
	struct aws_error e;
	aws_error_clear(&e);
	sg_err rc = aws_client_new(&co, &c, &e);
	if (rc) {
		snprintf(err, errlen, "%s for the tag lookup: %.400s",
		         rc == SG_ERR_AUTH ? "no AWS credentials" : "no AWS client", e.message);
		return rc;
	}
	if (o->instance_id)
		snprintf(here, 32, "%s", o->instance_id);
	else if ((rc = this_instance(here, err, errlen)))
		goto fail;
	if ((rc = disctags_scan_init(&s, o->incident, here, err, errlen)))
		goto fail;
	if ((rc = run_pass(c, &s, "attachment.instance-id", here, &e)))
		goto fail;
	s.pass_b = 1;
	if ((rc = run_pass(c, &s, "tag-key", TAG_SNAPSHOT, &e)))
		goto fail;
	if (s.nstores > 1) {
		snprintf(err, errlen, "%s names the incidents of more than one store (volumes tagged "
		         "%s=%s and %s): each store counts from INC-1; name one with --incident "
		         "%s-STORE (the responder's report says its aws_key), or the volumes with --volume",
		         s.name, TAG_STORE, s.stores[0][0] ? s.stores[0] : "(none)",
		         s.stores[1][0] ? s.stores[1] : "(none)", s.name);
		rc = SG_ERR_STATE;
		goto fail;
	}
	if (s.naway) {
		snprintf(err, errlen, "incident %s has %zu evidence volume(s) not attached to this "
		         "instance %s: %s; attach them here, or name the ones to examine with --volume",
		         o->incident, s.naway, here, s.away);
		rc = SG_ERR_STATE;
		goto fail;
	}
	if (!json_array_size(s.found)) {
		snprintf(err, errlen, "no EBS volume tagged %s=%s%s%s is attached to this instance %s "
		         "(region %s)", TAG_INCIDENT, s.name, s.store[0] ? " and " TAG_STORE "=" : "",
		         s.store, here, aws_client_region(c));
		rc = SG_ERR_NOTFOUND;
		goto fail;
	}
	*vols = s.found;
	s.found = NULL;
fail:
	disctags_scan_free(&s);
	aws_client_free(c);
	return rc;
}
