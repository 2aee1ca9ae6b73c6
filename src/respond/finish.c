/* finish.c — PB_FINISH (final tag, notification, report files), the
 * notifier and the report document built from the store's journal. */
#include "respond/rsp.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "playbook/report.h"

json_t *rsp_report_build(store *st, int64_t id, const char *outcome)
{
	store_incident inc = {0};
	store_step *rows = NULL;
	store_attempt *att = NULL;
	size_t n = 0, na = 0;
	json_t *r = NULL;
	if (store_get(st, id, &inc) != SG_OK)
		return NULL;
	char name[32], opened[32], fin[32];
	respond_incident_name(id, name, sizeof name);
	rsp_iso8601(inc.opened_ms, opened);
	rsp_iso8601(inc.state_ms, fin);
	r = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "incident", name, "store_id",
	              (json_int_t)id, "instance", inc.instance_id, "region", inc.region, "state",
	              store_state_name(inc.state), "state_reason", inc.state_reason, "opened", opened,
	              "source", inc.source, "category", inc.category, "dest", inc.dest, "attempts",
	              (json_int_t)inc.attempts);
	if (!r)
		goto fail;
	if (store_attempts(st, id, 1, &att, &na) == SG_OK && na)
		json_object_set_new(r, "url", json_string(att[0].url));
	pb_state states[PB_STEP__COUNT] = {0};
	json_t *steps = json_array();
	json_object_set_new(r, "steps", steps);
	if (store_steps(st, id, &rows, &n) == SG_OK)
		for (unsigned s = 0; s < PB_STEP__COUNT; s++)
			for (size_t i = 0; i < n; i++) {
				if (strcmp(rows[i].name, pb_step_name((pb_step)s)))
					continue;
				pb_state_parse(rows[i].status, &states[s]);
				json_t *d = rows[i].data[0] ? json_loads(rows[i].data, 0, NULL) : NULL;
				json_t *o = json_pack("{s:s,s:s,s:I}", "name", rows[i].name, "state", rows[i].status,
				                      "attempts", (json_int_t)rows[i].attempts);
				if (!o) {
					json_decref(d);
					continue;
				}
				if (json_is_object(d)) {
					const char *k[] = {"result", "notes", "created", "calls"};
					for (size_t j = 0; j < 4; j++)
						if (json_object_get(d, k[j]))
							json_object_set(o, k[j], json_object_get(d, k[j]));
					json_t *cap = json_object_get(d, "capture");
					if (cap)
						json_object_set(r, "capture", cap);
					if (s == PB_RECORD && json_object_get(d, "instance"))
						json_object_set(r, "recorded", json_object_get(d, "instance"));
					if (s == PB_FINISH && json_object_get(d, "plan"))
						json_object_set(r, "plan", json_object_get(d, "plan"));
				}
				json_decref(d);
				json_array_append_new(steps, o);
			}
	/* Outcome and finish time only from what happened (no step ran: no
	 * "contained", no finish). */
	if (!outcome)
		outcome = pb_outcome_so_far(states);
	json_object_set_new(r, "outcome", json_string(outcome));
	if (strcmp(outcome, "not started") && strcmp(outcome, "in progress"))
		json_object_set_new(r, "finished", json_string(fin));
fail:
	store_steps_free(rows, n);
	store_attempts_free(att, na);
	store_incident_free(&inc);
	return r;
}

sg_err respond_report_json(responder *r, int64_t id, char **out)
{
	char msg[256];
	store *st = NULL;
	*out = NULL;
	sg_err err = store_open(r->cfg.store_path, NULL, &st, msg, sizeof msg);
	if (err)
		return err;
	json_t *rep = rsp_report_build(st, id, NULL);
	store_close(st);
	if (!rep)
		return SG_ERR_NOTFOUND;
	*out = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(rep);
	return *out ? SG_OK : SG_ERR_NOMEM;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static sg_err webhook(const char *url, const char *body)
{
	CURL *c = curl_easy_init();
	if (!c)
		return SG_ERR_NOMEM;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return SG_ERR_NETWORK;
	return status >= 200 && status < 300 ? SG_OK : SG_ERR_REMOTE;
}

void rsp_notify(rsp_run *x, const char *event, const char *text)
{
	const respond_config *cfg = x->cfg;
	if (x->dry_run || (!cfg->webhook_url && !cfg->sns_topic_arn))
		return;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "event", event, "incident", x->inc, "instance",
	                      x->inst ? x->inst->id : "", "text", text, "at_ms", (json_int_t)rsp_now_ms());
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body)
		return;
	if (cfg->webhook_url) {
		sg_err err = webhook(cfg->webhook_url, body);
		if (err)
			respond_log(x->cfg, "error", "%s: webhook (%s): %s", x->inc, event, sg_strerror(err));
	}
	if (cfg->sns_topic_arn && x->aws) {
		struct aws_params *p = aws_params_new();
		char subject[100];
		snprintf(subject, sizeof subject, "ssrfguard %s: %s", x->inc, event);
		aws_params_add(p, "TopicArn", cfg->sns_topic_arn);
		aws_params_add(p, "Subject", subject);
		aws_params_add(p, "Message", body);
		struct aws_xml *r = NULL;
		struct aws_error e;
		if (aws_query(x->aws, AWS_SNS, "Publish", p, AWS_CALL_NOT_IDEMPOTENT, &r, &e))
			respond_log(x->cfg, "error", "%s: SNS publish: %s %s", x->inc, e.code, e.message);
		aws_xml_free(r);
		aws_params_free(p);
	}
	free(body);
}

/* Write path atomically (temp file, fsync, rename). */
static sg_err write_file(const char *path, const char *text)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return SG_ERR_RANGE;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return SG_ERR_IO;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return SG_ERR_IO;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return SG_ERR_IO;
	}
	return SG_OK;
}

sg_err rsp_step_finish(rsp_run *x)
{
	const char *outcome = x->cfg->observe ? "observed" : pb_outcome(x->states);
	sg_err err;
	/* the plan, as the report's "what would / did run" */
	json_t *plan = json_array();
	for (size_t i = 0; i < x->plan.n; i++)
		json_array_append_new(plan, json_pack("{s:s,s:s,s:s}", "step",
		                                      pb_step_name(x->plan.actions[i].step), "api",
		                                      pb_op_api(x->plan.actions[i].op), "text",
		                                      x->plan.actions[i].text));
	json_object_set_new(x->data, "plan", plan);
	if (!x->cfg->observe && x->inst) {
		struct aws_tag tags[] = {{"ssrfguard:status", outcome}};
		struct aws_params *p = aws_params_new();
		aws_params_add(p, "ResourceId.1", x->inst->id);
		aws_params_add_tags(p, "Tag", tags, 1);
		err = rsp_query(x, AWS_EC2, "CreateTags", p, 0, x->inst->id, "final status tag", NULL, NULL);
		aws_params_free(p);
		if (err)
			return err;
	}
	const char *told = rsp_created_get(x, "notified");
	if (!told || strcmp(told, outcome) != 0) { /* once per outcome (a retry may change it) */
		char text[256];
		snprintf(text, sizeof text, "playbook ended: %s", outcome);
		rsp_notify(x, "end", text);
		rsp_created(x, "notified", outcome);
	}
	rsp_journal_save(x, "running");
	if (x->cfg->report_dir) {
		json_t *rep = rsp_report_build(x->st, x->id, outcome);
		/* the FINISH row in the store is "running" still: say done here */
		size_t si;
		json_t *sv;
		json_array_foreach(json_object_get(rep, "steps"), si, sv)
			if (!strcmp(json_string_value(json_object_get(sv, "name")), "finish"))
				json_object_set_new(sv, "state", json_string("done"));
		char *js = rep ? json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		char *md = NULL;
		json_decref(rep);
		if (!js)
			return SG_ERR_NOMEM;
		char msg[128], path[4096];
		mkdir(x->cfg->report_dir, 0750);
		err = pb_report_markdown(js, strlen(js), &md, msg, sizeof msg);
		if (!err) {
			snprintf(path, sizeof path, "%s/%s.json", x->cfg->report_dir, x->inc);
			err = write_file(path, js);
		}
		if (!err) {
			rsp_created(x, "report_json", path);
			snprintf(path, sizeof path, "%s/%s.md", x->cfg->report_dir, x->inc);
			err = write_file(path, md);
			if (!err)
				rsp_created(x, "report_md", path);
		}
		free(js);
		free(md);
		if (err) {
			snprintf(x->note, sizeof x->note, "report not written to %s: %s", x->cfg->report_dir,
			         sg_strerror(err));
			return err;
		}
	}
	snprintf(x->note, sizeof x->note, "%s", outcome);
	return SG_OK;
}
